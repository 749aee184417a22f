"""The row work of contact merges: every reference to a contact (:data:`LINKS`), moving a
loser's rows to its survivor (its e-mails and phones deduplicated), and, after a sync,
following merges made elsewhere (chains, cycles, rows and field edits that came late).

Apart from :mod:`.duplicates`, which keeps the public merge, undo and after-sync entry
points: this is the database work behind them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leaddesk.errors import NotFound
from leaddesk.models import (
    Activity,
    Bant,
    Contact,
    ContactCard,
    ContactEmail,
    ContactPhone,
    EngagementEvent,
    FieldVersion,
    HubFieldVersion,
    LifecycleEvent,
    Opportunity,
    RecordMerge,
)
from leaddesk.services.people._duplicate_common import MergeRefused, _chunks, _final, _guarded, _live, _sorted
from leaddesk.services.people.contact_merge_rules import MERGE_FIELDS, _rename

#: Every reference to a contact: key in ``RecordMerge.moved`` -> (model, column).
LINKS: dict[str, tuple[type, str]] = {
    "contact_email.contact_id": (ContactEmail, "contact_id"),
    "contact_phone.contact_id": (ContactPhone, "contact_id"),
    "activity.contact_id": (Activity, "contact_id"),
    "opportunity.primary_contact_id": (Opportunity, "primary_contact_id"),
    "lifecycle_event.contact_id": (LifecycleEvent, "contact_id"),
    "engagement_event.contact_id": (EngagementEvent, "contact_id"),
    "bant.contact_id": (Bant, "contact_id"),
    "bant.decision_maker_id": (Bant, "decision_maker_id"),
    "contact_card.contact_id": (ContactCard, "contact_id"),
}
#: Child rows that are the contact's own addresses: moved after the survivor's, deduplicated.
ADDRESS_LINKS = {"contact_email.contact_id": "address_normalized", "contact_phone.contact_id": "e164"}


def _mergeable(s: Session, contact_id: uuid.UUID, role: str) -> Contact:
    obj = s.get(Contact, contact_id)
    if obj is None:
        raise NotFound("contact", contact_id)
    if obj.merged_into is not None:
        raise MergeRefused(f"{obj.display_name} was already merged into another contact; "
                           f"review that contact instead.")
    if obj.deleted:
        raise MergeRefused(f"{obj.display_name} is in the trash. Restore it first if it should {role}.")
    return obj


def _next_position(s: Session, model, contact_id: uuid.UUID) -> int:
    top = s.scalar(select(func.max(model.position)).where(model.contact_id == contact_id, _live(model)))
    return -1 if top is None else top


def _repoint(s: Session, sources: Sequence[uuid.UUID], target_of: dict[uuid.UUID, uuid.UUID],
             moved: dict[uuid.UUID, dict[str, list]], *, row_by_row: bool = False) -> int:
    """Re-point every live row referring to one of ``sources`` to ``target_of[source]``;
    e-mails/phones the target already has are marked deleted instead. Records the ids in
    ``moved[source]``. Returns the number of rows changed. ``row_by_row``: each row in its
    own savepoint, skipping the rows this user may not change."""
    count = 0
    targets_have: dict[tuple[str, uuid.UUID], set] = {}
    next_pos: dict[tuple[str, uuid.UUID], int] = {}
    for key, (model, column) in LINKS.items():
        col = getattr(model, column)
        rows = []
        for chunk in _chunks(sorted(sources)):
            rows.extend(s.scalars(select(model).where(col.in_(chunk), _live(model)).order_by(model.id)))
        if key in ADDRESS_LINKS:
            rows.sort(key=lambda r: (r.position, r.id))
        for row in rows:
            source = getattr(row, column)
            target = target_of[source]
            if target == source:
                continue
            notes: list[tuple[str, Any]] = []  # (moved key, id or (id, old position))
            changes: dict[str, Any] = {column: target}
            if key in ADDRESS_LINKS:
                attr = ADDRESS_LINKS[key]
                have = targets_have.get((key, target))
                if have is None:
                    have = set(s.scalars(select(getattr(model, attr)).where(col == target, _live(model))))
                    targets_have[(key, target)] = have
                if getattr(row, attr) in have:
                    changes = {"deleted": True}
                    notes.append((f"{model.__tablename__}.dropped", str(row.id)))
                else:
                    pos = next_pos.get((key, target))
                    if pos is None:
                        pos = _next_position(s, model, target)
                    changes["position"] = pos + 1
                    notes.append(("positions", (str(row.id), row.position)))
            if "deleted" not in changes:
                notes.append((key, str(row.id)))

            def apply(row=row, changes=changes) -> None:
                for name, value in changes.items():
                    setattr(row, name, value)
                if row_by_row:
                    s.flush()

            if row_by_row:
                if not _guarded(s, apply):
                    continue
            else:
                apply()
            if key in ADDRESS_LINKS:
                if "deleted" not in changes:
                    targets_have[(key, target)].add(getattr(row, ADDRESS_LINKS[key]))
                    next_pos[(key, target)] = changes["position"]
            record = moved.setdefault(source, {})
            for name, value in notes:
                if name == "positions":
                    record.setdefault(name, {})[value[0]] = value[1]
                else:
                    record.setdefault(name, []).append(value)
            count += 1
    s.flush()
    return count


def _rows(s: Session, model, ids: Iterable[str]) -> list:
    out = []
    for chunk in _chunks(sorted({uuid.UUID(i) for i in ids})):
        out.extend(s.scalars(select(model).where(model.id.in_(chunk))))
    return out


def _break_cycles(s: Session, merged: dict[uuid.UUID, uuid.UUID]) -> None:
    """Two merges in opposite directions (made offline on two laptops) form a cycle: bring
    back its smallest id, the same choice on every replica. A replica whose user may not
    change that contact leaves the cycle (and its rows) alone; another replica breaks it."""
    done: set[uuid.UUID] = set()
    for start in sorted(merged):
        path, node = [], start
        while node in merged and node not in done and node not in path:
            path.append(node)
            node = merged[node]
        done.update(path)
        if node in path:
            cycle = path[path.index(node):]
            keep = min(cycle)

            def restore(keep=keep):
                obj = s.get(Contact, keep)
                obj.deleted = False
                obj.merged_into = None
                s.flush()

            if _guarded(s, restore):
                del merged[keep]
            else:
                for member in cycle:
                    del merged[member]


def _late_fields(s: Session, target_of: dict[uuid.UUID, uuid.UUID]) -> tuple[int, set[uuid.UUID]]:
    """Edits of a merged-away contact made (by clock) after its merge: apply to the survivor
    unless the survivor's own value is newer."""
    fields = sorted(set(MERGE_FIELDS) | {"merged_into"})
    # A team database opened directly keeps its clocks in hub_field_version (sync/journal.py).
    table = HubFieldVersion if getattr(s.info.get("write"), "hub", False) else FieldVersion
    clocks: dict[tuple[uuid.UUID, str], tuple[int, int]] = {}
    wanted = sorted(set(target_of) | set(target_of.values()))
    for chunk in _chunks(wanted):
        for row_id, name, hlc, node in s.execute(
                select(table.row_id, table.field, table.hlc, table.node)
                .where(table.entity == "contact", table.row_id.in_(chunk), table.field.in_(fields))):
            clocks[(row_id, name)] = (hlc, node.int)
    count, touched = 0, set()
    for loser_id, survivor_id in sorted(target_of.items()):
        merged_at = clocks.get((loser_id, "merged_into"))
        if merged_at is None:
            continue
        late = [f for f in MERGE_FIELDS if clocks.get((loser_id, f), (0, 0)) > merged_at]
        if not late:
            continue
        loser, survivor = s.get(Contact, loser_id), s.get(Contact, survivor_id)
        own = (survivor.hlc, survivor.node.int)
        for name in late:
            if clocks[(loser_id, name)] > clocks.get((survivor_id, name), own):
                value = getattr(loser, name)
                if getattr(survivor, name) != value:
                    setattr(survivor, name, value)
                    count += 1
                    touched.add(survivor_id)
                    # The survivor's field now has a newer clock: this edit is not applied twice.
        _rename(survivor)
    return count, touched


def _note_moved(s: Session, moved: dict[uuid.UUID, dict[str, list]]) -> None:
    """Add late rows to the merge that moved their contact, so undo takes them back too."""
    for lid, record_moved in moved.items():
        record = s.scalars(select(RecordMerge).where(RecordMerge.loser_id == lid, RecordMerge.entity == "contact",
                                                     RecordMerge.undone.is_(False), _live(RecordMerge))
                           .order_by(RecordMerge.created_at.desc(), RecordMerge.id.desc()).limit(1)).first()
        if record is None:
            continue
        combined = {k: (dict(v) if isinstance(v, dict) else list(v)) for k, v in (record.moved or {}).items()}
        for key, ids in record_moved.items():
            if isinstance(ids, dict):
                combined.setdefault(key, {}).update(ids)
            else:
                combined[key] = sorted(set(combined.get(key, [])) | set(ids))
        record.moved = _sorted(combined)


def _follow(s: Session) -> tuple[int, set[uuid.UUID]]:
    merged = {k: t for k, t in s.execute(select(Contact.id, Contact.merged_into)
                                         .where(Contact.deleted.is_(True), Contact.merged_into.is_not(None)))}
    if not merged:
        return 0, set()
    _break_cycles(s, merged)
    target_of = {}
    for lid in merged:
        final = _final(merged, lid)
        if final != lid and final not in merged:
            target_of[lid] = final
    result = [0, set()]

    def run(losers: list[uuid.UUID], row_by_row: bool = False) -> None:
        moved: dict[uuid.UUID, dict[str, list]] = {}
        count = _repoint(s, losers, target_of, moved, row_by_row=row_by_row)
        if not row_by_row:
            _note_moved(s, moved)
            applied, touched = _late_fields(s, {lid: target_of[lid] for lid in losers})
        else:
            _guarded(s, lambda: (_note_moved(s, moved), s.flush()))
            applied, touched = 0, set()
            for lid in losers:
                box: list = []
                if _guarded(s, lambda lid=lid, box=box: (box.append(_late_fields(s, {lid: target_of[lid]})),
                                                         s.flush())):
                    applied += box[0][0]
                    touched |= box[0][1]
        s.flush()
        result[0] += count + applied
        result[1] |= {target_of[lid] for lid in moved} | touched

    if not target_of or _guarded(s, lambda: run(sorted(target_of))):
        return result[0], result[1]
    # The user may not change some of these rows (a survivor owned by another rep): do the
    # others, row by row; the owner's or a manager's laptop does the rest when it syncs.
    run(sorted(_pending(s, target_of)), row_by_row=True)
    return result[0], result[1]


def _pending(s: Session, target_of: dict[uuid.UUID, uuid.UUID]) -> set[uuid.UUID]:
    """The merged-away contacts that still have live rows or late edits to carry over."""
    found: set[uuid.UUID] = set()
    for model, column in LINKS.values():
        col = getattr(model, column)
        for chunk in _chunks(sorted(target_of)):
            found.update(s.scalars(select(col).where(col.in_(chunk), _live(model)).distinct()))
    table = HubFieldVersion if getattr(s.info.get("write"), "hub", False) else FieldVersion
    for chunk in _chunks(sorted(set(target_of) - found)):
        found.update(s.scalars(select(table.row_id).where(table.entity == "contact", table.row_id.in_(chunk),
                                                          table.field.in_(MERGE_FIELDS)).distinct()))
    return found
