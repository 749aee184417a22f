"""Trash with Restore, and the field history of a record, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.errors import Conflict, NotFound, ValidationError
from leaddesk.ids import new_id
from leaddesk.models import Account, ChangeLog, Contact, Outbox, SyncConflict
from leaddesk.models.enums import LifecycleStage, Role
from leaddesk.services.people import accounts, contacts
from leaddesk.services.followups import activities
from leaddesk.services.team import history, trash, users
from leaddesk.services.pipeline import opportunities as pipeline, pipelines
from leaddesk.services.team.history import STATE_LABELS
from leaddesk.services.team.history_text import CREATED, value_text
from leaddesk.clock import HybridClock
from leaddesk.sync.field_values import encode
from leaddesk.sync.journal import bulk_insert


@pytest.fixture
def bob(db):
    return users.create_user(db, "Bob Berger", "bob@example.com", role=Role.REP)


def _as(make_db, user) -> Database:
    return make_db(actor_id=user.id)


def _journal(db: Database, row_id) -> list[tuple]:
    """(field, value, author) of the row's journaled changes, oldest first: the outbox of a
    SQLite file, the change log of a PostgreSQL team database (written there directly)."""
    with db.reader() as s:
        queued = [(o.hlc, o.field, o.value, o.actor_id)
                  for o in s.scalars(select(Outbox).where(Outbox.row_id == row_id))]
        logged = [(c.hlc, c.field, c.value, c.author)
                  for c in s.scalars(select(ChangeLog).where(ChangeLog.row_id == row_id))]
    return [row[1:] for row in sorted(queued + logged, key=lambda r: r[0])]


def _direct(db: Database) -> str:
    """The state of an edit made on this database: queued on SQLite, logged on the hub."""
    return history.SYNCED if getattr(db, "hub_mode", False) else history.PENDING


def _merge(db: Database, loser_id, survivor_id) -> None:
    """What a merge does to the loser (sync notes 3.11): a normal edit, deleted + merged_into."""
    with db.unit_of_work() as s:
        loser = s.get(Contact, loser_id)
        loser.deleted = True
        loser.merged_into = survivor_id


# --- trash --------------------------------------------------------------------------------

def test_trash_lists_each_kind_with_who_deleted_it_and_when(db, make_db, bob):
    acme = accounts.create_account(db, name="Acme Lojistik", city="Izmir")
    ayse = contacts.create_contact(db, given_name="Ayşe", family_name="Yılmaz", account_id=acme.id)
    opp = pipeline.create_opportunity(db, acme.id, "Forklift fleet", amount="12500", currency="EUR")
    call = activities.log_activity(db, "call", "Intro call", contact_id=ayse.id)
    as_bob = _as(make_db, bob)
    activities.delete_activity(as_bob, call.id)
    pipeline.delete_opportunity(as_bob, opp.id)
    contacts.delete_contact(as_bob, ayse.id)
    accounts.delete_account(db, acme.id)

    page = trash.list_trash(db)
    assert [(i.entity, i.title) for i in page.items] == [
        ("account", "Acme Lojistik"), ("contact", "Ayşe Yılmaz"), ("opportunity", "Forklift fleet"),
        ("activity", "Intro call")]
    assert page.next_cursor is None
    by_title = {i.title: i for i in page.items}
    assert by_title["Ayşe Yılmaz"].deleted_by_name == "Bob Berger"
    assert by_title["Acme Lojistik"].deleted_by_name == "Ada Admin"
    assert by_title["Ayşe Yılmaz"].owner_name == "Ada Admin"
    assert by_title["Ayşe Yılmaz"].detail == "Acme Lojistik"
    assert by_title["Intro call"].detail == "Call · Ayşe Yılmaz"
    assert all(i.deleted_at.tzinfo is not None for i in page.items)

    assert [i.title for i in trash.list_trash(db, kind="contact").items] == ["Ayşe Yılmaz"]
    assert [i.title for i in trash.list_trash(db, text="AYSE").items] == ["Ayşe Yılmaz"]  # folded, like search
    assert trash.list_trash(db, text="100%").items == ()  # LIKE wildcards are literal
    assert trash.count_trash(db) == 4
    with pytest.raises(ValidationError):
        trash.list_trash(db, kind="pipeline")


def test_trash_pages_by_keyset_without_gaps_or_repeats(db):
    made = [contacts.create_contact(db, given_name=f"Person {i:02d}") for i in range(7)]
    for c in made:
        contacts.delete_contact(db, c.id)
    seen, cursor = [], None
    while True:
        page = trash.list_trash(db, after=cursor, limit=3)
        seen.extend(i.id for i in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [c.id for c in reversed(made)]


def test_trash_restore_brings_the_row_back_and_journals_it(db, make_db, bob):
    ann = contacts.create_contact(db, given_name="Ann", family_name="Lee", emails=["ann@example.com"])
    contacts.delete_contact(db, ann.id)
    item = trash.list_trash(db).items[0]
    assert item.restorable and item.reason is None

    restored = trash.restore(_as(make_db, bob), "contact", ann.id, expected_version=item.version)
    assert restored.title == "Ann Lee" and restored.changes.entities == {"contact"}
    back = contacts.get_contact(db, ann.id)
    assert not back.deleted and back.emails[0].address == "ann@example.com"
    assert trash.list_trash(db).items == ()
    journal = _journal(db, ann.id)
    assert journal[-1] == ("deleted", "false", bob.id)  # a normal edit: it syncs
    assert trash.restore(db, "contact", ann.id).id == ann.id  # already back: nothing to do, no error
    assert len(_journal(db, ann.id)) == len(journal)


def test_trash_restore_of_a_changed_tombstone_is_a_conflict(db, make_db):
    acme = accounts.create_account(db, name="Acme")
    accounts.delete_account(db, acme.id)
    listed = trash.list_trash(db).items[0]
    trash.restore(make_db(), "account", acme.id)
    accounts.delete_account(db, acme.id)
    with pytest.raises(Conflict):
        trash.restore(db, "account", acme.id, expected_version=listed.version)
    with pytest.raises(NotFound):
        trash.restore(db, "account", uuid.uuid4())


def test_trash_merged_contact_is_shown_as_merged_and_cannot_be_restored(db):
    survivor = contacts.create_contact(db, given_name="Jörg", family_name="Müller")
    loser = contacts.create_contact(db, given_name="Joerg", family_name="Mueller")
    _merge(db, loser.id, survivor.id)
    item = trash.list_trash(db).items[0]
    assert (item.title, item.merged_into, item.merged_into_title) == ("Joerg Mueller", survivor.id, "Jörg Müller")
    assert not item.restorable
    assert "merged into “Jörg Müller”" in item.reason and "undo the merge" in item.reason
    with pytest.raises(ValidationError) as err:
        trash.restore(db, "contact", loser.id)
    assert "undo the merge" in str(err.value)
    assert contacts.get_contact(db, loser.id, include_deleted=True).deleted
    assert "e-mails, phones and activities" in str(err.value)


def test_trash_merged_account_says_undo_brings_its_contacts_deals_and_activities_back(db):
    from leaddesk.services.people import account_duplicates

    survivor = accounts.create_account(db, name="Fair Goods GmbH")
    loser = accounts.create_account(db, name="FairGoods GmbH")
    account_duplicates.merge(db, survivor.id, loser.id)
    item = trash.list_trash(db).items[0]
    assert item.merged_into == survivor.id and not item.restorable
    assert "undo the merge instead (that also moves its contacts, deals and activities back)" in item.reason


def test_trash_child_of_a_deleted_parent_is_refused_with_a_clear_message(db):
    acme = accounts.create_account(db, name="Acme")
    opp = pipeline.create_opportunity(db, acme.id, "Fleet", amount="100", currency="EUR")
    ann = contacts.create_contact(db, given_name="Ann", account_id=acme.id)
    note = activities.log_activity(db, "note", "Prefers e-mail", contact_id=ann.id)
    bea = contacts.create_contact(db, given_name="Bea", account_id=acme.id)
    call = activities.log_activity(db, "call", "Follow-up", contact_id=bea.id)
    activities.delete_activity(db, call.id)
    activities.delete_activity(db, note.id)
    pipeline.delete_opportunity(db, opp.id)
    contacts.delete_contact(db, ann.id)
    accounts.delete_account(db, acme.id)

    items = {i.entity: i for i in trash.list_trash(db).items if i.id != call.id}
    assert not items["opportunity"].restorable
    assert items["opportunity"].reason == ("The account “Acme” of this opportunity is in the trash too: "
                                           "restore the account first.")
    assert not items["activity"].restorable and "contact “Ann”" in items["activity"].reason
    # A contact may outlive its company: restorable, with a note.
    assert items["contact"].restorable and "account “Acme” is in the trash" in items["contact"].reason
    for entity, ident in (("opportunity", opp.id), ("activity", note.id)):
        with pytest.raises(ValidationError) as err:
            trash.restore(db, entity, ident)
        assert "restore" in str(err.value) and "first" in str(err.value)
    assert pipeline.get_opportunity(db, opp.id, include_deleted=True).deleted

    # An activity whose contact is live may come back though its company is in the trash.
    item = trash.get_item(db, "activity", call.id)
    assert item.restorable and "account “Acme” is in the trash" in item.reason
    trash.restore(db, "activity", call.id)

    trash.restore(db, "account", acme.id)
    trash.restore(db, "opportunity", opp.id)
    trash.restore(db, "contact", ann.id)
    trash.restore(db, "activity", note.id)
    assert trash.list_trash(db).items == ()
    assert not pipeline.get_opportunity(db, opp.id).deleted


# --- history ------------------------------------------------------------------------------

def test_history_lists_edits_with_who_when_field_and_value(db, make_db, bob):
    ann = contacts.create_contact(db, given_name="Ann", family_name="Lee", emails=["ann@example.com"],
                                  phones=["+49 30 1234567"])
    as_bob = _as(make_db, bob)
    ann = contacts.update_contact(as_bob, ann.id, expected_version=ann.version, job_title="Head of Buying",
                                  emails=["ann.lee@example.com"])
    contacts.change_stage(as_bob, ann.id, "mql")

    h = history.record_history(db, "contact", ann.id)
    assert h.title == "Ann Lee"
    rows = [(e.author, e.label, e.text) for e in h]
    assert rows[0] == ("Bob Berger", "Lifecycle stage", "Marketing-qualified lead (MQL)")
    assert h[0].value is LifecycleStage.MQL
    assert ("Bob Berger", "Job title", "Head of Buying") in rows
    assert ("Bob Berger", "E-mail", "added ann.lee@example.com (work)") in rows
    assert ("Bob Berger", "E-mail", "removed ann@example.com") in rows
    assert ("Ada Admin", "Phone", "added +49 30 1234567 (work)") in rows
    assert rows[-1] == ("Ada Admin", "Created", "Ann Lee (Lead)")
    assert not h[-1].child and all(e.child for e in h if e.label in ("E-mail", "Phone"))
    assert [e.at for e in h] == sorted((e.at for e in h), reverse=True)
    assert not any(e.field in history.HIDDEN for e in h)  # no name keys, no normalised e-mails
    assert {e.state for e in h} == {_direct(db)}
    if _direct(db) == history.PENDING:  # made here, never sent, and no log to say more
        assert h[0].state_label == "not yet synced"
        assert h.notice and "never synced" in h.notice
    else:  # written on the team database: in its change log at once
        assert h[0].state_label == "synced"
        assert h.notice is None


def test_history_of_an_opportunity_reads_moves_money_and_dates(db):
    acme = accounts.create_account(db, name="Acme")
    opp = pipeline.create_opportunity(db, acme.id, "Fleet", amount="12500", currency="EUR")
    stages = pipelines.list_stages(db, opp.pipeline_id)
    opp = pipeline.move_opportunity(db, opp.id, stages[2].id)
    opp = pipeline.update_opportunity(db, opp.id, opp.version, amount="15000.5",
                                      expected_close_date=dt.date(2031, 3, 31))
    pipeline.close_won(db, opp.id)
    pipeline.delete_opportunity(db, opp.id)

    h = history.record_history(db, "opportunity", opp.id)  # deleted records keep their history
    rows = [(e.label, e.text) for e in h]
    assert rows[0] == ("Trash", "moved to the trash")
    assert ("Status", "won") in rows
    assert ("Stage", f"{stages[0].name} → {stages[2].name}") in rows
    assert ("Amount", "15,000.50 EUR") in rows
    assert ("Expected close", "2031-03-31") in rows
    assert rows[-1] == ("Created", f"Fleet · 12,500.00 EUR · in {stages[0].name}")
    amount = next(e for e in h if e.field == "amount")
    assert amount.value == Decimal("15000.50")
    assert not any(e.field in ("stage_id", "status") for e in h)  # the events say it better


def _log(db: Database, entity: str, row_id, field: str, value, author, *, at, rejected=False,
         pushed_by="rep_bob") -> uuid.UUID:
    """A change as the hub's change_log (or a replica's copy of it) holds it."""
    change_id = new_id()
    with db.engine.begin() as conn:
        conn.execute(insert(ChangeLog), [{
            "change_id": change_id, "entity": entity, "row_id": row_id, "field": field, "value": encode(value),
            "hlc": int(at.timestamp() * 1000) << 16, "node": uuid.uuid4(), "author": author, "at": at,
            "pushed_by": pushed_by, "batch_id": uuid.uuid4(), "base_seq": 0, "received_at": at,
            "rejected": rejected}])
    return change_id


def _snapshot_account(db: Database, name: str, **values) -> uuid.UUID:
    """An account loaded as a snapshot (demo data, a first download): no journal at all."""
    ident = new_id()
    with db.unit_of_work() as s:
        bulk_insert(s, Account, [{"id": ident, "name": name, "name_key": name.lower(), **values}], journal=False)
    return ident


def test_history_shows_synced_and_rejected_changes_from_the_change_log(db, bob):
    acme_id = _snapshot_account(db, "Acme", annual_revenue=Decimal("1000000"), revenue_currency="EUR")
    acme = accounts.get_account(db, acme_id)
    t0 = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3)
    _log(db, "account", acme.id, "*", {"name": "Acme", "annual_revenue": "1000000.00"}, None, at=t0)
    _log(db, "account", acme.id, "industry", "Logistics", bob.id, at=t0 + dt.timedelta(hours=1))
    refused = _log(db, "account", acme.id, "owner_id", str(bob.id), bob.id, at=t0 + dt.timedelta(hours=2),
                   rejected=True)
    with db.engine.begin() as conn:  # the hub tells the author why
        conn.execute(insert(SyncConflict), [{
            "kind": "rejected", "entity": "account", "row_id": acme.id, "field": "owner_id", "kept_value": None,
            "lost_value": encode(str(bob.id)), "kept_node": uuid.uuid4(), "lost_node": uuid.uuid4(), "kept_hlc": 0,
            "lost_hlc": 0, "kept_seq": 0, "lost_seq": 0, "lost_change_id": refused, "created_at": t0,
            "lost_author": bob.id, "note": "No permission to give this account to Bob."}])
    accounts.update_account(db, acme.id, expected_version=None, annual_revenue="2500000")

    h = history.record_history(db, "account", acme.id)
    assert h.notice is None
    states = [(e.label, e.text, e.state_label, e.author) for e in h]
    assert states[0] == ("Annual revenue", "2,500,000.00 EUR", STATE_LABELS[_direct(db)], "Ada Admin")
    assert ("Owner", "Bob Berger", "rejected by the server", "Bob Berger") in states
    assert ("Industry", "Logistics", "synced", "Bob Berger") in states
    assert ("Created", "Acme", "synced", "rep_bob") in states  # no LeadDesk user: the database login
    rejected = next(e for e in h if e.state == history.REJECTED)
    assert rejected.note == "No permission to give this account to Bob."
    assert sum(e.state == history.REJECTED for e in h) == 1  # log row and conflict row are one change
    assert not any(e.state == history.RECORDED for e in h)  # the log had the creation


def test_history_of_a_replica_includes_rejections_it_only_knows_as_conflicts(db):
    ann = contacts.create_contact(db, given_name="Ann")
    with db.engine.begin() as conn:
        conn.execute(insert(SyncConflict), [{
            "kind": "rejected", "entity": "contact", "row_id": ann.id, "field": "job_title",
            "kept_value": encode(None), "lost_value": encode("CEO"), "kept_node": uuid.uuid4(),
            "lost_node": db.write.node, "kept_hlc": 0, "lost_hlc": 1, "kept_seq": 0, "lost_seq": 0,
            "lost_change_id": new_id(), "created_at": dt.datetime.now(dt.timezone.utc),
            "lost_author": db.write.actor_id, "note": "The contact is no longer yours."}])
    h = history.record_history(db, "contact", ann.id)
    refused = [e for e in h if e.state == history.REJECTED]
    assert [(e.label, e.text, e.note) for e in refused] == [("Job title", "CEO", "The contact is no longer yours.")]


def test_history_of_snapshot_rows_falls_back_to_stamps_and_says_so(db):
    ident = _snapshot_account(db, "Snapshot GmbH")
    h = history.record_history(db, "account", ident)
    assert [(e.label, e.text, e.state) for e in h] == [("Created", "Snapshot GmbH", history.RECORDED)]
    assert h[0].author == "Ada Admin"
    assert h.notice

    accounts.update_account(db, ident, expected_version=None, city="Bremen")
    h = history.record_history(db, "account", ident)
    assert [(e.label, e.state) for e in h] == [("City", _direct(db)), ("Created", history.RECORDED)]


def test_history_refuses_unknown_kinds_and_ids(db):
    with pytest.raises(ValidationError):
        history.record_history(db, "outbox", uuid.uuid4())
    with pytest.raises(NotFound):
        history.record_history(db, "contact", uuid.uuid4())


@pytest.mark.postgres_only
def test_history_on_the_hub_after_a_replica_pushed(db, sqlite_template, tmp_path):
    """A laptop's edits, once pushed, read as synced on the team's PostgreSQL (the hub)."""
    from leaddesk.sync import client
    from leaddesk.sync.server import Hub

    path = tmp_path / "laptop.sqlite3"
    shutil.copyfile(sqlite_template, path)
    laptop = Database(make_engine(f"sqlite:///{path}"), WriteContext(node=uuid.uuid4(), clock=HybridClock()))
    hub = Hub(db.engine.url.render_as_string(hide_password=False))
    try:
        ann = contacts.create_contact(laptop, given_name="Ann", family_name="Lee", emails=["ann@example.com"])
        contacts.update_contact(laptop, ann.id, expected_version=ann.version, job_title="Buyer")
        client.push(laptop, hub)
        on_hub = history.record_history(db, "contact", ann.id)
        assert on_hub.notice is None
        assert {e.state for e in on_hub} == {history.SYNCED}
        assert [(e.label, e.text) for e in on_hub][0] == ("Job title", "Buyer")
        assert ("E-mail", "added ann@example.com (work)") in [(e.label, e.text) for e in on_hub]
        # The laptop sent everything: whatever its local copy of the log holds, the panel
        # is never empty there.
        on_laptop = history.record_history(laptop, "contact", ann.id)
        assert not any(e.state == history.PENDING for e in on_laptop)
        assert any(e.field == CREATED for e in on_laptop)
    finally:
        hub.dispose()
        laptop.dispose()


def test_history_value_text_reads_values_for_people():
    assert value_text("amount", Decimal("1234.5")) == "1,234.50"
    assert value_text("city", None) == "(empty)"
    assert value_text("active", False) == "no"
    assert value_text("done_at", dt.datetime(2030, 1, 2, 3, 4, tzinfo=dt.timezone.utc)) == \
        "2030-01-02 03:04 UTC"
    assert value_text("seniority", history.entities()["contact"].fields["seniority"].type.enum_class("c_level")
                              ) == "C-level"
    assert value_text("tags", ["a", "b"]) == "a, b"
    assert json.loads(encode(Decimal("1.10"))) == "1.10"
