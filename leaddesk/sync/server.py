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

Rows are stored through :class:`~leaddesk.sync._row_store.RowStore` (_row_store.py), which
the replicas use too; the pure rules that screen a push (clock skew, values no field
holds, a database's refusal of a row) are in _push_rules.py.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, create_engine, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from leaddesk import migrate
from leaddesk.db import PG_OPTIONS
from leaddesk.models import ChangeLog, SyncBatch, SyncConflict
from leaddesk.sync import merge, permissions
from leaddesk.sync._driver_io import _fetch, _utc
from leaddesk.sync._push_rules import _check_skew, _refusal_note, _row_refused, _storable, _unstorable
from leaddesk.sync._row_store import RowStore, _ids_param, gc_paused
from leaddesk.sync._row_writes import _pg_insert_log, insert_many
from leaddesk.sync.field_values import encode
from leaddesk.sync.protocol import (
    Change,
    ConflictInfo,
    HubUnavailable,
    ProtocolError,
    PullPage,
    PushBatch,
    PushResult,
    SchemaMismatch,
    check_change,
)

_log = ChangeLog.__table__
_batch = SyncBatch.__table__
_conflict = SyncConflict.__table__

#: Key of the advisory lock that serialises pushes (any constant; "LDSYNC01" in ASCII).
PUSH_LOCK = 0x4C4453594E433031
#: ``change_log`` columns a pull returns (everything but ``rejected``: refused changes
#: are never pulled).
PULLED_COLUMNS = ("seq", "change_id", "entity", "row_id", "field", "value", "hlc", "node", "author", "at",
                  "pushed_by", "batch_id", "base_seq", "received_at")


@dataclass(frozen=True)
class LoggedChange(Change):
    """A change as the hub's ``change_log`` holds it (what :meth:`Hub.pull` returns): also
    who pushed it, in which batch, and when it arrived, so that a replica can keep an
    exact copy of the log (its local field history)."""

    pushed_by: str | None = None
    batch_id: uuid.UUID | None = None
    received_at: dt.datetime | None = None


def change_from_row(row) -> LoggedChange:
    return LoggedChange(change_id=row.change_id, entity=row.entity, row_id=row.row_id, field=row.field,
                        value=row.value, hlc=row.hlc, node=row.node, author=row.author, at=row.at,
                        base_seq=row.base_seq, seq=row.seq, pushed_by=getattr(row, "pushed_by", None),
                        batch_id=getattr(row, "batch_id", None), received_at=getattr(row, "received_at", None))


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
