"""The hub side of sync: the team's shared PostgreSQL, reached directly (no web service).

:class:`Hub` wraps the hub's URL and offers exactly what a transport would:
``push(batch) -> PushResult`` and ``pull(since, limit) -> PullPage``. Tests wrap it in a
fake transport that drops the link before or after the server commit.

A push is ONE transaction (sync notes 3.8):

1. ``pg_advisory_xact_lock``: pushes are serialised, so ``change_log.seq`` is assigned and
   committed in the same order and a puller reading ``seq > last`` never skips a row
   that commits later with a lower seq (sync notes 1.3, kafka-connect-jdbc #915).
2. A ``batch_id`` already in ``sync_batch`` is a retry after a lost answer: its stored
   result comes back with ``duplicate=True`` and nothing is applied.
3. A batch whose highest HLC is more than 300 s ahead of the hub's clock (PostgreSQL's
   ``clock_timestamp()``, not this machine's) is refused: :class:`ClockSkewRefused`.
4. Changes whose ``change_id`` the log already holds are skipped (defence in depth: a
   change re-sent in another batch); the others get consecutive seqs in batch order.
5. Each new change is merged (:mod:`leaddesk.sync.merge`) against the hub's field clocks
   (``hub_field_version``); conflicts go to ``sync_conflict`` with both values; winners
   are written to the data tables with Core statements (the change log is the hub's
   journal, so the ORM journal must not see them) and the clocks are upserted.
6. All of 5 runs in a savepoint. If the database refuses a row (a value PostgreSQL
   cannot store, such as a NUL from a laptop's old data, or a constraint), the hub finds
   the changes it refuses and applies the batch without them, keeping them as refused
   (``rejected``, with a note the author sees in the inbox): one bad value never blocks
   a laptop's queue (:meth:`Hub._apply_or_refuse_bad`).

A clock refusal names the computer that is wrong (:class:`ClockSkewRefused`'s ``cause``):
the pusher's own clock, when its newest change's wall-clock time is ahead too, or a change
it received from elsewhere, when only its HLC is.

:class:`RowStore` loads row states from the data tables plus a clock table and writes
merge outcomes back. The replicas (client.py) use it too, with ``field_version`` and no
seqs, so both sides store exactly the same values.

How it stays fast (a 2,000-change batch is a few dozen statements whatever its mix, and
the data tables' statement-level triggers, search index and NOTIFY, run once per table
per batch, not per row or per column set):

* rows reach PostgreSQL by ``COPY`` (psycopg formats them in C): the change log rows and
  the new rows of each table straight into their tables, updates and clocks into a
  temporary table (dropped at commit) that one set-based statement then applies.
* an update sets, per row, only the columns that row's changes won (``CASE WHEN`` on a
  per-row bit mask keeps the others as they are), so one ``UPDATE`` per table serves
  every mix of edited fields.
* row states and clocks are looked up with ``= ANY(array)``: one query per table.
* a replica does not load the current values of its rows (only their clocks): without a
  ``base_seq`` the merge never compares values, it only orders clocks. It reads ids and
  clocks, and writes, through the driver (``executemany``) with each value bound exactly
  as SQLAlchemy binds it for its column.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import itertools
import json
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import JSON, Column, any_, bindparam, create_engine, insert, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError, StatementError
from sqlalchemy.types import TypeDecorator

from leaddesk import migrate
from leaddesk.db import PG_OPTIONS
from leaddesk.models import ChangeLog, FieldVersion, HubFieldVersion, SyncBatch, SyncConflict
from leaddesk.models.types import UTCDateTime
from leaddesk.sync import merge, permissions
from leaddesk.sync.field_values import encode, forbidden_char
from leaddesk.sync.journal import upsert_field_versions
from leaddesk.sync.protocol import (
    MAX_SKEW_MS,
    Change,
    ClockSkewRefused,
    ConflictInfo,
    EntitySpec,
    HubUnavailable,
    ProtocolError,
    PullPage,
    PushBatch,
    PushResult,
    SchemaMismatch,
    check_change,
    decode_change,
    entity,
)

_log = ChangeLog.__table__
_batch = SyncBatch.__table__
_hub_clock = HubFieldVersion.__table__
_field_version = FieldVersion.__table__
_conflict = SyncConflict.__table__

#: Key of the advisory lock that serialises pushes (any constant; "LDSYNC01" in ASCII).
PUSH_LOCK = 0x4C4453594E433031
#: Ids per lookup on SQLite (``IN`` list); PostgreSQL takes one array per lookup.
CHUNK = 2000
#: ``change_log`` columns a pull returns (everything but ``rejected``: refused changes
#: are never pulled).
PULLED_COLUMNS = ("seq", "change_id", "entity", "row_id", "field", "value", "hlc", "node", "author", "at",
                  "pushed_by", "batch_id", "base_seq", "received_at")
_MASK_BITS = 62
_UTC = dt.timezone.utc


@contextlib.contextmanager
def gc_paused():
    """A batch or a page allocates tens of thousands of small acyclic objects (changes,
    clocks, row states); the cyclic GC's sweeps over the app's whole heap would cost a
    good part of the work itself. Paused while one is merged; it runs again after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class LoggedChange(Change):
    """A change as the hub's ``change_log`` holds it (what :meth:`Hub.pull` returns): also
    who pushed it, in which batch, and when it arrived, so that a replica can keep an
    exact copy of the log (its local field history)."""

    pushed_by: str | None = None
    batch_id: uuid.UUID | None = None
    received_at: dt.datetime | None = None


@dataclass
class _Pending:
    """What a row needs written after a run of merges."""

    inserted: bool = False
    dirty: set[str] = field(default_factory=set)
    clocks: dict[str, merge.Stamp] = field(default_factory=dict)
    first: Change | None = None
    last: Change | None = None


class RowStore:
    """Row states of synced tables on one connection, and the writes merges decide.

    ``hub=True``: clocks in ``hub_field_version`` with seq and change id, creation clock
    under field ``'*'``. Otherwise (a replica): clocks in ``field_version`` and the row's
    own ``hlc``/``node`` columns as creation clock.

    ``values``: load the rows' current values too (default: on the hub only). The merge
    reads them only to detect conflicts, which needs a ``base_seq``; a replica passes none,
    so its merges depend on clocks alone and the values are not worth reading.

    Every value written goes through the column type's own SQLAlchemy bind processing
    (:func:`_converter`), so the stored form is exactly what an ORM or Core write stores;
    only the statements around it are built here, one per table and column set.
    """

    def __init__(self, conn: Connection, *, hub: bool, values: bool | None = None):
        self.conn = conn
        self.hub = hub
        self.values = hub if values is None else values
        self.pg = conn.dialect.name == "postgresql"
        self.states: dict[tuple[str, uuid.UUID], merge.RowState] = {}
        #: Replica: rows a pulled change named that this replica does not hold.
        self.unknown: set[tuple[str, uuid.UUID]] = set()
        self._pending: dict[tuple[str, uuid.UUID], _Pending] = {}

    # --- reading ----------------------------------------------------------------------

    def load(self, keys: Iterable[tuple[str, uuid.UUID]]) -> None:
        by_entity: dict[str, set[uuid.UUID]] = {}
        states = self.states
        for key in keys:
            if key not in states:
                by_entity.setdefault(key[0], set()).add(key[1])
        for name, ids in by_entity.items():
            if self.pg:
                self._load_pg(name, ids)
            else:
                self._load_sqlite(name, ids)
            for row_id in ids:
                if (name, row_id) not in states:
                    states[(name, row_id)] = merge.RowState()
            self._load_clocks(name, ids)

    def _load_pg(self, name: str, ids: set[uuid.UUID]) -> None:
        """One query per table, the ids as one array."""
        keys = list(entity(name).fields) if self.values else []
        for row in self.conn.execute(_row_query(name, self.values), {"ids": list(ids)}):
            self.states[(name, row[0])] = merge.RowState(merge.Stamp(row[1], row[2]), {}, dict(zip(keys, row[3:])))

    def _load_sqlite(self, name: str, ids: set[uuid.UUID]) -> None:
        """Ids and clocks read raw (SQLAlchemy stores a UUID on SQLite as its 32 hex
        digits): a returned id is the very UUID asked for, not a new object per row."""
        by_hex = {u.hex: u for u in ids}
        found = []
        sql = f"SELECT id, hlc, node FROM {_q(self.conn, name)} WHERE id IN (SELECT value FROM json_each(?))"
        for hex_id, hlc, node in _fetch(self.conn, sql, (json.dumps(list(by_hex)),)):
            row_id = by_hex[hex_id]
            self.states[(name, row_id)] = merge.RowState(merge.Stamp(hlc, _node(node)))
            found.append(row_id)
        if self.values and found:
            keys = list(entity(name).fields)
            for chunk in _chunks(found):
                for row in self.conn.execute(_row_query(name, True, pg=False), {"ids": chunk}):
                    self.states[(name, row[0])].values.update(zip(keys, row[3:]))

    def _load_clocks(self, name: str, ids: set[uuid.UUID]) -> None:
        states = self.states
        if self.hub:
            rows = (self.conn.execute(_clock_query(), {"e": name, "ids": list(ids)}) if self.pg else
                    (r for chunk in _chunks(sorted(ids))
                     for r in self.conn.execute(_clock_query(pg=False), {"e": name, "ids": chunk})))
            for row_id, fld, hlc, node, seq, change_id in rows:
                state = states[(name, row_id)]
                stamp = merge.Stamp(hlc, node, seq, change_id)
                if fld == merge.ROW_CREATED:
                    if state.exists:
                        state.created = stamp
                else:
                    state.clocks[fld] = stamp
            return
        if self.pg:
            rows = self.conn.execute(
                select(_field_version.c.row_id, _field_version.c.field, _field_version.c.hlc, _field_version.c.node)
                .where(_field_version.c.entity == name, _field_version.c.row_id == _ids_param()), {"ids": list(ids)})
        else:
            by_hex = {u.hex: u for u in ids}
            rows = ((by_hex[r], f, h, _node(n)) for r, f, h, n in _fetch(self.conn, 
                "SELECT row_id, field, hlc, node FROM field_version WHERE entity = ? "
                "AND row_id IN (SELECT value FROM json_each(?))", (name, json.dumps(list(by_hex)))))
        for row_id, fld, hlc, node in rows:
            state = states[(name, row_id)]
            if fld != merge.ROW_CREATED:
                state.clocks[fld] = merge.Stamp(hlc, node)
            elif state.exists:
                state.created = merge.Stamp(hlc, node)

    # --- merging ----------------------------------------------------------------------

    def apply(self, change: Change, stamp: merge.Stamp, base_seq: int | None = None) -> merge.Outcome:
        """Merge one change into its (loaded) row and remember what to write."""
        spec = check_change(change)
        key = (change.entity, change.row_id)
        state = self.states[key]
        if not change.created and not state.exists and not self.hub:
            # A replica pulled a change to a row it never had (re-assigned to its user, or
            # newly visible): the row is fetched whole after the pull (snapshot.refresh).
            self.unknown.add(key)
            return merge.Outcome()
        if not change.created and not state.exists:
            raise ProtocolError(
                f"A change to {change.entity}.{change.field} of {change.row_id} arrived, but that row never did "
                "(rows loaded as a snapshot, such as demo data, never travel to the team server)."
            )
        outcome = merge.merge(state, merge.Incoming(change.field, decode_change(spec, change), stamp, base_seq))
        if outcome.applied:
            pending = self._pending.get(key)
            if pending is None:
                pending = self._pending[key] = _Pending(first=change)
            pending.last = change
            if outcome.created:
                pending.inserted = True
                if self.hub:
                    pending.clocks[merge.ROW_CREATED] = stamp
            for name in outcome.changed:
                pending.dirty.add(name)
                pending.clocks[name] = stamp
        return outcome

    # --- writing ----------------------------------------------------------------------

    def flush(self) -> None:
        """Write every pending row: new rows first (parents before children), then updates,
        then clocks. PostgreSQL: one statement per table for each (statement-level triggers
        run once). SQLite: one executemany per table (updates: per set of changed columns,
        as SQLite's row triggers fire per column named)."""
        pending = list(self._pending.items())
        self._pending = {}
        inserts: dict[str, list[tuple]] = {}
        for (name, row_id), p in sorted((kp for kp in pending if kp[1].inserted), key=lambda kp: entity(kp[0][0]).rank):
            state = self.states[(name, row_id)]
            inserts.setdefault(name, []).append(
                (state.values, (row_id, p.first.at, p.first.author, p.last.at, p.last.author, 1, state.created.hlc,
                                state.created.node)))
        for name, rows in inserts.items():
            (_pg_insert_rows if self.pg else _sqlite_insert_rows)(self.conn, entity(name), rows)
        updates: dict[str, list[tuple]] = {}
        for (name, row_id), p in pending:
            if p.inserted or not p.dirty:
                continue
            updates.setdefault(name, []).append((row_id, p.last.at, p.last.author, p.dirty,
                                                 self.states[(name, row_id)].values))
        for name, rows in updates.items():
            (_pg_update_rows if self.pg else _sqlite_update_rows)(self.conn, entity(name), rows)
        clocks = [(name, row_id, f, s) for (name, row_id), p in pending for f, s in p.clocks.items()]
        if not clocks:
            return
        if self.hub and self.pg:
            _pg_upsert_hub_clocks(self.conn, clocks)
        elif self.hub:
            ins = sqlite_dialect.insert(_hub_clock)
            self.conn.execute(ins.on_conflict_do_update(
                index_elements=["entity", "row_id", "field"],
                set_={c: ins.excluded[c] for c in ("hlc", "node", "seq", "change_id")}),
                [{"entity": n, "row_id": r, "field": f, "hlc": s.hlc, "node": s.node, "seq": s.seq,
                  "change_id": s.change_id} for n, r, f, s in clocks])
        elif self.pg:
            upsert_field_versions(self.conn, [{"entity": n, "row_id": r, "field": f, "hlc": s.hlc, "node": s.node}
                                              for n, r, f, s in clocks])
        else:
            self.conn.exec_driver_sql(
                "INSERT INTO field_version (entity, row_id, field, hlc, node) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (entity, row_id, field) DO UPDATE SET hlc = excluded.hlc, node = excluded.node",
                [(n, r.hex, f, s.hlc, s.node.hex) for n, r, f, s in clocks])


#: Bookkeeping columns of a new row, in the order :meth:`RowStore.flush` gives them.
_NEW_ROW = ("id", "created_at", "created_by", "updated_at", "updated_by", "version", "hlc", "node")
_nodes: dict[str, uuid.UUID] = {}


def _node(hex_id: str) -> uuid.UUID:
    """A node id read from SQLite: there are few nodes and many clocks, so one UUID each."""
    node = _nodes.get(hex_id)
    if node is None:
        if len(_nodes) > 10_000:
            _nodes.clear()
        node = _nodes[hex_id] = uuid.UUID(hex_id)
    return node


def _ids_param():
    return any_(bindparam("ids", type_=postgresql.ARRAY(postgresql.UUID(as_uuid=True))))


@cache
def _row_query(name: str, values: bool, pg: bool = True):
    table = entity(name).table
    cols = [table.c.id, table.c.hlc, table.c.node, *(entity(name).fields.values() if values else ())]
    where = table.c.id == _ids_param() if pg else table.c.id.in_(bindparam("ids", expanding=True))
    return select(*cols).where(where)


@cache
def _clock_query(pg: bool = True):
    t = _hub_clock
    ids = t.c.row_id == _ids_param() if pg else t.c.row_id.in_(bindparam("ids", expanding=True))
    return select(t.c.row_id, t.c.field, t.c.hlc, t.c.node, t.c.seq, t.c.change_id).where(t.c.entity == bindparam("e"),
                                                                                            ids)


_converters: dict[tuple, Callable[[Any], Any] | None] = {}


def _is_json(column: Column) -> bool:
    kind = column.type
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return isinstance(kind, JSON)


def _converter(column: Column, dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy does to a value bound to ``column`` (type checks, enums to their
    values, money rounded or in cents, times in UTC, UUIDs as hex on SQLite), or None if
    nothing. On PostgreSQL a JSON column's value becomes its JSON text, as psycopg would
    send it (``json.dumps``; None is JSON ``null``, as SQLAlchemy stores it). Cached per
    column and driver, not per engine: a sync makes a new engine each time."""
    key = (column, dialect.name, dialect.driver)
    if key not in _converters:
        if dialect.name == "postgresql" and _is_json(column):
            _converters[key] = getattr(dialect, "_json_serializer", None) or json.dumps
        else:
            proc = column.type.dialect_impl(dialect).bind_processor(dialect)
            if dialect.name == "sqlite" and isinstance(column.type, UTCDateTime) and proc is not None:
                fast = _fast_sqlite_time(proc)
                proc = fast if _same(fast, proc) else proc
            _converters[key] = proc
    return _converters[key]


def _fast_sqlite_time(proc: Callable) -> Callable:
    """UTCDateTime on SQLite in one C call for the usual aware UTC value (a pulled page
    copies two per change log row), remembering the last one (a batch's rows share their
    arrival time); anything else takes SQLAlchemy's own ``proc``."""
    last = [(None, None)]

    def convert(value):
        seen, text = last[0]
        if value is not None and value == seen:
            return text
        if value is not None and value.tzinfo is _UTC:
            text = value.isoformat(" ", "microseconds")[:-6]  # without its "+00:00"
            last[0] = (value, text)  # one tuple: consistent even if two threads race
            return text
        return proc(value)
    return convert


def _same(fast: Callable, proc: Callable | None) -> bool:
    """Does the fast converter store what SQLAlchemy stores? (Checked once per column, on
    a few probe values, so a change in SQLAlchemy's storage format falls back safely.)"""
    if proc is None:
        return False
    probes = [dt.datetime(2026, 11, 23, 9, 5, 7, 123456, tzinfo=_UTC), dt.datetime(1999, 1, 2, tzinfo=_UTC),
              dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=3))), None]
    try:
        return all(fast(v) == proc(v) for v in probes)
    except (TypeError, ValueError):
        return False


def _fetch(conn: Connection, sql: str, params) -> list[tuple]:
    """All rows of one query run by the driver itself on ``conn`` (its transaction): plain
    tuples of the driver's values, without SQLAlchemy's per-row result objects. Driver
    errors come out as SQLAlchemy's, as for any statement."""
    with _driver_errors(conn, sql):
        cur = conn.connection.driver_connection.cursor()
        try:
            cur.execute(sql, params)
            return cur.fetchall()
        finally:
            cur.close()


@contextlib.contextmanager
def _driver_errors(conn: Connection, sql: str):
    base = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except base as exc:
        raise DBAPIError.instance(sql, None, exc, base, dialect=conn.dialect) from exc


def _q(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _columns(spec: EntitySpec) -> list[Column]:
    """Payload columns, then the bookkeeping of a new row (:data:`_NEW_ROW`)."""
    return [*spec.fields.values(), *(spec.table.c[k] for k in _NEW_ROW)]


def _convert_rows(conn: Connection, columns: Sequence[Column], rows: Iterable[Sequence]) -> list[tuple]:
    """Rows as the driver takes them: each value through its column's converter (column
    by column with ``map``: no per-value Python loop of our own)."""
    procs = [_converter(c, conn.dialect) for c in columns]
    rows = list(rows)
    if not rows or not any(procs):
        return [tuple(r) for r in rows]
    data = list(zip(*rows))
    for i, proc in enumerate(procs):
        if proc is not None:
            data[i] = map(proc, data[i])
    return list(zip(*data))


# --- SQLite: executemany through the driver -----------------------------------------------

def _sqlite_insert_rows(conn: Connection, spec: EntitySpec, rows: list[tuple]) -> None:
    cols = _columns(spec)
    sql = (f"INSERT INTO {_q(conn, spec.table.name)} ({', '.join(_q(conn, c.name) for c in cols)}) "
           f"VALUES ({', '.join('?' * len(cols))})")
    keys = list(spec.fields)
    conn.exec_driver_sql(sql, _convert_rows(conn, cols, ([values.get(k) for k in keys] + list(extra)
                                                         for values, extra in rows)))


def _sqlite_update_rows(conn: Connection, spec: EntitySpec, rows: list[tuple]) -> None:
    """One executemany per set of changed columns (SQLite's row-level triggers fire per
    column named in the SET list, so a column is only named where it changed)."""
    table, cols = spec.table, spec.fields
    by_fields: dict[tuple[str, ...], list[list]] = {}
    for row_id, at, author, dirty, values in rows:
        fields = tuple(sorted(dirty))
        by_fields.setdefault(fields, []).append([*(values[f] for f in fields), at, author, row_id])
    for fields, params in by_fields.items():
        sets = ", ".join(f"{_q(conn, cols[f].name)} = ?" for f in fields)
        sql = (f"UPDATE {_q(conn, table.name)} SET {sets}, version = version + 1, updated_at = ?, updated_by = ? "
               "WHERE id = ?")
        conn.exec_driver_sql(sql, _convert_rows(
            conn, [*(cols[f] for f in fields), table.c.updated_at, table.c.updated_by, table.c.id], params))


def insert_rows(conn: Connection, table, names: Sequence[str], rows: list[tuple], *,
                skip_existing: bool = False) -> None:
    """Insert plain rows (tuples in the order of ``names``), each value bound as its
    column's type binds it. ``skip_existing``: a row that clashes with a unique key
    already there is left out (``ON CONFLICT DO NOTHING``). SQLite: an executemany through
    the driver, without SQLAlchemy's per-row parameter handling (a pulled page copies
    2,000 change-log rows)."""
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        sql = (f"INSERT INTO {_q(conn, table.name)} ({', '.join(_q(conn, n) for n in names)}) "
               f"VALUES ({', '.join('?' * len(names))})" + (" ON CONFLICT DO NOTHING" if skip_existing else ""))
        conn.exec_driver_sql(sql, _convert_rows(conn, [table.c[n] for n in names], rows))
        return
    ins = (postgresql.insert(table).on_conflict_do_nothing() if skip_existing and conn.dialect.name == "postgresql"
           else insert(table))
    conn.execute(ins, [dict(zip(names, r)) for r in rows])


# --- PostgreSQL: COPY, then one set-based statement -----------------------------------------

_temp_names = itertools.count(1)
_TEMP_PREFIX = "ld_sync_"


def _copy(conn: Connection, target: str, names: Sequence[str], rows: Iterable[Sequence]) -> None:
    """``COPY target (names) FROM STDIN`` on the connection's own transaction (psycopg
    formats each row in C). A driver error comes out as SQLAlchemy's, like any statement's
    (so a dropped link is :class:`HubUnavailable`, a refused row a ``ProtocolError``).

    PostgreSQL refuses ``COPY FROM`` into a table under row-level security (every hub
    table, for a LeadDesk login): then the rows go into a temporary table by ``COPY`` and
    on with one ``INSERT ... SELECT``, which the policies check like any insert."""
    columns = ", ".join(_q(conn, n) for n in names)
    if not target.startswith(_TEMP_PREFIX) and not _bypasses_rls(conn):
        temp = _temp_table(conn, columns, target)
        _copy(conn, temp, names, rows)
        conn.exec_driver_sql(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {temp}")
        return
    sql = f"COPY {target} ({columns}) FROM STDIN"
    with _driver_errors(conn, sql), conn.connection.driver_connection.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _bypasses_rls(conn: Connection) -> bool:
    """Is the current role exempt from row-level security (a superuser, BYPASSRLS)?"""
    return bool(conn.exec_driver_sql(
        "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user").scalar())


def _temp_table(conn: Connection, select_list: str, source: str) -> str:
    """A temporary table shaped like ``SELECT select_list FROM source`` (column types from
    the real table), dropped at commit."""
    name = f"{_TEMP_PREFIX}{next(_temp_names)}"
    conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS SELECT {select_list} FROM {source} WITH NO DATA")
    return name


def _pg_insert_rows(conn: Connection, spec: EntitySpec, rows: list[tuple]) -> None:
    """New rows of one table: one ``COPY`` (the table's statement-level triggers run once)."""
    cols = _columns(spec)
    keys = list(spec.fields)
    _copy(conn, _q(conn, spec.table.name), [c.name for c in cols],
          _convert_rows(conn, cols, ([values.get(k) for k in keys] + list(extra) for values, extra in rows)))


def _pg_update_rows(conn: Connection, spec: EntitySpec, rows: list[tuple]) -> None:
    """Changed fields of many rows of one table with ONE ``UPDATE ... FROM`` a temporary
    table filled by ``COPY``: the columns any row changed are in the SET list, and a per-row
    bit mask picks, for each row, between its new value and the value it holds, so a row
    keeps every column its changes did not win."""
    table, cols = spec.table, spec.fields
    changed = set().union(*(r[3] for r in rows))
    union = [f for f in cols if f in changed]
    bit = {f: i for i, f in enumerate(union)}
    n_masks = (len(union) + _MASK_BITS - 1) // _MASK_BITS
    t = _q(conn, table.name)
    temp = _temp_table(conn, ", ".join(
        ["id AS b_id", "updated_at AS b_at", "updated_by AS b_by"]
        + [f"0::bigint AS m{j}" for j in range(n_masks)]
        + [f"{_q(conn, cols[f].name)} AS v{i}" for i, f in enumerate(union)]), t)
    data = []
    for row_id, at, author, dirty, values in rows:
        row = [row_id, at, author, *([0] * n_masks), *([None] * len(union))]
        for f in dirty:
            i = bit[f]
            row[3 + i // _MASK_BITS] |= 1 << (i % _MASK_BITS)
            row[3 + n_masks + i] = values[f]
        data.append(row)
    _copy(conn, temp, ["b_id", "b_at", "b_by", *(f"m{j}" for j in range(n_masks)), *(f"v{i}" for i in range(len(union)))],
          _convert_rows(conn, [table.c.id, table.c.updated_at, table.c.updated_by,
                               *([table.c.version] * n_masks), *(cols[f] for f in union)], data))
    sets = []
    for i, f in enumerate(union):
        name = _q(conn, cols[f].name)
        sets.append(f"{name} = CASE WHEN x.m{i // _MASK_BITS} & {1 << (i % _MASK_BITS)} <> 0 "
                    f"THEN x.v{i} ELSE t.{name} END")
    sets += ["version = t.version + 1", "updated_at = x.b_at", "updated_by = x.b_by"]
    conn.exec_driver_sql(f"UPDATE {t} AS t SET {', '.join(sets)} FROM {temp} AS x WHERE t.id = x.b_id")


_CLOCK_COLUMNS = ("entity", "row_id", "field", "hlc", "node", "seq", "change_id")


def _pg_upsert_hub_clocks(conn: Connection, clocks: list[tuple]) -> None:
    names = ", ".join(_CLOCK_COLUMNS)
    temp = _temp_table(conn, names, "hub_field_version")
    _copy(conn, temp, _CLOCK_COLUMNS, ((n, r, f, s.hlc, s.node, s.seq, s.change_id) for n, r, f, s in clocks))
    conn.exec_driver_sql(
        f"INSERT INTO hub_field_version ({names}) SELECT {names} FROM {temp} "
        "ON CONFLICT (entity, row_id, field) DO UPDATE SET hlc = excluded.hlc, node = excluded.node, "
        "seq = excluded.seq, change_id = excluded.change_id")


LOG_COLUMNS = ("seq", "change_id", "entity", "row_id", "field", "value", "hlc", "node", "author", "at", "pushed_by",
               "batch_id", "base_seq", "received_at")


def _pg_insert_log(conn: Connection, rows: list[tuple]) -> None:
    """Accepted changes into ``change_log`` (tuples in :data:`LOG_COLUMNS` order): one COPY."""
    _copy(conn, "change_log", LOG_COLUMNS, _convert_rows(conn, [_log.c[c] for c in LOG_COLUMNS], rows))


def insert_many(conn: Connection, stmt, rows: list[dict], *, triggers: bool = False) -> None:
    """Insert many rows. On PostgreSQL a plain executemany (pipelined by psycopg: fastest)
    runs one statement per row, so a table with statement-level triggers (the data tables:
    search index, NOTIFY) would run them per row; for those (``triggers``) RETURNING makes
    SQLAlchemy send multi-row INSERTs ("insertmanyvalues") instead."""
    if triggers and conn.dialect.name == "postgresql":
        stmt = stmt.returning(*stmt.table.primary_key.columns)
    conn.execute(stmt, rows)


def _chunks(items: Sequence, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def change_from_row(row) -> LoggedChange:
    return LoggedChange(change_id=row.change_id, entity=row.entity, row_id=row.row_id, field=row.field,
                        value=row.value, hlc=row.hlc, node=row.node, author=row.author, at=row.at,
                        base_seq=row.base_seq, seq=row.seq, pushed_by=getattr(row, "pushed_by", None),
                        batch_id=getattr(row, "batch_id", None), received_at=getattr(row, "received_at", None))


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is _UTC else value.astimezone(_UTC)


class Hub:
    """The team server, reached through its PostgreSQL URL."""

    def __init__(self, url: str, *, engine=None):
        # Sessions in UTC: psycopg then returns times as datetime.timezone.utc directly
        # (a pull reads two per change), not as a zone to convert from. JIT off: see PG_OPTIONS.
        self.engine = engine or create_engine(url, pool_pre_ping=True, connect_args={
            "connect_timeout": 5, "application_name": "leaddesk-sync", "options": f"{PG_OPTIONS} -c TimeZone=UTC"})
        if self.engine.dialect.name != "postgresql":
            raise ProtocolError("The team server must be a PostgreSQL database.")

    def dispose(self) -> None:
        self.engine.dispose()

    @property
    def schema(self) -> str | None:
        """The hub's Alembic revision (the schema handshake compares it with the replica's)."""
        with _answering():
            return migrate.current_revision(self.engine)

    # --- push -------------------------------------------------------------------------

    def push(self, batch: PushBatch) -> PushResult:
        """Apply one batch (idempotent); raises a :class:`SyncError` and applies nothing
        when the batch is refused."""
        try:
            return self._push(batch)
        except IntegrityError as exc:
            raise ProtocolError(
                "The team server refused this batch "
                f"({str(exc.orig).strip().splitlines()[0]}). Nothing was applied; your changes are kept."
            ) from exc

    def _push(self, batch: PushBatch) -> PushResult:
        with _answering(), gc_paused(), self.engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PUSH_LOCK})
            # One statement, run after the lock is held (its snapshot sees every batch
            # committed before): the stored result of a retry, the schema, the hub's clock
            # (not this machine's) and the role.
            stored, hub_schema, now, role = conn.execute(
                text("SELECT (SELECT result FROM sync_batch WHERE batch_id = :b), "
                     "(SELECT version_num FROM alembic_version), clock_timestamp(), session_user"),
                {"b": batch.batch_id}).one()
            if stored is not None:
                return PushResult.from_json(stored, duplicate=True)
            if batch.schema is not None and batch.schema != hub_schema:
                raise SchemaMismatch(batch.schema, hub_schema)
            now = _utc(now)
            _check_skew(batch, now)
            for change in batch.changes:
                check_change(change)
            result = self._apply_or_refuse_bad(conn, batch, now, role)
            conn.execute(insert(_batch), {"batch_id": batch.batch_id, "node": batch.node,
                                          "result": result.to_json(), "received_at": now, "pushed_by": role})
            return result

    def _apply_or_refuse_bad(self, conn: Connection, batch: PushBatch, now: dt.datetime, role: str) -> PushResult:
        """Apply the batch; if the database refuses one of its rows (a value PostgreSQL
        cannot store, a constraint), find the changes it refuses and apply the batch
        without them, keeping them as refused: one bad value never blocks the queue.

        The search tries growing prefixes of the batch, each in a savepoint rolled back
        at once (the later changes held back as refused): a prefix that fails is halved
        until one change is found that fails on top of everything accepted so far. That
        is a few tries per bad change (log2 of the batch), and a change that fails only
        because its parent was refused is refused with it, as it must be."""
        try:
            with conn.begin_nested():
                return self._apply(conn, batch, now, role)
        except Exception as exc:  # noqa: BLE001 - only per-row refusals are searched
            if not _row_refused(exc):
                raise
            first = exc
        bad: dict[uuid.UUID, str] = {}
        order = [c.change_id for c in batch.changes]
        start, end = 0, len(order)
        while start < len(order):
            held_back = {cid: "" for cid in order[end:]}
            try:
                with conn.begin_nested() as trial:
                    self._apply(conn, batch, now, role, forced={**bad, **held_back})
                    trial.rollback()
            except Exception as exc:  # noqa: BLE001
                if not _row_refused(exc):
                    raise
                if end - start == 1:
                    bad[order[start]] = _refusal_note(exc)
                    start, end = end, len(order)
                else:
                    end = start + (end - start) // 2
                continue
            start, end = end, len(order)
        if not bad:  # the refusal did not come back (it should): fail as before
            raise first
        with conn.begin_nested():
            return self._apply(conn, batch, now, role, forced=bad)

    def _apply(self, conn: Connection, batch: PushBatch, now: dt.datetime, role: str,
               forced: dict[uuid.UUID, str] | None = None) -> PushResult:
        ids = [c.change_id for c in batch.changes]
        known = set(conn.scalars(select(_log.c.change_id).where(_log.c.change_id == _ids_param()),
                                 {"ids": ids})) if ids else set()
        fresh, seen = [], set()
        for c in batch.changes:
            if c.change_id not in known and c.change_id not in seen:
                fresh.append(c)
                seen.add(c.change_id)
        seqs = list(conn.scalars(
            text("SELECT nextval(pg_get_serial_sequence('change_log', 'seq')) FROM generate_series(1, :n) ORDER BY 1"),
            {"n": len(fresh)})) if fresh else []
        store = RowStore(conn, hub=True)
        store.load((c.entity, c.row_id) for c in fresh)
        seq_of = dict(zip((c.change_id for c in fresh), seqs))
        forced = {**_unstorable(fresh), **(forced or {})}
        ok, refusals = permissions.screen(conn, store.states, permissions.hub_subject(conn), fresh, forced=forced)
        if ok:
            _pg_insert_log(conn, [
                (seq_of[c.change_id], c.change_id, c.entity, c.row_id, c.field, c.value, c.hlc, c.node, c.author,
                 c.at, role, batch.batch_id, c.base_seq, now)
                for c in ok])
        if refusals:  # kept, never pulled: the author's inbox shows them
            insert_many(conn, insert(_log), [
                {"seq": seq_of[r.change.change_id], "change_id": r.change.change_id, "entity": r.change.entity,
                 "row_id": r.change.row_id, "field": r.change.field, "value": _storable(r.change.value),
                 "hlc": r.change.hlc,
                 "node": r.change.node, "author": r.change.author, "at": r.change.at, "pushed_by": role,
                 "batch_id": batch.batch_id, "base_seq": r.change.base_seq, "received_at": now, "rejected": True}
                for r in refusals])
        applied, notes = 0, []
        for c in ok:
            seq = seq_of[c.change_id]
            outcome = store.apply(c, merge.Stamp(c.hlc, c.node, seq, c.change_id), c.base_seq)
            applied += outcome.applied
            notes.extend((c, n) for n in outcome.conflicts)
        store.flush()
        authors = _authors(conn, fresh, [s for _, n in notes for s in (n.kept, n.lost)])
        rows = [
            {"kind": n.kind, "entity": c.entity, "row_id": c.row_id, "field": n.field,
             "kept_value": encode(n.kept_value), "lost_value": encode(n.lost_value),
             "kept_node": n.kept.node, "lost_node": n.lost.node, "kept_hlc": n.kept.hlc, "lost_hlc": n.lost.hlc,
             "kept_seq": n.kept.seq, "lost_seq": n.lost.seq, "kept_change_id": n.kept.change_id,
             "lost_change_id": n.lost.change_id, "created_at": now, "resolved": False,
             "kept_author": authors.get(n.kept.change_id), "lost_author": authors.get(n.lost.change_id)}
            for c, n in notes]
        for r in refusals:
            c = r.change
            state = store.states.get((c.entity, c.row_id))
            cur = state.clock(c.field) if state is not None and state.exists and not c.created else None
            rows.append({
                "kind": "rejected", "entity": c.entity, "row_id": c.row_id, "field": c.field,
                "kept_value": encode(state.values.get(c.field)) if cur is not None else None,
                "lost_value": _storable(c.value), "kept_node": cur.node if cur else c.node, "lost_node": c.node,
                "kept_hlc": cur.hlc if cur else int(now.timestamp() * 1000) << 16, "lost_hlc": c.hlc, "kept_seq": cur.seq if cur else 0,
                "lost_seq": seq_of[c.change_id], "kept_change_id": cur.change_id if cur else None,
                "lost_change_id": c.change_id, "created_at": now, "resolved": False,
                "kept_author": authors.get(cur.change_id) if cur else None, "lost_author": c.author,
                "note": r.reason})
        if rows:
            insert_many(conn, insert(_conflict), rows)
        refused_rows = tuple(sorted({(r.change.entity, r.change.row_id) for r in refusals}, key=str))
        return PushResult(batch_id=batch.batch_id, duplicate=False, received=len(batch.changes),
                          accepted=len(fresh), skipped=len(batch.changes) - len(fresh), applied=applied,
                          conflicts=len(notes), first_seq=seqs[0] if seqs else None,
                          last_seq=seqs[-1] if seqs else None, rejected=len(refusals), refused_rows=refused_rows)

    # --- pull -------------------------------------------------------------------------

    def pull(self, since: int, limit: int = 2000) -> PullPage:
        """Changes with ``seq > since`` in seq order, at most ``limit`` (refused changes,
        ``rejected``, are never pulled). Read with the driver's own types (no per-value
        conversion in Python but UTC for the two times)."""
        sql = (f"SELECT {', '.join(PULLED_COLUMNS)} FROM change_log WHERE seq > %(since)s AND NOT rejected "
               "ORDER BY seq LIMIT %(limit)s")
        with _answering(), gc_paused():
            with self.engine.connect() as conn:
                rows = _fetch(conn, sql, {"since": since, "limit": limit})
            new = object.__new__
            changes = []
            for seq, change_id, ent, row_id, fld, value, hlc, node, author, at, pushed_by, batch_id, base_seq, \
                    received_at in rows:
                # LoggedChange(...) without its frozen __setattr__ per field: the same object.
                c = new(LoggedChange)
                c.__dict__.update(change_id=change_id, entity=ent, row_id=row_id, field=fld, value=value, hlc=hlc,
                                  node=node, author=author, at=_utc(at), base_seq=base_seq, seq=seq,
                                  pushed_by=pushed_by, batch_id=batch_id, received_at=_utc(received_at))
                changes.append(c)
        return PullPage(tuple(changes), changes[-1].seq if changes else since, len(rows) == limit)

    # --- conflict inbox -----------------------------------------------------------------

    def conflicts(self, *, entity_name: str | None = None, row_id: uuid.UUID | None = None,
                  unresolved_only: bool = True) -> list[ConflictInfo]:
        stmt = select(_conflict).order_by(_conflict.c.id)
        if unresolved_only:
            stmt = stmt.where(_conflict.c.resolved.is_(False))
        if entity_name:
            stmt = stmt.where(_conflict.c.entity == entity_name)
        if row_id:
            stmt = stmt.where(_conflict.c.row_id == row_id)
        with _answering(), self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [ConflictInfo(
            id=r.id, kind=r.kind, entity=r.entity, row_id=r.row_id, field=r.field,
            kept_value=_loads(r.kept_value), lost_value=_loads(r.lost_value), kept_node=r.kept_node,
            lost_node=r.lost_node, kept_hlc=r.kept_hlc, lost_hlc=r.lost_hlc, kept_seq=r.kept_seq,
            lost_seq=r.lost_seq, resolved=r.resolved) for r in rows]

    def mark_resolved(self, conflict_ids: Iterable[int]) -> None:
        ids = list(conflict_ids)
        with _answering(), self.engine.begin() as conn:
            conn.execute(update(_conflict).where(_conflict.c.id.in_(bindparam("ids", expanding=True)))
                         .values(resolved=True), {"ids": ids})


def _check_skew(batch: PushBatch, now: dt.datetime) -> None:
    """Refuse a batch whose newest clock is more than MAX_SKEW ahead of the hub's, saying
    which computer is wrong: the newest change's own wall-clock time (``at``) tells
    whether the pusher's clock is ahead, or whether its clock was carried ahead by a
    change it received from elsewhere."""
    server_ms = int(now.timestamp() * 1000)
    ahead = (batch.max_hlc >> 16) - server_ms
    if ahead <= MAX_SKEW_MS:
        return
    newest = max(batch.changes, key=lambda c: c.hlc)
    own_ahead = int(_utc(newest.at).timestamp() * 1000) - server_ms if newest.at is not None else ahead
    raise ClockSkewRefused(ahead, cause="this" if own_ahead > MAX_SKEW_MS else "elsewhere")


def _unstorable(changes: Sequence[Change]) -> dict[uuid.UUID, str]:
    """Changes whose value holds what no LeadDesk field holds (NUL, a lone surrogate, a
    control character other than tab and line breaks: see field_values.refuse_forbidden),
    with the note their author sees. Refused like a forbidden change, never stored."""
    out = {}
    for c in changes:
        wrong = _not_text(c)
        if wrong is not None:
            out[c.change_id] = (f"This value of '{wrong}' is not text, as the field needs; the team server "
                                "does not store it. Nothing else of the sync was held back.")
            continue
        if c.value is None or not _FORBIDDEN_HINT.search(c.value):
            continue
        try:
            bad = forbidden_char(json.loads(c.value))
        except ValueError:
            continue  # not JSON: decoding refuses it below
        if bad is not None:
            out[c.change_id] = (f"This value holds an invisible control character (U+{ord(bad):04X}) that LeadDesk "
                                "does not store. Correct it on the record and save again; nothing else of the "
                                "sync was held back.")
    return out


def _not_text(c: Change) -> str | None:
    """The field, if a field change carries a value that is not text (nor null) for a
    text column. (A new row with such a value fails as the driver sends it, and is found
    by the search for refused rows; a field change is the common case, checked cheaply.)"""
    value = c.value
    if c.created or value is None or value[:1] == '"' or value == "null":
        return None
    try:
        column = entity(c.entity).fields.get(c.field)
    except ProtocolError:
        return None  # refused elsewhere
    return c.field if column is not None and _is_text(column) else None


@cache
def _is_text(column: Column) -> bool:
    kind = column.type
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    try:
        return kind.python_type is str and not getattr(kind, "enums", None)
    except NotImplementedError:
        return False


def _storable(value: str | None) -> str | None:
    """A refused change's JSON text as PostgreSQL can keep it: a lone surrogate (which no
    driver can send) is spelt as its JSON escape instead; the value means the same."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        try:
            return json.dumps(json.loads(value), ensure_ascii=True, separators=(",", ":"))
        except ValueError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")


#: A quick test before decoding: JSON spells every control character as an escape
#: (``\u0000``, or ``\b`` and ``\f``), and a lone surrogate stays as it is
#: (``ensure_ascii=False``) or is escaped.
_FORBIDDEN_HINT = re.compile(r"\\[bf]|\\u00[01]|\\u007f|\\ud[89a-f]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]",
                             re.IGNORECASE)


def _row_refused(exc: BaseException) -> bool:
    """Is ``exc`` the database (or the driver) refusing a row's value, not the link or
    the server failing? Such a refusal is about the rows sent, so it is searched for."""
    if isinstance(exc, (DataError, IntegrityError)):
        return True
    if isinstance(exc, DBAPIError) and not isinstance(exc, OperationalError) and \
            getattr(exc.orig, "sqlstate", "") is None:
        return True  # the driver could not send a value at all (no SQLSTATE: never reached the server)
    if isinstance(exc, StatementError) and not isinstance(exc, DBAPIError):
        return isinstance(exc.orig, (ValueError, TypeError, ArithmeticError))
    return isinstance(exc, (ValueError, TypeError, ArithmeticError)) and not isinstance(exc, ProtocolError)


def _refusal_note(exc: BaseException) -> str:
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return ("The team server cannot store this value"
            + (f" ({detail[0]})" if detail else "")
            + ". Correct it on the record and save again; nothing else of the sync was held back.")


def _authors(conn: Connection, fresh: Sequence[Change], stamps: Iterable[merge.Stamp]) -> dict:
    """change_id -> LeadDesk user who made it (this batch's, else from the change log)."""
    known = {c.change_id: c.author for c in fresh}
    missing = {s.change_id for s in stamps if s.change_id is not None and s.change_id not in known}
    if missing:
        for cid, author in conn.execute(select(_log.c.change_id, _log.c.author).where(
                _log.c.change_id.in_(bindparam("ids", expanding=True))), {"ids": sorted(missing)}):
            known[cid] = author
    return known


def _loads(value: str | None):
    return None if value is None else json.loads(value)


class _answering:
    """Turn a dropped connection into :class:`HubUnavailable` (the transaction rolled back,
    or, if the link broke during COMMIT, maybe not: a retry of the batch is safe either way)."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        dropped = isinstance(exc, OperationalError) or (
            isinstance(exc, DBAPIError) and exc.connection_invalidated)
        if dropped:
            raise HubUnavailable(f"The team server did not answer: {str(getattr(exc, 'orig', exc)).strip()}") from exc
        return False

