"""The hub's screening of a pushed batch: which changes this login may make.

Row-level security is the hub's real guard, but an RLS refusal fails the whole statement,
so one forbidden change would block a rep's entire outbox (and an UPDATE that RLS's USING
clause filters is not even an error: the row is silently skipped). So before applying a
batch the hub decides per row, with the same rules (:mod:`leaddesk.models.access`, the
rules RLS is compiled from), evaluated for the pushing login:

* the row must exist on the hub (or be created in this batch) and be visible to the login;
* the login must be allowed to change it as it stands (RLS ``USING``) and as it will
  stand after the changes (``WITH CHECK``: a rep cannot give a deal away);
* a new child row needs its parent (not refused in this batch, not deleted).

Refused changes are not dropped: the hub keeps them in ``change_log`` with ``rejected`` and
records a ``rejected`` conflict, which the author sees in the conflict inbox (sync notes
3.6). RLS still applies underneath: if the two ever disagreed the batch would fail whole,
loudly, rather than lose a change.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from leaddesk.models import access
from leaddesk.sync.protocol import Change, decode_change, entity


@dataclass(frozen=True)
class Refusal:
    change: Change
    reason: str


def hub_subject(conn: Connection) -> access.Subject | None:
    """The pushing login's LeadDesk user, role and team; None for a login that is no
    LeadDesk user (the server's administrator, the test suite's superuser): no screening."""
    if not conn.scalar(text("SELECT to_regprocedure('ld_me()') IS NOT NULL")):
        return None
    row = conn.execute(text("SELECT ld_me(), ld_role(), ARRAY(SELECT ld_team()), "
                            "(SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user)")).one()
    if row[0] is None or row[3]:  # no LeadDesk user, or a role that bypasses RLS anyway
        return None
    return access.Subject(row[0], str(row[1]), frozenset(row[2] or ()))


def _fk_parents(name: str, values: dict) -> Iterable[tuple[str, uuid.UUID]]:
    """(parent table, id) of every foreign key a new row holds."""
    spec = entity(name)
    for key, col in spec.fields.items():
        value = values.get(key)
        if value is None:
            continue
        for fk in col.foreign_keys:
            yield fk.column.table.name, value


def _deleted_by_others(parent: tuple[str, uuid.UUID], created_here: dict, intended: dict, states: dict,
                       hub_row) -> bool:
    """Is a new child's parent deleted on the hub by someone else? A parent created in this
    batch, or deleted or restored by it, is its author's own doing: the author's replica
    holds the children under it, and a restore brings them back together (found by the
    team state machine: a contact captured and deleted offline lost its e-mails)."""
    if parent in created_here:
        return False
    if parent in intended:
        state = states.get(parent)
        deleted_before = bool(state is not None and state.exists and state.values.get("deleted"))
        return deleted_before and intended[parent]
    row = hub_row(*parent)
    return bool(row is not None and row.get("deleted"))


#: Why a change held back by the hub's search for a refused value is refused (only ever
#: seen inside a trial that is rolled back).
HELD_BACK = "Held back while the team server looked for a value it cannot store."


def screen(conn: Connection, states: dict, subject: access.Subject | None,
           changes: list[Change], *, forced: dict[uuid.UUID, str] | None = None,
           ) -> tuple[list[Change], list[Refusal]]:
    """Split ``changes`` (new to the change log, in batch order) into those to apply and
    those refused. ``states`` are the loaded :class:`merge.RowState` of their rows.

    ``forced``: change ids refused whatever the rules say, with the reason (values the
    database refused, found by the hub's search). A forced row creation refuses the row
    (and so any child created with it); a forced field change refuses that change alone."""
    forced = forced or {}
    groups: dict[tuple[str, uuid.UUID], list[Change]] = {}
    for c in changes:
        groups.setdefault((c.entity, c.row_id), []).append(c)
    refused_rows: dict[tuple[str, uuid.UUID], str] = {}
    created_here: dict[tuple[str, uuid.UUID], dict] = {}
    fetched: dict[tuple[str, uuid.UUID], dict | None] = {}

    def hub_row(name: str, row_id) -> dict | None:
        key = (name, row_id)
        if key in created_here:
            return created_here[key]
        state = states.get(key)
        if state is not None and state.exists:
            return dict(state.values)
        if key not in fetched:
            if name not in access.RULES:
                fetched[key] = None
            else:
                table = entity(name).table
                row = conn.execute(select(table).where(table.c.id == row_id)).first()
                fetched[key] = dict(row._mapping) if row is not None else None
        return fetched[key]

    # What this batch means each row's deleted flag to become (its author's own deletes and
    # restores), by the batch's newest change of it.
    intended: dict[tuple[str, uuid.UUID], bool] = {}
    for c in sorted(changes, key=lambda c: (c.hlc, c.node.int)):
        if c.change_id in forced:
            continue
        if c.field == "deleted":
            intended[(c.entity, c.row_id)] = bool(decode_change(entity(c.entity), c))
        elif c.created:
            intended[(c.entity, c.row_id)] = bool(decode_change(entity(c.entity), c).get("deleted"))

    for key, group in groups.items():
        name, row_id = key
        state = states.get(key)
        exists = state is not None and state.exists
        creation = next((c for c in group if c.created), None)
        reason = None
        if creation is not None and creation.change_id in forced:
            reason = forced[creation.change_id] or HELD_BACK
        group = [c for c in group if c.change_id not in forced or c.created]
        if reason is None and not exists and creation is None and not group:
            continue  # only forced changes of this row: refused below, one by one
        if reason is None and not exists and creation is None:
            reason = ("The record is not on the team server, or you may no longer see it (it was re-assigned, "
                      "or it was loaded as demo data that never reached the team).")
        before = dict(state.values) if exists else None
        after = dict(before or {})
        if reason is None:
            if creation is not None and not exists:
                after.update(decode_change(entity(name), creation))
            for c in sorted(group, key=lambda c: (c.hlc, c.node.int)):
                if not c.created:
                    after[c.field] = decode_change(entity(name), c)
        if reason is None and creation is not None and not exists:
            for parent, pid in _fk_parents(name, after):
                if (parent, pid) in refused_rows:
                    reason = f"Its {parent.replace('_', ' ')} was refused in the same sync."
                    break
            rule = access.RULES.get(name)
            if reason is None and isinstance(rule, access.Child) and _deleted_by_others(
                    (rule.parent, after.get(rule.fk)), created_here, intended, states, hub_row):
                reason = (f"Its {rule.parent.replace('_', ' ')} was deleted on the team server; restore it "
                          "from the Trash, then use “Use other” here to add this again.")
        if reason is None and subject is not None and not subject.is_admin and name in access.RULES:
            if before is not None and not access.can_write(subject, name, before, hub_row):
                reason = access.denial(name)
            elif not access.can_write(subject, name, after, hub_row):
                reason = access.denial(name)
        if reason is not None:
            refused_rows[key] = reason
        elif creation is not None and not exists:
            created_here[key] = after
    accepted = [c for c in changes if (c.entity, c.row_id) not in refused_rows and c.change_id not in forced]
    refusals = [Refusal(c, refused_rows[(c.entity, c.row_id)]) if (c.entity, c.row_id) in refused_rows
                else Refusal(c, forced[c.change_id] or HELD_BACK) for c in changes
                if (c.entity, c.row_id) in refused_rows or c.change_id in forced]
    return accepted, refusals
