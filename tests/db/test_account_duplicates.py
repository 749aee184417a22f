"""Duplicate accounts: detection, merge, undo, permissions and following merges (both engines)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from leaddesk.errors import NotFound, PermissionDenied, ValidationError
from leaddesk.models import Account, Activity, Contact, DuplicateCandidate, RecordMerge
from leaddesk.models.access import Subject
from leaddesk.models.enums import ActivityKind, DuplicateStatus
from leaddesk.services.people import account_duplicates as adup
from leaddesk.services.people import accounts, contacts, duplicates
from leaddesk.services.followups import activities
from leaddesk.services.pipeline import opportunities as pipeline
from leaddesk.services.team import users
from leaddesk.services.people._account_detection import DOMAIN_SCORE, SIMILAR_NAME_SCORE
from leaddesk.services.people._account_merge import LINKS
from leaddesk.services.people._duplicate_common import AfterSyncResult, MergeRefused, pair_id
from leaddesk.services.people._matching import _site_name
from tests.sync.support import synced_data


def company(db, name, **extra):
    return accounts.create_account(db, name=name, **extra)


def person(db, given, account, **extra):
    return contacts.create_contact(db, given_name=given, family_name="Kaya", account_id=account,
                                   allow_duplicate=True, region="DE", **extra)


def open_pairs(db) -> dict[frozenset, adup.AccountCandidateInfo]:
    return {frozenset({c.a.id, c.b.id}): c for c in adup.list_candidates(db)}


def state_without_merges(db) -> dict:
    data = synced_data(db.engine)
    data.pop("record_merge")
    return data


def live_rows(db, account_id) -> dict[str, int]:
    with db.reader() as s:
        return {key: s.scalar(select(func.count()).select_from(model).where(
            getattr(model, column) == account_id, model.deleted.is_(False)))
            for key, (model, column) in LINKS.items()}


# --- detection --------------------------------------------------------------------------

def test_account_duplicates_detect_same_domain_and_similar_name(db):
    a = company(db, "Fair Goods GmbH", website="https://www.fairgoods.example/en", country="DE", city="Köln")
    b = company(db, "FairGoods GmbH", website="fairgoods.example", country="DE")
    company(db, "Fair Trade Partners", website="fairtrade.example", country="DE")
    assert adup.detect(db) == 1
    [cand] = adup.list_candidates(db)
    assert {cand.a.id, cand.b.id} == {a.id, b.id} and cand.a.id < cand.b.id
    assert cand.id == pair_id(a.id, b.id, "account") != pair_id(a.id, b.id)
    assert cand.reasons == ("Same web domain: fairgoods.example",
                            "Same name: Fair Goods GmbH / FairGoods GmbH (Köln, DE)")
    assert cand.score == DOMAIN_SCORE + 5 and cand.entity == "account"
    assert adup.detect(db) == 0  # nothing new the second time
    with db.reader() as s:
        assert s.scalar(select(DuplicateCandidate.entity)) == "account"
    assert duplicates.list_candidates(db) == []  # the contact queue is not mixed up with accounts


def test_account_duplicates_detect_typo_names_without_a_website(db):
    a = company(db, "Nordlicht Logistik GmbH", city="Hamburg")
    b = company(db, "Nordlict Logistik", city="hamburg ")
    assert adup.detect(db) == 1
    [reason] = open_pairs(db)[frozenset({a.id, b.id})].reasons
    assert reason.startswith("Similar name: Nordlicht Logistik GmbH / Nordlict Logistik")
    assert open_pairs(db)[frozenset({a.id, b.id})].score == SIMILAR_NAME_SCORE


def test_account_duplicates_no_pair_for_other_places_other_names_or_shared_hosts(db):
    company(db, "Acme GmbH", country="DE")
    company(db, "Acme Ltd", country="GB")  # same name, another country: a sister company at most
    company(db, "Mavi Tekstil İzmir", city="Izmir")
    company(db, "Kara Tekstil İzmir", city="Izmir")  # long shared words, another name
    company(db, "Bäckerei Sonne", website="facebook.com/baeckerei.sonne")
    company(db, "Metzgerei Wolf", website="https://facebook.com/metzgerei-wolf")  # a profile page proves nothing
    company(db, "Jane's Shop", website="gmail.com")
    company(db, "Bob's Shop", website="gmail.com")
    assert adup.detect(db) == 0
    assert adup.list_candidates(db) == []


def test_account_duplicates_detect_limited_to_given_accounts_and_dismissed_stays_dismissed(db):
    a = company(db, "Globex", website="globex.example")
    b = company(db, "Globex Corporation", website="globex.example")
    c = company(db, "Initech")
    d = company(db, "Initech Inc.")
    assert adup.detect(db, account_ids=[c.id]) == 1
    assert set(open_pairs(db)) == {frozenset({c.id, d.id})}
    assert adup.detect(db, account_ids=[]) == 0
    assert adup.after_sync(db, [a.id]) == AfterSyncResult(followed=0, detected=1)
    [cand] = [x for x in adup.list_candidates(db) if a.id in (x.a.id, x.b.id)]
    duplicates.dismiss(db, cand.id)
    assert adup.detect(db) == 0
    assert set(open_pairs(db)) == {frozenset({c.id, d.id})}
    assert b.id in (cand.a.id, cand.b.id)


# --- merge ------------------------------------------------------------------------------

@pytest.fixture
def fair(db):
    """The trade-show pair: each rep made "Fair Goods"; the loser has contacts, a deal and
    activities, fields the survivor lacks, and its own notes and tags."""
    keep = company(db, "Fair Goods GmbH", website="https://fairgoods.example", country="DE",
                   notes="Stand B12.", tags=["fair"])
    gone = company(db, "FairGoods GmbH", website="fairgoods.example", industry="Retail", employees=40,
                   annual_revenue="1200000", revenue_currency="EUR", city="Köln", phone="+49 221 123456",
                   notes="Wants a catalogue.", tags=["retail"])
    kept_contact = person(db, "Ayşe", keep.id)
    moved_contact = person(db, "Mert", gone.id)
    other_contact = person(db, "Deniz", gone.id)
    opp = pipeline.create_opportunity(db, gone.id, "Fair Goods shelves", amount="5000")
    act = activities.log_activity(db, "call", "Booth follow-up", account_id=gone.id)
    adup.detect(db)
    return keep, gone, (kept_contact, moved_contact, other_contact), opp, act


def test_account_duplicates_merge_moves_every_contact_deal_and_activity(db, fair):
    keep, gone, people, opp, act = fair
    before_keep, before_gone = live_rows(db, keep.id), live_rows(db, gone.id)
    assert before_gone == {"contact.account_id": 2, "opportunity.account_id": 1, "activity.account_id": 1}
    [cand] = adup.list_candidates(db)
    assert (cand.a if cand.a.id == gone.id else cand.b).contact_count == 2
    merge_id = adup.merge(db, keep.id, gone.id, candidate_id=cand.id)
    after = live_rows(db, keep.id)
    assert after == {k: before_keep[k] + before_gone[k] for k in after}
    assert live_rows(db, gone.id) == dict.fromkeys(after, 0)
    assert {c.account_id for c in (contacts.get_contact(db, p.id) for p in people)} == {keep.id}
    assert pipeline.get_opportunity(db, opp.id).account_id == keep.id
    assert activities.get_activity(db, act.id).account_id == keep.id
    got = accounts.get_account(db, keep.id)
    assert (got.name, got.website, got.domain, got.country) == ("Fair Goods GmbH", "https://fairgoods.example",
                                                                "fairgoods.example", "DE")  # its own values
    assert (got.industry, got.employees, got.city, got.phone) == ("Retail", 40, "Köln", "+49221123456")  # filled
    assert (got.annual_revenue, got.revenue_currency) == (Decimal("1200000"), "EUR")
    assert got.notes == "Stand B12.\n\nWants a catalogue." and list(got.tags) == ["fair", "retail"]
    assert accounts.get_account(db, gone.id, include_deleted=True).deleted
    with db.reader() as s:
        assert s.get(Account, gone.id).merged_into == keep.id
        record = s.get(RecordMerge, merge_id)
        assert (record.entity, record.survivor_id, record.loser_id, record.undone) == ("account", keep.id,
                                                                                        gone.id, False)
        assert sorted(record.moved["contact.account_id"]) == sorted(str(p.id) for p in people[1:])
        assert record.moved["opportunity.account_id"] == [str(opp.id)]
        assert s.get(DuplicateCandidate, cand.id).status is DuplicateStatus.MERGED
    assert adup.list_candidates(db) == []
    [info] = adup.list_merges(db)
    assert (info.id, info.entity, info.survivor_name, info.loser_name, info.rows_moved) == (
        merge_id, "account", "Fair Goods GmbH", "FairGoods GmbH", 4)
    assert duplicates.list_merges(db) == []  # contact merges are listed apart
    assert [a.id for a in accounts.list_accounts(db).items if a.name.startswith("Fair")] == [keep.id]


def test_account_duplicates_merge_takes_chosen_values(db, fair):
    keep, gone, _, _, _ = fair
    adup.merge(db, keep.id, gone.id, choices={"name": "loser", "website": "loser", "notes": "survivor",
                                              "tags": "loser", "city": "survivor"})
    got = accounts.get_account(db, keep.id)
    assert (got.name, got.website, got.notes, list(got.tags)) == ("FairGoods GmbH", "fairgoods.example",
                                                                  "Stand B12.", ["retail"])
    assert got.city is None  # chosen: the survivor's (empty) city
    with db.reader() as s:
        assert s.get(Account, keep.id).name_key == "fairgoods gmbh"


def test_account_duplicates_undo_restores_exactly(db, fair):
    keep, gone, _, _, _ = fair
    before = state_without_merges(db)
    merge_id = adup.merge(db, keep.id, gone.id, choices={"name": "loser", "annual_revenue": "loser"})
    assert state_without_merges(db) != before
    result = adup.undo_merge(db, merge_id)
    assert state_without_merges(db) == before
    assert result.left_fields == () and result.left_rows == 0 and "name" in result.restored_fields
    assert result.message.startswith("The merge was undone: both accounts are back.")
    assert {"account", "contact", "opportunity", "activity"} <= result.changes.entities
    assert len(adup.list_candidates(db)) == 1  # back in the queue
    assert adup.list_merges(db) == [] and adup.list_merges(db, include_undone=True)[0].undone
    with pytest.raises(MergeRefused, match="already undone"):
        adup.undo_merge(db, merge_id)
    with pytest.raises(NotFound):
        adup.undo_merge(db, uuid.uuid4())


def test_account_duplicates_undo_keeps_fields_and_rows_changed_since(db, fair):
    keep, gone, people, _, _ = fair
    merge_id = adup.merge(db, keep.id, gone.id)
    accounts.update_account(db, keep.id, expected_version=None, industry="Wholesale")
    elsewhere = company(db, "Elsewhere AG")
    contacts.update_contact(db, people[1].id, expected_version=None, account_id=elsewhere.id,
                            allow_duplicate=True)
    result = adup.undo_merge(db, merge_id)
    assert "industry" in result.left_fields and "city" in result.restored_fields and result.left_rows == 1
    assert accounts.get_account(db, keep.id).industry == "Wholesale"
    assert contacts.get_contact(db, people[1].id).account_id == elsewhere.id
    assert contacts.get_contact(db, people[2].id).account_id == gone.id


def test_account_duplicates_refusals_write_nothing(db, fair):
    keep, gone, people, _, _ = fair
    trashed = company(db, "Fair Goods")
    accounts.delete_account(db, trashed.id)
    before = state_without_merges(db)
    with pytest.raises(MergeRefused, match="into itself"):
        adup.merge(db, keep.id, keep.id)
    with pytest.raises(MergeRefused, match="trash"):
        adup.merge(db, keep.id, trashed.id)
    with pytest.raises(ValidationError, match="not a field"):
        adup.merge(db, keep.id, gone.id, choices={"domain": "loser"})
    with pytest.raises(ValidationError, match="survivor or loser"):
        adup.merge(db, keep.id, gone.id, choices={"city": "both"})
    with pytest.raises(NotFound):
        adup.merge(db, keep.id, uuid.uuid4())
    contact_pair = pair_id(people[0].id, people[1].id)
    with pytest.raises(NotFound):
        adup.merge(db, keep.id, gone.id, candidate_id=contact_pair)
    assert state_without_merges(db) == before
    adup.merge(db, keep.id, gone.id)
    with pytest.raises(MergeRefused, match="already merged"):
        adup.merge(db, gone.id, keep.id)
    with pytest.raises(NotFound):
        duplicates.undo_merge(db, adup.list_merges(db)[0].id)  # the contact undo does not touch accounts


def test_account_duplicates_rep_may_not_merge_what_she_may_not_change(db, make_db, fair):
    keep, gone, people, _, _ = fair
    bob = users.create_user(db, "Bob Rep", "bob@example.com")
    mine = company(db, "Fair Goods", owner_id=bob.id)
    as_bob = make_db(actor_id=bob.id)
    # Bob and Ada are one team: he sees her accounts and contacts, changes only his own.
    as_bob.write.subject = Subject(bob.id, "rep", frozenset({bob.id, db.write.actor_id}))
    accounts.update_account(db, keep.id, expected_version=None, owner_id=db.write.actor_id)  # Ada's
    accounts.update_account(db, gone.id, expected_version=None, owner_id=None)  # the team's pool
    before = state_without_merges(db)
    with pytest.raises(PermissionDenied, match="Fair Goods GmbH belongs to"):
        adup.merge(as_bob, mine.id, keep.id)  # Ada's account may not be merged away by Bob
    # An unassigned account whose contacts are Ada's: Bob may not move them.
    with pytest.raises(PermissionDenied, match="2 contacts of FairGoods GmbH belong to other reps"):
        adup.merge(as_bob, mine.id, gone.id)
    assert state_without_merges(db) == before
    manager = users.create_user(db, "Mia Manager", "mia@example.com", role="manager")
    as_mia = make_db(actor_id=manager.id)
    as_mia.write.subject = Subject(manager.id, "manager", frozenset({manager.id, bob.id, db.write.actor_id}))
    adup.merge(as_mia, mine.id, gone.id)
    assert live_rows(db, mine.id) == {"contact.account_id": 2, "opportunity.account_id": 1,
                                      "activity.account_id": 1}


# --- following merges ----------------------------------------------------------------------

def test_account_duplicates_follow_merges_repoints_late_children_and_undo_takes_them_back(db, fair):
    keep, gone, _, _, _ = fair
    merge_id = adup.merge(db, keep.id, gone.id)
    assert adup.follow_merges(db) == 0
    with db.unit_of_work() as s:  # work done offline for the merged-away account, arriving late
        late_contact = Contact(given_name="Selin", display_name="Selin", name_key="selin", account_id=gone.id)
        late_act = Activity(kind=ActivityKind.NOTE, subject="Sent the catalogue", account_id=gone.id)
        s.add_all([late_contact, late_act])
        s.flush()
        ids = late_contact.id, late_act.id
    assert adup.follow_merges(db) == 2
    assert contacts.get_contact(db, ids[0]).account_id == keep.id
    assert activities.get_activity(db, ids[1]).account_id == keep.id
    assert adup.follow_merges(db) == 0  # idempotent
    adup.undo_merge(db, merge_id)
    assert contacts.get_contact(db, ids[0]).account_id == gone.id
    assert activities.get_activity(db, ids[1]).account_id == gone.id


def test_account_duplicates_follow_merges_carries_a_late_field_edit(db, fair):
    keep, gone, _, _, _ = fair
    adup.merge(db, keep.id, gone.id)
    with db.unit_of_work() as s:  # as a pulled edit lands: on the merged-away row
        s.get(Account, gone.id).phone = "+49221999999"
        s.get(Account, gone.id).website = "https://shop.fairgoods.example"
        s.get(Account, gone.id).domain = "shop.fairgoods.example"
    assert adup.follow_merges(db) == 2
    got = accounts.get_account(db, keep.id)
    assert (got.phone, got.website, got.domain) == ("+49221999999", "https://shop.fairgoods.example",
                                                    "shop.fairgoods.example")
    accounts.update_account(db, keep.id, expected_version=None, phone="+49 221 777777")
    assert adup.follow_merges(db) == 0  # the survivor's newer value stands
    assert accounts.get_account(db, keep.id).phone == "+49221777777"


def test_account_duplicates_chains_and_cycles(db):
    a, b, c = (company(db, "Umbrella", website="umbrella.example") for _ in range(3))
    first = adup.merge(db, b.id, a.id)
    second = adup.merge(db, c.id, b.id)
    with db.unit_of_work() as s:
        s.add(Activity(kind=ActivityKind.NOTE, subject="late", account_id=a.id))
    assert adup.follow_merges(db) == 1
    assert [x.subject for x in activities.list_activities(db, account_id=c.id)] == ["late"]
    with pytest.raises(MergeRefused, match="Undo that later merge"):
        adup.undo_merge(db, first)
    adup.undo_merge(db, second)
    adup.undo_merge(db, first)
    x, y = company(db, "Hooli"), company(db, "Hooli")
    with db.unit_of_work() as s:  # two opposite offline merges, after sync
        for one, other in ((x, y), (y, x)):
            s.get(Account, one.id).deleted = True
            s.get(Account, one.id).merged_into = other.id
    adup.follow_merges(db)
    keep = min(x.id, y.id)
    assert [r.id for r in accounts.list_accounts(db).items if r.name == "Hooli"] == [keep]


def test_account_duplicates_a_deal_the_rep_cannot_see_follows_on_its_owners_laptop(db, make_db):
    """Bob merges two company records he may change; Ada's deal on the merged-away one is
    invisible to him, so it stays until her laptop follows the merge: nothing is lost."""
    bob = users.create_user(db, "Bob Rep", "bob@example.com")
    keep = company(db, "Fair Goods GmbH", website="fairgoods.example", owner_id=bob.id)
    gone = company(db, "FairGoods", website="fairgoods.example")
    accounts.update_account(db, gone.id, expected_version=None, owner_id=None)  # unassigned: the team's
    deal = pipeline.create_opportunity(db, gone.id, "Ada's shelving deal", amount="900")  # Ada's, private
    as_bob = make_db(actor_id=bob.id)
    as_bob.write.subject = Subject(bob.id, "rep", frozenset({bob.id, db.write.actor_id}))
    merge_id = adup.merge(as_bob, keep.id, gone.id)
    assert pipeline.get_opportunity(db, deal.id).account_id == gone.id  # not his to move
    assert adup.follow_merges(as_bob) == 0
    assert adup.follow_merges(db) == 1  # Ada's laptop (or a manager's) moves it
    assert pipeline.get_opportunity(db, deal.id).account_id == keep.id
    result = adup.undo_merge(as_bob, merge_id)  # Bob cannot move Ada's deal back: he is told
    assert result.left_rows == 1 and "stay where they are" in result.message
    assert not accounts.get_account(db, gone.id).deleted


def test_account_duplicates_same_name_with_two_websites_needs_the_same_site_name(db):
    a = company(db, "Yıldız Mobilya Ltd. Şti.", website="yildizmobilya2.com.tr", city="Konya")
    other = company(db, "Yıldız Mobilya Ltd. Şti.", website="https://yildizmobilya3.com.tr", city="Konya")
    b = company(db, "Yıldız Mobilya", website="www.yildizmobilya2.com", city="Konya")  # .com of the first
    c = company(db, "Yıldız Mobilya", website="facebook.com/yildiz", city="Konya")  # a profile: no website known
    assert adup.detect(db) == 4
    assert set(open_pairs(db)) == {frozenset({a.id, b.id}), frozenset({a.id, c.id}), frozenset({b.id, c.id}),
                                   frozenset({other.id, c.id})}  # not other with a or b: another website
    assert _site_name("shop.fairgoods.co.uk") == "fairgoods" and _site_name("gmail.com") is None
