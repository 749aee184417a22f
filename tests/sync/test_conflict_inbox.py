"""The conflict inbox: conflicts made by two laptops reach each laptop's local inbox with
kept / other / original, who and when; "use other" is a new edit that wins everywhere;
resolutions made offline reach the hub; retries after a lost answer are harmless. The
same service also works on the hub's PostgreSQL opened directly."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import func, insert, select, text, update

from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.errors import NotFound, PermissionDenied
from leaddesk.ids import new_id
from leaddesk.models import ChangeLog, Outbox, SyncConflict
from leaddesk.services.people import accounts, contacts
from leaddesk.services.team import sync as team_sync
from leaddesk.services.team import conflicts as inbox
from leaddesk.services.team._conflict_apply import ConflictTargetMissing, ConflictValueUnreadable
from leaddesk.sync import client
from leaddesk.sync import conflicts as sync_conflicts
from leaddesk.sync.protocol import HubUnavailable
from tests.sync.support import conflicts as hub_conflicts
from tests.sync.support import outbox_count, synced_data


def full_sync(hub, *dbs):
    """What the app's sync does: push, pull, resolutions up, conflicts down."""
    for db in dbs:
        client.sync(db, hub, backup=False)
        sync_conflicts.push_resolutions(db, hub)
        sync_conflicts.pull_conflicts(db, hub)


def sync_all(hub, *dbs):
    full_sync(hub, *dbs)
    full_sync(hub, *dbs[:-1])


def local_conflicts(db) -> list:
    with db.engine.connect() as conn:
        return conn.execute(select(SyncConflict).order_by(SyncConflict.id)).all()


def outbox_rows(db) -> list:
    with db.engine.connect() as conn:
        return conn.execute(select(Outbox.entity, Outbox.row_id, Outbox.field, Outbox.value)).all()


@pytest.fixture
def title_clash(seeded, hub, world):
    """A contact whose job title Ada (laptop a) and Bob (laptop b) changed concurrently;
    Bob's edit is later and wins. Both laptops have pulled the conflict."""
    a, b = seeded
    c = contacts.create_contact(a, given_name="Grace", family_name="Hopper", job_title="Engineer")
    sync_all(hub, a, b)
    contacts.update_contact(a, c.id, expected_version=None, job_title="CEO")
    world.advance(60_000)
    contacts.update_contact(b, c.id, expected_version=None, job_title="CFO")
    sync_all(hub, a, b)
    return a, b, c


def test_conflict_inbox_pull_brings_kept_other_original_who_and_when(title_clash, hub, world):
    a, b, c = title_clash
    [hub_row] = hub_conflicts(hub)
    for db in (a, b):
        [record] = inbox.list_conflicts(db)
        assert (record.entity, record.row_id, record.title, record.entity_label) == (
            "contact", c.id, "Grace Hopper", "Contact")
        assert record.exists and not record.deleted
        [line] = record.fields
        assert line.ids == (hub_row.id,)
        assert (line.kind, line.field, line.label) == ("field", "job_title", "Job title")
        assert (line.kept, line.other, line.original) == ("CFO", "CEO", "Engineer")
        assert (line.kept_by, line.other_by) == ("Bob Rep", "Ada Admin")
        assert line.kept_at - line.other_at >= dt.timedelta(seconds=60)
        assert abs(line.kept_at.timestamp() * 1000 - world.now) < 120_000
        assert inbox.count_open(db) == 1
    # The authors the hub left empty were filled from its change log into the local copy.
    [copy] = local_conflicts(a)
    assert copy.id == hub_row.id and copy.lost_author == a.write.actor_id and copy.kept_author == b.write.actor_id
    assert (hub_row.kept_author, hub_row.lost_author) == (b.write.actor_id, a.write.actor_id)  # the hub records them


def log_rows(db) -> int:
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(ChangeLog))


def test_conflict_inbox_pull_is_idempotent(title_clash, hub):
    a, _, _ = title_clash
    before = log_rows(a)
    assert sync_conflicts.pull_conflicts(a, hub) == 0
    assert len(local_conflicts(a)) == 1 and log_rows(a) == before


def test_conflict_inbox_original_value_is_held_locally_for_offline_use(title_clash, hub):
    a, _, _ = title_clash
    [hub_row] = hub_conflicts(hub)
    with hub.engine.connect() as conn:
        original = sync_conflicts.find_originals(conn, [hub_row])[hub_row.id]
    with a.engine.connect() as conn:
        here = conn.execute(select(ChangeLog).where(ChangeLog.change_id == original.row["change_id"])).one()
    assert (here.seq, here.value) == (original.seq, original.value)
    assert original.raw("job_title") == (True, "Engineer")  # the title the contact was created with


def test_conflict_inbox_use_other_is_a_new_edit_that_wins_everywhere(title_clash, hub):
    a, b, c = title_clash
    [record] = inbox.list_conflicts(a)
    before = outbox_count(a)
    result = inbox.use_other(a, record.ids)
    assert result.resolved == record.ids and not result.skipped
    assert "contact" in result.changes.entities and c.id in result.changes.ids
    assert outbox_count(a) == before + 1
    [(entity, row_id, field, value)] = [r for r in outbox_rows(a) if r.field == "job_title"]
    assert (entity, row_id, json.loads(value)) == ("contact", c.id, "CEO")
    assert contacts.get_contact(a, c.id).job_title == "CEO"
    assert inbox.count_open(a) == 0 and inbox.list_conflicts(a) == []
    [mine] = local_conflicts(a)
    assert mine.resolved and mine.resolution == "other" and mine.resolved_pending
    assert mine.resolved_by == a.write.actor_id
    assert not hub_conflicts(hub)[0].resolved  # not synced yet

    sync_all(hub, a, b)
    for db in (a, b):
        assert contacts.get_contact(db, c.id).job_title == "CEO"
        assert inbox.count_open(db) == 0
    assert synced_data(a.engine) == synced_data(b.engine) == synced_data(hub.engine)
    [on_hub] = hub_conflicts(hub)  # the new edit saw Bob's value: no new conflict
    assert on_hub.resolved and on_hub.resolution == "other" and on_hub.resolved_by == a.write.actor_id
    assert not local_conflicts(a)[0].resolved_pending
    [theirs] = local_conflicts(b)
    assert theirs.resolved and theirs.resolution == "other"  # b learnt it from the hub


def test_conflict_inbox_keep_closes_without_an_edit(title_clash, hub):
    a, b, c = title_clash
    [record] = inbox.list_conflicts(b)
    before = outbox_rows(b)
    assert inbox.keep(b, record.ids).resolved == record.ids
    assert outbox_rows(b) == before
    assert inbox.keep(b, record.ids).resolved == ()  # again: nothing left to do
    sync_all(hub, b, a)
    [on_hub] = hub_conflicts(hub)
    assert on_hub.resolved and on_hub.resolution == "kept" and on_hub.resolved_by == b.write.actor_id
    assert inbox.count_open(a) == 0
    assert contacts.get_contact(a, c.id).job_title == "CFO"


def test_conflict_inbox_unknown_conflict_id_is_not_found(title_clash):
    a, _, _ = title_clash
    with pytest.raises(NotFound):
        inbox.keep(a, [999_999])
    assert inbox.count_open(a) == 1


def test_conflict_inbox_resolution_made_offline_reaches_the_hub_at_next_sync(title_clash, hub, hub_url):
    a, _, _ = title_clash
    [record] = inbox.list_conflicts(a)
    inbox.keep(a, record.ids)  # offline: nothing talks to the hub
    assert not hub_conflicts(hub)[0].resolved
    assert len(sync_conflicts.pending_resolutions(a)) == 1
    summary = team_sync.sync_with_hub(a, hub_url, backup_dir=None)
    assert summary.resolutions_sent == 1 and summary.open_conflicts == 0
    assert hub_conflicts(hub)[0].resolved and hub_conflicts(hub)[0].resolution == "kept"
    assert sync_conflicts.pending_resolutions(a) == []


def test_conflict_inbox_lost_answer_during_push_resolutions_then_retry(title_clash, hub, monkeypatch):
    a, b, _ = title_clash
    [record] = inbox.list_conflicts(a)
    inbox.keep(a, record.ids)
    real_clear = sync_conflicts.clear_pending
    calls = []

    def lose_answer(db, ids):
        calls.append(ids)
        if len(calls) == 1:
            raise HubUnavailable("link dropped after the server committed")
        real_clear(db, ids)

    monkeypatch.setattr(sync_conflicts, "clear_pending", lose_answer)
    with pytest.raises(HubUnavailable):
        sync_conflicts.push_resolutions(a, hub)
    [first] = hub_conflicts(hub)
    assert first.resolved and first.resolution == "kept"
    assert len(sync_conflicts.pending_resolutions(a)) == 1  # not known to be delivered: kept
    assert sync_conflicts.push_resolutions(a, hub) == 1
    [again] = hub_conflicts(hub)
    assert (again.resolved, again.resolution, again.resolved_by, again.resolved_at) == (
        first.resolved, first.resolution, first.resolved_by, first.resolved_at)
    assert sync_conflicts.pending_resolutions(a) == []
    assert sync_conflicts.push_resolutions(a, hub) == 0


def test_conflict_inbox_first_resolution_on_the_hub_stands(title_clash, hub):
    a, b, _ = title_clash
    ids = inbox.list_conflicts(a)[0].ids
    inbox.keep(a, ids)
    inbox.keep(b, ids)
    sync_conflicts.push_resolutions(b, hub)
    sync_conflicts.push_resolutions(a, hub)
    [on_hub] = hub_conflicts(hub)
    assert on_hub.resolved_by == b.write.actor_id  # a's later answer did not overwrite b's
    assert sync_conflicts.pending_resolutions(a) == []


def test_conflict_inbox_name_clash_is_one_line_and_use_other_keeps_names_consistent(seeded, hub, world):
    a, b = seeded
    c = contacts.create_contact(a, given_name="Ada", family_name="Lovelace")
    sync_all(hub, a, b)
    contacts.update_contact(a, c.id, expected_version=None, given_name="Augusta")
    world.advance(1000)
    contacts.update_contact(b, c.id, expected_version=None, given_name="Adeline")
    sync_all(hub, a, b)
    [record] = inbox.list_conflicts(a)
    assert record.title == "Adeline Lovelace"
    [line] = record.fields  # display_name and name_key fold into the first name
    assert (line.label, line.kept, line.other, line.original) == ("First name", "Adeline", "Augusta", "Ada")
    assert len(line.ids) == 3 and inbox.count_open(a) == 1  # one conflict to the user
    inbox.use_other(a, line.ids)
    got = contacts.get_contact(a, c.id)
    assert (got.given_name, got.display_name) == ("Augusta", "Augusta Lovelace")
    sync_all(hub, a, b)
    assert contacts.get_contact(b, c.id).display_name == "Augusta Lovelace"
    assert all(r.resolved for r in hub_conflicts(hub))


def test_conflict_inbox_edit_of_a_deleted_record_use_other_restores_it(seeded, hub, world):
    a, b = seeded
    c = contacts.create_contact(a, given_name="Ada", family_name="Lovelace", job_title="Analyst")
    sync_all(hub, a, b)
    contacts.delete_contact(a, c.id)
    world.advance(1000)
    contacts.update_contact(b, c.id, expected_version=None, job_title="VP Sales")
    sync_all(hub, a, b)
    [record] = inbox.list_conflicts(a)
    assert record.deleted and record.exists
    [line] = record.fields
    assert (line.kind, line.kept, line.other, line.original) == ("edit_deleted", "Record deleted", "VP Sales",
                                                                 "Analyst")
    inbox.use_other(a, line.ids)
    assert not contacts.get_contact(a, c.id).deleted
    sync_all(hub, a, b)
    got = contacts.get_contact(b, c.id)
    assert not got.deleted and got.job_title == "VP Sales"


def test_conflict_inbox_bulk_actions(seeded, hub, world):
    a, b = seeded
    people = [contacts.create_contact(a, given_name=f"P{i}", family_name="Test", city="Berlin") for i in range(4)]
    acct = accounts.create_account(a, name="Globex", industry="Energy")
    sync_all(hub, a, b)
    for p in people:
        contacts.update_contact(a, p.id, expected_version=None, city="Paris")
    accounts.update_account(a, acct.id, expected_version=None, industry="Oil")
    world.advance(1000)
    for p in people:
        contacts.update_contact(b, p.id, expected_version=None, city="Rome")
    accounts.update_account(b, acct.id, expected_version=None, industry="Solar")
    sync_all(hub, a, b)
    records = inbox.list_conflicts(a)
    assert len(records) == 5 and inbox.count_open(a) == 5
    first, second = records[0], records[1]
    inbox.keep_all(a, first.ids + second.ids)
    assert inbox.count_open(a) == 3
    result = inbox.use_other_all(a)
    assert len(result.resolved) == 3 and not result.skipped
    assert inbox.count_open(a) == 0 and inbox.keep_all(a).resolved == ()
    sync_all(hub, a, b)
    kept_ids = set(first.ids + second.ids)
    for record in records:
        value = (contacts.get_contact(b, record.row_id).city if record.entity == "contact"
                 else accounts.get_account(b, record.row_id).industry)
        expected = record.fields[0].kept if set(record.ids) <= kept_ids else record.fields[0].other
        assert value == expected
    assert all(r.resolved for r in hub_conflicts(hub)) and len(hub_conflicts(hub)) == 5


def _fake_hub_conflict(hub, *, kind, entity, row_id, field, kept, lost, note=None, lost_author=None,
                       kept_seq=0, lost_seq=0):
    """A conflict row as the hub writes it (for kinds today's hub does not produce yet)."""
    with hub.engine.begin() as conn:
        return conn.execute(insert(SyncConflict).returning(SyncConflict.id), {
            "kind": kind, "entity": entity, "row_id": row_id, "field": field,
            "kept_value": kept, "lost_value": lost, "kept_node": uuid.uuid4(), "lost_node": uuid.uuid4(),
            "kept_hlc": 1 << 16, "lost_hlc": 2 << 16, "kept_seq": kept_seq, "lost_seq": lost_seq,
            "created_at": dt.datetime.now(dt.timezone.utc), "resolved": False, "note": note,
            "lost_author": lost_author}).scalar_one()


def test_conflict_inbox_rejected_changes_are_visible_and_can_be_applied_again(seeded, hub):
    a, b = seeded
    acct = accounts.create_account(a, name="Initech", industry="Software")
    sync_all(hub, a, b)
    gone = new_id()
    snapshot = {"given_name": "Milton", "family_name": "Waddams", "display_name": "Milton Waddams",
                "name_key": "milton waddams", "account_id": str(acct.id), "owner_id": None, "deleted": False}
    created = _fake_hub_conflict(hub, kind="rejected", entity="contact", row_id=gone, field="*", kept=None,
                                 lost=json.dumps(snapshot), note="The account it belongs to was deleted.",
                                 lost_author=a.write.actor_id)
    edited = _fake_hub_conflict(hub, kind="rejected", entity="account", row_id=acct.id, field="industry",
                                kept='"Software"', lost='"Staplers"', note="No permission to change this account.",
                                lost_author=b.write.actor_id)
    full_sync(hub, a)
    records = {r.entity: r for r in inbox.list_conflicts(a)}
    new_contact = records["contact"]
    assert (new_contact.title, new_contact.exists) == ("Milton Waddams", False)
    [line] = new_contact.fields
    assert (line.kind, line.kind_label, line.label) == ("rejected", "Rejected", "New record")
    assert line.other == "New contact “Milton Waddams”" and line.kept == "(not created)"
    assert line.note == "The account it belongs to was deleted." and line.other_by == "Ada Admin"
    [refused] = records["account"].fields
    assert (refused.kept, refused.other, refused.other_by) == ("Software", "Staplers", "Bob Rep")

    # Bob, a rep, may not change Ada's account: a sentence, nothing written.
    full_sync(hub, b)
    before = outbox_rows(b)
    with pytest.raises(PermissionDenied, match="owner"):
        inbox.use_other(b, [edited])
    assert outbox_rows(b) == before and inbox.count_open(b) == 2

    # Ada (admin) may: the contact is made again under a new id, the value sent again.
    result = inbox.use_other(a, [created, edited])
    assert sorted(result.resolved) == sorted([created, edited])
    made = [r for r in outbox_rows(a) if r.entity == "contact" and r.field == "*"]
    assert len(made) == 1 and made[0].row_id != gone
    assert json.loads(made[0].value)["account_id"] == str(acct.id)
    assert ("account", acct.id, "industry", '"Staplers"') in outbox_rows(a)
    full_sync(hub, a, b)
    assert contacts.get_contact(b, made[0].row_id).display_name == "Milton Waddams"
    assert accounts.get_account(b, acct.id).industry == "Staplers"
    assert all(r.resolved for r in hub_conflicts(hub))


def test_conflict_inbox_errors_are_sentences_and_bulk_skips_what_it_cannot_apply(seeded, hub):
    a, b = seeded
    acct = accounts.create_account(a, name="Hooli")
    sync_all(hub, a, b)
    vanished = _fake_hub_conflict(hub, kind="field", entity="account", row_id=new_id(), field="industry",
                                  kept='"A"', lost='"B"')
    garbled = _fake_hub_conflict(hub, kind="field", entity="account", row_id=acct.id, field="employees",
                                 kept="12", lost='"twelve hundred"')
    fine = _fake_hub_conflict(hub, kind="field", entity="account", row_id=acct.id, field="industry",
                              kept="null", lost='"Search"')
    full_sync(hub, a)
    before = outbox_rows(a)
    with pytest.raises(ConflictTargetMissing, match="no longer exists here"):
        inbox.use_other(a, [vanished, fine])
    with pytest.raises(ConflictValueUnreadable, match="can no longer be read"):
        inbox.use_other(a, [garbled])
    assert outbox_rows(a) == before and inbox.count_open(a) == 3
    result = inbox.use_other_all(a)
    reasons = dict(result.skipped)
    assert reasons.keys() == {vanished, garbled} and "no longer exists" in reasons[vanished]
    assert result.resolved == (fine,) and accounts.get_account(a, acct.id).industry == "Search"
    assert inbox.count_open(a) == 2


def test_conflict_inbox_on_the_hub_itself(title_clash, hub, hub_url):
    """The app opened on the team's PostgreSQL: the hub's own conflicts, resolved in place."""
    a, _, c = title_clash
    office = Database(make_engine(hub_url), WriteContext(node=uuid.uuid4(), actor_id=a.write.actor_id))
    try:
        [record] = inbox.list_conflicts(office)
        [line] = record.fields
        assert (record.title, line.kept, line.other, line.original) == ("Grace Hopper", "CFO", "CEO", "Engineer")
        assert (line.kept_by, line.other_by) == ("Bob Rep", "Ada Admin")
        inbox.use_other(office, line.ids)
        assert inbox.count_open(office) == 0
        [on_hub] = hub_conflicts(hub)
        assert on_hub.resolved and on_hub.resolution == "other" and not on_hub.resolved_pending
        assert contacts.get_contact(office, c.id).job_title == "CEO"
    finally:
        office.dispose()
    full_sync(hub, a)  # the office's edit went into the hub's change log: laptops get it
    assert inbox.count_open(a) == 0 and local_conflicts(a)[0].resolution == "other"
    assert contacts.get_contact(a, c.id).job_title == "CEO"


def test_team_sync_reports_phases_and_open_conflicts(title_clash, hub_url):
    a, _, _ = title_clash
    seen = []
    summary = team_sync.sync_with_hub(a, hub_url, progress=lambda *p: seen.append(p))
    assert [p[0] for p in seen] == ["backup", "push", "pull", "conflicts", "check", "duplicates", "done"]
    assert [p[1] for p in seen] == [0, 1, 2, 3, 4, 5, 6] and {p[2] for p in seen} == {6}
    assert summary.count_check == "ok"  # the first sync checks counts and id hashes
    assert summary.open_conflicts == 1 and summary.synced_at is not None
    status = team_sync.sync_status(a)
    assert status.open_conflicts == 1 and status.last_synced_at == summary.synced_at


def test_conflict_inbox_pull_drops_conflicts_the_hub_no_longer_shows(title_clash, hub):
    a, _, _ = title_clash
    with hub.engine.begin() as conn:
        conn.execute(text("DELETE FROM sync_conflict"))
    sync_conflicts.pull_conflicts(a, hub)
    assert local_conflicts(a) == []


def test_conflict_inbox_pull_keeps_a_local_answer_not_yet_sent(title_clash, hub):
    a, b, _ = title_clash
    ids = inbox.list_conflicts(a)[0].ids
    inbox.use_other(a, ids)
    with hub.engine.begin() as conn:  # someone else answered first on the hub
        conn.execute(update(SyncConflict).values(resolved=True, resolution="kept"))
    sync_conflicts.pull_conflicts(a, hub)
    [mine] = local_conflicts(a)
    assert mine.resolution == "other" and mine.resolved_pending


@pytest.fixture
def bob_on_the_hub(seeded, hub, hub_url):
    """A Hub whose connections act as Bob under row-level security: a non-superuser role
    (SET ROLE) whose session user is mapped to Bob by ``app_user.db_role``."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool

    from leaddesk.sync.server import Hub

    _, b = seeded
    role = f"ld_test_{uuid.uuid4().hex[:10]}"
    with hub.engine.begin() as conn:
        session_user = conn.scalar(text("SELECT session_user"))
        conn.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        conn.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'))
        conn.execute(text(f'GRANT UPDATE ON sync_conflict TO "{role}"'))
        conn.execute(text("UPDATE app_user SET db_role = :me WHERE id = :bob"),
                     {"me": session_user, "bob": b.write.actor_id})
    engine = create_engine(hub_url, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _act_as_bob(dbapi_conn, _record):
        with dbapi_conn.cursor() as cur:
            cur.execute(f'SET ROLE "{role}"')
        dbapi_conn.commit()

    yield Hub(hub_url, engine=engine)
    engine.dispose()
    with hub.engine.begin() as conn:
        conn.execute(text(f'DROP OWNED BY "{role}"'))
        conn.execute(text(f'DROP ROLE "{role}"'))


def test_conflict_inbox_sync_under_row_level_security_sees_and_resolves_only_its_own(seeded, hub, bob_on_the_hub):
    a, b = seeded
    private = contacts.create_contact(a, given_name="Ada", family_name="Private")  # owned by Ada
    pool = contacts.create_contact(a, given_name="Team", family_name="Pool", owner_id=None)
    sync_all(hub, a, b)
    bobs = _fake_hub_conflict(hub, kind="field", entity="contact", row_id=private.id, field="city",
                              kept='"Oslo"', lost='"Bergen"', lost_author=b.write.actor_id)
    hidden = _fake_hub_conflict(hub, kind="field", entity="contact", row_id=private.id, field="region",
                                kept='"East"', lost='"West"', lost_author=a.write.actor_id)
    shared = _fake_hub_conflict(hub, kind="field", entity="contact", row_id=pool.id, field="city",
                                kept='"Rome"', lost='"Milan"')
    with bob_on_the_hub.engine.connect() as conn:
        assert conn.scalar(text("SELECT current_user")) != conn.scalar(text("SELECT session_user"))
        assert not conn.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
    assert sync_conflicts.pull_conflicts(b, bob_on_the_hub) == 2
    assert {r.id for r in local_conflicts(b)} == {bobs, shared}  # not Ada's private one
    inbox.keep(b, [bobs, shared])
    assert sync_conflicts.push_resolutions(b, bob_on_the_hub) == 2
    resolved = {r.id: r.resolved for r in hub_conflicts(hub)}
    assert resolved == {bobs: True, hidden: False, shared: True}
    assert sync_conflicts.pull_conflicts(a, hub) == 1  # the superuser's laptop sees the rest
