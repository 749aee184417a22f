"""Duplicate accounts: two reps who create the same company offline (issue #4, sync notes 3.11).

The account side of :mod:`leaddesk.services.people.duplicates`, with the same shape: pairs go to
the same review queue (``duplicate_candidate``, ``entity='account'``), a merge is explicit,
synced and undoable (``record_merge``, ``entity='account'``), and later work for a
merged-away account follows it to the survivor.

Detection (:func:`detect`), among *live* accounts (not deleted, not merged away):

* the same web domain (``account.domain``, from the website), unless it is a free-mail or
  shared-hosting domain (``gmail.com``, ``facebook.com`` ...: many companies "have" it);
* the same or a very similar name once folded and stripped of legal forms and spaces
  ("Fair Goods GmbH" ~ "FairGoods GmbH"; the contacts' :func:`~duplicates.company_key`
  and :func:`~duplicates._similar_companies`), when their country and city do not
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
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from leaddesk.db import Database
from leaddesk.errors import NotFound, PermissionDenied, ValidationError
from leaddesk.models import (
    Account,
    Activity,
    Contact,
    DuplicateCandidate,
    FieldVersion,
    HubFieldVersion,
    Opportunity,
    RecordMerge,
    User,
)
from leaddesk.models import access
from leaddesk.models.enums import DuplicateStatus
from leaddesk.services import validation as v
from leaddesk.services.people.duplicates import (
    CHOICES,
    MAX_SHARED,
    AfterSyncResult,
    MergeInfo,
    MergeRefused,
    UndoResult,
    _chunks,
    _final,
    _Found,
    _guarded,
    _h,
    _hex,
    _jsonable,
    _similar_companies,
    _sorted,
    company_key,
    pair_id,
)
from leaddesk.services.records import Changes, as_uuid
from leaddesk.services.qualification.scoring_criteria import FREE_EMAIL_DOMAINS
from leaddesk.sync.protocol import decode_value

ENTITY = "account"
DOMAIN_SCORE, SAME_NAME_SCORE, SIMILAR_NAME_SCORE = 90, 80, 70
#: Hosts many unrelated companies share (a profile page, a site builder): not evidence.
SHARED_HOSTS = frozenset(FREE_EMAIL_DOMAINS) | {
    "facebook.com", "instagram.com", "linkedin.com", "xing.com", "twitter.com", "x.com", "youtube.com",
    "google.com", "sites.google.com", "business.site", "wix.com", "wixsite.com", "squarespace.com",
    "wordpress.com", "blogspot.com", "jimdo.com", "jimdofree.com", "weebly.com", "github.io", "t.me",
}

#: Fields a merge lets the user choose (``choices`` keys). ``website`` carries ``domain``,
#: ``annual_revenue`` its ``revenue_currency``, ``name`` its ``name_key``.
MERGE_FIELDS = (
    "name", "website", "industry", "employees", "annual_revenue", "country", "city", "phone", "owner_id",
    "tags", "notes",
)
CARRIED = {"name": ("name_key",), "website": ("domain",), "annual_revenue": ("revenue_currency",)}
#: Choices that may be "both": the two notes (survivor's first), the union of the tags.
BOTH_ALLOWED = ("notes", "tags")
#: Every reference to an account: key in ``RecordMerge.moved`` -> (model, column, label).
LINKS: dict[str, tuple[type, str]] = {
    "contact.account_id": (Contact, "account_id"),
    "opportunity.account_id": (Opportunity, "account_id"),
    "activity.account_id": (Activity, "account_id"),
}
LINK_NOUNS = {"contact.account_id": "contact", "opportunity.account_id": "deal", "activity.account_id": "activity"}


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


# --- helpers -------------------------------------------------------------------------------

def _live(model):
    return model.deleted.is_(False)


def _live_account(model=Account):
    return model.deleted.is_(False) & model.merged_into.is_(None)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, tuple)) and not (
        value.strip() if isinstance(value, str) else value))


def _decode(name: str, value: Any) -> Any:
    return decode_value(Account.__table__.c[name], value)


def _place(country: str | None, city: str | None) -> str:
    return ", ".join(p for p in (city, country) if p)


def _places_agree(x: tuple[str | None, str | None], y: tuple[str | None, str | None]) -> bool:
    """(country, city): a place known on both sides must be the same."""
    (cx, tx), (cy, ty) = x, y
    if cx and cy and cx != cy:
        return False
    return not (tx and ty and v.sort_key(tx).strip() != v.sort_key(ty).strip())


#: Second-level labels under a country code ("co.uk", "com.tr"): the name is one label further left.
SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "or", "ne", "gob", "nom"})


def _site_name(domain: str | None) -> str | None:
    """The name part of a web domain: "shop.fairgoods.co.uk" -> "fairgoods" (None: unknown
    or a shared host)."""
    if not domain or domain in SHARED_HOSTS:
        return None
    parts = domain.split(".")
    if len(parts) >= 3 and len(parts[-1]) == 2 and parts[-2] in SECOND_LEVEL:
        return parts[-3]
    return parts[-2] if len(parts) >= 2 else parts[0]


def _clock_table(s: Session):
    # A team database opened directly keeps its clocks in hub_field_version (sync/journal.py).
    return HubFieldVersion if getattr(s.info.get("write"), "hub", False) else FieldVersion


# --- detection -----------------------------------------------------------------------------

def _found_pairs(s: Session, focus: set[str] | None) -> _Found:
    found = _Found(focus)
    accounts: dict[str, tuple[str, str | None, str | None]] = {}  # hex id -> (name, country, city)
    sites: dict[str, str | None] = {}  # hex id -> name part of its web domain
    by_domain: dict[str, list[str]] = defaultdict(list)
    by_key: dict[str, list[str]] = defaultdict(list)
    for aid, name, domain, country, city in s.execute(
            select(_hex(Account.id), Account.name, Account.domain, Account.country, Account.city)
            .where(_live_account())):
        aid = _h(aid)
        accounts[aid] = (name, country, city)
        sites[aid] = _site_name(domain)
        if domain and domain not in SHARED_HOSTS:
            by_domain[domain].append(aid)
        key = company_key(name)
        if key:
            by_key[key].append(aid)
    for domain, ids in by_domain.items():
        found.add_group(sorted(ids), "domain", DOMAIN_SCORE, f"Same web domain: {domain}")

    def add_names(xs: list[str], ys: list[str] | None, score: int, label: str) -> None:
        if len(xs) + len(ys or ()) > MAX_SHARED:
            return  # a name so common it proves nothing ("Müller")
        for i, x in enumerate(xs):
            for y in (xs[i + 1:] if ys is None else ys):
                (nx, cx, tx), (ny, cy, ty) = accounts[x], accounts[y]
                if x == y or not _places_agree((cx, tx), (cy, ty)):
                    continue
                if sites[x] and sites[y] and sites[x] != sites[y]:
                    continue  # two websites: two companies of one name
                na, nb = sorted((nx, ny))
                where = _place(cx or cy, tx or ty)
                found.add(x, y, "name", score, f"{label}: {na} / {nb}" + (f" ({where})" if where else ""))

    # The same key once spaces are gone ("fair goods" / "fairgoods"), then similar keys.
    compact: dict[str, list[str]] = defaultdict(list)
    for key, ids in by_key.items():
        compact[key.replace(" ", "")].extend(ids)
    for ids in compact.values():
        add_names(sorted(ids), None, SAME_NAME_SCORE, "Same name")
    focus_keys = None if focus is None else {company_key(accounts[a][0]) for a in focus if a in accounts}
    for x, y in sorted(_similar_companies(by_key, {}, focus_keys)):
        if x.replace(" ", "") != y.replace(" ", ""):
            add_names(sorted(by_key[x]), sorted(by_key[y]), SIMILAR_NAME_SCORE, "Similar name")
    return found


def _score(kinds: dict[str, tuple[int, str]]) -> tuple[int, list[str]]:
    scores = sorted((sc for sc, _ in kinds.values()), reverse=True)
    order = {"domain": 0, "name": 1}
    return min(100, scores[0] + 5 * (len(scores) - 1)), [kinds[k][1] for k in sorted(kinds, key=order.get)]


def _detect(s: Session, account_ids: Iterable | None) -> int:
    focus = None if account_ids is None else {as_uuid(a).hex for a in account_ids}
    if focus is not None and not focus:
        return 0
    found = _found_pairs(s, focus)
    wanted = {}
    for (x, y), kinds in found.pairs.items():
        a, b = uuid.UUID(x), uuid.UUID(y)
        wanted[pair_id(a, b, ENTITY)] = (a, b, *_score(kinds))
    existing: dict[uuid.UUID, DuplicateCandidate] = {}
    for chunk in _chunks(sorted(wanted)):
        existing.update((c.id, c) for c in s.scalars(select(DuplicateCandidate).where(DuplicateCandidate.id.in_(chunk))))
    new = 0
    for cid, (a, b, score, reasons) in sorted(wanted.items()):
        row = existing.get(cid)
        if row is None:
            s.add(DuplicateCandidate(id=cid, entity=ENTITY, a_id=a, b_id=b, score=score, reasons=reasons,
                                     status=DuplicateStatus.OPEN))
            new += 1
        elif row.status == DuplicateStatus.OPEN and not row.deleted:
            if row.score != score:
                row.score = score
            if list(row.reasons or []) != reasons:
                row.reasons = reasons
    s.flush()
    return new


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

def _mergeable(s: Session, account_id: uuid.UUID, role: str) -> Account:
    obj = s.get(Account, account_id)
    if obj is None:
        raise NotFound("account", account_id)
    if obj.merged_into is not None:
        raise MergeRefused(f"{obj.name} was already merged into another account; review that account instead.")
    if obj.deleted:
        raise MergeRefused(f"{obj.name} is in the trash. Restore it first if it should {role}.")
    return obj


def _clean_choices(choices: dict | None) -> dict[str, str]:
    out = {}
    for name, choice in (choices or {}).items():
        if name not in MERGE_FIELDS:
            raise ValidationError(f"'{name}' is not a field an account merge can choose "
                                  f"(choose among: {', '.join(MERGE_FIELDS)}).", field="choices")
        if choice not in CHOICES or (choice == "both" and name not in BOTH_ALLOWED):
            allowed = CHOICES if name in BOTH_ALLOWED else CHOICES[:2]
            raise ValidationError(f"Keep which value of {name.replace('_', ' ')}? Say {' or '.join(allowed)}, "
                                  f"not '{choice}'.", field="choices")
        out[name] = choice
    return out


def _both(name: str, mine: Any, theirs: Any) -> Any:
    if name == "tags":
        return sorted(set(mine or ()) | set(theirs or ()))
    return f"{mine}\n\n{theirs}"


def _merged_value(name: str, choice: str | None, mine: Any, theirs: Any) -> tuple[bool, Any]:
    """(take?, value) for one field."""
    if choice is None:
        if _empty(mine) and not _empty(theirs):
            return True, theirs
        if name in BOTH_ALLOWED and not _empty(mine) and not _empty(theirs) and mine != theirs:
            choice = "both"
        else:
            return False, mine
    if choice == "loser":
        return mine != theirs, theirs
    if choice == "both":
        if _empty(theirs) or theirs == mine:
            return False, mine
        if _empty(mine):
            return True, theirs
        value = _both(name, mine, theirs)
        return value != mine, value
    return False, mine


def _take_fields(survivor: Account, loser: Account, choices: dict[str, str]) -> tuple[dict, dict]:
    """Set the survivor's fields; return (previous, taken) as JSON-able values."""
    previous, taken = {}, {}

    def put(name: str, value: Any) -> None:
        if getattr(survivor, name) == value:
            return
        previous[name] = _jsonable(getattr(survivor, name))
        taken[name] = _jsonable(value)
        setattr(survivor, name, value)

    for name in MERGE_FIELDS:
        take, value = _merged_value(name, choices.get(name), getattr(survivor, name), getattr(loser, name))
        if take:
            put(name, value)
            for carried in CARRIED.get(name, ()):
                put(carried, v.sort_key(value) if carried == "name_key" else getattr(loser, carried))
    if survivor.domain is None and loser.domain is not None:  # a domain given without a website
        put("domain", loser.domain)
    return previous, taken


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
        loser.deleted = True
        loser.merged_into = sid
        record = RecordMerge(entity=ENTITY, survivor_id=sid, loser_id=lid, choices=taken, previous=previous,
                             moved=_sorted(moved.get(lid, {})))
        s.add(record)
        if candidate is not None and candidate.status != DuplicateStatus.MERGED:
            candidate.status = DuplicateStatus.MERGED
        s.flush()
        return record.id


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
