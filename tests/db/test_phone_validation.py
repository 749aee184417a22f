"""Phone numbers as typed in the contact and account forms, on both engines: junk is refused
with a message naming the field and nothing is written; real numbers libphonenumber does
not know yet are kept; numbers without "+code" are read in the right country."""

from __future__ import annotations

import pytest

from leaddesk.errors import ValidationError
from leaddesk.services.people import accounts, contacts, phones
from leaddesk.services import settings as team_settings
from leaddesk.services.dto import PhoneInfo
from leaddesk.models.enums import PhoneKind


def live_contacts(db) -> list[str]:
    return [r.display_name for r in contacts.list_contacts(db).items]


@pytest.mark.parametrize("typed", ["abc123", "call me", "+49 30 CALL", "ab"])
def test_phone_validation_refuses_text_with_letters_and_writes_nothing(db, typed):
    with pytest.raises(ValidationError) as caught:
        contacts.create_contact(db, given_name="Ana", phones=[typed])
    assert caught.value.field == "phones[0]"
    assert str(caught.value).startswith(f"Phone: “{typed}” is not a phone number")
    assert live_contacts(db) == []


def test_phone_validation_names_the_row_when_there_are_several(db):
    with pytest.raises(ValidationError) as caught:
        contacts.create_contact(db, given_name="Ana", phones=["+49 30 1234567", PhoneInfo("123", PhoneKind.MOBILE)])
    assert caught.value.field == "phones[1]"
    assert str(caught.value) == "Phone 2: “123” is too short for a number in Germany: add the area code."
    assert live_contacts(db) == []


def test_phone_validation_keeps_a_possible_number_libphonenumber_calls_invalid(db):
    import phonenumbers

    typed = "+49 199 1234567"  # a German number of a possible length in a range the metadata lacks
    parsed = phonenumbers.parse(typed)
    assert phonenumbers.is_possible_number(parsed) and not phonenumbers.is_valid_number(parsed)
    made = contacts.create_contact(db, given_name="Ana", phones=[typed])
    assert [(p.number, p.e164) for p in made.phones] == [(typed, "+491991234567")]


def test_phone_validation_keeps_the_typed_text_and_an_extension(db):
    made = contacts.create_contact(db, given_name="Ana", phones=["+49 (30) 123-4567 ext. 12"])
    assert made.phones[0].number == "+49 (30) 123-4567 ext. 12"
    assert made.phones[0].e164 == "+49301234567"


def test_phone_validation_reads_local_numbers_in_the_contacts_country_first(db, monkeypatch):
    monkeypatch.setenv("LC_ALL", "fr_FR.UTF-8")
    team_settings.set_setting(db, "default_region", "GB")
    made = contacts.create_contact(db, given_name="Jörg", country="DE", phones=["030 1234567"])
    assert made.phones[0].e164 == "+49301234567"
    edited = contacts.update_contact(db, made.id, expected_version=made.version, country="AT",
                                     phones=["01 5880"])
    assert edited.phones[0].e164 == "+4315880"


def test_phone_validation_uses_the_team_setting_then_the_locale(db, monkeypatch):
    monkeypatch.setenv("LC_ALL", "fr_FR.UTF-8")
    by_locale = contacts.create_contact(db, given_name="Claire", phones=["01 23 45 67 89"])
    assert by_locale.phones[0].e164 == "+33123456789"
    team_settings.set_setting(db, "default_region", "GB")
    by_team = contacts.create_contact(db, given_name="Oliver", phones=["020 7946 0958"])
    assert by_team.phones[0].e164 == "+442079460958"
    assert phones.default_region(db) == "GB"


def test_phone_validation_locale_region_parsing():
    assert phones.locale_region({"LANG": "de_AT.UTF-8"}) == "AT"
    assert phones.locale_region({"LC_ALL": "fa_IR", "LANG": "en_US.UTF-8"}) == "IR"
    assert phones.locale_region({"LANG": "C.UTF-8"}) is None
    assert phones.locale_region({}) is None


def test_phone_validation_on_accounts(db, monkeypatch):
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    with pytest.raises(ValidationError) as caught:
        accounts.create_account(db, name="Acme", phone="abc123")
    assert caught.value.field == "phone" and "Phone: “abc123” is not a phone number" in str(caught.value)
    assert accounts.list_accounts(db).items == ()
    made = accounts.create_account(db, name="Acme", country="GB", phone="020 7946 0958")
    assert made.phone == "+442079460958"
    with pytest.raises(ValidationError) as caught:
        accounts.update_account(db, made.id, expected_version=made.version, phone="12")
    assert caught.value.field == "phone"
    assert accounts.get_account(db, made.id).phone == "+442079460958"
    cleared = accounts.update_account(db, made.id, expected_version=made.version, phone="  ")
    assert cleared.phone is None


def test_contact_messages_use_the_forms_labels(db):
    with pytest.raises(ValidationError) as caught:
        contacts.create_contact(db, given_name="x" * 121)
    assert caught.value.field == "given_name" and str(caught.value).startswith("First name is too long")
    with pytest.raises(ValidationError) as caught:
        contacts.create_contact(db, given_name="Ana", family_name="y" * 121)
    assert str(caught.value).startswith("Last name is too long")
