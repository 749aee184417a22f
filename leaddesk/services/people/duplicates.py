"""Duplicate contacts: a review queue after sync, explicit merges, undo (sync notes 3.11).

Two reps who capture the same person offline make two contacts; nothing stops that (no
UNIQUE on natural keys, see the sync notes). After each sync :func:`after_sync` finds such
pairs and puts them in a review queue; a person decides: "not a duplicate"
(:func:`dismiss`) or :func:`merge`. Everything here writes through the ORM, so every
decision is journaled, syncs to the team and can be read back as history.

Detection (:func:`detect`), among *live* contacts (not deleted, not merged away):

* the same normalised e-mail (``contact_email.address_normalized``: lower case, IDNA domain,
  as the contacts service stores it);
* the same phone in E.164 (``contact_phone.e164``);
* a similar name (``rapidfuzz`` ratio of the folded name with its words sorted, >= 90) at
  the same company: the same account, accounts with the same web domain, or account names
  equal or >= 90 similar once folded and stripped of legal forms ("ACME GmbH" ~ "Acme"),
  provided the words they do not share are themselves close (a typo, not another name:
  "Mavi Tekstil – İzmir" is not "Kara Tekstil – İzmir"). Two people with the same name at
  different companies are not a pair, and neither are people without a company.

It blocks instead of comparing every pair: by address, by number, by company; names are
compared only inside a company (and with directly similar companies). An address or number
shared by more than :data:`MAX_SHARED` live contacts (info@, a switchboard) proves nothing
and is skipped. A pair has one id wherever it is found (UUIDv5 of the ordered pair), so two
laptops that detect it make the same row. Measured on the 100,000-contact demo (SQLite, CPU
time): a full scan about 3 s, the pairs of 200 changed contacts about 0.5 s.

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
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session, aliased

from leaddesk.db import Database
from leaddesk.errors import LeadDeskError, NotFound, PermissionDenied, ValidationError
from leaddesk.models import (
    Account,
    Activity,
    Bant,
    Campaign,
    Contact,
    ContactEmail,
    ContactPhone,
    DuplicateCandidate,
    EngagementEvent,
    FieldVersion,
    HubFieldVersion,
    LifecycleEvent,
    Opportunity,
    Persona,
    RecordMerge,
    User,
)
from leaddesk.models.enums import DuplicateStatus, Seniority
from leaddesk.services import validation as v
from leaddesk.services.people.contacts import display_name
from leaddesk.services.records import Changes, as_uuid
from leaddesk.sync.field_values import encode
from leaddesk.sync.protocol import decode_value

#: Namespace of candidate ids: uuid5(NAMESPACE, "contact:<smaller id>:<larger id>").
NAMESPACE = uuid.UUID("4b0c3c64-8d0e-5a4c-9f57-1d5b3c2e7a91")
#: An e-mail or phone shared by more live contacts than this is a shared inbox or a switchboard.
MAX_SHARED = 20
#: Name similarity (0-100) needed at the same or a similar company.
NAME_THRESHOLD = 90
#: Folded company-name similarity that counts as "the same company".
COMPANY_THRESHOLD = 90
#: Above this many contact ids, detect scans everything and keeps the pairs involving them.
FOCUS_LIMIT = 2000
#: A company with more contacts than this compares names only within the same initial.
BIG_COMPANY = 3000
EMAIL_SCORE, PHONE_SCORE = 90, 75

#: Fields a merge lets the user choose (``choices`` keys). ``lifecycle_stage`` carries
#: ``lifecycle_changed_at`` and ``stage_reason`` along with it.
MERGE_FIELDS = (
    "given_name", "family_name", "job_title", "department", "seniority", "account_id", "street", "city",
    "region", "postal_code", "country", "owner_id", "lifecycle_stage", "source", "campaign_id", "persona_id",
    "notes",
)
#: Taken from whichever contact has the earlier time (speed-to-lead stays honest).
EARLIEST_FIELDS = ("captured_at", "first_touch_at")
CHOICES = ("survivor", "loser", "both")
#: Choices that may be "both" (the two texts are kept, survivor's first).
BOTH_ALLOWED = ("notes",)

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
}
#: Child rows that are the contact's own addresses: moved after the survivor's, deduplicated.
ADDRESS_LINKS = {"contact_email.contact_id": "address_normalized", "contact_phone.contact_id": "e164"}
#: Words that say what kind of company, not which one (folded): dropped before comparing.
LEGAL_FORMS = frozenset({
    "ab", "ag", "as", "aps", "bv", "co", "company", "corp", "corporation", "gmbh", "inc", "incorporated",
    "kg", "llc", "llp", "lp", "ltd", "limited", "nv", "oy", "plc", "pty", "sa", "sarl", "sas", "spa", "srl",
    "the", "ug", "and", "und", "ve", "san", "tic", "sti",
    "شركة", "مؤسسة", "شرکت", "บริษัท", "จำกัด", "มหาชน",
})
#: How close the words that differ between two company names must be (a typo, not a name).
COMPANY_WORDS_THRESHOLD = 80


class MergeRefused(LeadDeskError):
    """A merge, undo or review decision that cannot be done as asked; nothing was written."""


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


@dataclass(frozen=True)
class MergeInfo:
    id: uuid.UUID
    survivor_id: uuid.UUID
    survivor_name: str
    loser_id: uuid.UUID
    loser_name: str
    at: dt.datetime
    by_name: str | None
    undone: bool
    fields_taken: tuple[str, ...]
    rows_moved: int
    #: "contact" or "account".
    entity: str = "contact"


@dataclass(frozen=True)
class UndoResult:
    merge_id: uuid.UUID
    survivor_id: uuid.UUID
    loser_id: uuid.UUID
    restored_fields: tuple[str, ...]
    #: Fields the survivor keeps because someone changed them after the merge.
    left_fields: tuple[str, ...]
    #: Moved rows left where they are because someone moved them again since.
    left_rows: int
    changes: Changes = field(default_factory=Changes)
    entity: str = "contact"

    @property
    def message(self) -> str:
        parts = [f"The merge was undone: both {self.entity}s are back."]
        if self.left_fields:
            names = ", ".join(f.replace("_", " ") for f in self.left_fields)
            parts.append(f"These fields were changed after the merge and keep their new value: {names}.")
        if self.left_rows:
            parts.append(f"{self.left_rows} moved record(s) were changed since and stay where they are now.")
        return " ".join(parts)


@dataclass(frozen=True)
class AfterSyncResult:
    #: Rows re-pointed and fields carried over to survivors.
    followed: int
    #: New duplicate candidates.
    detected: int


# --- helpers -------------------------------------------------------------------------------

def pair_id(a: uuid.UUID, b: uuid.UUID, entity: str = "contact") -> uuid.UUID:
    """The id of the candidate for this pair, the same on every replica."""
    lo, hi = sorted((as_uuid(a), as_uuid(b)))
    return uuid.uuid5(NAMESPACE, f"{entity}:{lo}:{hi}")


def _chunks(items: Sequence, size: int = 500) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _jsonable(value: Any) -> Any:
    return json.loads(encode(value))


def _decode(name: str, value: Any) -> Any:
    return decode_value(Contact.__table__.c[name], value)


def _empty(name: str, value: Any) -> bool:
    if name == "seniority":
        return value in (None, Seniority.UNKNOWN)
    return value is None or (isinstance(value, str) and not value.strip())


def _live(model):
    return model.deleted.is_(False)


def _live_contact():
    return (Contact.deleted.is_(False)) & (Contact.merged_into.is_(None))


def _name_key(name_key: str) -> str:
    """A folded name (``Contact.name_key``) with its words sorted: "müller, ana" ~ "ana muller"."""
    return " ".join(sorted(name_key.replace(",", " ").split()))


def _company_key_folded(folded: str | None) -> str:
    if not folded:
        return ""
    plain = "".join(ch if ch.isalnum() else " " for ch in folded)
    words = [w for w in plain.split() if w not in LEGAL_FORMS and len(w) > 1]
    return " ".join(words) or " ".join(plain.split())


def _same_company(a: str, b: str) -> bool:
    """Two company keys close overall (ratio >= COMPANY_THRESHOLD, checked by the caller):
    the same company unless the words they do not share are different words. Long shared
    parts ("... Software", "... – Istanbul") must not make "Mavi" and "Kara" one company."""
    wa, wb = a.split(), b.split()
    only_a = [w for w in wa if w not in wb]
    only_b = [w for w in wb if w not in wa]
    if not only_a or not only_b:
        return True
    return fuzz.ratio(" ".join(only_a), " ".join(only_b)) >= COMPANY_WORDS_THRESHOLD


def company_key(name: str | None) -> str:
    """A company name folded, without punctuation and legal forms ("ACME GmbH." -> "acme")."""
    return _company_key_folded(v.sort_key(name)) if name else ""


# --- detection -----------------------------------------------------------------------------
#
# Ids travel as 32-digit hex strings here: turning 100,000s of them into uuid.UUID objects
# cost more than everything else. Only the pairs found are turned back into UUIDs.

def _hex(col):
    """A uuid column read as text (SQLite stores 32 hex digits; PostgreSQL gives the dashed form)."""
    return cast(col, String)


def _h(value) -> str:
    return value.replace("-", "").lower() if isinstance(value, str) else value.hex


def _uuids(hexes: Iterable[str]) -> list[uuid.UUID]:
    return sorted(uuid.UUID(h) for h in hexes)


class _Found:
    """Pairs (hex ids, smaller first) and why: {kind: (score, reason)}."""

    def __init__(self, focus: set[str] | None):
        self.focus = focus
        self.pairs: dict[tuple[str, str], dict[str, tuple[int, str]]] = defaultdict(dict)

    def add(self, x: str, y: str, kind: str, score: int, reason: str) -> None:
        if x == y or (self.focus is not None and x not in self.focus and y not in self.focus):
            return
        key = (x, y) if x < y else (y, x)
        reasons = self.pairs[key]
        # Several shared addresses: keep the same one whatever the order, so replicas agree.
        if kind not in reasons or (score, reason) > reasons[kind]:
            reasons[kind] = (score, reason)

    def add_group(self, ids: list[str], kind: str, score: int, reason: str) -> None:
        if len(ids) > MAX_SHARED:
            return
        for i, x in enumerate(ids):
            for y in ids[i + 1:]:
                self.add(x, y, kind, score, reason)


def _shared_values(s: Session, model, column: str, focus: set[str] | None) -> dict[str, list[str]]:
    """Value -> live contacts holding it (only values held by 2+ contacts)."""
    col = getattr(model, column)
    live = (_live(model), _live_contact())
    base = select(col, _hex(model.contact_id)).join(Contact, Contact.id == model.contact_id).where(*live)
    rows = []
    if focus is None or len(focus) > FOCUS_LIMIT:
        shared = (select(col).join(Contact, Contact.id == model.contact_id).where(*live)
                  .group_by(col).having(func.count(func.distinct(model.contact_id)) > 1))
        rows = s.execute(base.where(col.in_(shared))).all()
    else:
        wanted: set[str] = set()
        for chunk in _chunks(_uuids(focus)):
            wanted.update(s.scalars(select(col).where(model.contact_id.in_(chunk), _live(model))))
        for chunk in _chunks(sorted(wanted)):
            rows.extend(s.execute(base.where(col.in_(chunk))).all())
    groups: dict[str, set[str]] = defaultdict(set)
    for value, contact_id in rows:
        groups[value].add(_h(contact_id))
    return {k: sorted(ids) for k, ids in groups.items() if len(ids) > 1}


def _fuzzy_blocks(keys: list[str], depth: int = 4) -> Iterator[list[str]]:
    """Company keys grouped by their first ``depth`` characters; a crowded group is split
    further, so no group is compared all-pairs beyond a few hundred keys."""
    groups: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        groups[key[:depth]].append(key)
    for group in groups.values():
        if len(group) > 400 and depth < 12:
            yield from _fuzzy_blocks(group, depth + 2)
        elif len(group) > 1:
            yield group


def _similar_companies(keys: Iterable[str], domains: dict[str, set[str]],
                       focus_keys: set[str] | None) -> set[tuple[str, str]]:
    """Pairs of distinct company keys that name the same company (fuzzy or same domain)."""
    pairs: set[tuple[str, str]] = set()
    for linked in domains.values():
        ordered = sorted(linked)
        for i, x in enumerate(ordered):
            for y in ordered[i + 1:]:
                if focus_keys is None or x in focus_keys or y in focus_keys:
                    pairs.add((x, y))
    for block in _fuzzy_blocks(sorted(keys)):
        queries = block if focus_keys is None else [k for k in block if k in focus_keys]
        for key in queries:
            for other, _score, _ in process.extract(key, block, scorer=fuzz.ratio, limit=None,
                                                   score_cutoff=COMPANY_THRESHOLD):
                if other != key and _same_company(key, other):
                    pairs.add((key, other) if key < other else (other, key))
    return pairs


def _name_matches(left: list[tuple[str, str]], right: list[tuple[str, str]] | None,
                  focus: set[str] | None) -> Iterator[tuple[str, str, float]]:
    """Pairs of similar names: within ``left`` (right None) or across left x right."""
    if right is None and len(left) > BIG_COMPANY:
        by_initial: dict[str, list] = defaultdict(list)
        for item in left:
            by_initial[item[1][:1]].append(item)
        for group in by_initial.values():
            yield from _name_matches(group, None, focus)
        return
    others = left if right is None else right
    names = [n for _, n in others]
    for i, (cid, name) in enumerate(left):
        if focus is not None and cid not in focus:
            continue
        for _other, score, j in process.extract(name, names, scorer=fuzz.ratio, limit=None,
                                                score_cutoff=NAME_THRESHOLD):
            if right is None and j == i:
                continue
            yield cid, others[j][0], score
    if right is not None and focus is not None:
        # Focus contacts of the right side against the whole left side.
        names_left = [n for _, n in left]
        for cid, name in right:
            if cid in focus:
                for _other, score, j in process.extract(name, names_left, scorer=fuzz.ratio, limit=None,
                                                        score_cutoff=NAME_THRESHOLD):
                    yield left[j][0], cid, score


def _name_company_pairs(s: Session, found: _Found) -> None:
    focus = found.focus
    accounts: dict[str, tuple[str, str]] = {}  # hex id -> (name, company key)
    by_key: dict[str, list[str]] = defaultdict(list)  # company key -> account hex ids
    domains: dict[str, set[str]] = defaultdict(set)
    for aid, name, folded, domain in s.execute(select(_hex(Account.id), Account.name, Account.name_key,
                                                      Account.domain)):
        key = _company_key_folded(folded)
        if key:
            aid = _h(aid)
            accounts[aid] = (name, key)
            by_key[key].append(aid)
            if domain:
                domains[domain].add(key)
    cols = (_hex(Contact.id), Contact.name_key, Contact.display_name, _hex(Contact.account_id))
    base = select(*cols).where(_live_contact(), Contact.account_id.is_not(None))
    focus_keys = None
    if focus is None:
        rows = s.execute(base).all()
    else:
        focus_rows = []
        for chunk in _chunks(_uuids(focus)):
            focus_rows.extend(s.execute(base.where(Contact.id.in_(chunk))).all())
        focus_keys = {accounts[_h(r[3])][1] for r in focus_rows if _h(r[3]) in accounts}
        similar = _similar_companies(by_key, domains, focus_keys)
        wanted_keys = focus_keys | {k for pair in similar for k in pair}
        account_ids = _uuids(a for k in wanted_keys for a in by_key[k])
        rows = []
        for chunk in _chunks(account_ids):
            rows.extend(s.execute(base.where(Contact.account_id.in_(chunk))).all())
    members: dict[str, list[tuple[str, str]]] = defaultdict(list)
    shown: dict[str, tuple[str, str]] = {}
    for cid, folded, name, aid in rows:
        account = accounts.get(_h(aid))
        if account is None:
            continue
        cid = _h(cid)
        members[account[1]].append((cid, _name_key(folded)))
        shown[cid] = (name, account[0])
    similar = _similar_companies(members, domains, focus_keys) if focus is None else similar
    blocks: list[tuple[list, list | None]] = [
        (people, None) for key, people in members.items() if focus_keys is None or key in focus_keys]
    blocks += [(members[x], members[y]) for x, y in sorted(similar) if x in members and y in members]
    for left, right in blocks:
        for x, y, score in _name_matches(left, right, focus):
            (na, ca), (nb, cb) = sorted((shown[x], shown[y]))
            where = ca if ca == cb else f"{ca} / {cb}"
            found.add(x, y, "name", round(score * 0.85), f"Similar name at the same company: {na} / {nb} ({where})")


def _score(kinds: dict[str, tuple[int, str]]) -> tuple[int, list[str]]:
    scores = sorted((sc for sc, _ in kinds.values()), reverse=True)
    total = min(100, scores[0] + 5 * (len(scores) - 1))
    order = {"email": 0, "phone": 1, "name": 2}
    return total, [kinds[k][1] for k in sorted(kinds, key=order.get)]


def _detect(s: Session, contact_ids: Iterable | None) -> tuple[int, set[uuid.UUID]]:
    focus = None if contact_ids is None else {as_uuid(c).hex for c in contact_ids}
    if focus is not None and not focus:
        return 0, set()
    found = _Found(focus)
    for value, ids in _shared_values(s, ContactEmail, "address_normalized", focus).items():
        found.add_group(ids, "email", EMAIL_SCORE, f"Same e-mail: {value}")
    for value, ids in _shared_values(s, ContactPhone, "e164", focus).items():
        found.add_group(ids, "phone", PHONE_SCORE, f"Same phone: {value}")
    _name_company_pairs(s, found)
    if not found.pairs:
        return 0, set()
    wanted = {}
    for (x, y), kinds in found.pairs.items():
        a, b = uuid.UUID(x), uuid.UUID(y)
        wanted[pair_id(a, b)] = (a, b, *_score(kinds))
    existing: dict[uuid.UUID, DuplicateCandidate] = {}
    for chunk in _chunks(sorted(wanted)):
        existing.update((c.id, c) for c in s.scalars(select(DuplicateCandidate).where(DuplicateCandidate.id.in_(chunk))))
    new: set[uuid.UUID] = set()
    for cid, (a, b, score, reasons) in sorted(wanted.items()):
        row = existing.get(cid)
        if row is None:
            s.add(DuplicateCandidate(id=cid, entity="contact", a_id=a, b_id=b, score=score, reasons=reasons,
                                     status=DuplicateStatus.OPEN))
            new.add(cid)
        elif row.status == DuplicateStatus.OPEN and not row.deleted:
            if row.score != score:
                row.score = score
            if list(row.reasons or []) != reasons:
                row.reasons = reasons
    s.flush()
    return len(new), new


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


def _clean_choices(choices: dict | None) -> dict[str, str]:
    out = {}
    for name, choice in (choices or {}).items():
        if name not in MERGE_FIELDS:
            raise ValidationError(f"'{name}' is not a field a merge can choose "
                                  f"(choose among: {', '.join(MERGE_FIELDS)}).", field="choices")
        if choice not in CHOICES or (choice == "both" and name not in BOTH_ALLOWED):
            allowed = CHOICES if name in BOTH_ALLOWED else CHOICES[:2]
            raise ValidationError(f"Keep which value of {name.replace('_', ' ')}? Say {' or '.join(allowed)}, "
                                  f"not '{choice}'.", field="choices")
        out[name] = choice
    return out


def _merged_value(name: str, choice: str | None, mine: Any, theirs: Any) -> tuple[bool, Any]:
    """(take?, value) for one field."""
    if choice is None:
        if _empty(name, mine) and not _empty(name, theirs):
            return True, theirs
        if name in BOTH_ALLOWED and not _empty(name, mine) and not _empty(name, theirs) and mine != theirs:
            choice = "both"
        else:
            return False, mine
    if choice == "loser":
        return mine != theirs, theirs
    if choice == "both":
        if _empty(name, theirs) or theirs == mine:
            return False, mine
        if _empty(name, mine):
            return True, theirs
        return True, f"{mine}\n\n{theirs}"
    return False, mine


def _take_fields(survivor: Contact, loser: Contact, choices: dict[str, str]) -> tuple[dict, dict]:
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
            if name == "lifecycle_stage":
                put("lifecycle_changed_at", loser.lifecycle_changed_at)
                put("stage_reason", loser.stage_reason)
    for name in EARLIEST_FIELDS:
        theirs, mine = getattr(loser, name), getattr(survivor, name)
        if theirs is not None and (mine is None or theirs < mine):
            put(name, theirs)
    _rename(survivor)
    return previous, taken


def _rename(obj: Contact) -> None:
    name = display_name(obj.given_name, obj.family_name) or obj.display_name
    if obj.display_name != name:
        obj.display_name = name
    if obj.name_key != v.sort_key(name):
        obj.name_key = v.sort_key(name)


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


def merge(db: Database, survivor_id, loser_id, *, choices: dict[str, str] | None = None,
          candidate_id=None) -> uuid.UUID:
    """Merge ``loser_id`` into ``survivor_id`` in ONE unit of work; returns the merge's id.

    ``choices``: MERGE_FIELDS -> "survivor" | "loser" ("both" for notes). A field not given:
    the survivor keeps its value and fills it from the loser when empty; different notes
    are both kept. Every child row of the loser moves to the survivor. Undo with
    :func:`undo_merge`.
    """
    sid, lid = as_uuid(survivor_id, field="survivor_id"), as_uuid(loser_id, field="loser_id")
    if sid == lid:
        raise MergeRefused("A contact cannot be merged into itself: pick two different contacts.")
    wanted = _clean_choices(choices)
    with db.unit_of_work() as s:
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
        loser.deleted = True
        loser.merged_into = sid
        record = RecordMerge(entity="contact", survivor_id=sid, loser_id=lid, choices=taken, previous=previous,
                             moved=_sorted(moved.get(lid, {})))
        s.add(record)
        if candidate is not None and candidate.status != DuplicateStatus.MERGED:
            candidate.status = DuplicateStatus.MERGED
        s.flush()
        return record.id


def _sorted(moved: dict) -> dict:
    return {k: (dict(sorted(v.items())) if isinstance(v, dict) else sorted(v)) for k, v in sorted(moved.items())}


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


def _rows(s: Session, model, ids: Iterable[str]) -> list:
    out = []
    for chunk in _chunks(sorted({uuid.UUID(i) for i in ids})):
        out.extend(s.scalars(select(model).where(model.id.in_(chunk))))
    return out


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


def _guarded(s: Session, work) -> bool:
    """Run ``work`` in a savepoint; False (and nothing written) if the user may not."""
    try:
        with s.begin_nested():
            work()
        return True
    except PermissionDenied:
        return False


def _final(merged: dict[uuid.UUID, uuid.UUID], start: uuid.UUID) -> uuid.UUID:
    node, seen = start, set()
    while node in merged and node not in seen:
        seen.add(node)
        node = merged[node]
    return node


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


def follow_merges(db: Database) -> int:
    """Re-point live rows that still refer to a merged-away contact to its survivor (through
    chains of merges) and carry late field edits over; returns how many changes were made."""
    with db.unit_of_work() as s:
        return _follow(s)[0]


def touched_contacts(db: Database, rows: Iterable[tuple[str, Any]]) -> set[uuid.UUID]:
    """The contacts behind changed rows (``(table, row id)``, e.g. from a pulled page):
    contacts themselves, and the owners of changed e-mails and phones."""
    contacts: set[uuid.UUID] = set()
    emails, phones = set(), set()
    for table, row_id in rows:
        if table == "contact":
            contacts.add(as_uuid(row_id))
        elif table == "contact_email":
            emails.add(as_uuid(row_id))
        elif table == "contact_phone":
            phones.add(as_uuid(row_id))
    with db.reader() as s:
        for model, ids in ((ContactEmail, emails), (ContactPhone, phones)):
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
