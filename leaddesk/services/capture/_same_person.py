"""Is the card in hand somebody we already have? The look-up behind
:func:`leaddesk.services.capture.capture.find_same_person`, inside an open session.

Three signals, each found through an index, never by scanning the contacts:

* the same normalised e-mail (``contact_email.address_normalized``, normalised exactly as the
  contacts service stores it): score 100, a person's address is the person;
* the same phone in E.164 (``contact_phone.e164``): score 95 (a switchboard number can be
  shared, which is why it counts a little less than an e-mail);
* a similar name at a similar company. Candidates come from two index range reads: contacts
  whose folded name starts like the card's (given name + first letters of the family name,
  and the other way round for cards that print "SILVA Ana"), and contacts of accounts whose
  folded name starts like the card's company. Then rapidfuzz decides:
  ``token_sort_ratio`` of the folded names >= :data:`NAME_THRESHOLD` (88: "Ana Silva" vs
  "Anna Silva" is 95, vs "Ana Sousa" 67; OCR slips of one or two letters stay above it) and
  ``token_set_ratio`` of the company keys (legal forms such as GmbH, Inc., Ltd stripped)
  >= :data:`COMPANY_THRESHOLD` (85: "Lager GmbH" = "Lager", "Lagerhaus Nord AG" vs "Lager
  GmbH" is 62). Its score is the lower of the two ratios scaled to 60..90, below an e-mail
  or a phone match: a name is a hint, an address is proof.

Several signals for one contact keep the highest score plus 3 per further signal (at most
100), with every reason.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from leaddesk.capture.fields import CardFields
from leaddesk.errors import LeadDeskError
from leaddesk.models import Account, Contact, ContactEmail, ContactPhone
from leaddesk.services import validation as v

EMAIL_SCORE, PHONE_SCORE = 100, 95
NAME_THRESHOLD = 88
COMPANY_THRESHOLD = 85
#: At most this many rows per candidate range read (a very common first name).
CANDIDATE_LIMIT = 400
#: Words that say what kind of company, not which one (folded): dropped before comparing.
LEGAL_FORMS = frozenset({
    "ab", "ag", "as", "aps", "bv", "co", "company", "corp", "corporation", "gmbh", "inc", "incorporated",
    "kg", "kgaa", "llc", "llp", "lp", "ltd", "limited", "nv", "oy", "plc", "pty", "sa", "sarl", "sas", "spa",
    "srl", "se", "the", "ug", "and", "und", "mbh", "sl", "kft", "sp", "zoo", "oyj", "bhd", "sdn",
})
PHONE_WORDS = {"mobile": "mobile", "office": "office phone", "fax": "fax", "other": "phone"}


@dataclass(frozen=True)
class SamePerson:
    """A live contact the card may be: why, and how sure (0..100)."""

    contact_id: uuid.UUID
    display_name: str
    company: str | None
    score: int
    reasons: tuple[str, ...]


def company_key(name: str | None) -> str:
    """A company name folded, without punctuation and legal forms ("ACME GmbH." -> "acme")."""
    if not name:
        return ""
    plain = "".join(ch if ch.isalnum() else " " for ch in v.sort_key(name))
    words = [w for w in plain.split() if w not in LEGAL_FORMS]
    return " ".join(words) or " ".join(plain.split())


def card_emails(fields: CardFields) -> dict[str, str]:
    """Normalised e-mail -> as printed, for the addresses that are e-mail addresses at all."""
    out = {}
    for address in fields.emails:
        try:
            shown, norm = v.normalize_email(address)
        except LeadDeskError:
            continue
        out.setdefault(norm, shown)
    return out


def card_phones(fields: CardFields, region: str | None) -> dict[str, str]:
    """E.164 -> the card's phone type, for the numbers that parse."""
    import phonenumbers

    out = {}
    for phone in fields.phones:
        for text in (phone.number, phone.raw):
            if not text:
                continue
            try:
                parsed = phonenumbers.parse(text, region.upper() if region else None)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_possible_number(parsed):
                out.setdefault(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), phone.type)
                break
    return out


def _upper_bound(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _live():
    return Contact.deleted.is_(False), Contact.merged_into.is_(None)


class _Hits:
    def __init__(self):
        self.reasons: dict[uuid.UUID, list[tuple[int, str]]] = {}

    def add(self, cid: uuid.UUID, score: int, reason: str) -> None:
        found = self.reasons.setdefault(cid, [])
        if reason not in (r for _, r in found):
            found.append((score, reason))


def _name_candidates(s: Session, given: str, family: str, company: str) -> dict[uuid.UUID, tuple]:
    """(name_key, account name) per contact whose name or company starts like the card's."""
    prefixes = set()
    if given and family:
        prefixes |= {f"{given} {family[:2]}", f"{family} {given[:2]}", f"{family}, {given[:2]}"}
    elif given or family:
        prefixes.add(given or family)
    out: dict[uuid.UUID, tuple] = {}
    base = (select(Contact.id, Contact.name_key, Account.name)
            .outerjoin(Account, Account.id == Contact.account_id).where(*_live()))
    for prefix in prefixes:
        stmt = base.where(Contact.name_key >= prefix, Contact.name_key < _upper_bound(prefix))
        for cid, key, account in s.execute(stmt.limit(CANDIDATE_LIMIT)):
            out[cid] = (key, account)
    key = v.sort_key(company).strip() if company else ""
    if len(key) >= 3:
        prefix = key[:4]
        accounts = s.execute(select(Account.id, Account.name).where(
            Account.name_key >= prefix, Account.name_key < _upper_bound(prefix), Account.deleted.is_(False))
            .limit(CANDIDATE_LIMIT)).all()
        wanted = company_key(company)
        close = [aid for aid, name in accounts if fuzz.token_set_ratio(wanted, company_key(name)) >= COMPANY_THRESHOLD]
        if close:
            rows = s.execute(base.where(Contact.account_id.in_(close)).limit(CANDIDATE_LIMIT * 5))
            for cid, ckey, account in rows:
                out[cid] = (ckey, account)
    return out


def find_in(s: Session, fields: CardFields, *, region: str | None, limit: int = 5,
            exclude: uuid.UUID | None = None) -> list[SamePerson]:
    """:func:`find_same_person` inside an open session."""
    hits = _Hits()
    emails = card_emails(fields)
    if emails:
        rows = s.execute(select(ContactEmail.contact_id, ContactEmail.address_normalized)
                         .join(Contact, Contact.id == ContactEmail.contact_id)
                         .where(ContactEmail.address_normalized.in_(list(emails)), ContactEmail.deleted.is_(False),
                                *_live()))
        for cid, norm in rows:
            hits.add(cid, EMAIL_SCORE, f"same e-mail {emails[norm]}")
    phones = card_phones(fields, region)
    if phones:
        rows = s.execute(select(ContactPhone.contact_id, ContactPhone.e164)
                         .join(Contact, Contact.id == ContactPhone.contact_id)
                         .where(ContactPhone.e164.in_(list(phones)), ContactPhone.deleted.is_(False), *_live()))
        for cid, e164 in rows:
            hits.add(cid, PHONE_SCORE, f"same {PHONE_WORDS.get(phones[e164], 'phone')} {e164}")
    given = v.sort_key(fields.given_name or "").strip()
    family = v.sort_key(fields.family_name or "").strip()
    wanted_company = company_key(fields.company)
    if (given or family) and wanted_company:
        wanted_name = " ".join(p for p in (given, family) if p)
        for cid, (key, account) in _name_candidates(s, given, family, fields.company or "").items():
            if not account:
                continue
            name_ratio = fuzz.token_sort_ratio(wanted_name, key.replace(",", " "))
            if name_ratio < NAME_THRESHOLD:
                continue
            company_ratio = fuzz.token_set_ratio(wanted_company, company_key(account))
            if company_ratio < COMPANY_THRESHOLD:
                continue
            low = min(name_ratio, company_ratio)
            score = round(60 + (low - min(NAME_THRESHOLD, COMPANY_THRESHOLD)) * 30 / (100 - COMPANY_THRESHOLD))
            hits.add(cid, min(90, score), f"name {round(name_ratio)}% like '{{name}}' at '{account}'")
    if exclude is not None:
        hits.reasons.pop(exclude, None)
    if not hits.reasons:
        return []
    ids = list(hits.reasons)
    rows = {r.id: r for r in s.execute(
        select(Contact.id, Contact.display_name, Account.name.label("company"))
        .outerjoin(Account, Account.id == Contact.account_id).where(Contact.id.in_(ids)))}
    out = []
    for cid, found in hits.reasons.items():
        row = rows[cid]
        found.sort(key=lambda item: -item[0])
        score = min(100, found[0][0] + 3 * (len(found) - 1))
        reasons = tuple(r.replace("{name}", row.display_name) for _, r in found)
        out.append(SamePerson(cid, row.display_name, row.company, score, reasons))
    out.sort(key=lambda p: (-p.score, p.display_name, str(p.contact_id)))
    return out[:limit]
