"""The row work of account merges: every reference to an account (:data:`LINKS`), checking
the user may move them all, moving a loser's rows to its survivor, and, after a sync,
following merges made elsewhere (chains, cycles, rows and field edits that came late).

Apart from :mod:`.account_duplicates`, which keeps the public merge, undo and after-sync
entry points: this is the database work behind them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from leaddesk.errors import NotFound, PermissionDenied
from leaddesk.models import (
    Account,
    Activity,
    Contact,
    FieldVersion,
    HubFieldVersion,
    Opportunity,
    RecordMerge,
    User,
    access,
)
from leaddesk.services.people._duplicate_common import MergeRefused, _chunks, _final, _guarded, _live, _sorted
from leaddesk.services.people.account_merge_rules import CARRIED, ENTITY, MERGE_FIELDS

#: Every reference to an account: key in ``RecordMerge.moved`` -> (model, column, label).
LINKS: dict[str, tuple[type, str]] = {
    "contact.account_id": (Contact, "account_id"),
    "opportunity.account_id": (Opportunity, "account_id"),
    "activity.account_id": (Activity, "account_id"),
}
LINK_NOUNS = {"contact.account_id": "contact", "opportunity.account_id": "deal", "activity.account_id": "activity"}


def _clock_table(s: Session):
    # A team database opened directly keeps its clocks in hub_field_version (sync/journal.py).
    return HubFieldVersion if getattr(s.info.get("write"), "hub", False) else FieldVersion


def _mergeable(s: Session, account_id: uuid.UUID, role: str) -> Account:
    obj = s.get(Account, account_id)
    if obj is None:
        raise NotFound("account", account_id)
    if obj.merged_into is not None:
        raise MergeRefused(f"{obj.name} was already merged into another account; review that account instead.")
    if obj.deleted:
        raise MergeRefused(f"{obj.name} is in the trash. Restore it first if it should {role}.")
    return obj


def _subject(s: Session):
    return getattr(s.info.get("write"), "subject", None)


def _check_may_merge(s: Session, survivor: Account, loser: Account) -> None:
    """Refuse, before writing, a merge the user may not finish, naming what blocks it."""
    subject = _subject(s)
    if subject is None or subject.is_admin:
        return
    for obj in (survivor, loser):
        if not access.can_write(subject, ENTITY, {"owner_id": obj.owner_id}, lambda *_: None):
            owner = s.scalar(select(User.name).where(User.id == obj.owner_id)) or "another rep"
            raise PermissionDenied(f"You may not merge these accounts: {obj.name} belongs to {owner}. "
                                   f"Ask {owner} or a manager to merge them.")
    blocked: dict[str, int] = defaultdict(int)
    for key, (model, column) in LINKS.items():
        rows = s.execute(select(model.owner_id).where(getattr(model, column) == loser.id, _live(model))).all()
        for (owner_id,) in rows:
            if not access.can_write(subject, model.__tablename__, {"owner_id": owner_id}, lambda *_: None):
                blocked[LINK_NOUNS[key]] += 1
    if blocked:
        what = ", ".join(f"{n} {noun}{'s' if n > 1 and noun != 'activity' else ''}".replace("activitys", "activities")
                         for noun, n in blocked.items())
        raise PermissionDenied(f"You may not merge these accounts: {what} of {loser.name} belong to other reps "
                               f"and would have to move. Ask a manager to merge them.")


def _repoint(s: Session, sources: Iterable[uuid.UUID], target_of: dict[uuid.UUID, uuid.UUID],
             moved: dict[uuid.UUID, dict[str, list]], *, row_by_row: bool = False) -> int:
    """Re-point every live row naming one of ``sources`` to ``target_of[source]``, noting the
    ids in ``moved[source]``. ``row_by_row``: each row in its own savepoint, skipping the rows
    this user may not change (following merges never fails a sync)."""
    count = 0
    sources = sorted(sources)
    for key, (model, column) in LINKS.items():
        col = getattr(model, column)
        rows = []
        for chunk in _chunks(sources):
            rows.extend(s.scalars(select(model).where(col.in_(chunk), _live(model)).order_by(model.id)))
        for row in rows:
            source = getattr(row, column)
            target = target_of[source]
            if target == source:
                continue

            def apply(row=row, target=target) -> None:
                setattr(row, column, target)
                if row_by_row:
                    s.flush()

            if row_by_row:
                if not _guarded(s, apply):
                    continue
            else:
                apply()
            moved.setdefault(source, {}).setdefault(key, []).append(str(row.id))
            count += 1
    s.flush()
    return count


def _break_cycles(s: Session, merged: dict[uuid.UUID, uuid.UUID]) -> None:
    """Two opposite offline merges form a cycle: bring back its smallest id, everywhere the
    same; a replica whose user may not leaves the cycle to another."""
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
                obj = s.get(Account, keep)
                obj.deleted = False
                obj.merged_into = None
                s.flush()

            if _guarded(s, restore):
                del merged[keep]
            else:
                for member in cycle:
                    del merged[member]


def _late_fields(s: Session, target_of: dict[uuid.UUID, uuid.UUID]) -> tuple[int, set[uuid.UUID]]:
    """Edits of a merged-away account made (by clock) after its merge: applied to the
    survivor unless the survivor's own value is newer."""
    fields = sorted({*MERGE_FIELDS, "merged_into"} | {c for cs in CARRIED.values() for c in cs})
    table = _clock_table(s)
    clocks: dict[tuple[uuid.UUID, str], tuple[int, int]] = {}
    for chunk in _chunks(sorted(set(target_of) | set(target_of.values()))):
        for row_id, name, hlc, node in s.execute(
                select(table.row_id, table.field, table.hlc, table.node)
                .where(table.entity == ENTITY, table.row_id.in_(chunk), table.field.in_(fields))):
            clocks[(row_id, name)] = (hlc, node.int)
    count, touched = 0, set()
    for loser_id, survivor_id in sorted(target_of.items()):
        merged_at = clocks.get((loser_id, "merged_into"))
        if merged_at is None:
            continue
        late = [f for f in MERGE_FIELDS if clocks.get((loser_id, f), (0, 0)) > merged_at]
        if not late:
            continue
        loser, survivor = s.get(Account, loser_id), s.get(Account, survivor_id)
        own = (survivor.hlc, survivor.node.int)
        for name in late:
            if clocks[(loser_id, name)] > clocks.get((survivor_id, name), own):
                for field_name in (name, *CARRIED.get(name, ())):
                    value = getattr(loser, field_name)
                    if getattr(survivor, field_name) != value:
                        setattr(survivor, field_name, value)
                        count += field_name == name
                        touched.add(survivor_id)
    return count, touched


def _note_moved(s: Session, moved: dict[uuid.UUID, dict[str, list]]) -> None:
    """Add late rows to the merge that moved their account, so undo takes them back too."""
    for lid, record_moved in moved.items():
        record = s.scalars(select(RecordMerge).where(RecordMerge.loser_id == lid, RecordMerge.entity == ENTITY,
                                                     RecordMerge.undone.is_(False), _live(RecordMerge))
                           .order_by(RecordMerge.created_at.desc(), RecordMerge.id.desc()).limit(1)).first()
        if record is None:
            continue
        combined = {k: list(ids) for k, ids in (record.moved or {}).items()}
        for key, ids in record_moved.items():
            combined[key] = sorted(set(combined.get(key, [])) | set(ids))
        record.moved = _sorted(combined)


def _follow(s: Session) -> tuple[int, set[uuid.UUID]]:
    merged = {k: t for k, t in s.execute(select(Account.id, Account.merged_into)
                                         .where(Account.deleted.is_(True), Account.merged_into.is_not(None)))}
    if not merged:
        return 0, set()
    _break_cycles(s, merged)
    target_of = {}
    for lid in merged:
        final = _final(merged, lid)
        if final != lid and final not in merged:
            target_of[lid] = final
    result: list = [0, set()]

    def run(losers: list[uuid.UUID], row_by_row: bool = False) -> None:
        moved: dict[uuid.UUID, dict[str, list]] = {}
        count = _repoint(s, losers, target_of, moved, row_by_row=row_by_row)
        applied, touched = 0, set()
        if not row_by_row:
            _note_moved(s, moved)
            applied, touched = _late_fields(s, {lid: target_of[lid] for lid in losers})
        else:
            _guarded(s, lambda: (_note_moved(s, moved), s.flush()))
            for lid in losers:
                box: list = []
                if _guarded(s, lambda lid=lid, box=box: (box.append(_late_fields(s, {lid: target_of[lid]})),
                                                         s.flush())):
                    applied += box[0][0]
                    touched |= box[0][1]
        s.flush()
        result[0] += count + applied
        result[1] |= {target_of[lid] for lid in moved} | touched

    if target_of and not _guarded(s, lambda: run(sorted(target_of))):
        # Some rows are not this user's to change: do the others one by one; the owner's
        # or a manager's laptop does the rest when it syncs.
        run(sorted(target_of), row_by_row=True)
    return result[0], result[1]
