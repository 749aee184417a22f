"""The outbox as the hub receives it: batches in send order, and clocks set right.

What :func:`leaddesk.sync.client.push` sends (sync notes 3.8, in the client's docs): the
next batch, made durable before it is sent; the unsent edits read as changes, in send
order, which a resync (:mod:`leaddesk.sync.download`) also merges back into the rows it
downloaded; and the recovery from a clock carried far ahead (:func:`restamp_outbox`).
Apart from the client so that the download, below the client, reads the outbox without
importing the client.
"""

from __future__ import annotations

import uuid

from sqlalchemy import String, bindparam, case, delete, func, select, type_coerce, update
from sqlalchemy.engine import Connection

from leaddesk.clock import pack
from leaddesk.db import Database
from leaddesk.ids import new_id
from leaddesk.models import ROW_CREATED, FieldVersion, Outbox, OutboxBase
from leaddesk.sync import snapshot
from leaddesk.sync._sync_state import CLOCK, _last_pulled, _put
from leaddesk.sync.protocol import MAX_SKEW_MS, Change, PushBatch, entities, entity
from leaddesk.sync._row_store import gc_paused

_outbox = Outbox.__table__
_base = OutboxBase.__table__

#: Changes per push batch: one hub transaction each, holding the push lock (a 2,000-change
#: batch holds it for about 0.3 s on the benchmark machine, 5,000 for about 0.75 s;
#: BENCHMARKS.md "Sync" has both).
BATCH_SIZE = 2000


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


def restamp_outbox(db: Database, server_ms: int) -> int:
    """Recover from a clock carried far ahead of the team server's (``server_ms``) by a
    change with a wrong date: unsent edits stamped past the skew window get new clocks
    from this laptop's clock, set back to the newest sound clock it holds (their order,
    and which edits were one save, kept); field clocks past the window are dropped and
    their rows owed a refresh (the server's clocks come back with them). Returns how many
    edits were re-stamped."""
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
