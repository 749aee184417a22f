"""Lost links, retries, skewed clocks and schema mismatch: nothing lost, nothing doubled."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text, func, select

from leaddesk.models import Account, ChangeLog, Outbox, SyncBatch
from leaddesk.services.people import contacts
from leaddesk.sync import client
from leaddesk.sync.journal import bulk_insert
from leaddesk.sync.server import Hub
from leaddesk.sync.protocol import ClockSkewRefused, HubUnavailable, ProtocolError, SchemaMismatch
from tests.sync.support import FlakyHub, duplicate_change_ids, log_count, outbox_count, synced_data


def bulk_session(db):
    return db.unit_of_work()


def _edit_some(db, n=3):
    made = [contacts.create_contact(db, given_name=f"Person {i}", family_name="Faulty") for i in range(n)]
    contacts.update_contact(db, made[0].id, expected_version=None, job_title="Boss")
    return made


def test_sync_link_drop_after_server_commit_resends_the_same_batch_as_duplicate(seeded, hub):
    a, b = seeded
    _edit_some(a)
    pending = outbox_count(a)
    before = log_count(hub)
    flaky = FlakyHub(hub, drop_after=1)
    with pytest.raises(HubUnavailable):
        client.sync(a, flaky, backup=False)
    assert log_count(hub) == before + pending  # the hub committed ...
    assert outbox_count(a) == pending  # ... but A never heard so, and keeps everything
    with a.engine.connect() as conn:
        assert conn.scalar(select(func.count(func.distinct(Outbox.batch_id)))) == 1
    report = client.sync(a, flaky, backup=False)
    [result] = report.pushed
    assert result.duplicate and result.batch_id == flaky.sent[0].batch_id
    assert flaky.sent[1] == flaky.sent[0]  # the very same batch, byte for byte
    assert log_count(hub) == before + pending and duplicate_change_ids(hub) == 0
    assert outbox_count(a) == 0
    client.sync(b, hub, backup=False)
    assert synced_data(a.engine) == synced_data(b.engine) == synced_data(hub.engine)


def test_sync_same_change_in_another_batch_is_skipped_by_change_id(seeded, hub):
    """Defence in depth: a change the log holds is not applied again, even under a new batch id."""
    a, _ = seeded
    _edit_some(a, 1)
    batch = client.next_batch(a)
    first = hub.push(batch)
    again = hub.push(type(batch)(batch_id=uuid.uuid4(), node=batch.node, changes=batch.changes, schema=batch.schema))
    assert first.accepted == len(batch.changes) and not first.duplicate
    assert (again.duplicate, again.accepted, again.skipped, again.applied) == (False, 0, len(batch.changes), 0)
    assert duplicate_change_ids(hub) == 0


def test_sync_link_drop_before_send_loses_nothing(seeded, hub):
    a, b = seeded
    made = _edit_some(a)
    pending = outbox_count(a)
    before = log_count(hub)
    flaky = FlakyHub(hub, drop_before=1)
    with pytest.raises(HubUnavailable):
        client.sync(a, flaky, backup=False)
    assert log_count(hub) == before and outbox_count(a) == pending
    client.sync(a, flaky, backup=False)
    client.sync(b, hub, backup=False)
    assert contacts.get_contact(b, made[0].id).job_title == "Boss"
    assert outbox_count(a) == 0 and log_count(hub) == before + pending


def test_sync_link_drop_during_pull_keeps_the_cursor(seeded, hub):
    a, b = seeded
    made = _edit_some(a)
    client.sync(a, hub, backup=False)
    seq = client.last_pulled_seq(b)
    with pytest.raises(HubUnavailable):
        client.pull(b, FlakyHub(hub, drop_pull=1))
    assert client.last_pulled_seq(b) == seq
    client.pull(b, hub, page_size=2)  # small pages: the cursor moves page by page
    assert contacts.get_contact(b, made[0].id).job_title == "Boss"
    assert client.last_pulled_seq(b) == hub.pull(0, 100_000).last_seq


def test_sync_one_change_per_batch_keeps_parents_before_children(seeded, hub):
    """One save makes a company, a contact, its e-mails and phone (some in one flush, one
    HLC). Sent one change per batch, each batch its own hub transaction, parents still
    arrive first, so the hub's foreign keys hold; pulled one change per page, too."""
    a, b = seeded
    c = contacts.create_contact(a, given_name="Many", emails=["m1@example.com", "m2@example.com"],
                                phones=["+90 212 555 0101"], new_company="Parent Co")
    with bulk_session(a) as s:
        bulk_insert(s, Account, [{"name": f"Bulk {i}", "name_key": f"bulk {i}"} for i in range(7)])
    pending = outbox_count(a)
    results = client.push(a, hub, batch_size=1)
    assert len(results) == pending and all(r.received == 1 and not r.duplicate for r in results)
    client.sync(b, hub, backup=False, page_size=1)
    got = contacts.get_contact(b, c.id)
    assert len(got.emails) == 2 and len(got.phones) == 1 and got.account_id is not None
    assert synced_data(a.engine) == synced_data(b.engine) == synced_data(hub.engine)


def test_sync_clock_one_hour_ahead_is_refused_and_keeps_the_outbox(make_replica, hub):
    ahead = make_replica("ahead", skew_ms=3_600_000)
    contacts.create_contact(ahead, given_name="Future", family_name="Person")
    pending = outbox_count(ahead)
    with pytest.raises(ClockSkewRefused) as err:
        client.sync(ahead, hub, backup=False)
    assert "ahead of the team server" in str(err.value) and "60 minutes" in str(err.value)
    assert outbox_count(ahead) == pending
    assert log_count(hub) == 0
    with hub.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(SyncBatch)) == 0


def test_sync_clock_one_hour_behind_is_accepted_and_catches_up(seeded, make_replica, hub):
    a, _ = seeded
    c = contacts.create_contact(a, given_name="Ada", family_name="Lovelace")
    client.sync(a, hub, backup=False)
    late = make_replica("late", skew_ms=-3_600_000)
    contacts.create_contact(late, given_name="Early", family_name="Bird")
    report = client.sync(late, hub, backup=False)  # pushed before pulling: accepted
    assert sum(r.accepted for r in report.pushed) > 0
    contacts.update_contact(a, c.id, expected_version=None, job_title="Seen by late")
    client.sync(a, hub, backup=False)
    client.sync(late, hub, backup=False)
    with hub.engine.connect() as conn:
        newest = conn.scalar(select(func.max(ChangeLog.hlc)))
    assert late.write.clock.last >= newest
    contacts.update_contact(late, c.id, expected_version=None, job_title="Edited after seeing it")
    with late.engine.connect() as conn:
        assert conn.scalar(select(func.max(Outbox.hlc))) > newest
    client.sync(late, hub, backup=False)
    client.sync(a, hub, backup=False)
    assert contacts.get_contact(a, c.id).job_title == "Edited after seeing it"


def test_sync_restore_clock_after_restart_orders_after_what_was_seen(seeded, make_replica, hub):
    a, _ = seeded
    client.sync(a, hub, backup=False)
    late = make_replica("late2", skew_ms=-3_600_000)
    client.sync(late, hub, backup=False)
    seen = late.write.clock.last
    late.write.clock._last = 0  # a restart: a fresh clock, wall clock still an hour behind
    assert client.restore_clock(late) >= seen


def test_sync_schema_mismatch_is_refused_before_anything_moves(seeded, hub):
    a, _ = seeded
    _edit_some(a, 1)
    pending = outbox_count(a)

    class OldHub(FlakyHub):
        schema = "0001"

    with pytest.raises(SchemaMismatch):
        client.sync(a, OldHub(hub), backup=False)
    batch = client.next_batch(a)
    with pytest.raises(SchemaMismatch):
        hub.push(type(batch)(batch.batch_id, batch.node, batch.changes, schema="0001"))
    assert outbox_count(a) == pending


def test_sync_hub_refuses_unknown_tables_and_orphan_edits(seeded, hub):
    a, _ = seeded
    _edit_some(a, 1)
    batch = client.next_batch(a)
    before = log_count(hub)
    bad = batch.changes[0].__class__(**{**batch.changes[0].__dict__, "entity": "outbox"})
    with pytest.raises(ProtocolError):
        hub.push(type(batch)(uuid.uuid4(), batch.node, (bad,), batch.schema))
    orphan = batch.changes[0].__class__(**{**batch.changes[0].__dict__, "field": "job_title", "value": '"x"',
                                           "row_id": uuid.uuid4(), "change_id": uuid.uuid4()})
    assert log_count(hub) == before  # nothing of a refused batch stays
    # An edit of a row the hub never had is not a protocol error that would block the
    # whole outbox: it is refused alone, kept, and shown to its author as a conflict.
    refused = hub.push(type(batch)(uuid.uuid4(), batch.node, (orphan,), batch.schema))
    assert (refused.rejected, refused.applied) == (1, 0)
    assert refused.refused_rows == (("contact", orphan.row_id),)
    with hub.engine.connect() as conn:
        kept = conn.execute(text("SELECT rejected, value FROM change_log WHERE change_id = :c"),
                            {"c": orphan.change_id}).one()
        note = conn.scalar(text("SELECT note FROM sync_conflict WHERE kind = 'rejected' AND lost_change_id = :c"),
                           {"c": orphan.change_id})
    assert kept == (True, '"x"') and "not on the team server" in note
    assert orphan.change_id not in {c.change_id for c in hub.pull(0, 100000).changes}  # never pulled
    result = hub.push(batch)
    assert result.accepted == len(batch.changes) and result.rejected == 0


def test_sync_unreachable_hub_is_a_clear_error_and_keeps_the_outbox(seeded):
    a, _ = seeded
    _edit_some(a, 1)
    pending = outbox_count(a)
    nowhere = Hub("postgresql+psycopg://postgres@127.0.0.1:9/nowhere")
    try:
        with pytest.raises(HubUnavailable, match="did not answer"):
            client.sync(a, nowhere, backup=False)
    finally:
        nowhere.dispose()
    assert outbox_count(a) == pending
