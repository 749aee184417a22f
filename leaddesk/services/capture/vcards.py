""".vcf files in and out: every card of a file saved as a lead (through the same path as a
captured card: account, typed phones, the card kept, scored), and contacts written back out
as vCards.

Import is all-or-nothing per file: the whole file is read first (a file that holds no card,
or does not parse, raises :class:`~leaddesk.capture.fields.CaptureError` before anything
is written), then its new contacts are written in ONE transaction, each card in a savepoint
so a card the CRM cannot take (no name at all) is reported in ``errors`` and skipped
without leaving half a contact. A card that is somebody we have (the same e-mail or phone)
is, per ``on_duplicate``: ``skip``-ped, ``create``-d anyway, or used to ``update`` that
contact: an undoable merge each (``capture.update_existing``), after the new contacts are in.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from leaddesk.capture.fields import Address, CaptureError, CardFields, Phone
from leaddesk.db import Database
from leaddesk.errors import LeadDeskError, ValidationError
from leaddesk.models import Account, Contact
from leaddesk.models.enums import PhoneKind
from leaddesk.services.capture import capture, events
from leaddesk.services.capture._same_person import PHONE_SCORE, find_in
from leaddesk.services.records import as_uuid

ON_DUPLICATE = ("skip", "update", "create")
#: The CRM's phone kinds -> a card's phone types.
CARD_PHONE_TYPES = {PhoneKind.MOBILE: "mobile", PhoneKind.WORK: "office", PhoneKind.FAX: "fax"}


@dataclass
class VcfImportResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    #: One sentence per card that was not imported (which card, why).
    errors: list[str] = field(default_factory=list)
    #: The contacts made or updated, in the file's order.
    contact_ids: list[uuid.UUID] = field(default_factory=list)
    #: The merges of ``update`` (each undoable with people.duplicates.undo_merge).
    merge_ids: list[uuid.UUID] = field(default_factory=list)


def _label(i: int, card: CardFields) -> str:
    name = card.display_name or card.company or (card.emails[0] if card.emails else "")
    return f"Card {i + 1}" + (f" ({name})" if name else "")


def import_vcf(db: Database, data: bytes | str, *, event_id=None, on_duplicate: str = "skip",
               progress: Callable[[int, int], None] | None = None, name: str | None = None,
               now: dt.datetime | None = None) -> VcfImportResult:
    """Import every card of a .vcf file as a lead (of ``event_id`` if given); see the module.
    ``name``: the file's name, for the messages. A file that holds no readable card raises
    ValidationError (field "file") and writes nothing; ``errors`` lists the cards left out."""
    from leaddesk.capture import vcard

    if on_duplicate not in ON_DUPLICATE:
        raise ValidationError(f"On a duplicate, say skip, update or create, not {on_duplicate!r}.",
                              field="on_duplicate")
    region = events.default_region_of_event(db, event_id) if event_id is not None else None
    try:  # nothing is written before the whole file is read
        report = getattr(vcard, "parse_vcards_report", None)
        if report is not None:
            cards, problems = report(data, name=name, default_region=region)
        else:
            cards, problems = vcard.parse_vcards(data), []
    except CaptureError as exc:
        raise ValidationError(str(exc), field="file") from exc
    total, done = len(cards), 0
    now = now or dt.datetime.now(dt.timezone.utc)
    result = VcfImportResult(errors=list(problems))
    updates: list[tuple[int, uuid.UUID, CardFields]] = []
    with db.unit_of_work() as s:
        for i, card in enumerate(cards):
            if on_duplicate != "create":
                region = capture._region(s, event_id, card)
                same = [p for p in find_in(s, card, region=region, limit=3) if p.score >= PHONE_SCORE]
                if same:
                    if on_duplicate == "skip":
                        result.skipped += 1
                        done += 1
                        _tell(progress, done, total)
                    else:
                        updates.append((i, same[0].contact_id, card))
                    continue
            try:
                with s.begin_nested():
                    saved = capture._save_in(s, db, card, event_id=event_id, image_jpeg=None, fields_read=None,
                                             allow_duplicate=True, now=now)
            except ValidationError as exc:
                result.errors.append(f"{_label(i, card)}: {exc}")
            else:
                result.created += 1
                result.contact_ids.append(saved.contact_id)
            done += 1
            _tell(progress, done, total)
    for i, contact_id, card in updates:
        try:
            saved = capture.update_existing(db, contact_id, card, event_id=event_id, now=now)
        except LeadDeskError as exc:
            result.errors.append(f"{_label(i, card)}: {exc}")
        else:
            result.updated += 1
            result.contact_ids.append(saved.contact_id)
            result.merge_ids.append(saved.merge_id)
        done += 1
        _tell(progress, done, total)
    return result


def _tell(progress, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def card_of(contact: Contact, company: str | None) -> CardFields:
    """A contact as the card a vCard writer takes."""
    phones = [Phone(p.e164, CARD_PHONE_TYPES.get(p.kind, "other"), raw=p.raw)
              for p in sorted(contact.phones, key=lambda p: p.position) if not p.deleted]
    emails = [e.address for e in sorted(contact.emails, key=lambda e: e.position) if not e.deleted]
    address = None
    if any((contact.street, contact.city, contact.region, contact.postal_code, contact.country)):
        address = Address(street=contact.street, city=contact.city, region=contact.region,
                          postal_code=contact.postal_code, country=contact.country)
    return CardFields(given_name=contact.given_name, family_name=contact.family_name, title=contact.job_title,
                      company=company, emails=emails, phones=phones, website=contact.website, address=address,
                      note=contact.notes, source="vcard")


def export_vcf(db: Database, contact_ids: Iterable | None = None, *, owner_id=None) -> str:
    """The live contacts (all visible ones, or ``contact_ids``; ``owner_id``: only hers) as a
    vCard 3.0 file, by name: names, title, company, e-mails, typed phones, website, address."""
    from leaddesk.capture import vcard

    stmt = (select(Contact, Account.name).outerjoin(Account, Account.id == Contact.account_id)
            .where(Contact.deleted.is_(False), Contact.merged_into.is_(None))
            .options(selectinload(Contact.emails), selectinload(Contact.phones))
            .order_by(Contact.name_key, Contact.id))
    if contact_ids is not None:
        stmt = stmt.where(Contact.id.in_([as_uuid(c, field="contact_ids") for c in contact_ids]))
    if owner_id is not None:
        stmt = stmt.where(Contact.owner_id == as_uuid(owner_id, field="owner_id"))
    with db.reader() as s:
        cards = [card_of(c, company) for c, company in s.execute(stmt)]
    return vcard.to_vcard(cards)
