"""The journal rows of a set-based update, written as whole batches through the driver.

:func:`~leaddesk.sync.bulk_writes.bulk_update` changes tens of thousands of fields at once;
each needs its outbox row and field clock on a laptop, or its change-log row and hub clock
on a hub, exactly as journal.py's flush hooks would write them. Made one by one through
``new_id``, ``encode`` and SQLAlchemy's executemany, those rows cost more than the update
itself (about 6 µs for an id, 3 µs for an encoded number, per field). Here:

* change ids are UUIDv7 made for the whole batch at once (:func:`change_ids`): this
  millisecond, version 7, the RFC 4122 variant, and a random 74-bit tail counted up from a
  random start, so they are unique and ordered within the batch as ``new_id``'s are;
* values are encoded once per distinct value (a score takes few values);
* SQLite: one driver executemany for the outbox and one upsert for the field clocks, the
  values converted as SQLAlchemy would store them (UUIDs as hex, times as text);
* PostgreSQL (a hub): the change log by ``COPY`` (through a temporary table and one
  ``INSERT ... SELECT`` under row-level security), the hub clocks by ``COPY`` into a
  temporary table and one upsert, so the statement-level checks run once per batch.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text

from leaddesk.ids import new_id
from leaddesk.sync._row_writes import _copy, _temp_table
from leaddesk.sync.field_values import encode

_V7 = (0x7 << 76) | (0b10 << 62)
_RAND_B = (1 << 62) - 1


def change_ids(n: int) -> list[str]:
    """``n`` new UUIDv7 as 32 hex digits (the form SQLite stores; PostgreSQL reads it)."""
    ms = (time.time_ns() // 1_000_000) & ((1 << 48) - 1)
    start = int.from_bytes(os.urandom(10), "big") >> 7  # 73 random bits: counting up never wraps
    head = (ms << 80) | _V7
    return ["%032x" % (head | ((t >> 62) << 64) | (t & _RAND_B)) for t in range(start, start + n)]


def encoder():
    """``encode`` remembered per value: scores and persona ids repeat across a batch."""
    seen: dict = {}

    def enc(value: Any) -> str:
        key = (type(value), value)
        try:
            return seen[key]
        except KeyError:
            out = seen[key] = encode(value)
            return out
        except TypeError:  # unhashable (JSON lists): as is
            return encode(value)
    return enc


def write_replica(conn, entity: str, changes: Sequence[tuple], hlc: int, ctx, at: dt.datetime) -> None:
    """Outbox rows and field clocks of ``changes`` ((row_id, field, value) with UUID row ids)
    on a laptop: two driver executemanys."""
    if not changes:
        return
    from leaddesk.models import Outbox
    conv = Outbox.__table__.c.created_at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    created = conv(at) if conv else at
    node, actor = ctx.node.hex, ctx.actor_id.hex if ctx.actor_id is not None else None
    enc = encoder()
    ids = change_ids(len(changes))
    last = rid = None
    outbox, clocks = [], []
    for cid, (row_id, field, value) in zip(ids, changes):
        if row_id is not last:  # a row's changes come together
            last, rid = row_id, row_id.hex
        outbox.append((cid, entity, rid, field, enc(value), hlc, node, actor, None, created))
        clocks.append((entity, rid, field, hlc, node))
    conn.exec_driver_sql(
        "INSERT INTO outbox (change_id, entity, row_id, field, value, hlc, node, actor_id, batch_id, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", outbox)
    conn.exec_driver_sql(
        "INSERT INTO field_version (entity, row_id, field, hlc, node) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (entity, row_id, field) DO UPDATE SET hlc = excluded.hlc, node = excluded.node", clocks)


_LOG = ("seq", "change_id", "entity", "row_id", "field", "value", "hlc", "node", "author", "at", "pushed_by",
        "batch_id", "base_seq", "received_at")
_CLOCKS = ("entity", "row_id", "field", "hlc", "node", "seq", "change_id")


def write_hub(conn, entity: str, changes: Sequence[tuple], hlc: int, ctx, at: dt.datetime) -> None:
    """Change-log rows (serial seqs, as ``_hub_journal._write_hub`` gives them) and hub
    clocks of ``changes`` on a team hub, each table by one ``COPY``."""
    if not changes:
        return
    n = len(changes)
    seqs = [r[0] for r in conn.exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence('change_log', 'seq')) FROM generate_series(1, %(n)s) ORDER BY 1",
        {"n": n})]
    base = conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM change_log").scalar()
    role = conn.execute(text("SELECT session_user")).scalar()
    batch = new_id()
    enc = encoder()
    ids = change_ids(n)
    actor = ctx.actor_id
    log, clocks = [], []
    for seq, cid, (row_id, field, value) in zip(seqs, ids, changes):
        log.append((seq, cid, entity, row_id, field, enc(value), hlc, ctx.node, actor, at, role, batch, base, at))
        clocks.append((entity, row_id, field, hlc, ctx.node, seq, cid))
    _copy(conn, "change_log", _LOG, log)
    names = ", ".join(_CLOCKS)
    temp = _temp_table(conn, names, "hub_field_version")
    _copy(conn, temp, _CLOCKS, clocks)
    conn.exec_driver_sql(
        f"INSERT INTO hub_field_version ({names}) SELECT {names} FROM {temp} "
        "ON CONFLICT (entity, row_id, field) DO UPDATE SET hlc = excluded.hlc, node = excluded.node, "
        "seq = excluded.seq, change_id = excluded.change_id")
