"""Save a read card as a lead of the current event, or into the contact it already is.

:func:`save_capture` writes, in ONE transaction: the contact as a lead (source from the
event's kind, the event as its campaign, ``captured_at`` = now, which starts the follow-up
SLA clock; owner and creator the capturing rep), its account (an existing live account of
that name, case-insensitive, else a new one), e-mails, typed phones, website, address and
note, and the :class:`~leaddesk.models.ContactCard` with the image and what was read. In
the same transaction the qualification engine matches its persona and scores it
(``requalify_in``: also hands a hot lead to sales), so the lead is never seen unscored.

Before saving, :func:`find_same_person` says who the card may already be. An exact duplicate
(the same e-mail or E.164 phone as a live contact) is refused with
:class:`~leaddesk.errors.DuplicateContact` unless ``allow_duplicate``; the rep may instead
:func:`update_existing`: the card is saved as its own contact, then merged into the existing
one (``people.duplicates.merge``: the existing values stay, empty ones are filled, notes,
e-mails, phones and the card move over, nothing is lost), and undone with
``people.duplicates.undo_merge(db, saved.merge_id)``.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from leaddesk.capture.fields import CardFields
from leaddesk.db import Database
from leaddesk.errors import DuplicateContact, NotFound, ValidationError
from leaddesk.models import Account, Campaign, Contact, ContactCard
from leaddesk.models.enums import CaptureSource
from leaddesk.services import validation as v
from leaddesk.services.capture import events
from leaddesk.services.capture._card_values import card_row, contact_values, lead_source
from leaddesk.services.capture._same_person import PHONE_SCORE, SamePerson, find_in
from leaddesk.services.people import contacts, duplicates
from leaddesk.services.people import phones as phone_numbers
from leaddesk.services.qualification.requalify import requalify_in
from leaddesk.services.records import as_uuid, get_row

__all__ = ["CaptureSaved", "CardInfo", "SamePerson", "card_image", "find_same_person", "list_cards",
           "save_capture", "update_existing"]


@dataclass(frozen=True)
class CaptureSaved:
    contact_id: uuid.UUID
    account_id: uuid.UUID | None
    #: False when the card went into an existing contact (:func:`update_existing`).
    created: bool
    #: The merge to pass to ``people.duplicates.undo_merge`` (update_existing), else None.
    merge_id: uuid.UUID | None
    card_id: uuid.UUID


@dataclass(frozen=True)
class CardInfo:
    """A card kept on a contact (without its image bytes: :func:`card_image`)."""

    id: uuid.UUID
    contact_id: uuid.UUID
    campaign_id: uuid.UUID | None
    campaign_name: str | None
    source: CaptureSource
    captured_at: dt.datetime
    image_mime: str | None
    image_sha256: str | None
    raw_text: str | None
    payload: str | None
    fields_read: dict
    created_by: uuid.UUID | None


def _region_of_phones(fields: CardFields) -> str | None:
    """The country of the card's numbers that carry a "+code" (the most common one)."""
    import phonenumbers

    seen: dict[str, int] = {}
    for phone in fields.phones:
        if phone.number.startswith("+"):
            try:
                region = phonenumbers.region_code_for_number(phonenumbers.parse(phone.number, None))
            except phonenumbers.NumberParseException:
                continue
            if region and region != "001":
                seen[region] = seen.get(region, 0) + 1
    return max(sorted(seen), key=seen.get) if seen else None


def _region(s: Session, event_id, fields: CardFields) -> str:
    """Where numbers printed without "+code" are read: the card's own country (its address,
    else its numbers printed with "+code"), else the event's, else the team default."""
    if fields.address is not None and fields.address.country:
        try:
            found = v.country(fields.address.country)
            if found:
                return found
        except ValidationError:
            pass
    printed = _region_of_phones(fields)
    if printed:
        return printed
    if event_id is not None:
        found = events.region_of_event_in(s, event_id)
        if found:
            return found
    return phone_numbers.session_default_region(s)


def find_same_person(db: Database, fields: CardFields, *, limit: int = 5,
                     default_region: str | None = None) -> list[SamePerson]:
    """Live contacts the card may be, best first: the same e-mail (100), the same phone (95),
    a similar name at a similar company (60..90); see ``_same_person`` for the rules."""
    with db.reader() as s:
        region = default_region or _region(s, None, fields)
        return find_in(s, fields, region=region, limit=limit)


def _account_for(s: Session, company: str | None, website: str | None, owner_id) -> uuid.UUID | None:
    """The live account of that name (case-insensitive; the oldest if several), else a new one."""
    name = v.clean_text(" ".join(company.split()) if company else None, field="company", max_len=300)
    if not name:
        return None
    found = s.scalar(select(Account.id).where(Account.name_key == v.sort_key(name), Account.deleted.is_(False),
                                              Account.merged_into.is_(None))
                     .order_by(Account.created_at, Account.id).limit(1))
    if found is not None:
        return found
    domain = None
    if website:
        try:
            domain = v.domain_of(website)
        except ValidationError:
            domain = None
    account = Account(name=name, name_key=v.sort_key(name), owner_id=owner_id,
                      website=website[:500] if domain else None, domain=domain)
    s.add(account)
    s.flush()
    return account.id


def _save_in(s: Session, db: Database, fields: CardFields, *, event_id, image_jpeg, fields_read,
             allow_duplicate: bool, now: dt.datetime) -> CaptureSaved:
    event = None
    if event_id is not None:
        event = s.get(Campaign, as_uuid(event_id, field="event_id"))
        if event is None or event.deleted:
            raise NotFound("event", event_id)
    region = _region(s, event.id if event else None, fields)
    values = contact_values(fields, region=region)
    if not (values.data.get("given_name") or values.data.get("family_name")):
        raise ValidationError("The card gives no name: type at least a first or a last name.", field="given_name")
    if not allow_duplicate:
        same = [p for p in find_in(s, fields, region=region, limit=10) if p.score >= PHONE_SCORE]
        if same:
            names = ", ".join(f"{p.display_name} ({p.reasons[0]})" for p in same[:3])
            raise DuplicateContact(f"This person is already a contact: {names}. Update that contact instead, "
                                   "or save the card as a new contact anyway.", [p.contact_id for p in same])
    actor = getattr(s.info.get("write"), "actor_id", None)
    account_id = _account_for(s, fields.company, values.data.get("website"), actor)
    image = image_jpeg if image_jpeg is not None else fields.photo
    detail = contacts.create_contact_in(
        s, emails=values.emails, phones=values.phones, region=values.region, allow_duplicate=True, now=now,
        account_id=account_id, source=lead_source(event.kind if event else None, fields.source),
        campaign_id=event.id if event else None, captured_at=now,
        **{k: val for k, val in values.data.items() if val is not None and k != "region"})
    if values.data.get("region"):  # the address's region (state): create_contact's `region` is the phones'
        s.get(Contact, detail.id).region = v.clean_text(values.data["region"], field="region", max_len=120)
    card = card_row(detail.id, fields, campaign_id=event.id if event else None, now=now, image=image or None,
                    fields_read=fields_read)
    s.add(card)
    s.flush()
    requalify_in(s, [detail.id], now=now)
    return CaptureSaved(detail.id, account_id, True, None, card.id)


def save_capture(db: Database, fields: CardFields, *, event_id=None, image_jpeg: bytes | None = None,
                 fields_read: CardFields | None = None, allow_duplicate: bool = False,
                 now: dt.datetime | None = None) -> CaptureSaved:
    """Create the contact, lead of ``event_id``, with its account and card, scored and
    persona-matched, in one transaction (see the module's text). ``fields``: as the rep
    accepted them; ``fields_read``: as the reader gave them (kept on the card, with their
    confidence; default ``fields``). Raises DuplicateContact for the same e-mail or phone."""
    now = now or dt.datetime.now(dt.timezone.utc)
    with db.unit_of_work() as s:
        return _save_in(s, db, fields, event_id=event_id, image_jpeg=image_jpeg, fields_read=fields_read,
                        allow_duplicate=allow_duplicate, now=now)


def update_existing(db: Database, contact_id, fields: CardFields, *, event_id=None, image_jpeg: bytes | None = None,
                    fields_read: CardFields | None = None, now: dt.datetime | None = None) -> CaptureSaved:
    """Put the card into the existing contact, keeping every value of both: the card is saved
    as a contact of its own, then merged into ``contact_id`` (its values fill the empty
    fields, its e-mails, phones, notes and card move over); undo with
    ``people.duplicates.undo_merge(db, result.merge_id)``. One unit of work: a refused
    merge leaves nothing of the card behind."""
    cid = as_uuid(contact_id, field="contact_id")
    now = now or dt.datetime.now(dt.timezone.utc)
    with db.unit_of_work() as s:
        existing = get_row(s, Contact, cid)
        if existing.merged_into is not None:
            raise NotFound("contact", contact_id)
        saved = _save_in(s, db, fields, event_id=event_id, image_jpeg=image_jpeg, fields_read=fields_read,
                         allow_duplicate=True, now=now)
        merge_id = duplicates.merge_in(s, cid, saved.contact_id)
        requalify_in(s, [cid], now=now)
        account_id = s.scalar(select(Contact.account_id).where(Contact.id == cid))
    return CaptureSaved(cid, account_id, False, merge_id, saved.card_id)


def list_cards(db: Database, contact_id) -> list[CardInfo]:
    """The cards kept on a contact, newest first."""
    cid = as_uuid(contact_id, field="contact_id")
    with db.reader() as s:
        get_row(s, Contact, cid, include_deleted=True)
        rows = s.execute(select(ContactCard, Campaign.name).outerjoin(Campaign, Campaign.id == ContactCard.campaign_id)
                         .where(ContactCard.contact_id == cid, ContactCard.deleted.is_(False))
                         .order_by(ContactCard.captured_at.desc(), ContactCard.id)).all()
        return [CardInfo(c.id, c.contact_id, c.campaign_id, name, c.source, c.captured_at, c.image_mime,
                         c.image_sha256, c.raw_text, c.payload, dict(c.fields_read or {}),
                         c.created_by) for c, name in rows]


def card_image(db: Database, card_id) -> tuple[bytes, str]:
    """The card's image: (bytes, mime type). NotFound when the card has none."""
    with db.reader() as s:
        card = get_row(s, ContactCard, card_id)
        if not card.image_b64:
            raise NotFound("card image", card_id)
        return base64.b64decode(card.image_b64), card.image_mime or "image/jpeg"

