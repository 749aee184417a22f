"""What a laptop accepts from a pull, and the inbox notices for what it refuses.

:func:`screen_pulled` splits a pulled page (the rules themselves are pure, in
:mod:`leaddesk.sync._pull_rules`); the refused changes become "rejected" conflicts in
this laptop's own inbox. Apart from the client, which applies the page, because it is a
concern of its own: whom a laptop trusts, not how a page is applied.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

from sqlalchemy import select
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from leaddesk.db import Database
from leaddesk.models import SyncConflict
from leaddesk.sync._pull_rules import _pulled_problem
from leaddesk.sync.field_values import encode
from leaddesk.sync.protocol import Change, ProtocolError, entity

_conflict = SyncConflict.__table__


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
