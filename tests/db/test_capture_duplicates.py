"""Duplicates at the door: who a card may already be (same e-mail, same phone, a similar
name at a similar company), and updating the existing contact as an undoable merge."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from leaddesk.capture.fields import CardFields, Phone
from leaddesk.models import Contact, ContactCard
from leaddesk.services.capture import capture
from leaddesk.services.people import accounts, contacts, duplicates

NOW = dt.datetime(2026, 11, 18, 10, 30, tzinfo=dt.timezone.utc)


def person(db, given, family, company=None, emails=(), phones=(), **kw):
    account_id = accounts.create_account(db, name=company).id if company else None
    return contacts.create_contact(db, given_name=given, family_name=family, account_id=account_id,
                                   emails=list(emails), phones=list(phones), region="DE", **kw)


def test_the_same_email_and_the_same_phone_are_found_with_their_reasons(db):
    ana = person(db, "Ana", "Silva", "Lager GmbH", emails=["ana@lager.de"], phones=["+49 171 2345678"])
    person(db, "Bea", "Kurz", "Other AG", emails=["bea@other.de"])
    found = capture.find_same_person(db, CardFields(given_name="A.", family_name="S.", emails=["ANA@Lager.DE"]))
    assert [(p.contact_id, p.score, p.reasons) for p in found] == [(ana.id, 100, ("same e-mail ANA@Lager.DE",))]
    found = capture.find_same_person(db, CardFields(given_name="X", phones=[Phone("0171 2345678", "mobile")]),
                                     default_region="DE")
    assert [(p.contact_id, p.score, p.reasons) for p in found] == [(ana.id, 95, ("same mobile +491712345678",))]
    both = capture.find_same_person(db, CardFields(emails=["ana@lager.de"], phones=[Phone("+491712345678")]))
    assert both[0].score == 100 and len(both[0].reasons) == 2 and both[0].company == "Lager GmbH"


def test_a_similar_name_at_a_similar_company_is_found(db):
    ana = person(db, "Ana", "Silva", "Lager GmbH")
    person(db, "Ana", "Silva", "Hafen Nord AG")  # the same name elsewhere: another person
    person(db, "Ana", "Sousa", "Lager GmbH")  # the same company, another name
    found = capture.find_same_person(db, CardFields(given_name="Anna", family_name="Silva", company="LAGER"))
    assert [p.contact_id for p in found] == [ana.id]
    assert 60 <= found[0].score <= 90
    assert found[0].reasons[0].startswith("name ") and "'Ana Silva' at 'Lager GmbH'" in found[0].reasons[0]
    swapped = capture.find_same_person(db, CardFields(given_name="Silva", family_name="Ana", company="Lager"))
    assert [p.contact_id for p in swapped] == [ana.id]
    assert capture.find_same_person(db, CardFields(given_name="Anna", family_name="Silva")) == []
    assert capture.find_same_person(db, CardFields(given_name="Ana", family_name="Silva",
                                                   company="Lagerhaus Zentral KG")) == []


def test_deleted_and_merged_contacts_are_not_offered(db):
    gone = person(db, "Ana", "Silva", "Lager GmbH", emails=["ana@lager.de"])
    contacts.delete_contact(db, gone.id)
    assert capture.find_same_person(db, CardFields(given_name="Ana", family_name="Silva", company="Lager",
                                                   emails=["ana@lager.de"])) == []


def test_update_existing_keeps_every_value_and_undo_restores_both(db):
    ana = person(db, "Ana", "Silva", "Lager GmbH", emails=["ana@lager.de"], job_title="Buyer", notes="Old note")
    fields = CardFields(given_name="Ana", family_name="Silva", title="Head of Purchasing", company="Lager GmbH",
                        emails=["ana@lager.de", "a.silva@lager.de"], phones=[Phone("+49 171 2345678", "mobile")],
                        website="https://lager.de", note="Wants a demo", source="qr", raw_text="BEGIN:VCARD...")
    saved = capture.update_existing(db, ana.id, fields, image_jpeg=None, now=NOW)
    assert not saved.created and saved.contact_id == ana.id and saved.merge_id is not None
    merged = contacts.get_contact(db, ana.id)
    assert merged.job_title == "Buyer"  # the existing value stays ...
    assert merged.website == "https://lager.de"  # ... empty ones are filled
    assert {e.address for e in merged.emails} == {"ana@lager.de", "a.silva@lager.de"}
    assert [p.e164 for p in merged.phones] == ["+491712345678"]
    assert "Old note" in merged.notes and "Wants a demo" in merged.notes
    assert [c.id for c in capture.list_cards(db, ana.id)] == [saved.card_id]
    with db.reader() as s:
        captured_id = s.scalar(select(ContactCard.contact_id).where(ContactCard.id == saved.card_id))
        assert captured_id == ana.id
        loser = s.scalar(select(Contact).where(Contact.merged_into == ana.id))
        assert loser.job_title == "Head of Purchasing"  # the card's own value is kept on the tombstone

    duplicates.undo_merge(db, saved.merge_id)
    back = contacts.get_contact(db, ana.id)
    assert (back.job_title, back.website, back.notes) == ("Buyer", None, "Old note")
    assert [e.address for e in back.emails] == ["ana@lager.de"] and back.phones == ()
    assert capture.list_cards(db, ana.id) == []
    other = contacts.get_contact(db, loser.id)
    assert other.job_title == "Head of Purchasing" and [p.e164 for p in other.phones] == ["+491712345678"]
    assert [c.id for c in capture.list_cards(db, loser.id)] == [saved.card_id]


def test_a_refused_update_of_an_existing_contact_leaves_nothing_of_the_card(db, make_db):
    """Saving the card and merging it into the existing contact is one unit of work: a rep
    may not change a colleague's lead, so the merge is refused, and neither the card's
    contact nor its card nor its e-mail is left behind (nothing to clean up, nothing lost)."""
    import pytest
    from sqlalchemy import func

    from leaddesk.errors import PermissionDenied
    from leaddesk.models import ContactEmail
    from leaddesk.models.access import Subject
    from leaddesk.services.team import users

    bob = users.create_user(db, "Bob Rep", "bob@example.com")
    carl = users.create_user(db, "Carl Rep", "carl@example.com")
    ana = person(db, "Ana", "Silva", "Lager GmbH", emails=["ana@lager.de"], owner_id=carl.id)
    as_bob = make_db(actor_id=bob.id)
    as_bob.write.subject = Subject(bob.id, "rep", frozenset({bob.id, carl.id}))

    def counts():
        with db.reader() as s:
            return tuple(s.scalar(select(func.count()).select_from(t)) for t in (Contact, ContactCard, ContactEmail))

    before = counts()
    fields = CardFields(given_name="Ana", family_name="Silva", company="Lager GmbH", emails=["a.silva@lager.de"])
    with pytest.raises(PermissionDenied):
        capture.update_existing(as_bob, ana.id, fields, now=NOW)
    assert counts() == before
    assert [e.address for e in contacts.get_contact(db, ana.id).emails] == ["ana@lager.de"]
