"""Contact duplicate detection: the queries that block by e-mail, phone and company, and the
review-queue rows they write.

Detection (:func:`.duplicates.detect`), among *live* contacts (not deleted, not merged away):

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
shared by more than :data:`~._matching.MAX_SHARED` live contacts (info@, a switchboard)
proves nothing and is skipped. A pair has one id wherever it is found (UUIDv5 of the ordered pair), so two
laptops that detect it make the same row. Measured on the 100,000-contact demo (SQLite, CPU
time): a full scan about 3 s, the pairs of 200 changed contacts about 0.5 s.

Apart from the pure matching rules (``_matching``) and from the review and merges
(:mod:`.duplicates`): this is what reads the live contacts and keeps the queue's
candidate rows up to date.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leaddesk.models import Account, Contact, ContactEmail, ContactPhone, DuplicateCandidate
from leaddesk.models.enums import DuplicateStatus
from leaddesk.services.people._duplicate_common import _chunks, _h, _hex, _live, _uuids, pair_id
from leaddesk.services.people._matching import _company_key_folded, _Found, _name_key, _name_matches, _similar_companies
from leaddesk.services.records import as_uuid

#: Above this many contact ids, detect scans everything and keeps the pairs involving them.
FOCUS_LIMIT = 2000
EMAIL_SCORE, PHONE_SCORE = 90, 75


def _live_contact():
    return (Contact.deleted.is_(False)) & (Contact.merged_into.is_(None))


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
