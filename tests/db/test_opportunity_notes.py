"""A deal's notes and contact (issue #10, point 7), on SQLite and PostgreSQL: stored, edited,
journalled for sync like every field, refused when too long with nothing written; the
contact choices are the account's own contacts."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from leaddesk.errors import ValidationError
from leaddesk.models import ChangeLog, Outbox
from leaddesk.services.people import accounts, contacts, lists
from leaddesk.services.pipeline import opportunities as pipeline
from leaddesk.sync import protocol


def _journal(db, row_id):
    table = ChangeLog if db.hub_mode else Outbox
    with db.reader() as s:
        return s.execute(select(table.field, table.value).where(table.row_id == row_id).order_by(table.hlc)).all()


@pytest.fixture
def acme(db):
    return accounts.create_account(db, name="Acme plc")


def test_notes_are_stored_with_a_new_deal_and_edited_later(db, acme):
    opp = pipeline.create_opportunity(db, acme.id, "Fleet", notes="  CFO decides in Q1.  ")
    assert pipeline.get_opportunity(db, opp.id).notes == "CFO decides in Q1."
    edited = pipeline.update_opportunity(db, opp.id, opp.version, notes="CFO decides in Q2.\nBudget approved.")
    assert edited.notes == "CFO decides in Q2.\nBudget approved." and edited.version == opp.version + 1
    cleared = pipeline.update_opportunity(db, opp.id, edited.version, notes="")
    assert cleared.notes is None


def test_notes_sync_like_every_other_field(db, acme):
    assert "notes" in protocol.entity("opportunity").fields
    opp = pipeline.create_opportunity(db, acme.id, "Fleet")
    pipeline.update_opportunity(db, opp.id, opp.version, notes="Call after the fair")
    changes = _journal(db, opp.id)
    assert [c.field for c in changes][-1] == "notes"
    assert json.loads(changes[-1].value) == "Call after the fair"


def test_too_long_notes_are_refused_and_nothing_is_written(db, acme):
    opp = pipeline.create_opportunity(db, acme.id, "Fleet", notes="short")
    with pytest.raises(ValidationError) as err:
        pipeline.update_opportunity(db, opp.id, opp.version, notes="x" * 20001, name="Renamed")
    assert err.value.field == "notes"
    again = pipeline.get_opportunity(db, opp.id)
    assert (again.notes, again.name, again.version) == ("short", "Fleet", opp.version)


def test_contact_choices_are_the_accounts_live_contacts_by_name(db, acme):
    other = accounts.create_account(db, name="Globex")
    zed = contacts.create_contact(db, given_name="Zed", family_name="Zorn", account_id=acme.id)
    ann = contacts.create_contact(db, given_name="Ann", family_name="Archer", account_id=acme.id)
    gone = contacts.create_contact(db, given_name="Gus", family_name="Gone", account_id=acme.id)
    contacts.create_contact(db, given_name="Olga", family_name="Other", account_id=other.id)
    contacts.delete_contact(db, gone.id)
    assert lists.account_contact_choices(db, acme.id) == [(ann.id, "Ann Archer"), (zed.id, "Zed Zorn")]
    opp = pipeline.create_opportunity(db, acme.id, "Fleet", primary_contact_id=ann.id)
    moved = pipeline.update_opportunity(db, opp.id, opp.version, primary_contact_id=zed.id)
    assert moved.primary_contact_id == zed.id
