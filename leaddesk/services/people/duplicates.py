"""Duplicate contacts: a review queue after sync, explicit merges, undo (sync notes 3.11).

Two reps who capture the same person offline make two contacts; nothing stops that (no
UNIQUE on natural keys, see the sync notes). After each sync :func:`after_sync` finds such
pairs and puts them in a review queue; a person decides: "not a duplicate"
(:func:`dismiss`) or :func:`merge`. Everything here writes through the ORM, so every
decision is journaled, syncs to the team and can be read back as history.

Detection (:func:`detect`) pairs live contacts by the same e-mail, the same phone, or a
similar name at the same company; its rules, and how it blocks instead of comparing every
pair, are told in ``_contact_detection``.

A merge (:func:`merge`) is one unit of work: the survivor takes the chosen values of the
loser (by default it keeps its own and fills its empty fields; notes of both are kept);
every e-mail, phone, activity, opportunity, lifecycle and engagement event and BANT record
of the loser moves to the survivor (an e-mail or phone the survivor already has is marked
deleted on the loser instead: never hard-deleted); the loser becomes a tombstone with
``merged_into``; a :class:`RecordMerge` row keeps what undo needs. ``RecordMerge.moved``
maps ``"<table>.<column>"`` to the ids of rows re-pointed, ``"<table>.dropped"`` to
duplicate e-mails/phones marked deleted, and ``"positions"`` to the moved rows' old order.

Later edits follow the merged-away record (:func:`follow_merges`, run after every sync):
rows that still point at a merged-away contact (an activity logged offline for it) are
re-pointed to the survivor, following chains; a field of the merged-away contact edited
with a clock later than the merge is applied to the survivor unless the survivor's own
value is newer still (clocks from ``field_version``, or ``hub_field_version`` on a team
database opened directly). Two merges that form a cycle (A into B on one laptop, B into A
on another) are broken the same way everywhere: the contact with the smallest id comes
back. Rows the user may not change (a survivor owned by another rep) are left for the
owner's or a manager's laptop: following never fails a sync.

Limits: a pair detected independently on two laptops, then dismissed on one before the
other's detection reached the team server, can show once more (the later creation wins
the status field, as any concurrent edit; the hub logs the conflict). Two laptops that
merge the same pair both record a merge; undoing one of them restores the contacts.
Accounts: :mod:`leaddesk.services.people.account_duplicates` (same queue and merge records,
``entity='account'``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from leaddesk.db import Database
from leaddesk.errors import NotFound
from leaddesk.models import (
    Account,
    Activity,
    Campaign,
    Contact,
    ContactEmail,
    ContactPhone,
    DuplicateCandidate,
    Opportunity,
    Persona,
    RecordMerge,
    User,
)
from leaddesk.models.enums import DuplicateStatus
from leaddesk.services.people._contact_detection import _detect
from leaddesk.services.people._contact_merge import LINKS, _follow, _mergeable, _repoint, _rows
from leaddesk.services.people._duplicate_common import (
    AfterSyncResult,
    MergeInfo,
    MergeRefused,
    UndoResult,
    _chunks,
    _live,
    _record_merge,
    pair_id,
)
from leaddesk.services.people.contact_merge_rules import (
    MERGE_FIELDS,
    _clean_choices,
    _decode,
    _empty,
    _rename,
    _take_fields,
)
from leaddesk.services.records import Changes, as_uuid

# --- what the review UI shows ---------------------------------------------------------------

@dataclass(frozen=True)
class ContactSide:
    """One contact of a candidate pair, as the review shows it."""

    id: uuid.UUID
    display_name: str
    company: str | None
    job_title: str | None
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    owner_name: str | None
    activity_count: int
    opportunity_count: int
    #: MERGE_FIELDS -> the value as text (names instead of ids), None when empty.
    values: dict[str, str | None]
    created_at: dt.datetime | None
    version: int
    live: bool = True


@dataclass(frozen=True)
class CandidateInfo:
    id: uuid.UUID
    score: int
    reasons: tuple[str, ...]
    status: DuplicateStatus
    a: ContactSide
    b: ContactSide
    version: int

    @property
    def differing(self) -> tuple[str, ...]:
        """Merge fields whose values differ (the choices a reviewer makes)."""
        return tuple(f for f in MERGE_FIELDS if self.a.values.get(f) != self.b.values.get(f))


# --- detection -----------------------------------------------------------------------------

def detect(db: Database, *, contact_ids: Iterable | None = None) -> int:
    """Put new likely-duplicate pairs of live contacts in the review queue.

    ``contact_ids``: only pairs involving these contacts (what a sync just brought); None:
    all contacts. Open candidates get their score and reasons refreshed; dismissed and
    merged pairs are never re-opened. Returns the number of new candidates.
    """
    with db.unit_of_work() as s:
        return _detect(s, contact_ids)[0]


# --- the review queue ------------------------------------------------------------------------

def _sides(s: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, ContactSide]:
    ids_list = sorted(ids)
    contacts: dict[uuid.UUID, Contact] = {}
    for chunk in _chunks(ids_list):
        contacts.update((c.id, c) for c in s.scalars(select(Contact).where(Contact.id.in_(chunk))))
    refs = {"account_id": (Account, Account.name), "owner_id": (User, User.name),
            "campaign_id": (Campaign, Campaign.name), "persona_id": (Persona, Persona.name)}
    names: dict[str, dict[uuid.UUID, str]] = {}
    for fname, (model, label) in refs.items():
        wanted = sorted({getattr(c, fname) for c in contacts.values()} - {None})
        names[fname] = {}
        for chunk in _chunks(wanted):
            names[fname].update((k, val) for k, val in s.execute(select(model.id, label).where(model.id.in_(chunk))))
    counts: dict[str, dict[uuid.UUID, int]] = {}
    for label, model, col in (("activity", Activity, Activity.contact_id),
                              ("opportunity", Opportunity, Opportunity.primary_contact_id)):
        counts[label] = {}
        for chunk in _chunks(ids_list):
            counts[label].update((k, n) for k, n in s.execute(
                select(col, func.count()).where(col.in_(chunk), _live(model)).group_by(col)))
    out = {}
    for cid, c in contacts.items():
        values: dict[str, str | None] = {}
        for fname in MERGE_FIELDS:
            raw = getattr(c, fname)
            if fname in names:
                text = names[fname].get(raw, str(raw)) if raw is not None else None
            elif hasattr(raw, "value"):
                text = None if _empty(fname, raw) else raw.value
            else:
                text = None if _empty(fname, raw) else str(raw)
            values[fname] = text
        out[cid] = ContactSide(
            id=cid, display_name=c.display_name, company=values["account_id"], job_title=c.job_title,
            emails=tuple(e.address for e in c.emails if not e.deleted),
            phones=tuple(p.e164 for p in c.phones if not p.deleted),
            owner_name=values["owner_id"], activity_count=counts["activity"].get(cid, 0),
            opportunity_count=counts["opportunity"].get(cid, 0), values=values, created_at=c.created_at,
            version=c.version, live=not c.deleted and c.merged_into is None,
        )
    return out


def list_candidates(db: Database, status: DuplicateStatus | str = DuplicateStatus.OPEN, *,
                    limit: int = 500) -> list[CandidateInfo]:
    """Candidate pairs with both contacts' data, surest first. Open pairs are listed only
    while both contacts are live (a pair whose contact was merged away waits, hidden, in
    case that merge is undone)."""
    status = DuplicateStatus(status)
    ca, cb = aliased(Contact), aliased(Contact)
    stmt = select(DuplicateCandidate).where(DuplicateCandidate.entity == "contact", _live(DuplicateCandidate),
                                            DuplicateCandidate.status == status)
    if status == DuplicateStatus.OPEN:
        stmt = (stmt.join(ca, ca.id == DuplicateCandidate.a_id).join(cb, cb.id == DuplicateCandidate.b_id)
                .where(ca.deleted.is_(False), ca.merged_into.is_(None), cb.deleted.is_(False),
                       cb.merged_into.is_(None)))
    stmt = stmt.order_by(DuplicateCandidate.score.desc(), DuplicateCandidate.id).limit(limit)
    with db.reader() as s:
        rows = list(s.scalars(stmt))
        sides = _sides(s, {r.a_id for r in rows} | {r.b_id for r in rows})
        return [CandidateInfo(r.id, r.score, tuple(r.reasons or ()), r.status, sides[r.a_id], sides[r.b_id],
                              r.version) for r in rows if r.a_id in sides and r.b_id in sides]


def get_candidate(db: Database, candidate_id) -> CandidateInfo:
    with db.reader() as s:
        row = s.get(DuplicateCandidate, as_uuid(candidate_id))
        if row is None or row.deleted or row.entity != "contact":
            raise NotFound("duplicate candidate", candidate_id)
        sides = _sides(s, {row.a_id, row.b_id})
        return CandidateInfo(row.id, row.score, tuple(row.reasons or ()), row.status, sides[row.a_id],
                             sides[row.b_id], row.version)


def open_count(db: Database) -> int:
    """How many pairs wait for review (a badge)."""
    ca, cb = aliased(Contact), aliased(Contact)
    stmt = (select(func.count()).select_from(DuplicateCandidate)
            .join(ca, ca.id == DuplicateCandidate.a_id).join(cb, cb.id == DuplicateCandidate.b_id)
            .where(DuplicateCandidate.entity == "contact", _live(DuplicateCandidate),
                   DuplicateCandidate.status == DuplicateStatus.OPEN, ca.deleted.is_(False),
                   ca.merged_into.is_(None), cb.deleted.is_(False), cb.merged_into.is_(None)))
    with db.reader() as s:
        return s.scalar(stmt) or 0


def dismiss(db: Database, candidate_id) -> Changes:
    """"Not a duplicate": the pair leaves the queue and detection never brings it back."""
    with db.unit_of_work() as s:
        row = s.get(DuplicateCandidate, as_uuid(candidate_id))
        if row is None or row.deleted:
            raise NotFound("duplicate candidate", candidate_id)
        if row.status == DuplicateStatus.MERGED:
            raise MergeRefused(f"These two {row.entity}s were already merged. Undo the merge instead.")
        row.status = DuplicateStatus.DISMISSED
        return Changes.of("duplicate_candidate", row.id)


# --- merge -----------------------------------------------------------------------------------

def merge(db: Database, survivor_id, loser_id, *, choices: dict[str, str] | None = None,
          candidate_id=None) -> uuid.UUID:
    """Merge ``loser_id`` into ``survivor_id`` in ONE unit of work; returns the merge's id.

    ``choices``: MERGE_FIELDS -> "survivor" | "loser" ("both" for notes). A field not given:
    the survivor keeps its value and fills it from the loser when empty; different notes
    are both kept. Every child row of the loser moves to the survivor (:func:`undo_merge`).
    """
    with db.unit_of_work() as s:
        return merge_in(s, survivor_id, loser_id, choices=choices, candidate_id=candidate_id)


def merge_in(s: Session, survivor_id, loser_id, *, choices: dict[str, str] | None = None,
             candidate_id=None) -> uuid.UUID:
    """:func:`merge` in the caller's write session."""
    sid, lid = as_uuid(survivor_id, field="survivor_id"), as_uuid(loser_id, field="loser_id")
    if sid == lid:
        raise MergeRefused("A contact cannot be merged into itself: pick two different contacts.")
    wanted = _clean_choices(choices)
    survivor = _mergeable(s, sid, "be kept")
    loser = _mergeable(s, lid, "be merged")
    candidate = s.get(DuplicateCandidate, pair_id(sid, lid))
    if candidate_id is not None:
        given = s.get(DuplicateCandidate, as_uuid(candidate_id, field="candidate_id"))
        if given is None:
            raise NotFound("duplicate candidate", candidate_id)
        if {given.a_id, given.b_id} != {sid, lid}:
            raise MergeRefused("That review entry is about two other contacts; nothing was merged.")
        candidate = given
    previous, taken = _take_fields(survivor, loser, wanted)
    moved: dict[uuid.UUID, dict[str, list]] = {}
    _repoint(s, [lid], {lid: sid}, moved)
    return _record_merge(s, "contact", loser, sid, candidate, taken, previous, moved)


def undo_merge(db: Database, merge_id) -> UndoResult:
    """Put both contacts back as they were, with normal (new) edits.

    The survivor's fields return to their old values unless someone changed them since
    (those are named in the result); moved rows go back unless moved again since.
    """
    mid = as_uuid(merge_id, field="merge_id")
    with db.unit_of_work() as s:
        record = s.get(RecordMerge, mid)
        if record is None or record.deleted or record.entity != "contact":
            raise NotFound("merge", merge_id)
        if record.undone:
            raise MergeRefused("This merge was already undone; nothing changed.")
        survivor = s.get(Contact, record.survivor_id)
        loser = s.get(Contact, record.loser_id)
        if survivor is None or loser is None:
            raise NotFound("contact", record.survivor_id if survivor is None else record.loser_id)
        if survivor.merged_into is not None:
            later = s.scalar(select(RecordMerge.id).where(RecordMerge.loser_id == survivor.id,
                                                          RecordMerge.undone.is_(False)).limit(1))
            hint = f" (merge {later})" if later else ""
            raise MergeRefused(f"{survivor.display_name} was merged into another contact after this merge. "
                               f"Undo that later merge{hint} first.")
        left_rows = 0
        moved = record.moved or {}
        positions = moved.get("positions", {})
        for key, ids in moved.items():
            if key == "positions":
                continue
            if key.endswith(".dropped"):
                model = ContactEmail if key.startswith("contact_email") else ContactPhone
                for row in _rows(s, model, ids):
                    if row.contact_id == loser.id and row.deleted:
                        row.deleted = False
                continue
            model, column = LINKS[key]
            for row in _rows(s, model, ids):
                if getattr(row, column) != survivor.id:
                    left_rows += 1
                    continue
                setattr(row, column, loser.id)
                if str(row.id) in positions:
                    row.position = positions[str(row.id)]
        restored, left = [], []
        for name, old in (record.previous or {}).items():
            merged = _decode(name, (record.choices or {}).get(name))
            if getattr(survivor, name) == merged:
                setattr(survivor, name, _decode(name, old))
                restored.append(name)
            else:
                left.append(name)
        _rename(survivor)
        loser.deleted = False
        loser.merged_into = None
        record.undone = True
        candidate = s.get(DuplicateCandidate, pair_id(survivor.id, loser.id))
        if candidate is not None and candidate.status == DuplicateStatus.MERGED:
            candidate.status = DuplicateStatus.OPEN
        s.flush()
        touched = {"contact", "duplicate_candidate", "record_merge"} | {
            key.split(".")[0] for key in moved if key != "positions"}
        return UndoResult(record.id, survivor.id, loser.id, tuple(restored), tuple(left), left_rows,
                          Changes(frozenset(touched), frozenset({survivor.id, loser.id})))


def list_merges(db: Database, *, limit: int = 20, include_undone: bool = False) -> list[MergeInfo]:
    """Recent contact merges, newest first (for "Undo merge")."""
    stmt = select(RecordMerge).where(RecordMerge.entity == "contact", _live(RecordMerge))
    if not include_undone:
        stmt = stmt.where(RecordMerge.undone.is_(False))
    with db.reader() as s:
        rows = list(s.scalars(stmt.order_by(RecordMerge.created_at.desc(), RecordMerge.id.desc()).limit(limit)))
        ids = sorted({r.survivor_id for r in rows} | {r.loser_id for r in rows})
        names = {k: n for k, n in s.execute(select(Contact.id, Contact.display_name).where(Contact.id.in_(ids)))}
        users = sorted({r.created_by for r in rows} - {None})
        people = {k: n for k, n in s.execute(select(User.id, User.name).where(User.id.in_(users)))}
        return [MergeInfo(r.id, r.survivor_id, names.get(r.survivor_id, "?"), r.loser_id,
                          names.get(r.loser_id, "?"), r.created_at, people.get(r.created_by), r.undone,
                          tuple(r.choices or ()),
                          sum(len(v) for k, v in (r.moved or {}).items() if k != "positions"))
                for r in rows]


# --- after sync: follow merges, detect -------------------------------------------------------

def follow_merges(db: Database) -> int:
    """Re-point live rows that still refer to a merged-away contact to its survivor (through
    chains of merges) and carry late field edits over; returns how many changes were made."""
    with db.unit_of_work() as s:
        return _follow(s)[0]


def touched_contacts(db: Database, rows: Iterable[tuple[str, Any]]) -> set[uuid.UUID]:
    """The contacts behind changed rows (``(table, row id)``, e.g. from a pulled page):
    contacts themselves, and the owners of changed e-mails and phones."""
    found: dict[str, set[uuid.UUID]] = {"contact": set(), "contact_email": set(), "contact_phone": set()}
    for table, row_id in rows:
        if table in found:
            found[table].add(as_uuid(row_id))
    contacts = found["contact"]
    with db.reader() as s:
        for model, ids in ((ContactEmail, found["contact_email"]), (ContactPhone, found["contact_phone"])):
            for chunk in _chunks(sorted(ids)):
                contacts.update(s.scalars(select(model.contact_id).where(model.id.in_(chunk))))
    return contacts


def after_sync(db: Database, changed_contact_ids: Iterable | None = None) -> AfterSyncResult:
    """Run after every sync: follow merges, then detect duplicates among the contacts the
    sync changed (None: all contacts; empty: only the survivors that just received rows)."""
    with db.unit_of_work() as s:
        followed, survivors = _follow(s)
    ids = None if changed_contact_ids is None else {as_uuid(c) for c in changed_contact_ids} | survivors
    detected = detect(db, contact_ids=ids)
    return AfterSyncResult(followed, detected)

