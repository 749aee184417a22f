"""The replica side of sync: push the outbox, pull the change log, both crash-safe.

``push(db, hub)`` (sync notes 3.8):

1. In one local transaction, give up to ``batch_size`` unsent outbox rows a ``batch_id``
   (a batch that already has one and was never acknowledged is re-sent first, unchanged).
   The id is durable before anything is sent, so a retry after a lost answer is the same
   batch and the hub answers "duplicate" instead of applying it twice. Rows go in HLC
   order and, within one save, new rows first, parents before children, so a batch may
   end anywhere (a 100k-row import is 200 batches, not one long hub transaction) and the
   hub's foreign keys always hold. The price: another laptop may briefly pull half of a
   big save (a contact before its e-mails) until the next batch arrives.
2. Send. Any failure leaves the outbox as it is.
3. On the answer, delete that batch's outbox rows.

``pull(db, hub)`` (sync notes 3.9): pages of the hub's change log after
``sync_state.last_pulled_seq``; each page in ONE local transaction: merged with the same
LWW rule as the hub (:mod:`leaddesk.sync.merge`, against ``field_version`` and the rows'
creation clocks), ``clock.observe(hlc)`` for every change, ``field_version`` written,
every change copied into the replica's own ``change_log`` (the hub's row as it is, seq
included: the local field history, read by :mod:`leaddesk.services.team.history`),
``last_pulled_seq`` advanced. Remote changes are written with Core statements on a plain
connection, which the ORM journal does not see: they create no outbox rows.

A laptop does not take a pulled change on trust (:func:`screen_pulled`): one whose clock
is far ahead of the time the server received it, or whose author is not the user of the
login that pushed it, is not applied and its clock is not observed; it becomes a notice
in the local conflict inbox ("rejected", negative id: this laptop's own).

Before a page is applied, unsent outbox rows without a recorded base get the current
``last_pulled_seq`` in ``outbox_base``: the edit was made before these changes were seen,
which is what the hub needs to recognise it as concurrent with them.

``sync(db, hub)``: a backup of the local file (``migrate.backup_sqlite``), push, pull.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import String, bindparam, case, delete, exists, func, insert, literal, select, type_coerce, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from leaddesk import migrate
from leaddesk.db import Database
from leaddesk.ids import new_id
from leaddesk.models import ROW_CREATED, ChangeLog, FieldVersion, Outbox, OutboxBase, SyncConflict, SyncState
from leaddesk.sync import merge
from leaddesk.clock import millis_of, pack
from leaddesk.sync.field_values import encode
from leaddesk.sync.protocol import (
    MAX_SKEW_MS,
    Change,
    ClockSkewRefused,
    PullPage,
    PushBatch,
    ProtocolError,
    PushResult,
    SchemaMismatch,
    entities,
    entity,
)
from leaddesk.sync._row_store import RowStore, gc_paused, insert_rows

_outbox = Outbox.__table__
_base = OutboxBase.__table__
_state = SyncState.__table__
_log = ChangeLog.__table__
_conflict = SyncConflict.__table__

LAST_PULLED = "last_pulled_seq"
CLOCK = "hlc"  # = snapshot.CLOCK
#: Changes per push batch: one hub transaction each, holding the push lock (a 2,000-change
#: batch holds it for about 0.3 s on the benchmark machine, 5,000 for about 0.75 s;
#: BENCHMARKS.md "Sync" has both).
BATCH_SIZE = 2000
#: Changes per pulled page: one local transaction each, holding SQLite's write lock (a save
#: made meanwhile waits; about 0.4 s for 5,000 changes on the benchmark machine). Bigger
#: pages cost less per change: fewer commits, and the edits of one row within a page are
#: written once (a week away, 25,000 changes: 2,000 a page about 2.8 s, 5,000 about 2.2 s).
PAGE_SIZE = 5000
#: ``change_log.batch_id`` of a pulled change whose transport did not say (only the Hub
#: itself reports batch, pusher and arrival time; the column is NOT NULL).
UNKNOWN_BATCH = uuid.UUID(int=0)


class Transport(Protocol):
    """What the client needs of the hub (:class:`leaddesk.sync.server.Hub` or a wrapper)."""

    schema: str | None

    def push(self, batch: PushBatch) -> PushResult: ...

    def pull(self, since: int, limit: int = PAGE_SIZE) -> PullPage: ...


@dataclass(frozen=True)
class PullStats:
    changes: int
    applied: int
    last_seq: int
    #: The hub had trimmed changes this replica never pulled: it re-downloaded what its
    #: user sees (snapshot.resync) before pulling on.
    resynced: bool = False


@dataclass(frozen=True)
class SyncReport:
    pushed: list[PushResult] = field(default_factory=list)
    pulled: PullStats | None = None
    backup: Path | None = None

    @property
    def sent(self) -> int:
        return sum(r.received for r in self.pushed)


# --- sync_state ---------------------------------------------------------------------------

def _get(conn: Connection, key: str) -> str | None:
    return conn.scalar(select(_state.c.value).where(_state.c.key == key))


def _put(conn: Connection, key: str, value: object) -> None:
    ins = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(_state)
    conn.execute(ins.values(key=key, value=str(value)).on_conflict_do_update(
        index_elements=["key"], set_={"value": str(value)}))


def _last_pulled(conn: Connection) -> int:
    return int(_get(conn, LAST_PULLED) or 0)


def _reading(db: Database):
    """A connection that does not take SQLite's write lock (BEGIN, not BEGIN IMMEDIATE)."""
    return db.engine.execution_options(leaddesk_read_only=True).connect()


def last_pulled_seq(db: Database) -> int:
    with _reading(db) as conn:
        return _last_pulled(conn)


def pending_count(db: Database) -> int:
    """Local changes not yet acknowledged by the hub."""
    with _reading(db) as conn:
        return conn.scalar(select(func.count()).select_from(_outbox))


def restore_clock(db: Database) -> int:
    """Move this installation's HLC past every clock it has stored, written or observed
    (call at start-up: a later edit must order after everything this replica has seen,
    even if the wall clock is behind or went back). Returns the clock's value."""
    fv = FieldVersion.__table__
    with _reading(db) as conn:
        seen = max(int(_get(conn, CLOCK) or 0),
                   conn.scalar(select(func.max(fv.c.hlc))) or 0,
                   conn.scalar(select(func.max(_outbox.c.hlc))) or 0)
    db.write.clock.observe(seen)
    return db.write.clock.last


def _check_schema(db: Database, hub: Transport) -> str | None:
    local = migrate.current_revision(db.engine.execution_options(leaddesk_read_only=True))
    remote = getattr(hub, "schema", local)
    if remote != local:
        raise SchemaMismatch(local, remote)
    return local


# --- push ---------------------------------------------------------------------------------

def _order(change: Change) -> tuple:
    """Send order: by HLC; within one save, new rows first, parents before children
    (:func:`_sql_order` is the same order in SQL; batches are read in it)."""
    return (change.hlc, not change.created, entity(change.entity).rank if change.created else 0,
            change.change_id.int)


def _sql_order():
    """:func:`_order` in SQL, so a batch can end anywhere (even inside one big save) and a
    child never travels before its parent."""
    ranks = {name: spec.rank for name, spec in entities().items()}
    created = case((_outbox.c.field == ROW_CREATED, 0), else_=1)
    rank = case((_outbox.c.field == ROW_CREATED, case(ranks, value=_outbox.c.entity, else_=0)), else_=0)
    return (_outbox.c.hlc, created, rank, _outbox.c.change_id)


def next_batch(db: Database, batch_size: int = BATCH_SIZE, *, schema: str | None = None) -> PushBatch | None:
    """The batch to send now: the unacknowledged one, else a new one (durable before sending)."""
    with gc_paused(), db.engine.begin() as conn:
        last = _last_pulled(conn)
        batch_id = conn.scalar(select(_outbox.c.batch_id).where(_outbox.c.batch_id.is_not(None)).limit(1))
        if batch_id is None:
            rows = _outbox_rows(conn, _outbox.c.batch_id.is_(None), batch_size)
            if not rows:
                return None
            batch_id = new_id()
            conn.execute(update(_outbox).where(type_coerce(_outbox.c.change_id, String).in_(
                bindparam("ids", expanding=True))).values(batch_id=batch_id), {"ids": [r[0] for r in rows]})
        else:
            rows = _outbox_rows(conn, _outbox.c.batch_id == batch_id)
        changes = tuple(_changes(rows, last))
    return PushBatch(batch_id=batch_id, node=db.write.node, changes=changes, schema=schema)


def _changes(rows, default_base: int) -> list[Change]:
    ids = _UUIDs()
    return [Change(change_id=ids.new(r[0]), entity=r[1], row_id=ids(r[2]), field=r[3], value=r[4], hlc=r[5],
                   node=ids(r[6]), author=ids(r[7]), at=r[8], base_seq=r[9] if r[9] is not None else default_base)
            for r in rows]


def outbox_changes(conn: Connection, where) -> list[Change]:
    """Unsent outbox rows matching ``where``, as changes, in send order."""
    return _changes(_outbox_rows(conn, where), _last_pulled(conn))


#: Outbox columns read as stored (SQLite: 32 hex digits), made UUIDs by :class:`_UUIDs`.
_RAW_IDS = ("change_id", "row_id", "node", "actor_id")


def _outbox_rows(conn: Connection, where, limit: int | None = None) -> list:
    """Outbox rows with their recorded base, in send order (:func:`_sql_order`): change_id,
    entity, row_id, field, value, hlc, node, actor_id, created_at, base_seq."""
    cols = [type_coerce(_outbox.c[n], String).label(n) if n in _RAW_IDS else _outbox.c[n]
            for n in ("change_id", "entity", "row_id", "field", "value", "hlc", "node", "actor_id", "created_at")]
    stmt = (select(*cols, _base.c.base_seq).outerjoin(_base, _base.c.change_id == _outbox.c.change_id)
            .where(where).order_by(*_sql_order()))
    return conn.execute(stmt if limit is None else stmt.limit(limit)).all()


class _UUIDs:
    """Stored ids as UUIDs, one object per distinct value: a batch names one node, a few
    authors and rows many times (a UUID from text is the costly part of reading a batch)."""

    def __init__(self):
        self.seen: dict = {}

    def new(self, value) -> uuid.UUID:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(value)

    def __call__(self, value) -> uuid.UUID | None:
        if value is None or isinstance(value, uuid.UUID):
            return value
        got = self.seen.get(value)
        if got is None:
            got = self.seen[value] = uuid.UUID(value)
        return got


def acknowledge(db: Database, batch_id: uuid.UUID, refused_rows=()) -> None:
    """The hub holds the batch: forget its outbox rows, and remember (in the same
    transaction) the rows it refused, which must be taken back to the hub's state."""
    from leaddesk.sync import snapshot

    with db.engine.begin() as conn:
        ids = select(_outbox.c.change_id).where(_outbox.c.batch_id == batch_id)
        conn.execute(delete(_base).where(_base.c.change_id.in_(ids)))
        conn.execute(delete(_outbox).where(_outbox.c.batch_id == batch_id))
        snapshot.owe_refresh(conn, refused_rows)


def push(db: Database, hub: Transport, *, batch_size: int = BATCH_SIZE,
         max_batches: int | None = None) -> list[PushResult]:
    """Send the outbox, batch by batch, until it is empty. Raises on the first failure
    (:class:`~leaddesk.sync.protocol.SyncError`); what was not acknowledged stays."""
    schema = _check_schema(db, hub)
    results: list[PushResult] = []
    # The cyclic GC waits until the push is over: paused batch by batch, it would sweep
    # each batch's objects (still alive at the end of its pause) once per batch.
    restamped = False
    with gc_paused():
        while max_batches is None or len(results) < max_batches:
            batch = next_batch(db, batch_size, schema=schema)
            if batch is None:
                break
            try:
                result = hub.push(batch)
            except ClockSkewRefused as exc:
                # This laptop's clock is right, but a change from elsewhere carried it far
                # ahead (before laptops screened what they pull): take the server's time
                # back and send again, once.
                if exc.cause != "elsewhere" or restamped:
                    raise
                restamped = True
                if not restamp_outbox(db, millis_of(batch.max_hlc) - exc.ahead_ms):
                    raise
                continue
            acknowledge(db, batch.batch_id, result.refused_rows)
            results.append(result)
            del batch
            if result.refused_rows:
                # The hub refused these (kept as "rejected" conflicts): take its state back
                # (a crash before this is caught up by the next pull: the debt is durable).
                _refresh_owed(db, hub)
    return results


def restamp_outbox(db: Database, server_ms: int) -> int:
    """Recover from a clock carried far ahead of the team server's (``server_ms``) by a
    change with a wrong date: unsent edits stamped past the skew window get new clocks
    from this laptop's clock, set back to the newest sound clock it holds (their order,
    and which edits were one save, kept); field clocks past the window are dropped and
    their rows owed a refresh (the server's clocks come back with them). Returns how many
    edits were re-stamped."""
    from leaddesk.sync import snapshot

    limit = pack(server_ms + MAX_SKEW_MS // 2)
    fv = FieldVersion.__table__
    with db.engine.begin() as conn:
        poisoned = conn.execute(select(_outbox.c.change_id, _outbox.c.hlc).where(_outbox.c.hlc > limit)
                                .order_by(*_sql_order())).all()
        sound = max(conn.scalar(select(func.max(_outbox.c.hlc)).where(_outbox.c.hlc <= limit)) or 0,
                    conn.scalar(select(func.max(fv.c.hlc)).where(fv.c.hlc <= limit)) or 0)
        db.write.clock.reset(max(sound, min(pack(db.write.clock.wall()), limit)))
        new_of: dict[int, int] = {}
        for old in sorted({h for _, h in poisoned}):
            new_of[old] = db.write.clock.tick()
        if poisoned:
            conn.execute(update(_outbox).where(_outbox.c.change_id == bindparam("cid")).values(hlc=bindparam("h")),
                         [{"cid": cid, "h": new_of[h]} for cid, h in poisoned])
        stale = conn.execute(select(fv.c.entity, fv.c.row_id).where(fv.c.hlc > limit)).all()
        if stale:
            conn.execute(delete(fv).where(fv.c.hlc > limit))
            snapshot.owe_refresh(conn, {(e, r) for e, r in stale})
        _put(conn, CLOCK, db.write.clock.last)
    return len(poisoned)


def hub_engine(hub: Transport):
    """The hub's SQLAlchemy engine behind a transport (tests wrap the Hub), or None."""
    while hub is not None and getattr(hub, "engine", None) is None:
        hub = getattr(hub, "hub", None)
    return getattr(hub, "engine", None)


def _refresh_owed(db: Database, hub: Transport) -> None:
    from leaddesk.sync import snapshot

    engine = hub_engine(hub)
    if engine is not None:
        snapshot.refresh_owed(db, engine)


# --- pull ---------------------------------------------------------------------------------

def apply_page(db: Database, page: PullPage) -> int:
    """Apply one page of the change log in one local transaction; returns how many
    changes won at least one field here. Every new change of the page is also copied
    into the local ``change_log`` (a row already there, same seq or change id, is left
    as it is: a page pulled again changes nothing)."""
    from leaddesk.sync import snapshot
    from leaddesk.sync.snapshot import mirror_writes

    applied = 0
    with gc_paused(), mirror_writes(db) as conn:
        last = _last_pulled(conn)
        changes = [c for c in page.changes if c.seq > last]
        if changes:
            # Unsent edits made before this page was seen: remember what they were based on.
            conn.execute(insert(_base).from_select(
                ["change_id", "base_seq"],
                select(_outbox.c.change_id, literal(last)).where(
                    ~exists().where(_base.c.change_id == _outbox.c.change_id))))
            changes, bad = screen_pulled(conn, changes)
            store = RowStore(conn, hub=False)
            store.load((c.entity, c.row_id) for c in changes)
            for c in changes:
                applied += store.apply(c, merge.Stamp(c.hlc, c.node, c.seq or 0, c.change_id)).applied
            store.flush()
            # Changes to rows this replica never had (a deal just re-assigned to its user,
            # rows the user could not see before): fetched whole at the end of the pull.
            snapshot.owe_refresh(conn, store.unknown)
            if changes:
                db.write.clock.observe(max(c.hlc for c in changes))
            _log_locally(conn, changes)
            _record_refused_pulls(conn, db, bad)
        if page.last_seq > last:
            _put(conn, LAST_PULLED, page.last_seq)
        _put(conn, CLOCK, db.write.clock.last)
    return applied


# --- what a laptop accepts from a pull ----------------------------------------------------------

def screen_pulled(conn: Connection, changes: list[Change]) -> tuple[list[Change], list[tuple[Change, str]]]:
    """Split pulled changes into those to apply and those this laptop refuses, with why.

    The team server checks who pushes what, but a laptop does not take a row on trust:

    * **the clock**: a change's HLC may not be more than MAX_SKEW ahead of the time the
      server received it (a far-future clock would win every later edit of the field and,
      observed, push this laptop's own clock ahead until the server refused its pushes);
    * **the author**: a change pushed by the login of a LeadDesk user must carry that
      user as its author (a change in a colleague's name is refused). A login that is no
      LeadDesk user is the server's own administrator, trusted as the server is.

    Refused changes are not applied and their clock is not observed; each becomes a
    notice in the conflict inbox (:func:`_record_refused_pulls`)."""
    logins = _logins(conn, changes)
    ok: list[Change] = []
    bad: list[tuple[Change, str]] = []
    for c in changes:
        reason = _pulled_problem(c, logins)
        if reason is None:
            ok.append(c)
        else:
            bad.append((c, reason))
    return ok, bad


def _logins(conn: Connection, changes: list[Change]) -> dict[str, uuid.UUID]:
    """Database login -> LeadDesk user, as this replica knows them (and as this page sets them)."""
    user = entity("app_user").table
    logins = {role: uid for uid, role in conn.execute(select(user.c.id, user.c.db_role).where(
        user.c.db_role.is_not(None)))}
    for c in changes:
        if c.entity != "app_user" or c.value is None:
            continue
        try:
            value = json.loads(c.value)
        except ValueError:
            continue
        role = value.get("db_role") if c.created and isinstance(value, dict) else (
            value if c.field == "db_role" else None)
        if isinstance(role, str):
            logins[role] = c.row_id
    return logins


def _pulled_problem(c: Change, logins: dict[str, uuid.UUID]) -> str | None:
    received = getattr(c, "received_at", None)
    if received is not None:
        ahead = millis_of(c.hlc) - int(received.timestamp() * 1000)
        if ahead > MAX_SKEW_MS:
            return (f"This laptop did not apply this change: its clock is {_duration(ahead)} ahead of "
                    "the time the team server received it (made on a computer with a wrong date, or written "
                    "into the server by hand). Tell your admin; “Use other” makes the value your own edit.")
    pushed_by = getattr(c, "pushed_by", None)
    if pushed_by is not None and pushed_by in logins and c.author != logins[pushed_by]:
        return ("This laptop did not apply this change: it names someone other than the login that sent it as "
                "its author (written into the team server by hand). Tell your admin.")
    return None


def _duration(ms: int) -> str:
    minutes = ms / 60_000
    if minutes < 120:
        return f"{minutes:.0f} minutes"
    if minutes < 48 * 60:
        return f"{minutes / 60:.0f} hours"
    return f"{minutes / 1440:.0f} days"


def _record_refused_pulls(conn: Connection, db: Database, bad: list[tuple[Change, str]]) -> None:
    """Pulled changes this laptop refused, as "rejected" notices in its conflict inbox.
    They exist on this laptop only, so their ids are negative (the server's are positive):
    minus the change's seq, so pulling the same page again records nothing twice."""
    if not bad:
        return
    now = dt.datetime.now(dt.timezone.utc)
    rows = [{"id": -(c.seq or 0), "kind": "rejected", "entity": c.entity, "row_id": c.row_id, "field": c.field,
             "kept_value": _local_value(conn, c), "lost_value": c.value, "kept_node": db.write.node, "lost_node": c.node,
             "kept_hlc": db.write.clock.last, "lost_hlc": c.hlc, "kept_seq": 0, "lost_seq": c.seq or 0,
             "kept_change_id": None, "lost_change_id": c.change_id, "created_at": now, "resolved": False,
             "kept_author": None, "lost_author": c.author, "note": reason, "resolved_pending": False}
            for c, reason in bad if c.seq]
    if rows:
        conn.execute(sqlite.insert(_conflict).on_conflict_do_nothing(), rows)


def _local_value(conn: Connection, c: Change) -> str | None:
    """The field's value here (JSON text, as a change carries it), which the notice shows
    as the one kept; None for a row this laptop does not hold."""
    if c.created:
        return None
    try:
        column = entity(c.entity).fields.get(c.field)
    except ProtocolError:
        return None
    if column is None:
        return None
    table = entity(c.entity).table
    row = conn.execute(select(column).where(table.c.id == c.row_id)).first()
    return None if row is None else encode(row[0])


_LOG_COLUMNS = ("seq", "change_id", "entity", "row_id", "field", "value", "hlc", "node", "author", "at",
                "pushed_by", "batch_id", "base_seq", "received_at", "rejected")


def _log_locally(conn: Connection, changes: list[Change]) -> None:
    insert_rows(conn, _log, _LOG_COLUMNS, [
        (c.seq, c.change_id, c.entity, c.row_id, c.field, c.value, c.hlc, c.node, c.author, c.at,
         getattr(c, "pushed_by", None), getattr(c, "batch_id", None) or UNKNOWN_BATCH, c.base_seq,
         getattr(c, "received_at", None) or c.at, False)
        for c in changes], skip_existing=True)


def pull(db: Database, hub: Transport, *, page_size: int = PAGE_SIZE) -> PullStats:
    """Fetch and apply everything the hub has after this replica's last pulled seq."""
    _check_schema(db, hub)
    restore_clock(db)
    since = last_pulled_seq(db)
    count = applied = 0
    engine = hub_engine(hub)
    resynced = False
    if engine is not None:
        from leaddesk.sync import snapshot

        if since < snapshot.history_horizon(engine):
            # Changes after `since` were trimmed from the hub: pulling on would miss them.
            since = snapshot.resync(db, engine).last_seq
            resynced = True
    with gc_paused():  # over the whole pull, not page by page (see push)
        while True:
            page = hub.pull(since, page_size)
            if page.changes:
                applied += apply_page(db, page)
                count += len(page.changes)
            since = max(since, page.last_seq)
            more = page.has_more
            del page
            if not more:
                break
    if engine is not None:
        snapshot.refresh_owed(db, engine)  # rows the pages named, or a crashed push refused
        snapshot.follow_access_changes(db, engine)
    return PullStats(count, applied, since, resynced)


# --- sync ---------------------------------------------------------------------------------

def default_backup_dir(db: Database) -> Path | None:
    path = db.engine.url.database
    if db.dialect != "sqlite" or not path or path == ":memory:":
        return None
    return Path(path).expanduser().resolve().parent / "backups"


def sync(db: Database, hub: Transport, *, backup: bool = True, backup_dir: Path | None = None,
         keep_backups: int = 5, batch_size: int = BATCH_SIZE, page_size: int = PAGE_SIZE) -> SyncReport:
    """Back up the local file, push the outbox, then pull: after a clean run this replica
    holds everything the hub held when the pull ended."""
    saved = None
    target = backup_dir or default_backup_dir(db)
    if backup and target is not None:
        saved = migrate.backup_sqlite(db.engine, target, keep_backups, "pre-sync")
    pushed = push(db, hub, batch_size=batch_size)
    pulled = pull(db, hub, page_size=page_size)
    return SyncReport(pushed, pulled, saved)

