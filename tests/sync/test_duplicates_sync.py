"""Two reps capture the same person offline: the pair reaches review on both laptops, a
merge on one travels to the other, and offline work for the merged-away contact follows it
to the survivor. Every replica and the hub end with the same data."""

from __future__ import annotations

from sqlalchemy import select

from leaddesk.models import Contact
from leaddesk.models.enums import DuplicateStatus
from leaddesk.services.followups import activities
from leaddesk.services.people import contacts, duplicates
from leaddesk.services.people._duplicate_common import AfterSyncResult, pair_id
from leaddesk.sync import client
from tests.sync.support import conflicts, outbox_count, synced_data


def sync(db, hub) -> AfterSyncResult:
    """One sync as the app runs it: push, pull, then the duplicate hook on what was pulled."""
    since = client.last_pulled_seq(db)
    client.sync(db, hub, backup=False)
    pulled = hub.pull(since, limit=100_000).changes
    changed = duplicates.touched_contacts(db, [(c.entity, c.row_id) for c in pulled])
    return duplicates.after_sync(db, changed)


def sync_all(hub, *dbs) -> None:
    """Rounds of syncs until a whole round has nothing to push (the hook may make edits)."""
    for _ in range(5):
        pushed = False
        for db in dbs:
            pushed |= outbox_count(db) > 0
            sync(db, hub)
        if not pushed and all(outbox_count(db) == 0 for db in dbs):
            return
    raise AssertionError("replicas kept producing changes")


def assert_converged(hub, *dbs) -> None:
    want = synced_data(hub.engine)
    for db in dbs:
        assert synced_data(db.engine) == want
        assert outbox_count(db) == 0


def capture_ana(db, **extra):
    return contacts.create_contact(db, given_name="Ana", family_name="Souza", emails=["ana.souza@example.com"],
                                   allow_duplicate=True, **extra)


def test_sync_two_reps_capture_the_same_person_and_both_see_one_candidate(seeded, hub):
    a, b = seeded
    ana_a = capture_ana(a, job_title="Buyer")
    ana_b = contacts.create_contact(b, given_name="Ana", family_name="Souza", emails=["ANA.SOUZA@example.com"],
                                    phones=["+49 30 1234567"], allow_duplicate=True)
    sync_all(hub, a, b)
    on_a, on_b = duplicates.list_candidates(a), duplicates.list_candidates(b)
    assert len(on_a) == len(on_b) == 1
    assert on_a[0].id == on_b[0].id == pair_id(ana_a.id, ana_b.id)
    assert on_a[0].reasons == on_b[0].reasons == ("Same e-mail: ana.souza@example.com",)
    assert_converged(hub, a, b)
    assert conflicts(hub) == []  # both laptops made the same row: no conflict


def test_sync_merge_travels_and_offline_work_for_the_loser_follows_to_the_survivor(seeded, hub):
    a, b = seeded
    keep = capture_ana(a, job_title="Buyer")
    gone = capture_ana(b, city="Izmir")
    sync_all(hub, a, b)
    [cand] = duplicates.list_candidates(a)
    # A merges while B, offline, keeps working on its own capture.
    duplicates.merge(a, keep.id, gone.id, candidate_id=cand.id)
    late = activities.log_activity(b, "call", "Called from the booth", contact_id=gone.id)
    contacts.update_contact(b, gone.id, expected_version=None, department="Procurement")
    client.sync(a, hub, backup=False)
    followed = sync(b, hub)  # B pulls the merge: its offline work moves to the survivor
    assert followed.followed == 2
    sync_all(hub, a, b)
    for db in (a, b):
        assert activities.get_activity(db, late.id).contact_id == keep.id
        got = contacts.get_contact(db, keep.id)
        assert (got.job_title, got.city, got.department) == ("Buyer", "Izmir", "Procurement")
        assert [e.address for e in got.emails] == ["ana.souza@example.com"]
        with db.reader() as s:
            loser = s.get(Contact, gone.id)
            assert (loser.deleted, loser.merged_into) == (True, keep.id)
        assert duplicates.list_candidates(db) == []
        assert [c.id for c in duplicates.list_candidates(db, DuplicateStatus.MERGED)] == [cand.id]
    assert_converged(hub, a, b)


def test_sync_undo_on_the_other_laptop_brings_both_back_everywhere(seeded, hub):
    a, b = seeded
    keep = capture_ana(a)
    gone = capture_ana(b)
    act = activities.log_activity(b, "note", "Met at the fair", contact_id=gone.id)
    sync_all(hub, a, b)
    merge_id = duplicates.merge(a, keep.id, gone.id)
    sync_all(hub, a, b)
    assert activities.get_activity(b, act.id).contact_id == keep.id
    [info] = duplicates.list_merges(b)
    duplicates.undo_merge(b, info.id)
    assert info.id == merge_id
    sync_all(hub, a, b)
    for db in (a, b):
        assert activities.get_activity(db, act.id).contact_id == gone.id
        assert {c.id for c in contacts.list_contacts(db).items} == {keep.id, gone.id}
        assert [c.id for c in duplicates.list_candidates(db)] == [pair_id(keep.id, gone.id)]
    assert_converged(hub, a, b)


def test_sync_dismissal_travels_and_the_pair_stays_dismissed(seeded, hub):
    a, b = seeded
    capture_ana(a)
    capture_ana(b)
    sync_all(hub, a, b)
    [cand] = duplicates.list_candidates(b)
    duplicates.dismiss(b, cand.id)
    sync_all(hub, a, b)
    contacts.create_contact(a, given_name="Ana", emails=["ana.souza@example.com"], allow_duplicate=True)
    sync_all(hub, a, b)
    for db in (a, b):
        assert cand.id not in {c.id for c in duplicates.list_candidates(db)}
        assert len(duplicates.list_candidates(db)) == 2  # the third capture pairs with both
        with db.reader() as s:
            assert s.scalar(select(Contact.id).where(Contact.deleted.is_(True))) is None
    assert_converged(hub, a, b)
