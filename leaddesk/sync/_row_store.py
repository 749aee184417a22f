"""Row storage of synced tables, shared by the hub and the replicas.

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

Apart from server.py (what a push applies) because both sides store through it; how the
statements are written per database is in _row_writes.py, the values bound as the driver
takes them in _driver_io.py.
"""

from __future__ import annotations

import contextlib
import gc
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import any_, bindparam, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection

from leaddesk.models import FieldVersion, HubFieldVersion
from leaddesk.sync import merge
from leaddesk.sync._driver_io import _convert_rows, _fetch, _q
from leaddesk.sync._row_writes import (
    _pg_insert_rows,
    _pg_update_rows,
    _pg_upsert_hub_clocks,
    _sqlite_insert_rows,
    _sqlite_update_rows,
)
from leaddesk.sync.journal import upsert_field_versions
from leaddesk.sync.protocol import Change, ProtocolError, check_change, decode_change, entity

_hub_clock = HubFieldVersion.__table__
_field_version = FieldVersion.__table__

#: Ids per lookup on SQLite (``IN`` list); PostgreSQL takes one array per lookup.
CHUNK = 2000


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


def _chunks(items: Sequence, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]
