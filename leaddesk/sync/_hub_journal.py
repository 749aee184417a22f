"""Direct writes on a team hub: stamped with the server's clock, written to its change log.

On a PostgreSQL team database opened directly (a manager in the office) there is no
outbox: the journal (journal.py) hands each flush's changes to :func:`_write_hub`, which
gives them serialised seqs in ``change_log`` and moves their clocks in
``hub_field_version``, and stamps them with :func:`_hub_stamp` (the server's clock, under
the push lock). Apart from the journal because only a hub needs it: a replica's saves
never reach this module.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, func, insert, or_, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from leaddesk.ids import new_id
from leaddesk.models import ChangeLog, HubFieldVersion

_change_log = ChangeLog.__table__
_hub_clock = HubFieldVersion.__table__
#: Same key as leaddesk.sync.server.PUSH_LOCK ("LDSYNC01"): direct writes and pushes share it.
PUSH_LOCK = 0x4C4453594E433031


def _hub_stamp(session: Session, ctx, dirty, *, clocks_top: int | None = None) -> tuple[dt.datetime, int]:
    """When and with which clock a direct write on the hub is stamped: the SERVER's.

    Takes the push lock (first write of the transaction) and reads the server's clock
    (``clock_timestamp()``, once per transaction: every row and change-log entry of the
    transaction carries that time). The HLC is derived from the server's clock, moved past
    every clock of the rows about to change and past this transaction's earlier writes,
    never from this PC's wall clock: a fast clock on an office PC cannot poison the
    laptops that pull its edits. A row already carrying a clock far ahead of the server's
    is refused (:class:`ClockSkewRefused`): an edit ordered after it would be as wrong.

    ``clocks_top``: the highest field clock of the rows about to change, read by the caller
    (at least as high as each row's: a span of rows may include others), so it is not
    looked up here. Safe to read before the push lock only when the write is guarded by the
    versions read with it: whatever moves a field clock of a live row also writes the row
    (a new version), so the guarded write would find the row moved and refuse."""
    from leaddesk.clock import millis_of, pack
    from leaddesk.sync.protocol import MAX_SKEW_MS, ClockSkewRefused

    conn = session.connection()
    if not session.info.get("hub_locked"):
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PUSH_LOCK})
        session.info["hub_locked"] = True
    now = session.info.get("hub_now")
    if now is None:
        now = session.info["hub_now"] = conn.scalar(text("SELECT clock_timestamp()")).astimezone(dt.timezone.utc)
    server_ms = int(now.timestamp() * 1000)
    ids_by_entity: dict[str, list] = {}
    for o in dirty:
        ids_by_entity.setdefault(o.__tablename__, []).append(o.id)
    top = session.info.get("hub_hlc", 0)
    if clocks_top is not None:
        top = max([top, clocks_top, *(o.hlc for o in dirty if o.hlc is not None)])
    elif ids_by_entity:
        # Per entity the ids themselves, within the range they span: the planner reads 5,000
        # ids of a bulk update (a span of ids in order) as one short index range, where the
        # list alone (or = ANY) had it scan every clock of the entity (35 ms against 9 ms
        # per batch with 200,000 contact clocks).
        stored = conn.scalar(select(func.max(_hub_clock.c.hlc)).where(or_(*(
            and_(_hub_clock.c.entity == entity, _hub_clock.c.row_id.between(min(ids), max(ids)),
                 _hub_clock.c.row_id.in_(ids))
            for entity, ids in ids_by_entity.items()))))
        top = max([top, stored or 0, *(o.hlc for o in dirty if o.hlc is not None)])
    hlc = max(pack(server_ms), top + 1)
    ahead = millis_of(hlc) - server_ms
    if ahead > MAX_SKEW_MS:
        raise ClockSkewRefused(ahead, cause="stored")
    session.info["hub_hlc"] = hlc
    ctx.clock.observe(hlc)
    return now, hlc


def _write_hub(conn, changes: list[dict], now: dt.datetime) -> None:
    if not changes:
        return
    seqs = list(conn.scalars(
        text("SELECT nextval(pg_get_serial_sequence('change_log', 'seq')) FROM generate_series(1, :n) ORDER BY 1"),
        {"n": len(changes)}))
    base = seqs[0] - 1  # see _bulk_journal.write_hub
    role = conn.scalar(text("SELECT session_user"))
    batch = new_id()
    log, clocks = [], {}
    for seq, c in zip(seqs, changes):
        log.append({"seq": seq, "change_id": c["change_id"], "entity": c["entity"], "row_id": c["row_id"],
                    "field": c["field"], "value": c["value"], "hlc": c["hlc"], "node": c["node"],
                    "author": c["actor_id"], "at": now, "pushed_by": role, "batch_id": batch,
                    "base_seq": base, "received_at": now})
        clocks[(c["entity"], c["row_id"], c["field"])] = {
            "entity": c["entity"], "row_id": c["row_id"], "field": c["field"], "hlc": c["hlc"],
            "node": c["node"], "seq": seq, "change_id": c["change_id"]}
    conn.execute(insert(_change_log), log)
    ins = postgresql.insert(_hub_clock)
    conn.execute(ins.on_conflict_do_update(
        index_elements=["entity", "row_id", "field"],
        set_={k: ins.excluded[k] for k in ("hlc", "node", "seq", "change_id")}), list(clocks.values()))
