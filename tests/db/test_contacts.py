from __future__ import annotations

import pytest

from leaddesk.errors import Conflict, DuplicateContact, NotFound, ValidationError
from leaddesk.models.enums import LifecycleStage
from leaddesk.services.people import accounts, contacts


def test_contact_create_normalises_email_and_phone(db):
    c = contacts.create_contact(db, given_name=" Jörg ", family_name="Müller", emails=["Jörg@Example.COM"],
                                phones=["030 1234567"], country="DE")
    assert c.display_name == "Jörg Müller"
    assert c.emails[0].address == "Jörg@Example.COM"
    assert c.phones[0].e164 == "+49301234567"
    assert c.lifecycle_stage is LifecycleStage.LEAD
    assert c.owner_id == db.write.actor_id


def test_contact_duplicate_email_refused_unless_allowed(db):
    first = contacts.create_contact(db, given_name="Ann", emails=["ann@example.com"])
    with pytest.raises(DuplicateContact) as err:
        contacts.create_contact(db, given_name="Annie", emails=["ANN@example.com"])
    assert err.value.existing_ids == [first.id]
    second = contacts.create_contact(db, given_name="Annie", emails=["ANN@example.com"], allow_duplicate=True)
    assert second.id != first.id


def test_contact_duplicate_phone_in_other_format_refused(db):
    contacts.create_contact(db, given_name="Ann", phones=["+49 30 1234567"])
    with pytest.raises(DuplicateContact):
        contacts.create_contact(db, given_name="Bob", phones=["030/1234567"], region="DE")


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"given_name": "  "}, "given_name"),
        ({"given_name": "A", "emails": ["not-an-email"]}, "emails[0]"),
        ({"given_name": "A", "phones": ["call me maybe"]}, "phones[0]"),
        ({"given_name": "A", "country": "Atlantis"}, "country"),
        ({"given_name": "A", "seniority": "emperor"}, "seniority"),
    ],
)
def test_contact_bad_input_is_refused_and_nothing_written(db, kwargs, field):
    before = contacts.list_contacts(db).items
    with pytest.raises(ValidationError) as err:
        contacts.create_contact(db, **kwargs)
    assert err.value.field == field
    assert contacts.list_contacts(db).items == before


def test_contact_stale_version_is_a_conflict_not_an_overwrite(db, make_db):
    c = contacts.create_contact(db, given_name="Ann", job_title="Buyer")
    other = make_db()
    contacts.update_contact(other, c.id, expected_version=c.version, job_title="Head of Buying")
    with pytest.raises(Conflict):
        contacts.update_contact(db, c.id, expected_version=c.version, job_title="CFO")
    assert contacts.get_contact(db, c.id).job_title == "Head of Buying"


def test_contact_email_change_bumps_version(db):
    c = contacts.create_contact(db, given_name="Ann", emails=["a@example.com"])
    c2 = contacts.update_contact(db, c.id, expected_version=c.version, emails=["a@example.com", "b@example.com"])
    assert c2.version == c.version + 1
    assert [e.address for e in c2.emails] == ["a@example.com", "b@example.com"]
    c3 = contacts.update_contact(db, c.id, expected_version=c2.version, emails=["b@example.com"])
    assert [e.address for e in c3.emails] == ["b@example.com"]


def test_contact_soft_delete_and_restore(db):
    c = contacts.create_contact(db, given_name="Ann")
    contacts.delete_contact(db, c.id)
    with pytest.raises(NotFound):
        contacts.get_contact(db, c.id)
    assert contacts.get_contact(db, c.id, include_deleted=True).deleted
    assert [r.id for r in contacts.list_contacts(db, deleted=True).items] == [c.id]
    contacts.restore_contact(db, c.id)
    assert not contacts.get_contact(db, c.id).deleted


def test_contact_lifecycle_history_and_reason_required(db):
    c = contacts.create_contact(db, given_name="Ann")
    contacts.change_stage(db, c.id, LifecycleStage.MQL)
    with pytest.raises(ValidationError):
        contacts.change_stage(db, c.id, "nurture")
    contacts.change_stage(db, c.id, "nurture", reason="Budget next year")
    steps = contacts.lifecycle_history(db, c.id)
    assert [(s.from_stage, s.to_stage) for s in steps] == [
        (None, LifecycleStage.LEAD),
        (LifecycleStage.LEAD, LifecycleStage.MQL),
        (LifecycleStage.MQL, LifecycleStage.NURTURE),
    ]
    assert contacts.get_contact(db, c.id).stage_reason == "Budget next year"


def test_contact_list_keyset_pages_cover_everyone_once(db):
    acct = accounts.create_account(db, name="Acme")
    names = [f"Person {i:03d}" for i in range(25)]
    for n in names:
        contacts.create_contact(db, given_name=n, account_id=acct.id)
    seen, cursor = [], None
    while True:
        page = contacts.list_contacts(db, after=cursor, limit=7)
        seen += [r.display_name for r in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(names)
    assert {r.account_name for r in contacts.list_contacts(db).items} == {"Acme"}


def test_contact_with_new_company_is_one_transaction(db):
    c = contacts.create_contact(db, given_name="Ann", new_company="Brand New Ltd", emails=["ann@new.example"])
    assert accounts.get_account(db, c.account_id).name == "Brand New Ltd"
    # a refused contact leaves no stray company behind
    with pytest.raises(DuplicateContact):
        contacts.create_contact(db, given_name="Ann 2", new_company="Ghost Co", emails=["ann@new.example"])
    assert [a.name for a in accounts.list_accounts(db).items] == ["Brand New Ltd"]


def test_contact_saves_while_linked_to_a_deleted_account(db):
    acct = accounts.create_account(db, name="Gone Soon")
    c = contacts.create_contact(db, given_name="Ann", account_id=acct.id)
    accounts.delete_account(db, acct.id)
    c2 = contacts.update_contact(db, c.id, expected_version=c.version, account_id=acct.id, job_title="CTO")
    assert c2.job_title == "CTO"


def test_create_contact_keeps_a_given_capture_time(db):
    """A card scanned at a trade show keeps when it was captured, not when it was saved."""
    import datetime as dt

    from leaddesk.services.people import contacts as svc

    at = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.timezone.utc)
    c = svc.create_contact(db, given_name="Kemal", family_name="Aydın", captured_at=at)
    assert svc.get_contact(db, c.id).captured_at == at
