from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from leaddesk.errors import NotFound, ValidationError
from leaddesk.models.enums import Authority, BantResult, LifecycleStage
from leaddesk.services.people import contacts
from leaddesk.services.qualification import bant as qualification

UTC = dt.timezone.utc
COMPLETE = dict(budget_amount="25000", budget_currency="EUR", budget_confirmed=True, authority="decision_maker",
                need="Pickers walk 12 km a shift; they want a routing tool.", timing="Before peak season",
                timing_date=dt.date(2025, 9, 1))


@pytest.fixture
def lead(db):
    return contacts.create_contact(db, given_name="Deniz", family_name="Kaya", job_title="Head of Operations",
                                   lifecycle_stage=LifecycleStage.MQL)


def test_bant_positive_moves_contact_to_sql_with_reason(db, lead):
    out = qualification.record_bant(db, lead.id, **COMPLETE)
    assert (out.bant.result, out.stage, out.stage_changed, out.reason) == (
        BantResult.POSITIVE, LifecycleStage.SQL, True, "BANT positive")
    assert out.bant.budget_amount == Decimal("25000.00") and out.bant.problems == ()
    after = contacts.get_contact(db, lead.id)
    assert (after.lifecycle_stage, after.stage_reason, after.version) == (LifecycleStage.SQL, "BANT positive",
                                                                        out.contact_version)
    last = contacts.lifecycle_history(db, lead.id)[-1]
    assert (last.from_stage, last.to_stage, last.reason) == (LifecycleStage.MQL, LifecycleStage.SQL, "BANT positive")


def test_bant_incomplete_goes_to_nurture_saying_what_is_missing(db, lead):
    out = qualification.record_bant(db, lead.id, budget_confirmed=False, authority="decision_maker",
                                    need="Too many mis-picks")
    assert out.bant.result is BantResult.INCOMPLETE
    assert out.requalify_on == out.bant.requalify_on == dt.datetime.now(UTC).date() + dt.timedelta(days=90)
    assert out.reason == f"BANT incomplete: budget unknown, timing unknown; re-qualify on {out.requalify_on}"
    assert out.bant.problems == ("budget unknown", "timing unknown")
    after = contacts.get_contact(db, lead.id)
    assert (after.lifecycle_stage, after.stage_reason) == (LifecycleStage.NURTURE, out.reason)
    assert contacts.lifecycle_history(db, lead.id)[-1].reason == out.reason


def test_bant_nothing_known_lists_all_four_gaps(db, lead):
    out = qualification.record_bant(db, lead.id)
    assert out.reason.startswith("BANT incomplete: budget unknown, authority unknown, need unknown, "
                                 "timing unknown; re-qualify on ")


def test_bant_named_decision_maker_satisfies_authority(db, lead):
    boss = contacts.create_contact(db, given_name="Selin", job_title="COO")
    data = {**COMPLETE, "authority": Authority.INFLUENCER, "decision_maker_id": boss.id}
    out = qualification.record_bant(db, lead.id, **data)
    assert out.bant.result is BantResult.POSITIVE
    assert out.bant.decision_maker_id == boss.id


def test_bant_negative_no_budget_or_no_need(db, lead):
    out = qualification.record_bant(db, lead.id, **{**COMPLETE, "budget_amount": "0", "budget_currency": None})
    assert (out.bant.result, out.stage, out.reason) == (BantResult.NEGATIVE, LifecycleStage.NURTURE,
                                                        f"BANT negative: no budget; re-qualify on {out.requalify_on}")
    again = qualification.record_bant(db, lead.id, **COMPLETE, no_need=True)
    assert again.reason == f"BANT negative: no need; re-qualify on {again.requalify_on}"
    assert not again.stage_changed  # already in nurture: the reason is updated, no new event
    assert contacts.get_contact(db, lead.id).stage_reason == again.reason
    assert [b.problems for b in qualification.bant_history(db, lead.id)] == [("no budget",), ("no need",)]


def test_bant_never_demotes_a_customer(db):
    customer = contacts.create_contact(db, given_name="Old", family_name="Friend",
                                       lifecycle_stage=LifecycleStage.CUSTOMER)
    out = qualification.record_bant(db, customer.id, need="Second warehouse")
    assert (out.bant.result, out.stage, out.stage_changed) == (BantResult.INCOMPLETE, LifecycleStage.CUSTOMER, False)
    assert contacts.get_contact(db, customer.id).lifecycle_stage is LifecycleStage.CUSTOMER
    assert len(qualification.bant_history(db, customer.id)) == 1


def test_bant_history_and_latest(db, lead):
    t1 = dt.datetime(2025, 1, 10, 9, tzinfo=UTC)
    t2 = dt.datetime(2025, 2, 10, 9, tzinfo=UTC)
    first = qualification.record_bant(db, lead.id, need="Unclear", now=t1)
    second = qualification.record_bant(db, lead.id, **COMPLETE, now=t2)
    assert [b.id for b in qualification.bant_history(db, lead.id)] == [first.bant.id, second.bant.id]
    latest = qualification.get_latest_bant(db, lead.id)
    assert (latest.id, latest.result, latest.assessed_at) == (second.bant.id, BantResult.POSITIVE, t2)
    assert latest.assessed_by == db.write.actor_id
    other = contacts.create_contact(db, given_name="Nobody")
    assert qualification.get_latest_bant(db, other.id) is None


@pytest.mark.parametrize("extra, field", [
    ({"budget_currency": None}, "budget_currency"),
    ({"budget_amount": "-5"}, "budget_amount"),
    ({"budget_amount": 99.5}, "budget_amount"),
    ({"authority": "the boss"}, "authority"),
    ({"timing_date": dt.datetime(2025, 9, 1, 12, tzinfo=UTC)}, "timing_date"),
    ({"timing_date": "next spring"}, "timing_date"),
    ({"timing": "x" * 301}, "timing"),
    ({"decision_maker_id": "not-an-id"}, "decision_maker_id"),
])
def test_bant_bad_input_is_refused_and_nothing_changes(db, lead, extra, field):
    with pytest.raises(ValidationError) as err:
        qualification.record_bant(db, lead.id, **{**COMPLETE, **extra})
    assert err.value.field == field
    assert qualification.bant_history(db, lead.id) == []
    assert contacts.get_contact(db, lead.id).lifecycle_stage is LifecycleStage.MQL


def test_bant_unknown_opportunity_or_decider_rolls_everything_back(db, lead):
    for extra in ({"opportunity_id": uuid.uuid4()}, {"decision_maker_id": uuid.uuid4()}):
        with pytest.raises(NotFound):
            qualification.record_bant(db, lead.id, **{**COMPLETE, **extra})
    assert qualification.bant_history(db, lead.id) == []
    assert contacts.get_contact(db, lead.id).lifecycle_stage is LifecycleStage.MQL
    assert [s.to_stage for s in contacts.lifecycle_history(db, lead.id)] == [LifecycleStage.MQL]


@pytest.mark.parametrize("changes, result", [
    ({}, BantResult.POSITIVE),
    ({"budget_confirmed": False}, BantResult.POSITIVE),  # an amount was given
    ({"budget_confirmed": False, "budget_amount": None}, BantResult.INCOMPLETE),
    ({"budget_confirmed": True, "budget_amount": None}, BantResult.POSITIVE),
    ({"authority": Authority.NO_AUTHORITY}, BantResult.INCOMPLETE),
    ({"need": "   "}, BantResult.INCOMPLETE),
    ({"timing": None}, BantResult.POSITIVE),  # the date is enough
    ({"timing": None, "timing_date": None}, BantResult.INCOMPLETE),
    ({"budget_amount": Decimal("0")}, BantResult.NEGATIVE),
    ({"no_need": True}, BantResult.NEGATIVE),
])
def test_bant_assessment_rule(changes, result):
    base = dict(budget_amount=Decimal("100"), budget_confirmed=True, authority=Authority.DECISION_MAKER,
                decision_maker_id=None, need="A real pain", timing="Q3", timing_date=dt.date(2025, 9, 1))
    assert qualification.assess_bant(**{**base, **changes}).result is result
