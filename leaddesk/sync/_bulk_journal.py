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
* PostgreSQL (a hub): the batch's seqs taken from the change log's sequence in one
  statement, one ``COPY`` of what differs per change into a temporary table, and from it
  one ``INSERT ... SELECT`` into the change log (row-level security and the
  statement-level check once per batch, for every login) and one upsert of the hub clocks.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import os
import time
from collections.abc import Sequence
from typing import Any

from leaddesk.ids import new_id
from leaddesk.sync._driver_io import _driver_errors
from leaddesk.sync._row_writes import _TEMP_PREFIX, _bypasses_rls, _temp_table
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
#: What a hub's change-log line carries per change; the rest is the batch's (``write_hub``).
_PER_CHANGE = ("seq", "change_id", "row_id", "field", "value")


def copy_text(v) -> str:
    """A value as a field of ``COPY ... FROM STDIN`` text format."""
    if v is None:
        return "\\N"
    if isinstance(v, str):
        return v.translate(_COPY_ESCAPES)
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, enum.Enum):
        return copy_text(v.value)
    if isinstance(v, (dict, list)):  # a JSON column's value
        return copy_text(json.dumps(v, ensure_ascii=False))
    return str(v)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_lines(conn, target: str, names: Sequence[str], lines: list[str]) -> None:
    """``COPY target (names)`` of rows already formatted as text lines (a tab between
    fields, see :func:`copy_text`): one write per 20,000 rows instead of psycopg's
    per-value adaptation (which cost more than the server's work). Under row-level
    security through a temporary table, as ``_row_writes._copy`` does."""
    columns = ", ".join(names)
    if not target.startswith(_TEMP_PREFIX) and not _bypasses_rls(conn):
        temp = _temp_table(conn, columns, target)
        copy_lines(conn, temp, names, lines)
        conn.exec_driver_sql(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {temp}")
        return
    sql = f"COPY {target} ({columns}) FROM STDIN"
    with _driver_errors(conn, sql), conn.connection.driver_connection.cursor() as cur, cur.copy(sql) as copy:
        for start in range(0, len(lines), 20000):
            copy.write("".join(lines[start:start + 20000]))


def hub_lines(changes: Sequence[tuple]) -> list[str]:
    """The change log's per-change ``COPY`` fields of ``changes`` ((row_id, field, value),
    UUID row ids): change id, row id, field, encoded value; :func:`write_hub` puts each
    line's seq in front. No database: made ahead, on another thread if the caller likes."""
    seen: dict = {}

    def enc(value) -> str:  # encoded once per distinct value, ready for COPY
        key = (type(value), value)
        try:
            return seen[key]
        except KeyError:
            out = seen[key] = copy_text(encode(value))
            return out
        except TypeError:
            return copy_text(encode(value))

    lines = []
    last = rid = None
    for cid, (row_id, field, value) in zip(change_ids(len(changes)), changes):
        if row_id is not last:
            last, rid = row_id, row_id.hex
        lines.append(f"{cid}\t{rid}\t{field}\t{enc(value)}\n")
    return lines


def write_hub(conn, entity: str, lines: Sequence[str], hlc: int, ctx, at: dt.datetime) -> None:
    """Change-log rows and hub clocks of a batch of changes on a team hub (the push lock
    held), given as :func:`hub_lines`.

    The batch's seqs come from the change log's sequence in one statement (``nextval`` per
    row, in order, as ``_hub_journal._write_hub`` takes them): a ``COPY`` into a table with
    a volatile default (``seq``'s ``nextval``) is done row by row, without one it inserts
    whole pages at once (10 against 40 ms for 10,000 lines). The lines carry only what
    differs per change (seq, change id, row id, field, value) into a temporary table; the
    values the whole batch shares (clock, node, author, times, login, batch id) are bound
    once in the ``INSERT ... SELECT`` into the change log (its row-level security and
    statement-level check as for any insert) and in the upsert of the hub clocks."""
    if not lines:
        return
    sequence = conn.exec_driver_sql("SELECT pg_get_serial_sequence('change_log', 'seq')").scalar()
    # one array, not n rows (5 against 25 ms for 10,000); the name bound, not looked up per row
    seqs = conn.exec_driver_sql(
        "SELECT array_agg(v ORDER BY v) FROM (SELECT nextval(%(s)s::regclass) AS v FROM generate_series(1, %(n)s)) x",
        {"s": sequence, "n": len(lines)}).scalar()
    # The base: every change before this batch. Under the push lock (which every writer of
    # the change log takes before its seqs) that is the seq before the first one taken here;
    # max(seq) said the same for a superuser, but under a user's row-level security it
    # hashed every contact she may see for one number (40-60 ms a batch, and per save).
    base = seqs[0] - 1
    temp = _temp_table(conn, ", ".join(_PER_CHANGE), "change_log")
    copy_lines(conn, temp, _PER_CHANGE, [f"{seq}\t{line}" for seq, line in zip(seqs, lines)])
    shared = {"entity": entity, "hlc": hlc, "node": ctx.node, "author": ctx.actor_id, "at": at,
              "batch": new_id(), "base": base}
    conn.exec_driver_sql(
        f"INSERT INTO change_log ({', '.join(_LOG)}) SELECT seq, change_id, %(entity)s::varchar, row_id, field, "
        "value, %(hlc)s::bigint, %(node)s::uuid, %(author)s::uuid, %(at)s::timestamptz, session_user, "
        f"%(batch)s::uuid, %(base)s::bigint, %(at)s::timestamptz FROM {temp}", shared)
    conn.exec_driver_sql(
        f"INSERT INTO hub_field_version ({', '.join(_CLOCKS)}) SELECT %(entity)s::varchar, row_id, field, "
        f"%(hlc)s::bigint, %(node)s::uuid, seq, change_id FROM {temp} "
        "ON CONFLICT (entity, row_id, field) DO UPDATE SET hlc = excluded.hlc, node = excluded.node, "
        "seq = excluded.seq, change_id = excluded.change_id", shared)
