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

:class:`RowStore` loads row states from the data tables plus a clock table and writes
merge outcomes back. The replicas (client.py) use it too, with ``field_version`` and no
seqs, so both sides store exactly the same values.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, cast, column, create_engine, insert, select, text, update, values
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from leaddesk import migrate
from leaddesk.models import ChangeLog, HubFieldVersion, SyncBatch, SyncConflict
from leaddesk.sync import merge
from leaddesk.sync.journal import encode, upsert_field_versions
from leaddesk.sync.protocol import (
    MAX_SKEW_MS,
    Change,
    ClockSkewRefused,
    ConflictInfo,
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
_conflict = SyncConflict.__table__

#: Key of the advisory lock that serialises pushes (any constant; "LDSYNC01" in ASCII).
PUSH_LOCK = 0x4C4453594E433031
CHUNK = 500


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
    """

    def __init__(self, conn: Connection, *, hub: bool):
        self.conn = conn
        self.hub = hub
        self.states: dict[tuple[str, uuid.UUID], merge.RowState] = {}
        self._pending: dict[tuple[str, uuid.UUID], _Pending] = {}

    def load(self, keys: Iterable[tuple[str, uuid.UUID]]) -> None:
        by_entity: dict[str, set[uuid.UUID]] = {}
        for name, row_id in keys:
            if (name, row_id) not in self.states:
                by_entity.setdefault(name, set()).add(row_id)
        for name, ids in by_entity.items():
            spec = entity(name)
            cols = [spec.table.c.id, spec.table.c.hlc, spec.table.c.node]
            payload = list(spec.fields.items())
            for chunk in _chunks(sorted(ids)):
                for row in self.conn.execute(select(*cols, *[c for _, c in payload]).where(spec.table.c.id.in_(chunk))):
                    values = {key: row[3 + i] for i, (key, _) in enumerate(payload)}
                    self.states[(name, row.id)] = merge.RowState(merge.Stamp(row.hlc, row.node), {}, values)
            for row_id in ids:
                self.states.setdefault((name, row_id), merge.RowState())
            self._load_clocks(name, sorted(ids))

    def _load_clocks(self, name: str, ids: list[uuid.UUID]) -> None:
        from leaddesk.models import FieldVersion

        table = _hub_clock if self.hub else FieldVersion.__table__
        for chunk in _chunks(ids):
            rows = self.conn.execute(select(table).where(table.c.entity == name, table.c.row_id.in_(chunk)))
            for row in rows:
                stamp = merge.Stamp(row.hlc, row.node, getattr(row, "seq", 0), getattr(row, "change_id", None))
                state = self.states[(name, row.row_id)]
                if row.field == merge.ROW_CREATED:
                    if state.exists:
                        state.created = stamp
                else:
                    state.clocks[row.field] = stamp

    def apply(self, change: Change, stamp: merge.Stamp, base_seq: int | None = None) -> merge.Outcome:
        """Merge one change into its (loaded) row and remember what to write."""
        spec = check_change(change)
        key = (change.entity, change.row_id)
        state = self.states[key]
        if not change.created and not state.exists:
            raise ProtocolError(
                f"A change to {change.entity}.{change.field} of {change.row_id} arrived, but that row never did "
                "(rows loaded as a snapshot, such as demo data, never travel to the team server)."
            )
        outcome = merge.merge(state, merge.Incoming(change.field, decode_change(spec, change), stamp, base_seq))
        if outcome.applied:
            pending = self._pending.setdefault(key, _Pending())
            pending.first = pending.first or change
            pending.last = change
            if outcome.created:
                pending.inserted = True
                if self.hub:
                    pending.clocks[merge.ROW_CREATED] = stamp
            for name in outcome.changed:
                pending.dirty.add(name)
                pending.clocks[name] = stamp
        return outcome

    def flush(self) -> None:
        """Write every pending row: new rows first (parents before children), then updates,
        then clocks; one bulk statement per table (and per set of changed columns)."""
        pending = list(self._pending.items())
        self._pending = {}
        inserts: dict[str, list[dict]] = {}
        for (name, row_id), p in sorted((kp for kp in pending if kp[1].inserted), key=lambda kp: entity(kp[0][0]).rank):
            spec, state = entity(name), self.states[(name, row_id)]
            values = {spec.fields[k].name: state.values.get(k) for k in spec.fields}
            values.update(id=row_id, created_at=p.first.at, created_by=p.first.author, updated_at=p.last.at,
                          updated_by=p.last.author, version=1, hlc=state.created.hlc, node=state.created.node)
            inserts.setdefault(name, []).append(values)
        for name, rows in inserts.items():
            insert_many(self.conn, insert(entity(name).table), rows, triggers=True)
        updates: dict[tuple[str, tuple[str, ...]], list[dict]] = {}
        for (name, row_id), p in pending:
            if p.inserted or not p.dirty:
                continue
            fields = tuple(sorted(p.dirty))
            state = self.states[(name, row_id)]
            params = {f"v_{i}": state.values[f] for i, f in enumerate(fields)}
            params.update(b_id=row_id, b_at=p.last.at, b_by=p.last.author)
            updates.setdefault((name, fields), []).append(params)
        for (name, fields), rows in updates.items():
            self._update_many(entity(name), fields, rows)
        clocks = [
            {"entity": name, "row_id": row_id, "field": f, "hlc": s.hlc, "node": s.node, "seq": s.seq,
             "change_id": s.change_id}
            for (name, row_id), p in pending
            for f, s in p.clocks.items()
        ]
        if not clocks:
            return
        if self.hub:
            ins = postgresql.insert(_hub_clock)
            insert_many(self.conn, ins.on_conflict_do_update(
                index_elements=["entity", "row_id", "field"],
                set_={c: ins.excluded[c] for c in ("hlc", "node", "seq", "change_id")}), clocks)
        else:
            upsert_field_versions(self.conn, [{k: c[k] for k in ("entity", "row_id", "field", "hlc", "node")}
                                              for c in clocks])

    def _update_many(self, spec, fields: tuple[str, ...], rows: list[dict]) -> None:
        """Set ``fields`` of many rows. PostgreSQL: one ``UPDATE ... FROM (VALUES ...)`` per
        chunk, so the hub's statement-level triggers (search index, NOTIFY) run once per
        chunk, not once per row. SQLite (row-level triggers): an executemany."""
        table, cols = spec.table, spec.fields
        names = [f"v_{i}" for i in range(len(fields))]
        if self.conn.dialect.name == "postgresql":
            for chunk in _chunks(rows):
                data = values(column("b_id", table.c.id.type), column("b_at", table.c.updated_at.type),
                              column("b_by", table.c.updated_by.type),
                              *[column(n, cols[f].type) for n, f in zip(names, fields)], name="v")
                data = data.data([(r["b_id"], r["b_at"], r["b_by"], *[r[n] for n in names]) for r in chunk])
                # CAST: a column that is NULL in every row would otherwise be typed text.
                sets = {cols[f].name: cast(data.c[n], cols[f].type) for n, f in zip(names, fields)}
                sets.update(version=table.c.version + 1, updated_at=cast(data.c.b_at, table.c.updated_at.type),
                            updated_by=cast(data.c.b_by, table.c.updated_by.type))
                self.conn.execute(update(table).where(table.c.id == data.c.b_id).values(sets))
            return
        sets = {cols[f].name: bindparam(n, type_=cols[f].type) for n, f in zip(names, fields)}
        sets.update(version=table.c.version + 1, updated_at=bindparam("b_at", type_=table.c.updated_at.type),
                    updated_by=bindparam("b_by", type_=table.c.updated_by.type))
        self.conn.execute(update(table).where(table.c.id == bindparam("b_id")).values(sets), rows)


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


def change_from_row(row) -> Change:
    return Change(change_id=row.change_id, entity=row.entity, row_id=row.row_id, field=row.field,
                  value=row.value, hlc=row.hlc, node=row.node, author=row.author, at=row.at,
                  base_seq=row.base_seq, seq=row.seq)


class Hub:
    """The team server, reached through its PostgreSQL URL."""

    def __init__(self, url: str, *, engine=None):
        self.engine = engine or create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})
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
        with _answering(), self.engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PUSH_LOCK})
            stored = conn.scalar(select(_batch.c.result).where(_batch.c.batch_id == batch.batch_id))
            if stored is not None:
                return PushResult.from_json(stored, duplicate=True)
            hub_schema = conn.scalar(text("SELECT version_num FROM alembic_version"))
            if batch.schema is not None and batch.schema != hub_schema:
                raise SchemaMismatch(batch.schema, hub_schema)
            now = conn.scalar(text("SELECT clock_timestamp()"))  # the hub's clock, not this machine's
            ahead = (batch.max_hlc >> 16) - int(now.timestamp() * 1000)
            if ahead > MAX_SKEW_MS:
                raise ClockSkewRefused(ahead)
            for change in batch.changes:
                check_change(change)
            result = self._apply(conn, batch, now)
            conn.execute(insert(_batch), {"batch_id": batch.batch_id, "node": batch.node,
                                          "result": result.to_json(), "received_at": now})
            return result

    def _apply(self, conn: Connection, batch: PushBatch, now: dt.datetime) -> PushResult:
        ids = [c.change_id for c in batch.changes]
        known: set[uuid.UUID] = set()
        for chunk in _chunks(ids):
            known.update(conn.scalars(select(_log.c.change_id).where(_log.c.change_id.in_(chunk))))
        fresh, seen = [], set()
        for c in batch.changes:
            if c.change_id not in known and c.change_id not in seen:
                fresh.append(c)
                seen.add(c.change_id)
        seqs = list(conn.scalars(
            text("SELECT nextval(pg_get_serial_sequence('change_log', 'seq')) FROM generate_series(1, :n) ORDER BY 1"),
            {"n": len(fresh)})) if fresh else []
        role = conn.scalar(text("SELECT current_user"))
        if fresh:
            insert_many(conn, insert(_log), [
                {"seq": seq, "change_id": c.change_id, "entity": c.entity, "row_id": c.row_id, "field": c.field,
                 "value": c.value, "hlc": c.hlc, "node": c.node, "author": c.author, "at": c.at,
                 "pushed_by": role, "batch_id": batch.batch_id, "base_seq": c.base_seq, "received_at": now}
                for seq, c in zip(seqs, fresh)])
        store = RowStore(conn, hub=True)
        store.load((c.entity, c.row_id) for c in fresh)
        applied, notes = 0, []
        for seq, c in zip(seqs, fresh):
            outcome = store.apply(c, merge.Stamp(c.hlc, c.node, seq, c.change_id), c.base_seq)
            applied += outcome.applied
            notes.extend((c, n) for n in outcome.conflicts)
        store.flush()
        if notes:
            insert_many(conn, insert(_conflict), [
                {"kind": n.kind, "entity": c.entity, "row_id": c.row_id, "field": n.field,
                 "kept_value": encode(n.kept_value), "lost_value": encode(n.lost_value),
                 "kept_node": n.kept.node, "lost_node": n.lost.node, "kept_hlc": n.kept.hlc, "lost_hlc": n.lost.hlc,
                 "kept_seq": n.kept.seq, "lost_seq": n.lost.seq, "kept_change_id": n.kept.change_id,
                 "lost_change_id": n.lost.change_id, "created_at": now, "resolved": False}
                for c, n in notes])
        return PushResult(batch_id=batch.batch_id, duplicate=False, received=len(batch.changes),
                          accepted=len(fresh), skipped=len(batch.changes) - len(fresh), applied=applied,
                          conflicts=len(notes), first_seq=seqs[0] if seqs else None,
                          last_seq=seqs[-1] if seqs else None)

    # --- pull -------------------------------------------------------------------------

    def pull(self, since: int, limit: int = 2000) -> PullPage:
        """Changes with ``seq > since`` in seq order, at most ``limit``."""
        with _answering(), self.engine.connect() as conn:
            rows = conn.execute(select(_log).where(_log.c.seq > since).order_by(_log.c.seq).limit(limit)).all()
        changes = tuple(change_from_row(r) for r in rows)
        return PullPage(changes, changes[-1].seq if changes else since, len(changes) == limit)

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

