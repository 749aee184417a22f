"""A read card (:class:`~leaddesk.capture.fields.CardFields`) turned into what the contacts
service takes: the lead's source from the event's kind, phones typed the CRM's way and
parsed in the card's region, e-mails checked, the address split into the contact's fields,
and the card row itself (image kept as base64 with its hash).

Nothing read is dropped: an e-mail that is not an address or a phone no country's plan can
hold is not a contact e-mail or phone, so it goes into the contact's notes as printed
("Kept from the card: ..."), next to the card's own note; the rep sees it and can fix it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass, field

from leaddesk.capture.fields import CardFields
from leaddesk.errors import LeadDeskError, ValidationError
from leaddesk.models import ContactCard
from leaddesk.models.enums import CampaignKind, CaptureSource, LeadSource, PhoneKind
from leaddesk.services import validation as v
from leaddesk.services.people import phones as phone_numbers

#: The card's phone types -> the CRM's (a card says "office", the CRM "work").
PHONE_KINDS = {"mobile": PhoneKind.MOBILE, "office": PhoneKind.WORK, "fax": PhoneKind.FAX, "other": PhoneKind.OTHER}
#: Image types a card may keep, by their first bytes.
_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF8", "image/gif"))


def lead_source(kind: CampaignKind | None, card_source: str) -> LeadSource:
    """A trade show or event gives ``trade_show``, a webinar ``webinar``; a card captured
    without an event is a ``business_card`` (a .vcf file without an event: ``import``)."""
    if kind in (CampaignKind.TRADE_SHOW, CampaignKind.EVENT):
        return LeadSource.TRADE_SHOW
    if kind is CampaignKind.WEBINAR:
        return LeadSource.WEBINAR
    if kind is None and card_source == "vcard":
        return LeadSource.IMPORT
    return LeadSource.BUSINESS_CARD


@dataclass
class _Phone:
    number: str
    kind: PhoneKind


@dataclass
class ContactValues:
    """Keyword arguments of ``contacts.create_contact_in``, and what did not fit."""

    data: dict
    emails: list[str] = field(default_factory=list)
    phones: list[_Phone] = field(default_factory=list)
    region: str | None = None
    kept: list[str] = field(default_factory=list)


def _clip(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    text = " ".join(str(text).split())
    return text[:limit] or None


def contact_values(fields: CardFields, *, region: str | None) -> ContactValues:
    """What the contact gets from the card (``region``: where numbers without "+code" are read)."""
    data: dict = {
        "given_name": _clip(fields.given_name, 120), "family_name": _clip(fields.family_name, 120),
        "job_title": _clip(fields.title, 200),
    }
    out = ContactValues(data)
    address = fields.address
    if address is not None:
        country = None
        if address.country:
            try:
                country = v.country(address.country)
            except ValidationError:
                out.kept.append(f"country {address.country}")
        data.update(street=_clip(address.street, 300), city=_clip(address.city, 120),
                    region=_clip(address.region, 120), postal_code=_clip(address.postal_code, 20), country=country)
        if not any((address.street, address.city, address.postal_code)) and address.text:
            data["street"] = _clip(address.text, 300)
    out.region = region or data.get("country")
    if fields.website:
        try:
            v.domain_of(fields.website)
            data["website"] = _clip(fields.website, 500)
        except ValidationError:
            out.kept.append(f"website {fields.website}")
    seen: set[str] = set()
    for address_text in fields.emails:
        try:
            shown, norm = v.normalize_email(address_text)
        except LeadDeskError:
            out.kept.append(f"e-mail {address_text}")
            continue
        if norm not in seen:
            seen.add(norm)
            out.emails.append(shown)
    numbers: set[str] = set()
    for phone in fields.phones:
        kind = PHONE_KINDS.get(phone.type, PhoneKind.OTHER)
        for text in dict.fromkeys(t for t in (phone.number, phone.raw) if t):
            try:
                _, e164 = phone_numbers.parse_phone(text, region=out.region)
            except ValidationError:
                continue
            if e164 not in numbers:
                numbers.add(e164)
                out.phones.append(_Phone(text.strip()[:phone_numbers.MAX_LENGTH], kind))
            break
        else:
            out.kept.append(f"{phone.type} phone {phone.raw or phone.number}")
    notes = [fields.note.strip()] if fields.note and fields.note.strip() else []
    if out.kept:
        notes.append("Kept from the card: " + "; ".join(out.kept) + ".")
    data["notes"] = "\n".join(notes)[:20000] or None
    return out


def image_mime(data: bytes) -> str | None:
    return next((mime for magic, mime in _MAGIC if data.startswith(magic)), None)


def card_row(contact_id, fields: CardFields, *, campaign_id, now: dt.datetime, image: bytes | None,
             fields_read: CardFields | None) -> ContactCard:
    """The contact_card row: image as base64 with its SHA-256, what was read, the payload."""
    mime = None
    if image:
        mime = image_mime(image)
        if mime is None:
            raise ValidationError("The card image is not a JPEG, PNG or GIF picture; nothing was saved.",
                                  field="image")
    source = CaptureSource(fields.source) if fields.source in CaptureSource._value2member_map_ \
        else CaptureSource.MANUAL
    text = fields.raw_text or None
    return ContactCard(
        contact_id=contact_id, campaign_id=campaign_id, source=source, captured_at=now,
        image_mime=mime, image_b64=base64.b64encode(image).decode("ascii") if image else None,
        image_sha256=hashlib.sha256(image).hexdigest() if image else None,
        raw_text=text if source is CaptureSource.OCR else None,
        payload=text if source in (CaptureSource.QR, CaptureSource.VCARD) else None,
        fields_read=(fields_read or fields).to_json(),
    )
