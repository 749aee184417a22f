"""Whole rows from the hub into a replica: first join, visibility changes, count check.

The change feed carries changes; some situations need rows as they stand on the hub,
read with the user's own login (so row-level security decides what arrives):

* **First join** (:func:`~leaddesk.sync.download.join`): a new laptop downloads everything its user may see in
  one REPEATABLE READ transaction, with each field's clock, and starts pulling after the
  newest seq of that snapshot (``ld_max_seq()``; pushes commit in seq order, so nothing
  before it is missing).
* **Refresh** (:func:`refresh`): rows that became visible (a deal re-assigned to me), rows
  a pull mentions but this replica never had, rows whose pushed change the hub refused
  (the local value goes back to the hub's): fetched whole and written over the local copy
  with the hub's clocks. Rows the hub no longer shows this user are **purged** locally
  (re-assigned away, or the user changed team), children included. Unsent local edits to
  them stay in the outbox: the hub refuses them visibly (a "rejected" conflict).
* **Count check** (:func:`~leaddesk.sync.visibility.verify`, after each sync, as Anki does): per table, the count
  and a hash of the ids this user sees on the hub against the local ones; a mismatch is
  repaired by the same refresh/purge, never by overwriting the file.

All local writes here are Core statements on a plain connection: the journal does not see
them, so nothing is queued to push. SQLite's foreign-key enforcement is off for these
writes (and for applying pulls): the replica mirrors what the hub, which enforces the
keys, lets this user see, and a visible row may point at one she may not see (her
activity on a colleague's deal).

The first join and the resync are in :mod:`leaddesk.sync.download`, the count check and
following visibility changes in :mod:`leaddesk.sync.visibility`; this module holds what
they share: reading rows and clocks from the hub, writing them here, purging, and the
refresh of given rows.
"""


from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import delete, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from leaddesk.db import Database
from leaddesk.models import FieldVersion, HubFieldVersion, Outbox, SearchDoc, SyncState, access
from leaddesk.models.journal import ROW_CREATED
from leaddesk.models.search import upsert_sql
from leaddesk.clock import pack
from leaddesk.sync.protocol import MAX_SKEW_MS, entity

CHUNK = 2000
_fv = FieldVersion.__table__
_hub_fv = HubFieldVersion.__table__
_state = SyncState.__table__
_outbox = Outbox.__table__
_search = SearchDoc.__table__

LAST_ACCESS = "last_access_seq"
#: The highest clock this replica has stored (``client.restore_clock`` starts from it).
CLOCK = "hlc"
#: Rows owed a refresh (a push refused them, a pull named rows this replica lacks), as
#: JSON ``[[entity, id], ...]``: recorded in the same transaction as what made them owed,
#: cleared by the refresh that brings them, so a crash in between only delays it.
REFRESH_OWED = "refresh_owed"


@dataclass
class RefreshStats:
    refreshed: int = 0
    purged: int = 0
    tables: dict[str, int] = field(default_factory=dict)

    def add(self, other: RefreshStats) -> None:
        self.refreshed += other.refreshed
        self.purged += other.purged
        for k, v in other.tables.items():
            self.tables[k] = self.tables.get(k, 0) + v


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# --- hub side (read with the user's login: RLS filters) ---------------------------------------

def hub_rows(conn: Connection, name: str, ids: Iterable[uuid.UUID] | None = None) -> list[dict]:
    table = entity(name).table
    if ids is None:
        return [dict(r._mapping) for r in conn.execute(select(table))]
    out = []
    for chunk in _chunks(sorted(set(ids))):
        out += [dict(r._mapping) for r in conn.execute(select(table).where(table.c.id.in_(chunk)))]
    return out


def hub_clocks(conn: Connection, name: str, ids: Iterable[uuid.UUID] | None = None) -> list[dict]:
    cols = (_hub_fv.c.entity, _hub_fv.c.row_id, _hub_fv.c.field, _hub_fv.c.hlc, _hub_fv.c.node)
    base = select(*cols).where(_hub_fv.c.entity == name, _hub_fv.c.field != ROW_CREATED)
    if ids is None:
        return [dict(r._mapping) for r in conn.execute(base)]
    out = []
    for chunk in _chunks(sorted(set(ids))):
        out += [dict(r._mapping) for r in conn.execute(base.where(_hub_fv.c.row_id.in_(chunk)))]
    return out


# --- replica side ----------------------------------------------------------------------------

@contextlib.contextmanager
def mirror_writes(db: Database) -> Iterator[Connection]:
    """A local transaction with foreign-key enforcement off (see module docs)."""
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        raw.execute("PRAGMA foreign_keys=OFF")  # outside any transaction: takes effect
        try:
            with conn.begin():
                yield conn
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


def _put(conn: Connection, key: str, value) -> None:
    ins = sqlite.insert(_state).values(key=key, value=str(value))
    conn.execute(ins.on_conflict_do_update(index_elements=["key"], set_={"value": str(value)}))


def _get(conn: Connection, key: str) -> str | None:
    return conn.scalar(select(_state.c.value).where(_state.c.key == key))


def owe_refresh(conn: Connection, rows: Iterable[tuple[str, uuid.UUID]]) -> None:
    """Record rows to refresh, inside the caller's transaction."""
    rows = list(rows)
    if not rows:
        return
    owed = set(_owed(conn)) | {(name, i if isinstance(i, uuid.UUID) else uuid.UUID(str(i))) for name, i in rows}
    _put(conn, REFRESH_OWED, json.dumps(sorted([name, str(i)] for name, i in owed)))


def _owed(conn: Connection) -> list[tuple[str, uuid.UUID]]:
    raw = _get(conn, REFRESH_OWED)
    return [(name, uuid.UUID(i)) for name, i in json.loads(raw)] if raw else []


def owed_refreshes(db: Database) -> dict[str, set[uuid.UUID]]:
    keys: dict[str, set[uuid.UUID]] = {}
    with _reading(db) as conn:
        for name, row_id in _owed(conn):
            keys.setdefault(name, set()).add(row_id)
    return keys


def refresh_owed(db: Database, hub_engine) -> RefreshStats:
    """Refresh every row owed one (see :data:`REFRESH_OWED`)."""
    return refresh(db, hub_engine, owed_refreshes(db))


def _observe(db: Database, conn: Connection, hlcs: Iterable[int], server_ms: int | None = None) -> None:
    """Move this replica's clock past the clocks just written, durably (in ``conn``'s
    transaction): an edit made after seeing a refreshed value must order after it, even
    on a laptop whose wall clock is behind (found by the team state machine).

    A clock more than MAX_SKEW ahead of the team server's (``server_ms``, read from the
    hub while fetching; a computer with a wrong date wrote it) is not taken on: it would
    carry every later edit made here past the server's skew limit, and the server would
    refuse them all (pulled changes are screened the same way, _pull_screening.screen_pulled)."""
    limit = pack(server_ms + MAX_SKEW_MS) if server_ms is not None else None
    top = max((h for h in hlcs if limit is None or h <= limit), default=0)
    if top:
        db.write.clock.observe(top)
    _put(conn, CLOCK, max(db.write.clock.last, int(_get(conn, CLOCK) or 0)))


def server_millis(hc: Connection) -> int:
    """The team server's clock (``clock_timestamp()``) in milliseconds."""
    return int(hc.scalar(text("SELECT clock_timestamp()")).timestamp() * 1000)


def write_rows(conn: Connection, name: str, rows: list[dict]) -> None:
    """Upsert whole rows as the hub holds them."""
    if not rows:
        return
    table = entity(name).table
    ins = sqlite.insert(table)
    cols = [c.name for c in table.columns if c.name != "id"]
    stmt = ins.on_conflict_do_update(index_elements=["id"], set_={c: ins.excluded[c] for c in cols})
    for chunk in _chunks(rows, 500):
        conn.execute(stmt, chunk)


def replace_clocks(conn: Connection, name: str, ids: list[uuid.UUID], clocks: list[dict]) -> None:
    for chunk in _chunks(ids):
        conn.execute(delete(_fv).where(_fv.c.entity == name, _fv.c.row_id.in_(chunk)))
    for chunk in _chunks(clocks, 1000):
        conn.execute(sqlite.insert(_fv).on_conflict_do_nothing(), chunk)


def _children() -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for name, rule in access.RULES.items():
        if isinstance(rule, access.Child):
            out.setdefault(rule.parent, []).append((name, rule.fk))
    return out


def purge(conn: Connection, name: str, ids: list[uuid.UUID], stats: RefreshStats) -> None:
    """Remove rows (and their children) this user may no longer see. Local only."""
    if not ids:
        return
    for child, fk in _children().get(name, []):
        table = entity(child).table
        kids = []
        for chunk in _chunks(ids):
            kids += list(conn.scalars(select(table.c.id).where(table.c[fk].in_(chunk))))
        purge(conn, child, kids, stats)
    table = entity(name).table
    for chunk in _chunks(ids):
        conn.execute(delete(_search).where(_search.c.entity == name, _search.c.row_id.in_(chunk)))
        conn.execute(delete(_fv).where(_fv.c.entity == name, _fv.c.row_id.in_(chunk)))
        conn.execute(delete(table).where(table.c.id.in_(chunk)))
    stats.purged += len(ids)
    stats.tables[name] = stats.tables.get(name, 0) + len(ids)


def _pending_ids(conn: Connection, name: str) -> set[uuid.UUID]:
    """Rows created here and not yet pushed (the hub cannot know them yet)."""
    return set(conn.scalars(select(_outbox.c.row_id).where(_outbox.c.entity == name,
                                                           _outbox.c.field == ROW_CREATED)))


def _reindex(conn: Connection, touched: dict[str, set[uuid.UUID]]) -> None:
    sql = upsert_sql("sqlite")
    keys = {"account": ("account", "a"), "contact": ("contact", "c"), "opportunity": ("opportunity", "o")}
    extra = {n: touched.get(n, set()) for n in ("contact_email", "contact_phone")}
    for name, (kind, alias) in keys.items():
        ids = set(touched.get(name, set()))
        if name == "contact":
            for child, rows in extra.items():
                if rows:
                    t = entity(child).table
                    for chunk in _chunks(sorted(rows)):
                        ids |= set(conn.scalars(select(t.c.contact_id).where(t.c.id.in_(chunk))))
        for chunk in _chunks(sorted(ids), 500):
            literal = ", ".join(f"'{i.hex}'" for i in chunk)
            conn.execute(text(sql[kind].format(where=f"{alias}.id IN ({literal})")))


def refresh(db: Database, hub_engine, keys: dict[str, set[uuid.UUID]], *,
            purge_missing: bool = True) -> RefreshStats:
    """Bring the given rows to the hub's state for this user (see module docs)."""
    stats = RefreshStats()
    keys = {k: set(v) for k, v in keys.items() if v}
    if not keys:
        return stats
    fetched: dict[str, tuple[list[dict], list[dict]]] = {}
    with hub_engine.connect() as hc:
        server_ms = server_millis(hc)
        for name, ids in keys.items():
            fetched[name] = (hub_rows(hc, name, ids), hub_clocks(hc, name, ids))
    order = sorted(fetched, key=lambda n: entity(n).rank)
    touched: dict[str, set[uuid.UUID]] = {}
    with mirror_writes(db) as conn:
        for name in order:
            rows, clocks = fetched[name]
            got = {r["id"] for r in rows}
            write_rows(conn, name, rows)
            replace_clocks(conn, name, sorted(got), clocks)
            touched[name] = got
            stats.refreshed += len(got)
            if got:
                stats.tables[name] = stats.tables.get(name, 0) + len(got)
            if purge_missing:
                gone = sorted(keys[name] - got - _pending_ids(conn, name))
                local = entity(name).table
                present = []
                for chunk in _chunks(gone):
                    present += list(conn.scalars(select(local.c.id).where(local.c.id.in_(chunk))))
                purge(conn, name, present, stats)
        _reindex(conn, touched)
        _observe(db, conn, [r["hlc"] for rows, _ in fetched.values() for r in rows]
                 + [c["hlc"] for _, clocks in fetched.values() for c in clocks], server_ms)
        owed = _owed(conn)
        if owed:
            left = [k for k in owed if k[1] not in keys.get(k[0], ())]
            _put(conn, REFRESH_OWED, json.dumps(sorted([name, str(i)] for name, i in left)))
    return stats


def _reading(db: Database):
    return db.engine.execution_options(leaddesk_read_only=True).connect()
