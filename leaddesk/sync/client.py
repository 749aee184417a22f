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

A laptop does not take a pulled change on trust (:func:`~leaddesk.sync._pull_screening.screen_pulled`): one whose clock
is far ahead of the time the server received it, or whose author is not the user of the
login that pushed it, is not applied and its clock is not observed; it becomes a notice
in the local conflict inbox ("rejected", negative id: this laptop's own).

Before a page is applied, unsent outbox rows without a recorded base get the current
``last_pulled_seq`` in ``outbox_base``: the edit was made before these changes were seen,
which is what the hub needs to recognise it as concurrent with them.

``sync(db, hub)``: a backup of the local file (``migrate.backup_sqlite``), push, pull.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import delete, exists, func, insert, literal, select
from sqlalchemy.engine import Connection

from leaddesk import migrate
from leaddesk.db import Database
from leaddesk.models import ChangeLog, FieldVersion, Outbox, OutboxBase
from leaddesk.sync import download, merge, snapshot, visibility
from leaddesk.clock import millis_of
from leaddesk.sync._pull_screening import _record_refused_pulls, screen_pulled
from leaddesk.sync._sync_state import CLOCK, LAST_PULLED, _get, _last_pulled, _put
from leaddesk.sync.outbox import BATCH_SIZE, next_batch, restamp_outbox
from leaddesk.sync.protocol import (
    Change,
    ClockSkewRefused,
    PullPage,
    PushBatch,
    PushResult,
    SchemaMismatch,
)
from leaddesk.sync._row_store import RowStore, gc_paused, insert_rows
from leaddesk.sync.snapshot import mirror_writes

_outbox = Outbox.__table__
_base = OutboxBase.__table__
_log = ChangeLog.__table__

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
    #: user sees (download.resync) before pulling on.
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

def acknowledge(db: Database, batch_id: uuid.UUID, refused_rows=()) -> None:
    """The hub holds the batch: forget its outbox rows, and remember (in the same
    transaction) the rows it refused, which must be taken back to the hub's state."""
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


def hub_engine(hub: Transport):
    """The hub's SQLAlchemy engine behind a transport (tests wrap the Hub), or None."""
    while hub is not None and getattr(hub, "engine", None) is None:
        hub = getattr(hub, "hub", None)
    return getattr(hub, "engine", None)


def _refresh_owed(db: Database, hub: Transport) -> None:
    engine = hub_engine(hub)
    if engine is not None:
        snapshot.refresh_owed(db, engine)


# --- pull ---------------------------------------------------------------------------------

def apply_page(db: Database, page: PullPage) -> int:
    """Apply one page of the change log in one local transaction; returns how many
    changes won at least one field here. Every new change of the page is also copied
    into the local ``change_log`` (a row already there, same seq or change id, is left
    as it is: a page pulled again changes nothing)."""
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
        if since < download.history_horizon(engine):
            # Changes after `since` were trimmed from the hub: pulling on would miss them.
            since = download.resync(db, engine).last_seq
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
        visibility.follow_access_changes(db, engine)
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
