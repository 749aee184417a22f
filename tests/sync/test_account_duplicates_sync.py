"""Two reps at a trade show each create the same company offline: after sync the pair waits
for review on both laptops, one merges, the other's later work for the merged-away account
follows it to the survivor, and every replica ends with the hub's data."""

from __future__ import annotations

from leaddesk.models import Account
from leaddesk.models.enums import DuplicateStatus
from leaddesk.services.people import account_duplicates as adup
from leaddesk.services.people import accounts, contacts
from leaddesk.services.followups import activities
from leaddesk.services.pipeline import opportunities as pipeline
from leaddesk.services.team import sync as team_sync
from leaddesk.sync import client
from tests.sync.support import conflicts, outbox_count, synced_data


def sync(db, hub) -> int:
    """One sync as the app runs it: push, pull, then the after-pull hook of team_sync
    (account and contact merges followed, duplicates looked for)."""
    since = client.last_pulled_seq(db)
    client.sync(db, hub, backup=False)
    return team_sync._after_pull(db, since)


def sync_all(hub, *dbs) -> None:
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


def test_sync_two_reps_create_the_same_company_merge_and_late_work_follows(seeded, hub):
    a, b = seeded
    # At the fair, offline: each rep creates the company and a contact there.
    keep = accounts.create_account(a, name="Fair Goods GmbH", website="https://www.fairgoods.example",
                                   country="DE", notes="Stand B12.")
    ayse = contacts.create_contact(a, given_name="Ayşe", family_name="Kaya", account_id=keep.id,
                                   allow_duplicate=True)
    gone = accounts.create_account(b, name="FairGoods GmbH", website="fairgoods.example", city="Köln")
    mert = contacts.create_contact(b, given_name="Mert", family_name="Demir", account_id=gone.id,
                                   allow_duplicate=True)
    call = activities.log_activity(b, "call", "Booth follow-up", account_id=gone.id)
    sync_all(hub, a, b)
    on_a, on_b = adup.list_candidates(a), adup.list_candidates(b)
    assert len(on_a) == len(on_b) == 1
    assert on_a[0].id == on_b[0].id
    assert on_a[0].reasons == on_b[0].reasons == ("Same web domain: fairgoods.example",
                                                  "Same name: Fair Goods GmbH / FairGoods GmbH (Köln, DE)")
    assert conflicts(hub) == []  # both laptops made the same candidate row: no conflict

    # A merges B's account into hers while B, offline again, keeps working on his.
    merge_id = adup.merge(a, keep.id, gone.id, candidate_id=on_a[0].id)
    accounts.update_account(b, gone.id, expected_version=None, phone="+49 221 123456")
    deal = pipeline.create_opportunity(b, gone.id, "Shelving for Köln", amount="8000")
    late = contacts.create_contact(b, given_name="Selin", family_name="Aydın", account_id=gone.id,
                                   allow_duplicate=True)
    client.sync(a, hub, backup=False)
    sync(b, hub)  # B pulls the merge: its offline work moves to the survivor
    sync_all(hub, a, b)

    for db in (a, b):
        got = accounts.get_account(db, keep.id)
        assert (got.name, got.city, got.phone, got.notes) == ("Fair Goods GmbH", "Köln", "+49221123456",
                                                              "Stand B12.")
        for contact in (ayse, mert, late):
            assert contacts.get_contact(db, contact.id).account_id == keep.id
        assert pipeline.get_opportunity(db, deal.id).account_id == keep.id
        assert activities.get_activity(db, call.id).account_id == keep.id
        with db.reader() as s:
            loser = s.get(Account, gone.id)
            assert (loser.deleted, loser.merged_into) == (True, keep.id)
        assert adup.list_candidates(db) == []
        assert [c.id for c in adup.list_candidates(db, DuplicateStatus.MERGED)] == [on_a[0].id]
        assert [m.id for m in adup.list_merges(db)] == [merge_id]
    assert_converged(hub, a, b)

    # B undoes it later: both companies are back everywhere, with what each had.
    result = adup.undo_merge(b, merge_id)
    assert result.left_rows == 0
    sync_all(hub, a, b)
    for db in (a, b):
        assert contacts.get_contact(db, mert.id).account_id == gone.id
        assert contacts.get_contact(db, late.id).account_id == gone.id  # the late one went back too
        assert pipeline.get_opportunity(db, deal.id).account_id == gone.id
        assert contacts.get_contact(db, ayse.id).account_id == keep.id
        assert [c.id for c in adup.list_candidates(db)] == [on_a[0].id]
    assert_converged(hub, a, b)
