"""Whole rows from the hub into a replica: first join, visibility changes, count check.

The change feed carries changes; some situations need rows as they stand on the hub,
read with the user's own login (so row-level security decides what arrives):

* **First join** (:func:`join`): a new laptop downloads everything its user may see in
  one REPEATABLE READ transaction, with each field's clock, and starts pulling after the
  newest seq of that snapshot (``ld_max_seq()``; pushes commit in seq order, so nothing
  before it is missing).
* **Refresh** (:func:`refresh`): rows that became visible (a deal re-assigned to me), rows
  a pull mentions but this replica never had, rows whose pushed change the hub refused
  (the local value goes back to the hub's): fetched whole and written over the local copy
  with the hub's clocks. Rows the hub no longer shows this user are **purged** locally
  (re-assigned away, or the user changed team), children included. Unsent local edits to
  them stay in the outbox: the hub refuses them visibly (a "rejected" conflict).
* **Count check** (:func:`verify`, after each sync, as Anki does): per table, the count
  and a hash of the ids this user sees on the hub against the local ones; a mismatch is
  repaired by the same refresh/purge, never by overwriting the file.

All local writes here are Core statements on a plain connection: the journal does not see
them, so nothing is queued to push. SQLite's foreign-key enforcement is off for these
writes (and for applying pulls): the replica mirrors what the hub, which enforces the
keys, lets this user see, and a visible row may point at one she may not see (her
activity on a colleague's deal).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from leaddesk.db import Database
from leaddesk.models import FieldVersion, HubFieldVersion, Outbox, SearchDoc, SyncState, access
from leaddesk.models.journal import ROW_CREATED
from leaddesk.models.search import upsert_sql
from leaddesk.clock import pack
from leaddesk.sync.protocol import MAX_SKEW_MS, entities, entity

CHUNK = 2000
_fv = FieldVersion.__table__
_hub_fv = HubFieldVersion.__table__
_state = SyncState.__table__
_outbox = Outbox.__table__
_search = SearchDoc.__table__

LAST_PULLED = "last_pulled_seq"
LAST_ACCESS = "last_access_seq"
#: The highest clock this replica has stored (``client.restore_clock`` starts from it).
CLOCK = "hlc"
#: Rows owed a refresh (a push refused them, a pull named rows this replica lacks), as
#: JSON ``[[entity, id], ...]``: recorded in the same transaction as what made them owed,
#: cleared by the refresh that brings them, so a crash in between only delays it.
REFRESH_OWED = "refresh_owed"

Progress = Callable[[str, int, int], None]


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


def id_digest(ids: Iterable[uuid.UUID]) -> str:
    """md5 of the ids' text joined by commas in uuid order: what :func:`hub_digest`
    computes on the hub (PostgreSQL orders uuids bytewise, as Python compares them)."""
    return hashlib.md5(",".join(str(i) for i in sorted(ids)).encode(), usedforsecurity=False).hexdigest()


def hub_digest(conn: Connection, name: str) -> tuple[int, str, str]:
    """Count, digest of the ids and digest of the deleted ids (:func:`id_digest`) of what
    this login sees of a table on the hub."""
    row = conn.execute(text(
        "SELECT count(*), md5(coalesce(string_agg(id::text, ',' ORDER BY id), '')), "
        "md5(coalesce(string_agg(id::text, ',' ORDER BY id) FILTER (WHERE deleted), '')) "
        f"FROM {entity(name).table.name}")).one()
    return int(row[0]), row[1], row[2]


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
    refuse them all (pulled changes are screened the same way, client.screen_pulled)."""
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


# --- first join ----------------------------------------------------------------------------

@dataclass(frozen=True)
class JoinStats:
    rows: int
    last_seq: int
    tables: dict[str, int]
    #: Resync: local rows removed because the hub no longer shows them.
    purged: int = 0


def join(db: Database, hub_engine, *, progress: Progress | None = None) -> JoinStats:
    """Download everything this user may see into an EMPTY replica."""
    with _reading(db) as conn:
        for spec in entities().values():
            if conn.scalar(select(func.count()).select_from(spec.table)):
                from leaddesk.errors import ValidationError

                raise ValidationError(
                    "This laptop's LeadDesk database already holds data, so it cannot become a copy of the "
                    "team's. Move it aside (or start LeadDesk with another data folder) and join again.",
                    field="db")
    return _download(db, hub_engine, progress=progress, resync=False)


def history_horizon(hub_engine) -> int:
    """The last seq the hub's change log no longer holds (0: never trimmed)."""
    with hub_engine.connect() as hc:
        return int(hc.scalar(text("SELECT ld_history_horizon()")) or 0)


def resync(db: Database, hub_engine, *, progress: Progress | None = None) -> JoinStats:
    """Non-destructive resync of a replica that last pulled before the hub trimmed its
    change log (sync notes 3.7): every row this user sees, as the hub holds it, with its
    clocks, written over the local copy; local rows the hub no longer shows are purged
    (rows created here and not yet pushed stay); then the unsent edits in the outbox are
    merged back in, so the laptop still shows them until they are pushed."""
    return _download(db, hub_engine, progress=progress, resync=True)


def _download(db: Database, hub_engine, *, progress: Progress | None, resync: bool) -> JoinStats:
    names = sorted(entities(), key=lambda n: entity(n).rank)
    counts: dict[str, int] = {}
    top = 0
    stats = RefreshStats()
    with hub_engine.connect() as hc, hc.begin():
        hc.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        last_seq = int(hc.scalar(text("SELECT ld_max_seq()")) or 0)
        last_access = int(hc.scalar(text("SELECT coalesce(max(seq), 0) FROM access_change")) or 0)
        server_ms = server_millis(hc)
        limit = pack(server_ms + MAX_SKEW_MS)  # (see _observe)
        with mirror_writes(db) as conn:
            from leaddesk.models.search import set_bulk_active

            raw = conn.connection.driver_connection
            set_bulk_active(raw, True)
            try:
                for i, name in enumerate(names):
                    if progress:
                        progress(f"Downloading {name.replace('_', ' ')}", i, len(names))
                    rows = hub_rows(hc, name)
                    clocks = hub_clocks(hc, name)
                    write_rows(conn, name, rows)
                    got = [r["id"] for r in rows]
                    if resync:
                        replace_clocks(conn, name, sorted(got), clocks)
                        local = entity(name).table
                        gone = set(conn.scalars(select(local.c.id))) - set(got) - _pending_ids(conn, name)
                        purge(conn, name, sorted(gone), stats)
                    else:
                        for chunk in _chunks(clocks, 1000):
                            conn.execute(sqlite.insert(_fv).on_conflict_do_nothing(), chunk)
                    counts[name] = len(rows)
                    top = max([top, *(h for h in (*(r["hlc"] for r in rows), *(c["hlc"] for c in clocks))
                                      if h <= limit)])
            finally:
                set_bulk_active(raw, False)
            if resync:
                _merge_outbox(conn)
                _put(conn, REFRESH_OWED, "[]")  # everything is fresh
            sql = upsert_sql("sqlite")
            conn.execute(text(sql["account"].format(where="true")))
            conn.execute(text(sql["contact"].format(where="true")))
            conn.execute(text(sql["opportunity"].format(where="true")))
            _put(conn, LAST_PULLED, last_seq)
            _put(conn, LAST_ACCESS, last_access)
            _observe(db, conn, [top], server_ms)
    if progress:
        progress("Downloaded", len(names), len(names))
    return JoinStats(sum(counts.values()), last_seq, counts, stats.purged)


def _merge_outbox(conn: Connection) -> None:
    """Merge the unsent edits back into the rows just downloaded (by the same LWW rule the
    hub will apply when they are pushed)."""
    from leaddesk.sync import client, merge
    from leaddesk.sync._row_store import RowStore

    changes = client.outbox_changes(conn, _outbox.c.field != ROW_CREATED)
    if not changes:
        return
    store = RowStore(conn, hub=False)
    store.load((c.entity, c.row_id) for c in changes)
    for c in changes:
        store.apply(c, merge.Stamp(c.hlc, c.node))
    store.flush()


# --- after each pull: visibility changes and the count check -----------------------------------

def follow_access_changes(db: Database, hub_engine) -> RefreshStats:
    """Re-check rows whose owner changed (or everything, when a user's team or role did)."""
    with _reading(db) as conn:
        since = int(_get(conn, LAST_ACCESS) or 0)
    with hub_engine.connect() as hc:
        rows = hc.execute(text("SELECT seq, entity, row_id FROM access_change WHERE seq > :s ORDER BY seq"),
                          {"s": since}).all()
    if not rows:
        return RefreshStats()
    keys: dict[str, set[uuid.UUID]] = {}
    everything = False
    for r in rows:
        if r.entity == "app_user":
            everything = True
        elif r.entity in access.RULES:
            keys.setdefault(r.entity, set()).add(r.row_id)
    stats = verify(db, hub_engine).repaired if everything else RefreshStats()
    if keys:
        # children follow their parent: refresh them too
        for parent, kids in _children().items():
            for child, fk in kids:
                if parent in keys:
                    keys.setdefault(child, set()).update(_child_ids(db, hub_engine, child, fk, keys[parent]))
        stats.add(refresh(db, hub_engine, keys))
    with db.engine.begin() as conn:
        _put(conn, LAST_ACCESS, rows[-1].seq)
    return stats


def _child_ids(db, hub_engine, child: str, fk: str, parents: set[uuid.UUID]) -> set[uuid.UUID]:
    local = entity(child).table
    ids: set[uuid.UUID] = set()
    with _reading(db) as conn:
        for chunk in _chunks(sorted(parents)):
            ids |= set(conn.scalars(select(local.c.id).where(local.c[fk].in_(chunk))))
    with hub_engine.connect() as hc:
        for chunk in _chunks(sorted(parents)):
            ids |= set(hc.scalars(select(local.c.id).where(local.c[fk].in_(chunk))))
    return ids


@dataclass
class VerifyResult:
    checked: int = 0
    mismatched: list[str] = field(default_factory=list)
    repaired: RefreshStats = field(default_factory=RefreshStats)

    @property
    def ok(self) -> bool:
        return not self.mismatched


def verify(db: Database, hub_engine, *, repair: bool = True) -> VerifyResult:
    """Per table: count and id hash of what this user sees on the hub vs. held here, and
    the hash of the ids marked deleted (a row deleted here but not on the hub, or the
    other way round, as a forged or lost deletion leaves it, is found and repaired too).
    Rows with unsent changes here are left out: the hub cannot know them yet."""
    result = VerifyResult()
    diffs: dict[str, set[uuid.UUID]] = {}
    with hub_engine.connect() as hc, _reading(db) as lc:
        for name, spec in entities().items():
            t = spec.table
            count, digest, deleted_digest = hub_digest(hc, name)
            rows = dict(lc.execute(select(t.c.id, t.c.deleted)).all())
            pending = _pending_ids(lc, name)
            local = set(rows) - pending
            deleted = {i for i in local if rows[i]}
            result.checked += 1
            same_ids = count == len(local) and digest == id_digest(local)
            same_deleted = deleted_digest == id_digest(deleted)
            unsent = set() if same_deleted else _unsent_rows(lc, name)
            if same_ids and (same_deleted or not _deleted_differs(hc, t, deleted, unsent)):
                continue
            result.mismatched.append(name)
            if repair:
                diffs[name] = (set(hc.scalars(select(t.c.id))) ^ local) | _deleted_diff(hc, t, deleted, unsent)
    for name, ids in diffs.items():
        result.repaired.add(refresh(db, hub_engine, {name: ids}))
    return result


def _unsent_rows(conn: Connection, name: str) -> set[uuid.UUID]:
    """Rows with any change still in the outbox (their deleted flag may differ for now)."""
    return set(conn.scalars(select(_outbox.c.row_id).where(_outbox.c.entity == name).distinct()))


def _deleted_diff(hc: Connection, table, deleted: set[uuid.UUID], unsent: set[uuid.UUID]) -> set[uuid.UUID]:
    """Rows whose deleted flag here differs from the hub's (rows with unsent changes here
    left out)."""
    hub_deleted = set(hc.scalars(select(table.c.id).where(table.c.deleted.is_(True))))
    return (hub_deleted ^ deleted) - unsent


def _deleted_differs(hc: Connection, table, deleted: set[uuid.UUID], unsent: set[uuid.UUID]) -> bool:
    return bool(_deleted_diff(hc, table, deleted, unsent))


def _reading(db: Database):
    return db.engine.execution_options(leaddesk_read_only=True).connect()
