"""Duplicate review: detection, dismiss, merge, undo and following merges (both engines)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from leaddesk.errors import NotFound, ValidationError
from leaddesk.models import (
    Activity,
    ChangeLog,
    Contact,
    ContactEmail,
    ContactPhone,
    DuplicateCandidate,
    Outbox,
    RecordMerge,
)
from leaddesk.models.enums import ActivityKind, DuplicateStatus, EngagementKind, LifecycleStage, Seniority
from leaddesk.services.people import accounts, contacts, duplicates
from leaddesk.services.followups import activities
from leaddesk.services.marketing import campaigns
from leaddesk.services.pipeline import opportunities as pipeline
from leaddesk.services.qualification import bant as qualification
from leaddesk.services.people._contact_detection import EMAIL_SCORE
from leaddesk.services.people._duplicate_common import AfterSyncResult, MergeRefused, pair_id
from leaddesk.services.people._matching import MAX_SHARED
from tests.sync.support import synced_data

T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.timezone.utc)


def person(db, given, family=None, *, emails=(), phones=(), account=None, **extra):
    return contacts.create_contact(db, given_name=given, family_name=family, emails=list(emails),
                                   phones=list(phones), account_id=account, allow_duplicate=True,
                                   region="DE", **extra)


def edit(db, contact_id, **values):
    return contacts.update_contact(db, contact_id, expected_version=None, allow_duplicate=True, region="DE", **values)


def open_pairs(db) -> dict[frozenset, duplicates.CandidateInfo]:
    return {frozenset({c.a.id, c.b.id}): c for c in duplicates.list_candidates(db)}


def state_without_merges(db) -> dict:
    """Every synced row's payload except the merge records themselves."""
    data = synced_data(db.engine)
    data.pop("record_merge")
    return data


def journal(db) -> dict:
    """change id -> (table, field) of every journaled change: the outbox of a replica, the
    change log of a team database opened directly."""
    table = ChangeLog if getattr(db, "hub_mode", False) else Outbox
    with db.engine.connect() as conn:
        return {r.change_id: (r.entity, r.field) for r in conn.execute(
            select(table.change_id, table.entity, table.field))}


# --- detection --------------------------------------------------------------------------

def test_duplicates_detect_same_email_in_another_spelling(db):
    a = person(db, "Ana", "Souza", emails=["Ana.Souza@Example.COM"])
    b = person(db, "A.", "Souza-Lima", emails=[" ana.souza@example.com "])
    person(db, "Ben", "Other", emails=["ben@example.com"])
    assert duplicates.detect(db) == 1
    [cand] = duplicates.list_candidates(db)
    assert {cand.a.id, cand.b.id} == {a.id, b.id} and cand.a.id < cand.b.id
    assert cand.id == pair_id(b.id, a.id) == pair_id(a.id, b.id)
    assert cand.reasons == ("Same e-mail: ana.souza@example.com",)
    assert cand.score == EMAIL_SCORE and cand.status is DuplicateStatus.OPEN
    assert duplicates.detect(db) == 0  # nothing new the second time
    assert len(duplicates.list_candidates(db)) == 1


def test_duplicates_detect_same_phone_typed_differently(db):
    a = person(db, "Jörg", "Brandt", phones=["030 1234567"])
    b = person(db, "J.", "Brandt", phones=["+49 (30) 123-4567"])
    assert duplicates.detect(db) == 1
    cand = open_pairs(db)[frozenset({a.id, b.id})]
    assert cand.reasons == ("Same phone: +49301234567",)


def test_duplicates_detect_similar_name_at_the_same_company_under_two_accounts(db):
    acme1 = accounts.create_account(db, name="ACME GmbH")
    acme2 = accounts.create_account(db, name="Acme")
    globex = accounts.create_account(db, name="Globex Corporation")
    a = person(db, "Anna", "Müller", account=acme1.id)
    b = person(db, "Ana", "Muller", account=acme2.id)
    c = person(db, "Müller,", "Anna", account=acme1.id)  # surname first, same account
    person(db, "Anna", "Müller", account=globex.id)  # a namesake at another company
    assert duplicates.detect(db) == 3
    pairs = open_pairs(db)
    assert set(pairs) == {frozenset({a.id, b.id}), frozenset({a.id, c.id}), frozenset({b.id, c.id})}
    reason = pairs[frozenset({a.id, b.id})].reasons[0]
    assert reason.startswith("Similar name at the same company") and "ACME GmbH" in reason and "Acme" in reason


def test_duplicates_same_domain_counts_as_the_same_company(db):
    x = accounts.create_account(db, name="Initech", website="https://initech.example")
    y = accounts.create_account(db, name="Initech Software Labs", website="initech.example")
    a = person(db, "Peter", "Gibbons", account=x.id)
    b = person(db, "Peter", "Gibbons", account=y.id)
    assert duplicates.detect(db) == 1
    assert frozenset({a.id, b.id}) in open_pairs(db)


def test_duplicates_no_pair_for_different_people_with_a_common_first_name(db):
    acme = accounts.create_account(db, name="Acme")
    other = accounts.create_account(db, name="Umbrella")
    person(db, "Maria", "Garcia", account=acme.id, emails=["m.garcia@acme.example"])
    person(db, "Maria", "Lopez", account=acme.id, emails=["m.lopez@acme.example"])
    person(db, "Maria", "Garcia", account=other.id)  # same name, other company
    person(db, "John", "Smith")
    person(db, "John", "Smith")  # no company: a name alone proves nothing
    assert duplicates.detect(db) == 0
    assert duplicates.list_candidates(db) == []


def test_duplicates_shared_switchboard_number_is_not_evidence(db):
    people = [person(db, f"Person{i}", "Staff", phones=["+49 30 9999999"]) for i in range(MAX_SHARED + 1)]
    assert duplicates.detect(db) == 0
    assert len(people) > MAX_SHARED


def test_duplicates_several_reasons_raise_the_score_and_refresh_an_open_pair(db):
    acme = accounts.create_account(db, name="Acme")
    a = person(db, "Ana", "Souza", emails=["ana@acme.example"], account=acme.id)
    b = person(db, "Ana", "Souza", emails=["ana@acme.example"], account=acme.id)
    assert duplicates.detect(db) == 1
    first = open_pairs(db)[frozenset({a.id, b.id})]
    assert len(first.reasons) == 2 and first.score > EMAIL_SCORE
    edit(db, b.id, phones=["+49 30 5550000"])
    edit(db, a.id, phones=["030 5550000"])
    assert duplicates.detect(db) == 0
    again = open_pairs(db)[frozenset({a.id, b.id})]
    assert again.id == first.id and again.reasons[1] == "Same phone: +49305550000" and again.score > first.score
    version = again.version
    duplicates.detect(db)
    assert open_pairs(db)[frozenset({a.id, b.id})].version == version  # unchanged: not rewritten


def test_duplicates_dismissed_pair_stays_dismissed(db):
    a = person(db, "Ana", emails=["ana@example.com"])
    b = person(db, "Ana", emails=["ana@example.com"])
    duplicates.detect(db)
    [cand] = duplicates.list_candidates(db)
    duplicates.dismiss(db, cand.id)
    assert duplicates.list_candidates(db) == []
    edit(db, a.id, phones=["+49 30 1111111"])
    edit(db, b.id, phones=["+49 30 1111111"])
    assert duplicates.detect(db) == 0
    assert duplicates.detect(db, contact_ids=[a.id]) == 0
    [dismissed] = duplicates.list_candidates(db, DuplicateStatus.DISMISSED)
    assert dismissed.id == cand.id and dismissed.reasons == cand.reasons  # not re-scored either


def test_duplicates_detect_limited_to_given_contacts(db):
    a = person(db, "Ana", emails=["ana@example.com"])
    b = person(db, "Ana", emails=["ana@example.com"])
    c = person(db, "Cem", phones=["+90 212 555 0000"])
    d = person(db, "Cem", phones=["+902125550000"])
    assert duplicates.detect(db, contact_ids=[c.id]) == 1
    assert set(open_pairs(db)) == {frozenset({c.id, d.id})}
    assert duplicates.detect(db, contact_ids=[]) == 0
    assert duplicates.detect(db, contact_ids=[b.id]) == 1
    assert set(open_pairs(db)) == {frozenset({c.id, d.id}), frozenset({a.id, b.id})}


def test_duplicates_candidate_shows_both_contacts_for_review(db):
    acme = accounts.create_account(db, name="Acme")
    a = person(db, "Ana", "Souza", emails=["ana@acme.example", "ana.private@example.com"], account=acme.id,
               job_title="Buyer")
    b = person(db, "Ana", "Souza", emails=["ANA@acme.example"], phones=["+49 30 1234567"])
    activities.log_activity(db, "call", "Intro call", contact_id=b.id)
    pipeline.create_opportunity(db, acme.id, "Acme rollout", amount="1000", primary_contact_id=b.id)
    duplicates.detect(db)
    cand = open_pairs(db)[frozenset({a.id, b.id})]
    side_a, side_b = (cand.a, cand.b) if cand.a.id == a.id else (cand.b, cand.a)
    assert side_a.emails == ("ana@acme.example", "ana.private@example.com") and side_a.company == "Acme"
    assert side_b.phones == ("+49301234567",) and side_b.company is None
    assert (side_b.activity_count, side_b.opportunity_count) == (1, 1)
    assert (side_a.activity_count, side_a.opportunity_count) == (0, 0)
    assert side_a.owner_name == "Ada Admin" and side_a.values["job_title"] == "Buyer"
    assert "account_id" in cand.differing and "job_title" in cand.differing
    assert "given_name" not in cand.differing
    assert duplicates.open_count(db) == 1


# --- merge ------------------------------------------------------------------------------

@pytest.fixture
def twins(db):
    """Two captures of Ana: the loser has its own e-mail, a shared one, a phone, an
    activity, an opportunity, a BANT, engagement and lifecycle history."""
    acme = accounts.create_account(db, name="Acme")
    survivor = person(db, "Ana", "Souza", emails=["ana@acme.example"], phones=["+49 30 1000000"],
                      account=acme.id)
    loser = person(db, "Ana", "Souza", emails=["ANA@acme.example", "ana@home.example"],
                   phones=["+49 151 2000000"], job_title="Head of Buying", seniority="director",
                   city="Berlin", notes="Met at the fair.")
    # (create_contact cannot take captured_at: it passes the keyword twice)
    edit(db, loser.id, captured_at=T0)
    edit(db, survivor.id, notes="Prefers e-mail.", captured_at=T0 + dt.timedelta(days=2))
    act = activities.log_activity(db, "call", "Intro call", contact_id=loser.id)
    opp = pipeline.create_opportunity(db, acme.id, "Acme rollout", amount="5000", primary_contact_id=loser.id)
    qualification.record_bant(db, loser.id, need="Faster quotes", authority="decision_maker")
    campaigns.record_engagement(db, loser.id, EngagementKind.DOWNLOAD, T0, detail="Pricing PDF")
    duplicates.detect(db)
    return survivor, loser, act, opp


def live_children(db, contact_id) -> dict[str, int]:
    from leaddesk.models import Bant, EngagementEvent, LifecycleEvent, Opportunity

    with db.reader() as s:
        def n(model, col):
            return s.scalar(select(func.count()).select_from(model).where(col == contact_id, model.deleted.is_(False)))

        return {"email": n(ContactEmail, ContactEmail.contact_id), "phone": n(ContactPhone, ContactPhone.contact_id),
                "activity": n(Activity, Activity.contact_id), "opportunity": n(Opportunity, Opportunity.primary_contact_id),
                "bant": n(Bant, Bant.contact_id), "engagement": n(EngagementEvent, EngagementEvent.contact_id),
                "lifecycle": n(LifecycleEvent, LifecycleEvent.contact_id)}


def test_duplicates_merge_keeps_every_email_phone_activity_and_opportunity(db, twins):
    survivor, loser, act, opp = twins
    before_s, before_l = live_children(db, survivor.id), live_children(db, loser.id)
    [cand] = duplicates.list_candidates(db)
    merge_id = duplicates.merge(db, survivor.id, loser.id, candidate_id=cand.id)
    got = contacts.get_contact(db, survivor.id)
    assert [e.address for e in got.emails] == ["ana@acme.example", "ana@home.example"]  # survivor's first
    assert [p.e164 for p in got.phones] == ["+49301000000", "+491512000000"]
    after = live_children(db, survivor.id)
    for kind in ("phone", "activity", "opportunity", "bant", "engagement", "lifecycle"):
        assert after[kind] == before_s[kind] + before_l[kind], kind
    assert after["email"] == 2 and live_children(db, loser.id) == dict.fromkeys(after, 0)
    assert activities.get_activity(db, act.id).contact_id == survivor.id
    assert pipeline.get_opportunity(db, opp.id).primary_contact_id == survivor.id
    gone = contacts.get_contact(db, loser.id, include_deleted=True)
    assert gone.deleted
    with db.reader() as s:
        assert s.get(Contact, loser.id).merged_into == survivor.id
        # The shared address was not hard-deleted: it stays, as a tombstone, on the loser.
        dup = s.scalars(select(ContactEmail).where(ContactEmail.contact_id == loser.id)).all()
        assert [(e.address, e.deleted) for e in dup] == [("ANA@acme.example", True)]
        record = s.get(RecordMerge, merge_id)
        assert (record.survivor_id, record.loser_id, record.undone) == (survivor.id, loser.id, False)
        assert str(act.id) in record.moved["activity.contact_id"]
        assert str(opp.id) in record.moved["opportunity.primary_contact_id"]
        assert s.get(DuplicateCandidate, cand.id).status is DuplicateStatus.MERGED
    assert duplicates.list_candidates(db) == []
    [info] = duplicates.list_merges(db)
    assert (info.id, info.survivor_name, info.loser_name, info.undone) == (merge_id, "Ana Souza", "Ana Souza", False)


def test_duplicates_merge_fills_empty_fields_keeps_both_notes_and_takes_chosen_values(db, twins):
    survivor, loser, _, _ = twins
    duplicates.merge(db, survivor.id, loser.id, choices={"account_id": "loser"})
    got = contacts.get_contact(db, survivor.id)
    assert got.job_title == "Head of Buying" and got.seniority is Seniority.DIRECTOR and got.city == "Berlin"
    assert got.account_id is None  # chosen: the loser had no company
    assert got.notes == "Prefers e-mail.\n\nMet at the fair."
    assert got.captured_at == T0  # the earlier capture
    assert got.given_name == "Ana" and got.display_name == "Ana Souza"


def test_duplicates_merge_takes_names_and_stage_when_chosen(db):
    s_ = person(db, "Ann", "Souza")
    l_ = person(db, "Ana", "Souza-Lima")
    contacts.change_stage(db, l_.id, "sql", reason="BANT positive")
    duplicates.merge(db, s_.id, l_.id, choices={"given_name": "loser", "family_name": "loser",
                                                "lifecycle_stage": "loser"})
    got = contacts.get_contact(db, s_.id)
    assert (got.display_name, got.lifecycle_stage, got.stage_reason) == ("Ana Souza-Lima", LifecycleStage.SQL,
                                                                         "BANT positive")
    assert [c.display_name for c in contacts.list_contacts(db).items] == ["Ana Souza-Lima"]


def test_duplicates_merge_is_journaled(db, twins):
    survivor, loser, act, _ = twins
    before = journal(db)
    duplicates.merge(db, survivor.id, loser.id)
    rows = [v for k, v in journal(db).items() if k not in before]
    for expected in [("contact", "merged_into"), ("contact", "deleted"), ("contact", "job_title"),
                     ("contact_email", "contact_id"), ("contact_email", "deleted"), ("contact_phone", "contact_id"),
                     ("activity", "contact_id"), ("opportunity", "primary_contact_id"), ("bant", "contact_id"),
                     ("engagement_event", "contact_id"), ("lifecycle_event", "contact_id"),
                     ("record_merge", "*"), ("duplicate_candidate", "status")]:
        assert expected in rows, expected


def test_duplicates_undo_restores_exactly(db, twins):
    survivor, loser, _, _ = twins
    before = state_without_merges(db)
    merge_id = duplicates.merge(db, survivor.id, loser.id, choices={"account_id": "loser", "notes": "loser"})
    assert state_without_merges(db) != before
    result = duplicates.undo_merge(db, merge_id)
    assert state_without_merges(db) == before
    assert result.left_fields == () and result.left_rows == 0 and "account_id" in result.restored_fields
    assert {"contact", "activity", "opportunity", "contact_email"} <= result.changes.entities
    assert len(duplicates.list_candidates(db)) == 1  # back in the queue
    assert duplicates.list_merges(db) == []
    [info] = duplicates.list_merges(db, include_undone=True)
    assert info.undone


def test_duplicates_undo_keeps_fields_changed_since_and_says_which(db, twins):
    survivor, loser, _, _ = twins
    merge_id = duplicates.merge(db, survivor.id, loser.id)
    contacts.update_contact(db, survivor.id, expected_version=None, job_title="Procurement Director")
    result = duplicates.undo_merge(db, merge_id)
    assert "job_title" in result.left_fields and "city" in result.restored_fields
    assert "job title" in result.message
    got = contacts.get_contact(db, survivor.id)
    assert got.job_title == "Procurement Director" and got.city is None
    assert contacts.get_contact(db, loser.id).emails[0].address == "ANA@acme.example"  # back and live


def test_duplicates_follow_merges_repoints_a_late_child_and_undo_takes_it_back(db, twins):
    survivor, loser, _, _ = twins
    merge_id = duplicates.merge(db, survivor.id, loser.id)
    assert duplicates.follow_merges(db) == 0
    # An activity and an e-mail logged offline for the loser arrive after the merge.
    with db.unit_of_work() as s:
        late = Activity(kind=ActivityKind.NOTE, subject="Wrote from the booth", contact_id=loser.id, done_at=T0)
        s.add(late)
        s.add(ContactEmail(contact_id=loser.id, address="ana@new.example", address_normalized="ana@new.example",
                           position=0))
        s.flush()
        late_id = late.id
    assert duplicates.follow_merges(db) == 2
    assert activities.get_activity(db, late_id).contact_id == survivor.id
    assert "ana@new.example" in [e.address for e in contacts.get_contact(db, survivor.id).emails]
    assert duplicates.follow_merges(db) == 0  # idempotent
    duplicates.undo_merge(db, merge_id)
    assert activities.get_activity(db, late_id).contact_id == loser.id


def test_duplicates_follow_merges_carries_a_late_field_edit_to_the_survivor(db, twins):
    survivor, loser, _, _ = twins
    duplicates.merge(db, survivor.id, loser.id)
    with db.unit_of_work() as s:  # as a pulled edit would land: on the merged-away row
        s.get(Contact, loser.id).department = "Procurement"
    assert duplicates.follow_merges(db) == 1
    assert contacts.get_contact(db, survivor.id).department == "Procurement"
    contacts.update_contact(db, survivor.id, expected_version=None, department="Purchasing")
    assert duplicates.follow_merges(db) == 0  # the survivor's newer value stands
    assert contacts.get_contact(db, survivor.id).department == "Purchasing"


def test_duplicates_chains_follow_to_the_last_survivor_and_undo_goes_in_order(db):
    a = person(db, "Ana", emails=["ana@example.com"])
    b = person(db, "Ana", emails=["ana@example.com"])
    c = person(db, "Ana", emails=["ana@example.com"])
    first = duplicates.merge(db, b.id, a.id)
    second = duplicates.merge(db, c.id, b.id)
    with db.unit_of_work() as s:
        s.add(Activity(kind=ActivityKind.NOTE, subject="late", contact_id=a.id, done_at=T0))
    assert duplicates.follow_merges(db) == 1
    assert [x.subject for x in activities.list_activities(db, contact_id=c.id)] == ["late"]
    with pytest.raises(MergeRefused, match="Undo that later merge"):
        duplicates.undo_merge(db, first)
    duplicates.undo_merge(db, second)
    duplicates.undo_merge(db, first)
    assert {x.id for x in contacts.list_contacts(db).items} == {a.id, b.id, c.id}


def test_duplicates_merge_cycle_from_two_laptops_is_broken_the_same_way(db):
    a = person(db, "Ana", emails=["ana@example.com"])
    b = person(db, "Ana", emails=["ana@example.com"])
    with db.unit_of_work() as s:  # what two opposite offline merges leave after sync
        s.get(Contact, a.id).deleted = True
        s.get(Contact, a.id).merged_into = b.id
        s.get(Contact, b.id).deleted = True
        s.get(Contact, b.id).merged_into = a.id
    duplicates.follow_merges(db)
    keep, gone = sorted((a.id, b.id))
    assert [x.id for x in contacts.list_contacts(db).items] == [keep]
    assert contacts.get_contact(db, gone, include_deleted=True).deleted


# --- bad input: clear errors, nothing half-written ------------------------------------------

def test_duplicates_refuses_merging_a_contact_into_itself(db, twins):
    survivor, _, _, _ = twins
    before = state_without_merges(db)
    with pytest.raises(MergeRefused, match="into itself"):
        duplicates.merge(db, survivor.id, survivor.id)
    assert state_without_merges(db) == before


def test_duplicates_refuses_merging_a_deleted_or_merged_contact(db, twins):
    survivor, loser, _, _ = twins
    other = person(db, "Ana", "Souza")
    contacts.delete_contact(db, other.id)
    before = state_without_merges(db)
    with pytest.raises(MergeRefused, match="trash"):
        duplicates.merge(db, survivor.id, other.id)
    with pytest.raises(MergeRefused, match="trash"):
        duplicates.merge(db, other.id, loser.id)
    assert state_without_merges(db) == before
    duplicates.merge(db, survivor.id, loser.id)
    after = state_without_merges(db)
    with pytest.raises(MergeRefused, match="already merged"):
        duplicates.merge(db, survivor.id, loser.id)
    with pytest.raises(MergeRefused, match="already merged"):
        duplicates.merge(db, loser.id, survivor.id)
    with pytest.raises(NotFound):
        duplicates.merge(db, survivor.id, uuid.uuid4())
    assert state_without_merges(db) == after


def test_duplicates_refuses_bad_choices_before_writing(db, twins):
    survivor, loser, _, _ = twins
    third = person(db, "Anna", emails=["ana@home.example"])
    duplicates.detect(db, contact_ids=[third.id])
    before = state_without_merges(db)
    with pytest.raises(ValidationError, match="not a field"):
        duplicates.merge(db, survivor.id, loser.id, choices={"fit_score": "loser"})
    with pytest.raises(ValidationError, match="survivor or loser"):
        duplicates.merge(db, survivor.id, loser.id, choices={"city": "both"})
    with pytest.raises(MergeRefused, match="two other contacts"):
        duplicates.merge(db, survivor.id, loser.id, candidate_id=pair_id(loser.id, third.id))
    with pytest.raises(NotFound):
        duplicates.merge(db, survivor.id, loser.id, candidate_id=pair_id(survivor.id, third.id))
    assert state_without_merges(db) == before


def test_duplicates_undo_twice_and_unknown_merge_are_refused(db, twins):
    survivor, loser, _, _ = twins
    merge_id = duplicates.merge(db, survivor.id, loser.id)
    duplicates.undo_merge(db, merge_id)
    after = state_without_merges(db)
    with pytest.raises(MergeRefused, match="already undone"):
        duplicates.undo_merge(db, merge_id)
    with pytest.raises(NotFound):
        duplicates.undo_merge(db, uuid.uuid4())
    with pytest.raises(ValidationError):
        duplicates.undo_merge(db, "not-an-id")
    assert state_without_merges(db) == after


def test_duplicates_dismissing_a_merged_pair_is_refused(db, twins):
    survivor, loser, _, _ = twins
    [cand] = duplicates.list_candidates(db)
    duplicates.merge(db, survivor.id, loser.id)
    with pytest.raises(MergeRefused, match="Undo the merge"):
        duplicates.dismiss(db, cand.id)
    with pytest.raises(NotFound):
        duplicates.dismiss(db, uuid.uuid4())


def test_duplicates_after_sync_follows_then_detects(db, twins):
    survivor, loser, _, _ = twins
    newcomer = person(db, "Ana", emails=["ana@home.example"])  # the loser's private address
    duplicates.merge(db, survivor.id, loser.id)
    result = duplicates.after_sync(db, [newcomer.id])
    assert result == AfterSyncResult(followed=0, detected=1)
    assert frozenset({survivor.id, newcomer.id}) in open_pairs(db)
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(DuplicateCandidate)) == 2


def test_duplicates_follow_merges_does_what_the_rep_may_and_leaves_the_rest(db, make_db):
    """Bob (a rep) may re-point his own activity but not add an e-mail to Ada's contact:
    his laptop does the first, Ada's (or a manager's) the second; nothing fails."""
    from leaddesk.models.access import Subject
    from leaddesk.services.team import users

    bob = users.create_user(db, "Bob Rep", "bob@example.com")
    keep = person(db, "Ana", "Souza", emails=["ana@example.com"])  # Ada's
    gone = person(db, "Ana", "Souza", emails=["ana@example.com"], owner_id=bob.id)
    duplicates.merge(db, keep.id, gone.id)
    as_bob = make_db(actor_id=bob.id)
    as_bob.write.subject = Subject(bob.id, "rep", frozenset({bob.id}))
    with as_bob.unit_of_work() as s:  # his offline work for his contact, arriving late
        late = Activity(kind=ActivityKind.NOTE, subject="Booth chat", contact_id=gone.id, owner_id=bob.id, done_at=T0)
        s.add(late)
        s.add(ContactEmail(contact_id=gone.id, address="ana@private.example",
                           address_normalized="ana@private.example", position=0))
        s.flush()
        late_id = late.id
    assert duplicates.follow_merges(as_bob) == 1
    assert activities.get_activity(db, late_id).contact_id == keep.id
    assert "ana@private.example" not in [e.address for e in contacts.get_contact(db, keep.id).emails]
    assert duplicates.follow_merges(db) == 1  # Ada's laptop moves the e-mail
    assert "ana@private.example" in [e.address for e in contacts.get_contact(db, keep.id).emails]
    assert duplicates.follow_merges(as_bob) == 0
