""".vcf import through the capture path (leads with their cards, all-or-nothing per file,
duplicates skipped, updated or created) and export back to vCards."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from leaddesk.capture import vcard
from leaddesk.errors import ValidationError
from leaddesk.models import Account, Contact, ContactCard
from leaddesk.models.enums import CaptureSource, LeadSource, PhoneKind
from leaddesk.services.capture import capture, vcards
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import contacts, duplicates

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "vcards"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpora/vcards")

TWO = """BEGIN:VCARD\r
VERSION:3.0\r
N:Silva;Ana;;;\r
FN:Ana Silva\r
ORG:Lager GmbH\r
TITLE:Head of Logistics\r
EMAIL;TYPE=INTERNET,WORK:ana@lager.de\r
TEL;TYPE=CELL:+49 171 2345678\r
TEL;TYPE=WORK,FAX:+49 40 123457\r
URL:https://lager.de\r
ADR;TYPE=WORK:;;Hafenstr. 4;Hamburg;;20457;Germany\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:2.1\r
N:Kurz;Bea\r
FN:Bea Kurz\r
ORG:Hafen AG\r
EMAIL;INTERNET:bea@hafen.de\r
TEL;WORK;VOICE:+49 40 555 0101\r
END:VCARD\r
"""


def counts(db):
    with db.reader() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Contact, Account, ContactCard))


def test_every_card_of_a_file_becomes_a_lead_with_its_card(db):
    show = campaigns.create_campaign(db, name="CeMAT", kind="trade_show", location="Hamburg, Germany")
    seen = []
    result = vcards.import_vcf(db, TWO.encode(), event_id=show.id, progress=lambda d, t: seen.append((d, t)))
    assert (result.created, result.updated, result.skipped, result.errors) == (2, 0, 0, [])
    assert seen == [(1, 2), (2, 2)]
    ana = contacts.get_contact(db, result.contact_ids[0])
    assert (ana.display_name, ana.job_title, ana.website, ana.city) == ("Ana Silva", "Head of Logistics",
                                                                        "https://lager.de", "Hamburg")
    assert ana.source is LeadSource.TRADE_SHOW and ana.campaign_id == show.id
    assert [(p.e164, p.kind) for p in ana.phones] == [("+491712345678", PhoneKind.MOBILE), ("+4940123457", PhoneKind.FAX)]
    [card] = capture.list_cards(db, ana.id)
    assert card.source is CaptureSource.VCARD and "BEGIN:VCARD" in card.payload and card.raw_text is None
    assert counts(db) == (2, 2, 2)


def test_a_file_without_cards_writes_nothing(db):
    with pytest.raises(ValidationError) as err:
        vcards.import_vcf(db, b"this is not a vcard at all\n", name="notes.vcf")
    assert err.value.field == "file" and "notes.vcf" in str(err.value)
    assert counts(db) == (0, 0, 0)


def test_a_card_the_crm_cannot_take_is_reported_and_the_others_are_saved(db):
    data = TWO + "BEGIN:VCARD\r\nVERSION:3.0\r\nORG:Only A Company Ltd\r\nEMAIL:info@company.example\r\nEND:VCARD\r\n"
    result = vcards.import_vcf(db, data)
    assert result.created == 2 and len(result.errors) == 1
    assert result.errors[0].startswith("Card 3 (Only A Company Ltd)") and "name" in result.errors[0]
    assert counts(db) == (2, 2, 2)  # nothing half-written of the third card (not even its company)


def test_duplicates_are_skipped_updated_or_created(db):
    vcards.import_vcf(db, TWO)
    again = vcards.import_vcf(db, TWO)
    assert (again.created, again.skipped) == (0, 2) and counts(db) == (2, 2, 2)
    changed = TWO.replace("TITLE:Head of Logistics", "TITLE:COO").replace("Bea Kurz", "Bea Kurz-Lang")
    updated = vcards.import_vcf(db, changed, on_duplicate="update")
    assert (updated.created, updated.updated) == (0, 2) and len(updated.merge_ids) == 2
    ana = contacts.get_contact(db, updated.contact_ids[0])
    assert ana.job_title == "Head of Logistics"  # kept; the card's "COO" stays on the merged-away record
    assert len(capture.list_cards(db, ana.id)) == 2
    duplicates.undo_merge(db, updated.merge_ids[0])
    assert len(capture.list_cards(db, ana.id)) == 1
    created = vcards.import_vcf(db, TWO, on_duplicate="create")
    assert created.created == 2
    with pytest.raises(ValidationError):
        vcards.import_vcf(db, TWO, on_duplicate="merge")


@pytest.mark.parametrize("name", ["John_Doe_IPHONE.vcf", "John_Doe_MS_OUTLOOK.vcf", "gmail-list.vcf",
                                  "John_Doe_ANDROID.vcf"])
def test_corpus_files_import_as_their_reader_reads_them(db, name):
    data = (CORPUS / name).read_bytes()
    expected = [c for c in vcard.parse_vcards(data) if c.given_name or c.family_name]
    result = vcards.import_vcf(db, data, on_duplicate="create", name=name)
    assert result.created == len(expected) > 0
    for cid, card in zip(result.contact_ids, expected):
        c = contacts.get_contact(db, cid)
        assert (c.given_name, c.family_name) == (card.given_name, card.family_name)
        assert {e.address.lower() for e in c.emails} == {e.lower() for e in card.emails}
        assert {p.e164 for p in c.phones} >= {p.number for p in card.phones if p.valid}


def test_export_writes_what_import_reads_back(db):
    vcards.import_vcf(db, TWO)
    text = vcards.export_vcf(db)
    cards = vcard.parse_vcards(text)
    assert [(c.display_name, c.company, c.title) for c in cards] == [
        ("Ana Silva", "Lager GmbH", "Head of Logistics"), ("Bea Kurz", "Hafen AG", None)]  # by name
    ana = cards[0]
    assert ana.emails == ["ana@lager.de"] and ana.website == "https://lager.de"
    assert [(p.number, p.type) for p in ana.phones] == [("+491712345678", "mobile"), ("+4940123457", "fax")]
    assert (ana.address.street, ana.address.city, ana.address.postal_code) == ("Hafenstr. 4", "Hamburg", "20457")
    only = vcards.export_vcf(db, [contacts.list_contacts(db).items[0].id])
    assert only.count("BEGIN:VCARD") == 1
