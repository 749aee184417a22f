"""Duplicate accounts: two reps who create the same company offline (issue #4, sync notes 3.11).

The account side of :mod:`leaddesk.services.people.duplicates`, with the same shape: pairs go to
the same review queue (``duplicate_candidate``, ``entity='account'``), a merge is explicit,
synced and undoable (``record_merge``, ``entity='account'``), and later work for a
merged-away account follows it to the survivor.

Detection (:func:`detect`), among *live* accounts (not deleted, not merged away):

* the same web domain (``account.domain``, from the website), unless it is a free-mail or
  shared-hosting domain (``gmail.com``, ``facebook.com`` ...: many companies "have" it);
* the same or a very similar name once folded and stripped of legal forms and spaces
  ("Fair Goods GmbH" ~ "FairGoods GmbH"; the contacts' :func:`~_matching.company_key`
  and :func:`~_matching._similar_companies`), when their country and city do not
  disagree (an unknown place agrees with any) and neither do their websites: two known
  domains must have the same name part ("fairgoods.de" ~ "fairgoods.com"), else they are
  two companies of one name ("yildizmobilya2.com.tr" / "yildizmobilya3.com.tr").

Measured on the large demo (30,000 accounts, SQLite, CPU time): a full scan about 0.6 s
(259 pairs), the pairs of 200 changed accounts about 0.4 s.

A merge (:func:`merge`) is one unit of work: the survivor keeps its values and fills its
empty ones from the loser, or takes the values chosen per field (notes and tags of both are
kept by default); every live contact, opportunity and activity of the loser moves to the
survivor; the loser becomes a tombstone with ``merged_into``; a :class:`RecordMerge`
row keeps the survivor's old values and the moved rows' ids, so :func:`undo_merge` puts
everything back. The user must be allowed to change both accounts and every row that
moves, or nothing is written (:class:`~leaddesk.errors.PermissionDenied`, saying which).

:func:`follow_merges` (run after every sync, by :func:`after_sync`) re-points rows that
still name a merged-away account (a deal created offline for it) and carries a field
edit made after the merge over to the survivor unless the survivor's own value is newer,
exactly as for contacts.
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
from leaddesk.models import Account, DuplicateCandidate, RecordMerge, User
from leaddesk.models.enums import DuplicateStatus
from leaddesk.services.people._account_detection import _detect, _live_account
from leaddesk.services.people._account_merge import LINKS, _check_may_merge, _follow, _mergeable, _repoint
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
from leaddesk.services.people._matching import _place
from leaddesk.services.people.account_merge_rules import (
    ENTITY,
    MERGE_FIELDS,
    _clean_choices,
    _decode,
    _empty,
    _take_fields,
)
from leaddesk.services.records import Changes, as_uuid

# --- what the review UI shows ---------------------------------------------------------------

@dataclass(frozen=True)
class AccountSide:
    """One account of a candidate pair, as the review shows it."""

    id: uuid.UUID
    display_name: str
    domain: str | None
    place: str | None
    owner_name: str | None
    contact_count: int
    opportunity_count: int
    activity_count: int
    #: MERGE_FIELDS -> the value as text (names instead of ids), None when empty.
    values: dict[str, str | None]
    created_at: dt.datetime | None
    version: int
    live: bool = True


@dataclass(frozen=True)
class AccountCandidateInfo:
    id: uuid.UUID
    score: int
    reasons: tuple[str, ...]
    status: DuplicateStatus
    a: AccountSide
    b: AccountSide
    version: int
    entity: str = ENTITY

    @property
    def differing(self) -> tuple[str, ...]:
        return tuple(f for f in MERGE_FIELDS if self.a.values.get(f) != self.b.values.get(f))


# --- detection -----------------------------------------------------------------------------

def detect(db: Database, *, account_ids: Iterable | None = None) -> int:
    """Put new likely-duplicate pairs of live accounts in the review queue.

    ``account_ids``: only pairs involving these accounts (what a sync just brought); None:
    a full scan. Open pairs get their score and reasons refreshed; dismissed and merged pairs
    are never re-opened. Returns the number of new candidates.
    """
    with db.unit_of_work() as s:
        return _detect(s, account_ids)


# --- the review queue ------------------------------------------------------------------------

def _sides(s: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, AccountSide]:
    ids_list = sorted(ids)
    rows: dict[uuid.UUID, Account] = {}
    for chunk in _chunks(ids_list):
        rows.update((a.id, a) for a in s.scalars(select(Account).where(Account.id.in_(chunk))))
    owners = sorted({a.owner_id for a in rows.values()} - {None})
    people = {k: n for k, n in s.execute(select(User.id, User.name).where(User.id.in_(owners)))} if owners else {}
    counts: dict[str, dict[uuid.UUID, int]] = {}
    for key, (model, column) in LINKS.items():
        col = getattr(model, column)
        counts[key] = {}
        for chunk in _chunks(ids_list):
            counts[key].update((k, n) for k, n in s.execute(
                select(col, func.count()).where(col.in_(chunk), _live(model)).group_by(col)))
    out = {}
    for aid, a in rows.items():
        values: dict[str, str | None] = {}
        for name in MERGE_FIELDS:
            raw = getattr(a, name)
            if _empty(raw):
                values[name] = None
            elif name == "owner_id":
                values[name] = people.get(raw, str(raw))
            elif name == "tags":
                values[name] = ", ".join(raw)
            elif name == "annual_revenue":
                values[name] = f"{raw:,.2f} {a.revenue_currency or ''}".strip()
            else:
                values[name] = str(raw)
        out[aid] = AccountSide(
            id=aid, display_name=a.name, domain=a.domain, place=_place(a.country, a.city) or None,
            owner_name=values["owner_id"], contact_count=counts["contact.account_id"].get(aid, 0),
            opportunity_count=counts["opportunity.account_id"].get(aid, 0),
            activity_count=counts["activity.account_id"].get(aid, 0), values=values, created_at=a.created_at,
            version=a.version, live=not a.deleted and a.merged_into is None)
    return out


def _open_pairs(stmt):
    xa, xb = aliased(Account), aliased(Account)
    return (stmt.join(xa, xa.id == DuplicateCandidate.a_id).join(xb, xb.id == DuplicateCandidate.b_id)
            .where(_live_account(xa), _live_account(xb)))


def list_candidates(db: Database, status: DuplicateStatus | str = DuplicateStatus.OPEN, *,
                    limit: int = 500) -> list[AccountCandidateInfo]:
    """Account pairs with both accounts' data, surest first (open pairs only while both
    accounts are live)."""
    status = DuplicateStatus(status)
    stmt = select(DuplicateCandidate).where(DuplicateCandidate.entity == ENTITY, _live(DuplicateCandidate),
                                            DuplicateCandidate.status == status)
    if status == DuplicateStatus.OPEN:
        stmt = _open_pairs(stmt)
    stmt = stmt.order_by(DuplicateCandidate.score.desc(), DuplicateCandidate.id).limit(limit)
    with db.reader() as s:
        rows = list(s.scalars(stmt))
        sides = _sides(s, {r.a_id for r in rows} | {r.b_id for r in rows})
        return [AccountCandidateInfo(r.id, r.score, tuple(r.reasons or ()), r.status, sides[r.a_id], sides[r.b_id],
                                     r.version) for r in rows if r.a_id in sides and r.b_id in sides]


def open_count(db: Database) -> int:
    """How many account pairs wait for review."""
    stmt = _open_pairs(select(func.count()).select_from(DuplicateCandidate).where(
        DuplicateCandidate.entity == ENTITY, _live(DuplicateCandidate),
        DuplicateCandidate.status == DuplicateStatus.OPEN))
    with db.reader() as s:
        return s.scalar(stmt) or 0


# --- merge -----------------------------------------------------------------------------------

def merge(db: Database, survivor_id, loser_id, *, choices: dict[str, str] | None = None,
          candidate_id=None) -> uuid.UUID:
    """Merge account ``loser_id`` into ``survivor_id`` in ONE unit of work; returns the merge's id.

    ``choices``: MERGE_FIELDS -> "survivor" | "loser" ("both" for notes and tags). A field not
    given: the survivor keeps its value and fills it from the loser when empty; different
    notes and tags of both are kept. Every contact, deal and activity of the loser moves to
    the survivor. Undo with :func:`undo_merge`.
    """
    sid, lid = as_uuid(survivor_id, field="survivor_id"), as_uuid(loser_id, field="loser_id")
    if sid == lid:
        raise MergeRefused("An account cannot be merged into itself: pick two different accounts.")
    wanted = _clean_choices(choices)
    with db.unit_of_work() as s:
        survivor = _mergeable(s, sid, "be kept")
        loser = _mergeable(s, lid, "be merged")
        candidate = s.get(DuplicateCandidate, pair_id(sid, lid, ENTITY))
        if candidate_id is not None:
            given = s.get(DuplicateCandidate, as_uuid(candidate_id, field="candidate_id"))
            if given is None or given.deleted:
                raise NotFound("duplicate candidate", candidate_id)
            if given.entity != ENTITY or {given.a_id, given.b_id} != {sid, lid}:
                raise MergeRefused("That review entry is about two other records; nothing was merged.")
            candidate = given
        _check_may_merge(s, survivor, loser)
        previous, taken = _take_fields(survivor, loser, wanted)
        moved: dict[uuid.UUID, dict[str, list]] = {}
        _repoint(s, [lid], {lid: sid}, moved)
        return _record_merge(s, ENTITY, loser, sid, candidate, taken, previous, moved)


def undo_merge(db: Database, merge_id) -> UndoResult:
    """Put both accounts back as they were, with normal (new) edits: the survivor's fields
    return to their old values unless changed since (named in the result); moved rows go
    back unless moved again since."""
    mid = as_uuid(merge_id, field="merge_id")
    with db.unit_of_work() as s:
        record = s.get(RecordMerge, mid)
        if record is None or record.deleted or record.entity != ENTITY:
            raise NotFound("merge", merge_id)
        if record.undone:
            raise MergeRefused("This merge was already undone; nothing changed.")
        survivor, loser = s.get(Account, record.survivor_id), s.get(Account, record.loser_id)
        if survivor is None or loser is None:
            raise NotFound("account", record.survivor_id if survivor is None else record.loser_id)
        if survivor.merged_into is not None:
            later = s.scalar(select(RecordMerge.id).where(RecordMerge.loser_id == survivor.id,
                                                          RecordMerge.undone.is_(False)).limit(1))
            hint = f" (merge {later})" if later else ""
            raise MergeRefused(f"{survivor.name} was merged into another account after this merge. "
                               f"Undo that later merge{hint} first.")
        left_rows = 0
        moved = record.moved or {}
        for key, ids in moved.items():
            model, column = LINKS[key]
            for chunk in _chunks(sorted({uuid.UUID(i) for i in ids})):
                rows = list(s.scalars(select(model).where(model.id.in_(chunk))))
                # Rows this user cannot see (another rep's deal moved by her own laptop) stay.
                left_rows += len(chunk) - len(rows)
                for row in rows:
                    if getattr(row, column) != survivor.id:
                        left_rows += 1
                        continue
                    setattr(row, column, loser.id)
        restored, left = [], []
        for name, old in (record.previous or {}).items():
            merged = _decode(name, (record.choices or {}).get(name))
            if getattr(survivor, name) == merged:
                setattr(survivor, name, _decode(name, old))
                restored.append(name)
            else:
                left.append(name)
        loser.deleted = False
        loser.merged_into = None
        record.undone = True
        candidate = s.get(DuplicateCandidate, pair_id(survivor.id, loser.id, ENTITY))
        if candidate is not None and candidate.status == DuplicateStatus.MERGED:
            candidate.status = DuplicateStatus.OPEN
        s.flush()
        touched = {"account", "duplicate_candidate", "record_merge"} | {key.split(".")[0] for key in moved}
        return UndoResult(record.id, survivor.id, loser.id, tuple(restored), tuple(left), left_rows,
                          Changes(frozenset(touched), frozenset({survivor.id, loser.id})), entity=ENTITY)


def list_merges(db: Database, *, limit: int = 20, include_undone: bool = False) -> list[MergeInfo]:
    """Recent account merges, newest first (for "Undo merge")."""
    stmt = select(RecordMerge).where(RecordMerge.entity == ENTITY, _live(RecordMerge))
    if not include_undone:
        stmt = stmt.where(RecordMerge.undone.is_(False))
    with db.reader() as s:
        rows = list(s.scalars(stmt.order_by(RecordMerge.created_at.desc(), RecordMerge.id.desc()).limit(limit)))
        ids = sorted({r.survivor_id for r in rows} | {r.loser_id for r in rows})
        names = {k: n for k, n in s.execute(select(Account.id, Account.name).where(Account.id.in_(ids)))}
        users = sorted({r.created_by for r in rows} - {None})
        people = {k: n for k, n in s.execute(select(User.id, User.name).where(User.id.in_(users)))}
        return [MergeInfo(r.id, r.survivor_id, names.get(r.survivor_id, "?"), r.loser_id,
                          names.get(r.loser_id, "?"), r.created_at, people.get(r.created_by), r.undone,
                          tuple(r.choices or ()), sum(len(ids) for ids in (r.moved or {}).values()), entity=ENTITY)
                for r in rows]


# --- after sync: follow merges, detect -------------------------------------------------------

def follow_merges(db: Database) -> int:
    """Re-point live rows that still name a merged-away account to its survivor (through
    chains) and carry late field edits over; returns how many changes were made."""
    with db.unit_of_work() as s:
        return _follow(s)[0]


def touched_accounts(rows: Iterable[tuple[str, Any]]) -> set[uuid.UUID]:
    """The accounts among changed rows (``(table, row id)``, e.g. from a pulled page)."""
    return {as_uuid(row_id) for table, row_id in rows if table == ENTITY}


def after_sync(db: Database, changed_account_ids: Iterable | None = None) -> AfterSyncResult:
    """Run after every sync: follow account merges, then look for duplicates among the
    accounts the sync changed (None: all accounts) and the survivors that received rows."""
    with db.unit_of_work() as s:
        followed, survivors = _follow(s)
    ids = None if changed_account_ids is None else {as_uuid(a) for a in changed_account_ids} | survivors
    return AfterSyncResult(followed, detect(db, account_ids=ids))

