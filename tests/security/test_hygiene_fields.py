"""Input hygiene (issue #9, point 4): no text field of any table takes a NUL, a lone
surrogate or a control character other than tab, newline and carriage return. One check
where every save passes (the journal's flush hook), so no form or import forgets one;
refused with the field named, nothing written. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import JSON, String, func, select
from sqlalchemy.types import TypeDecorator

from leaddesk.errors import ValidationError
from leaddesk.models import Base, Contact
from leaddesk.services.people import accounts, contacts

BAD = ["\x00", "\ud800", "\x1b", "\x07", "\x7f"]


def _kind(column):
    kind = column.type
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return kind


def _text_columns():
    """(model, attribute) of every text or JSON column of every table."""
    out = []
    for mapper in sorted(Base.registry.mappers, key=lambda m: m.class_.__name__):
        for attr in mapper.column_attrs:
            kind = _kind(attr.columns[0])
            if isinstance(kind, (String, JSON)) and not getattr(kind, "enums", None):
                out.append((mapper.class_, attr.key, isinstance(kind, JSON)))
    return out


TEXT_COLUMNS = _text_columns()


def test_every_table_has_text_columns_under_the_check():
    names = {m.__tablename__ for m, _, _ in TEXT_COLUMNS}
    assert {"contact", "account", "opportunity", "activity", "app_user", "contact_email"} <= names
    assert len(TEXT_COLUMNS) > 50


def test_a_nul_in_any_text_field_of_any_table_is_refused_with_its_field(db):
    """Every text column of every table, as a new row: the save is refused before anything
    reaches the database, and the error names the field."""
    missed = []
    for model, key, is_json in TEXT_COLUMNS:
        obj = model()
        setattr(obj, key, {"note": "a\x00b"} if is_json else "a\x00b")
        try:
            with db.unit_of_work() as s:
                s.add(obj)
                s.flush()
        except ValidationError as exc:
            if exc.field != key or "U+0000" not in str(exc):
                missed.append((model.__tablename__, key, exc.field, str(exc)))
            continue
        missed.append((model.__tablename__, key, "saved"))
    assert missed == []


@pytest.mark.parametrize("bad", BAD, ids=["nul", "surrogate", "escape", "bell", "delete"])
def test_a_contact_with_a_bad_character_is_refused_and_nothing_is_written(db, bad):
    with db.reader() as s:
        before = s.scalar(select(func.count()).select_from(Contact))
    with pytest.raises(ValidationError) as err:
        contacts.create_contact(db, given_name="Ann", family_name=f"Smith{bad}son", emails=["ann@example.com"])
    assert err.value.field == "family_name"
    assert f"U+{ord(bad):04X}" in str(err.value)
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Contact)) == before


def test_an_edit_with_a_bad_character_is_refused_and_the_record_stays(db):
    made = contacts.create_contact(db, given_name="Ann", family_name="Smith")
    with pytest.raises(ValidationError) as err:
        contacts.update_contact(db, made.id, expected_version=made.version, job_title="Head\x00of sales")
    assert err.value.field == "job_title"
    after = contacts.get_contact(db, made.id)
    assert (after.version, after.job_title) == (made.version, None)


def test_tabs_and_line_breaks_are_kept(db):
    acct = accounts.create_account(db, name="Tab\tCo")
    made = contacts.create_contact(db, given_name="Ann", family_name="Smith", account_id=acct.id)
    contacts.update_contact(db, made.id, expected_version=None, job_title="Sales\r\nlead")
    assert contacts.get_contact(db, made.id).job_title == "Sales\r\nlead"


@pytest.mark.sqlite_only
def test_an_old_bad_value_does_not_block_editing_another_field(db):
    """Only what a save changes is checked: a record that holds a bad value from before
    can still be edited (its other fields)."""
    made = contacts.create_contact(db, given_name="Ann", family_name="Smith")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE contact SET job_title = 'Bu' || char(7) || 'yer' WHERE id = ?",
                             (made.id.hex,))
    contacts.update_contact(db, made.id, expected_version=None, family_name="Smythe")
    assert contacts.get_contact(db, made.id).family_name == "Smythe"
    with pytest.raises(ValidationError) as err:  # saving the bad value itself is refused
        contacts.update_contact(db, made.id, expected_version=None, job_title="Bu\x07yer!")
    assert err.value.field == "job_title"


def test_the_check_covers_bulk_imports(db):
    from leaddesk.models import Account
    from leaddesk.sync.journal import bulk_insert

    with pytest.raises(ValidationError) as err:
        with db.unit_of_work() as s:
            bulk_insert(s, Account, [{"name": "Fine", "name_key": "fine"}, {"name": "Bad\x00", "name_key": "bad"}])
    assert err.value.field == "name"
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Account).where(Account.name == "Fine")) == 0
