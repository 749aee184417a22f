"""BANT per part on both engines: each outcome moves the contact and records the lifecycle
event with its reason in one transaction; the team's rule; the re-qualify date; a BANT on
an opportunity; a decision maker created on the spot; the opportunity made from a positive
BANT; bad input refused with nothing half-written; old rows read by their fields."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from leaddesk.errors import NotFound, ValidationError
from leaddesk.models import Bant, Contact
from leaddesk.models.enums import Authority, BantPartStatus, BantResult, BuyingRole, LifecycleStage
from leaddesk.services import settings
from leaddesk.services.people import accounts, contacts
from leaddesk.services.pipeline import opportunities
from leaddesk.services.qualification import bant

UTC = dt.timezone.utc
NOW = dt.datetime(2036, 12, 6, 10, tzinfo=UTC)  # after the fixtures were written
YES = dict(budget_status="yes", authority_status="yes", need_status="yes", timing_status="yes")
FULL = dict(YES, budget_amount="48000", budget_currency="EUR", budget_source="CFO on the call",
            budget_note="Approved in the 2027 plan", decision_maker_role="economic_buyer",
            need="Our pickers walk 12 km a shift", need_offer="Route optimiser", need_note="Pain is daily",
            timing="Q2 2027", timing_driver="Contract with the old vendor ends", timing_note="Hard date")


@pytest.fixture
def acme(db):
    return accounts.create_account(db, name="Acme Logistics")


@pytest.fixture
def lead(db, acme):
    return contacts.create_contact(db, given_name="Deniz", family_name="Kaya", account_id=acme.id,
                                   lifecycle_stage=LifecycleStage.MQL)


def _count(db, model) -> int:
    with db.reader() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_complete_bant_moves_the_lead_to_sql_with_every_detail_stored(db, lead):
    out = bant.record_bant(db, lead.id, **FULL, now=NOW)
    assert (out.bant.result, out.stage, out.stage_changed, out.reason, out.requalify_on) == (
        BantResult.POSITIVE, LifecycleStage.SQL, True, "BANT positive", None)
    got = bant.get_latest_bant(db, lead.id)
    assert got.statuses() == {p: BantPartStatus.YES for p in bant.PARTS}
    assert (got.budget_amount, got.budget_currency, got.budget_source, got.budget_note) == (
        Decimal("48000.00"), "EUR", "CFO on the call", "Approved in the 2027 plan")
    assert (got.decision_maker_role, got.need_offer, got.timing_driver, got.no_need) == (
        BuyingRole.ECONOMIC_BUYER, "Route optimiser", "Contract with the old vendor ends", False)
    step = contacts.lifecycle_history(db, lead.id)[-1]
    assert (step.from_stage, step.to_stage, step.reason, step.at) == (
        LifecycleStage.MQL, LifecycleStage.SQL, "BANT positive", NOW)
    assert step.by_user_id == db.write.actor_id


def test_incomplete_bant_nurtures_with_the_gaps_and_the_default_requalify_date(db, lead):
    out = bant.record_bant(db, lead.id, **{**FULL, "authority_status": "partial", "timing_status": "unknown"},
                           now=NOW)
    assert out.requalify_on == dt.date(2037, 3, 6)  # today + 90 (the team's requalify_days)
    assert out.reason == "BANT incomplete: authority partial, timing unknown; re-qualify on 2037-03-06"
    after = contacts.get_contact(db, lead.id)
    assert (after.lifecycle_stage, after.stage_reason) == (LifecycleStage.NURTURE, out.reason)
    assert contacts.lifecycle_history(db, lead.id)[-1].reason == out.reason
    assert bant.get_latest_bant(db, lead.id).problems == ("authority partial", "timing unknown")


def test_the_rep_sets_the_requalify_date_and_the_team_its_default(db, lead):
    settings.set_setting(db, "requalify_days", 30)
    out = bant.record_bant(db, lead.id, need_status="partial", now=NOW)
    assert out.requalify_on == dt.date(2037, 1, 5)
    out = bant.record_bant(db, lead.id, need_status="partial", requalify_on="2037-02-01", now=NOW)
    assert out.bant.requalify_on == dt.date(2037, 2, 1) and out.reason.endswith("re-qualify on 2037-02-01")


@pytest.mark.parametrize("change, problems", [
    ({"need_status": "no"}, ("no need",)),
    ({"no_need": True}, ("no need",)),
    ({"budget_amount": "0"}, ("no budget",)),
    ({"authority_status": "no", "timing_status": "no"}, ("no authority", "no timing")),
])
def test_negative_bant_nurtures_saying_why(db, lead, change, problems):
    out = bant.record_bant(db, lead.id, **{**FULL, **change}, now=NOW)
    assert (out.bant.result, out.stage, out.bant.problems) == (BantResult.NEGATIVE, LifecycleStage.NURTURE, problems)
    assert out.reason == f"BANT negative: {', '.join(problems)}; re-qualify on 2037-03-06"
    assert contacts.lifecycle_history(db, lead.id)[-1].reason == out.reason


def test_the_team_rule_lets_a_bant_without_budget_propose_sql(db, lead):
    settings.set_setting(db, "bant_required", ["authority", "need", "timing"])
    out = bant.record_bant(db, lead.id, **{**FULL, "budget_status": "unknown"}, now=NOW)
    assert (out.bant.result, out.stage) == (BantResult.POSITIVE, LifecycleStage.SQL)
    settings.set_setting(db, "bant_required", ["budget", "authority", "need", "timing"])
    assert bant.get_latest_bant(db, lead.id).problems == ()  # stored as positive, read as positive


def test_opportunity_or_customer_keeps_its_stage(db, acme):
    buyer = contacts.create_contact(db, given_name="Ola", account_id=acme.id,
                                    lifecycle_stage=LifecycleStage.OPPORTUNITY)
    out = bant.record_bant(db, buyer.id, **{**FULL, "timing_status": "partial"}, now=NOW)
    assert (out.stage, out.stage_changed) == (LifecycleStage.OPPORTUNITY, False)
    assert [s.to_stage for s in contacts.lifecycle_history(db, buyer.id)] == [LifecycleStage.OPPORTUNITY]


def test_a_bant_on_an_opportunity(db, lead, acme):
    opp = opportunities.create_opportunity(db, acme.id, "Upsell", amount=1000)
    out = bant.record_bant(db, lead.id, **FULL, opportunity_id=opp.id, now=NOW)
    other = bant.record_bant(db, lead.id, need_status="partial", now=NOW + dt.timedelta(hours=1))
    assert out.bant.opportunity_id == opp.id
    assert bant.get_latest_bant(db, lead.id, opportunity_id=opp.id).id == out.bant.id
    assert bant.get_latest_bant(db, lead.id).id == other.bant.id
    assert [b.id for b in bant.bant_history(db, lead.id, opportunity_id=opp.id)] == [out.bant.id]


def test_a_decision_maker_created_on_the_spot_joins_the_account(db, lead, acme):
    out = bant.record_bant(db, lead.id, **{**FULL, "decision_maker_role": "decision_maker"},
                           new_decision_maker={"given_name": "Selin", "family_name": "Aydin", "job_title": "COO"},
                           now=NOW)
    boss = contacts.get_contact(db, out.decision_maker_id)
    assert (boss.display_name, boss.job_title, boss.account_id, boss.lifecycle_stage) == (
        "Selin Aydin", "COO", acme.id, LifecycleStage.LEAD)
    assert out.bant.decision_maker_id == boss.id and out.bant.decision_maker_role is BuyingRole.DECISION_MAKER
    assert contacts.lifecycle_history(db, boss.id)[0].to_stage is LifecycleStage.LEAD


def test_a_named_existing_decision_maker_makes_authority_yes(db, lead, acme):
    boss = contacts.create_contact(db, given_name="Selin", account_id=acme.id)
    out = bant.record_bant(db, lead.id, **{**FULL, "authority_status": None}, decision_maker_id=boss.id, now=NOW)
    assert out.bant.authority_status is BantPartStatus.YES and out.bant.result is BantResult.POSITIVE


def test_create_the_opportunity_from_a_positive_bant(db, lead, acme):
    out = bant.record_bant(db, lead.id, **FULL, now=NOW)
    opp = bant.create_opportunity_from_bant(db, out.bant.id, now=NOW)
    assert (opp.account_id, opp.name, opp.amount, opp.currency) == (
        acme.id, "Acme Logistics – Route optimiser", Decimal("48000.00"), "EUR")
    assert (opp.expected_close_date, opp.primary_contact_id) == (dt.date(2027, 6, 30), lead.id)
    assert bant.get_latest_bant(db, lead.id).opportunity_id == opp.id
    with pytest.raises(ValidationError):  # only once
        bant.create_opportunity_from_bant(db, out.bant.id)


def test_no_opportunity_from_a_bant_that_is_not_positive_or_has_no_account(db, lead):
    weak = bant.record_bant(db, lead.id, **{**FULL, "timing_status": "unknown"}, now=NOW)
    loner = contacts.create_contact(db, given_name="Solo")
    alone = bant.record_bant(db, loner.id, **FULL, now=NOW)
    before = _count(db, opportunities.Opportunity)
    for bant_id, field in ((weak.bant.id, "bant_id"), (alone.bant.id, "account_id")):
        with pytest.raises(ValidationError) as err:
            bant.create_opportunity_from_bant(db, bant_id)
        assert err.value.field == field
    with pytest.raises(NotFound):
        bant.create_opportunity_from_bant(db, uuid.uuid4())
    assert _count(db, opportunities.Opportunity) == before


@pytest.mark.parametrize("change, field", [
    ({"timing_status": "maybe"}, "timing_status"),
    ({"budget_status": "sure"}, "budget_status"),
    ({"budget_currency": None}, "budget_currency"),
    ({"decision_maker_role": "boss"}, "decision_maker_role"),
    ({"requalify_on": "soon"}, "requalify_on"),
    ({"requalify_on": "2036-12-06", "timing_status": "partial"}, "requalify_on"),  # not after today
    ({"need_offer": "x" * 201}, "need_offer"),
    ({"new_decision_maker": {"job_title": "CEO"}}, "decision_maker_given_name"),
])
def test_bad_input_is_refused_and_nothing_is_written(db, lead, change, field):
    people = _count(db, Contact)
    with pytest.raises(ValidationError) as err:
        bant.record_bant(db, lead.id, **{**FULL, "new_decision_maker": {"given_name": "Selin"}, **change}, now=NOW)
    assert err.value.field == field
    assert (_count(db, Bant), _count(db, Contact)) == (0, people)
    assert contacts.get_contact(db, lead.id).lifecycle_stage is LifecycleStage.MQL


def test_a_deleted_contact_is_not_found_and_nothing_is_written(db, lead):
    contacts.delete_contact(db, lead.id)
    people = _count(db, Contact)
    with pytest.raises(NotFound):
        bant.record_bant(db, lead.id, **FULL, new_decision_maker={"given_name": "Selin"})
    assert (_count(db, Bant), _count(db, Contact)) == (0, people)
    assert [s.to_stage for s in contacts.lifecycle_history(db, lead.id)] == [LifecycleStage.MQL]


def test_an_old_row_without_statuses_reads_by_its_fields(db, lead):
    with db.unit_of_work() as s:  # as written before revision 0009: statuses left at their default
        s.add(Bant(contact_id=lead.id, budget_amount=Decimal("900"), budget_currency="EUR", budget_confirmed=False,
                   authority=Authority.INFLUENCER, need="Slow quotes", result=BantResult.INCOMPLETE, assessed_at=NOW))
    got = bant.get_latest_bant(db, lead.id)
    assert got.statuses() == {"budget": BantPartStatus.YES, "authority": BantPartStatus.PARTIAL,
                              "need": BantPartStatus.YES, "timing": BantPartStatus.UNKNOWN}
    assert got.problems == ("authority partial", "timing unknown")
