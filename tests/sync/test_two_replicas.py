"""Two laptops and the hub: merges, conflicts, creates and deletes converge everywhere."""

from __future__ import annotations

import json

import pytest

from leaddesk.errors import NotFound
from leaddesk.services.people import accounts, contacts
from leaddesk.sync import client
from tests.sync.support import conflicts, outbox_count, synced_data


def sync_all(hub, *dbs):
    for db in dbs:
        client.sync(db, hub, backup=False)
    for db in dbs[:-1]:
        client.sync(db, hub, backup=False)


def assert_converged(hub, *dbs):
    want = synced_data(hub.engine)
    for db in dbs:
        assert synced_data(db.engine) == want
        assert outbox_count(db) == 0


def test_sync_bootstrap_brings_the_seeded_rows_and_makes_no_outbox(seeded, hub):
    a, b = seeded
    assert_converged(hub, a, b)
    assert len(synced_data(hub.engine)["app_user"]) == 2
    assert conflicts(hub) == []


def test_sync_edits_on_different_fields_merge_silently(seeded, hub):
    a, b = seeded
    c = contacts.create_contact(a, given_name="Ada", family_name="Lovelace")
    sync_all(hub, a, b)
    contacts.update_contact(a, c.id, expected_version=None, job_title="CTO")
    contacts.update_contact(b, c.id, expected_version=None, city="Izmir")
    sync_all(hub, a, b)
    for db in (a, b):
        got = contacts.get_contact(db, c.id)
        assert (got.job_title, got.city) == ("CTO", "Izmir")
    assert_converged(hub, a, b)
    assert conflicts(hub) == []


@pytest.mark.parametrize("first", ["winner", "loser"])
def test_sync_same_field_concurrent_edits_converge_to_max_clock_and_keep_both(seeded, hub, first):
    a, b = seeded
    c = contacts.create_contact(a, given_name="Ada", family_name="Lovelace")
    sync_all(hub, a, b)
    contacts.update_contact(a, c.id, expected_version=None, job_title="CEO")
    contacts.update_contact(b, c.id, expected_version=None, job_title="CFO")  # later HLC: wins
    order = (b, a) if first == "winner" else (a, b)
    sync_all(hub, *order)
    for db in (a, b):
        assert contacts.get_contact(db, c.id).job_title == "CFO"
    assert_converged(hub, a, b)
    [conflict] = conflicts(hub)
    assert (conflict.kind, conflict.entity, conflict.row_id, conflict.field) == ("field", "contact", c.id, "job_title")
    assert (json.loads(conflict.kept_value), json.loads(conflict.lost_value)) == ("CFO", "CEO")
    assert (conflict.kept_node, conflict.lost_node) == (b.write.node, a.write.node)
    assert conflict.kept_hlc > conflict.lost_hlc and not conflict.resolved
    info = hub.conflicts(entity_name="contact")
    assert [(i.kept_value, i.lost_value) for i in info] == [("CFO", "CEO")]
    hub.mark_resolved([info[0].id])
    assert hub.conflicts() == [] and hub.conflicts(unresolved_only=False)[0].resolved


def test_sync_editing_a_field_twice_across_syncs_is_no_conflict(seeded, hub):
    a, b = seeded
    c = contacts.create_contact(a, given_name="Ada", family_name="Lovelace")
    sync_all(hub, a, b)
    contacts.update_contact(a, c.id, expected_version=None, job_title="Intern")
    client.push(a, hub)  # pushed but not pulled: the next edit's base predates the first
    contacts.update_contact(a, c.id, expected_version=None, job_title="Engineer")
    client.sync(a, hub, backup=False)
    contacts.update_contact(a, c.id, expected_version=None, job_title="Manager")
    sync_all(hub, a, b)
    # B saw A's value before editing: no conflict either.
    contacts.update_contact(b, c.id, expected_version=None, job_title="Director")
    sync_all(hub, b, a)
    assert contacts.get_contact(a, c.id).job_title == "Director"
    assert conflicts(hub) == []
    assert_converged(hub, a, b)


def test_sync_edit_made_before_a_pull_is_still_concurrent(seeded, hub):
    """A's unsent edit, then A pulls B's edit of the same field, then A pushes: the hub must
    see A's edit as made before B's value was known (outbox_base), hence a conflict."""
    a, b = seeded
    c = contacts.create_contact(a, given_name="Ada", family_name="Lovelace")
    sync_all(hub, a, b)
    contacts.update_contact(a, c.id, expected_version=None, job_title="A's title")
    contacts.update_contact(b, c.id, expected_version=None, job_title="B's title")
    client.sync(b, hub, backup=False)
    client.pull(a, hub)
    assert contacts.get_contact(a, c.id).job_title == "B's title"  # B's edit is later
    client.sync(a, hub, backup=False)
    client.sync(b, hub, backup=False)
    [conflict] = conflicts(hub)
    assert (json.loads(conflict.kept_value), json.loads(conflict.lost_value)) == ("B's title", "A's title")
    assert_converged(hub, a, b)


def test_sync_creates_on_both_sides_appear_on_both(seeded, hub):
    a, b = seeded
    x = contacts.create_contact(a, given_name="Xena", emails=["xena@example.com"], phones=["+49 30 1234567"],
                                new_company="Amazons Ltd")
    y = contacts.create_contact(b, given_name="Yusuf", emails=["yusuf@example.com"])
    acct = accounts.create_account(b, name="Bosporus AŞ", annual_revenue="1234567.89", revenue_currency="TRY",
                                   tags=["vip", "istanbul"])
    sync_all(hub, a, b)
    for db in (a, b):
        assert contacts.get_contact(db, x.id).emails[0].address == "xena@example.com"
        assert contacts.get_contact(db, x.id).phones[0].e164 == "+49301234567"
        assert contacts.get_contact(db, y.id).given_name == "Yusuf"
        got = accounts.get_account(db, acct.id)
        assert str(got.annual_revenue) == "1234567.89" and tuple(got.tags) == ("istanbul", "vip")
    assert_converged(hub, a, b)
    assert conflicts(hub) == []


def test_sync_soft_delete_and_restore_propagate(seeded, hub):
    a, b = seeded
    c = contacts.create_contact(a, given_name="Ada", family_name="Lovelace")
    sync_all(hub, a, b)
    contacts.delete_contact(a, c.id)
    sync_all(hub, a, b)
    with pytest.raises(NotFound):
        contacts.get_contact(b, c.id)
    assert contacts.get_contact(b, c.id, include_deleted=True).deleted
    contacts.restore_contact(b, c.id)
    sync_all(hub, b, a)
    assert not contacts.get_contact(a, c.id).deleted
    assert_converged(hub, a, b)
    assert conflicts(hub) == []


@pytest.mark.parametrize("first", ["delete", "edit"])
def test_sync_edit_concurrent_with_delete_stays_deleted_with_a_conflict(seeded, hub, first):
    a, b = seeded
    c = contacts.create_contact(a, given_name="Ada", family_name="Lovelace")
    sync_all(hub, a, b)
    contacts.delete_contact(a, c.id)
    contacts.update_contact(b, c.id, expected_version=None, job_title="VP Sales")
    sync_all(hub, *((a, b) if first == "delete" else (b, a)))
    for db in (a, b):
        got = contacts.get_contact(db, c.id, include_deleted=True)
        assert got.deleted and got.job_title == "VP Sales"  # the edit is kept on the tombstone
    assert_converged(hub, a, b)
    [conflict] = conflicts(hub)
    assert (conflict.kind, conflict.field) == ("edit_deleted", "job_title")
    assert (json.loads(conflict.kept_value), json.loads(conflict.lost_value)) == (True, "VP Sales")
    assert (conflict.kept_node, conflict.lost_node) == (a.write.node, b.write.node)


def test_sync_pull_writes_no_outbox_and_bumps_local_version(seeded, hub):
    a, b = seeded
    c = contacts.create_contact(a, given_name="Ada", family_name="Lovelace")
    sync_all(hub, a, b)
    before = contacts.get_contact(b, c.id).version
    contacts.update_contact(a, c.id, expected_version=None, job_title="CTO")
    client.sync(a, hub, backup=False)
    stats = client.pull(b, hub)
    assert stats.changes >= 1 and stats.applied >= 1
    assert outbox_count(b) == 0
    # A form on B still holding the old version gets a Conflict instead of overwriting.
    assert contacts.get_contact(b, c.id).version == before + 1


def test_sync_takes_a_backup_of_the_local_file_first(seeded, hub, tmp_path):
    a, _ = seeded
    report = client.sync(a, hub, backup_dir=tmp_path / "bk")
    assert report.backup is not None and report.backup.exists()
    assert report.backup.parent == tmp_path / "bk"
