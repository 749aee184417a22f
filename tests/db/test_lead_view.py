"""The lead view's read model on both engines: score with reasons, quadrant, persona, HPIs,
BANT, owner; a bare contact gives an empty but valid view; viewing writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from leaddesk.errors import NotFound
from leaddesk.models import Outbox
from leaddesk.models.enums import BantResult, LifecycleStage, ScoreFamily
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import accounts, contacts
from leaddesk.services.qualification import bant, definitions, indicators, personas, scoring
from leaddesk.services.qualification.dto import Grade, Quadrant
from leaddesk.services.qualification.lead_view import lead_view, reason_text
from leaddesk.services.team import setup, users
from leaddesk.services import settings as team_settings

UTC = dt.timezone.utc
NOW = dt.datetime(2025, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def db(empty_db):
    """Seeded like ``leaddesk init`` but without the default scoring rules: these tests write their own."""
    setup.initialize(empty_db, admin_name="Ada Admin", admin_email="ada@example.com", scoring_rules=False)
    return empty_db


def rules(db):
    scoring.create_rule(db, name="Decision maker", criterion="seniority_in", points=20,
                        params={"values": ["director", "vp", "c_level"]})
    scoring.create_rule(db, name="Target industry", criterion="industry_in", points=15,
                        params={"values": ["logistics"]})
    scoring.create_rule(db, name="Pricing page", criterion="engagement", points=15,
                        params={"kind": "pricing_page_visit", "within_days": 30})
    scoring.create_rule(db, name="Careers page", criterion="engagement", points=-10,
                        params={"kind": "careers_page_visit"})


def outbox_count(db) -> int:
    with db.reader() as s:
        return s.scalar(select(func.count()).select_from(Outbox))


def test_lead_view_explains_the_lead(db):
    rules(db)
    rep = users.create_user(db, "Zoe Rep", "zoe@example.com")
    acme = accounts.create_account(db, name="Acme", industry="Logistics", employees=300)
    ops = personas.create_persona(db, name="Operations lead", job_titles=["Head of Operations"],
                                  seniorities=["director"], talking_points="Fewer stock-outs")
    personas.create_persona(db, name="Student", job_titles=["Student"])
    indicators.create_indicator(db, name="Logistics firm", description="Logistics firms buy",
                                criterion="industry_in", params={"values": ["logistics"]})
    indicators.create_indicator(db, name="Runs 3+ warehouses", criterion="employees_between", params={"min": 500})
    indicators.create_indicator(db, name="Competitor contract ends this year")  # written only
    indicators.create_indicator(db, name="Pricing twice in 14 days", criterion="engagement",
                                params={"kind": "pricing_page_visit", "min_count": 2, "within_days": 14})
    c = contacts.create_contact(db, given_name="Deniz", family_name="Kaya", job_title="Head of Operations",
                                seniority="director", account_id=acme.id, owner_id=rep.id)
    campaigns.record_engagement(db, c.id, "pricing_page_visit", NOW - dt.timedelta(days=2))
    campaigns.record_engagement(db, c.id, "pricing_page_visit", NOW - dt.timedelta(days=40))
    campaigns.record_engagement(db, c.id, "careers_page_visit", NOW - dt.timedelta(days=100))
    done = bant.record_bant(db, c.id, budget_amount="5000", budget_currency="EUR", authority="decision_maker",
                            need="Stock-outs", timing="Q3", now=NOW)
    before = outbox_count(db)

    view = lead_view(db, c.id, now=NOW)

    assert outbox_count(db) == before  # viewing writes nothing
    assert (view.fit, view.interest, view.total) == (35, 5, 40)
    assert [(r.name, r.family, r.points) for r in view.reasons] == [
        ("Decision maker", ScoreFamily.FIT, 20), ("Target industry", ScoreFamily.FIT, 15),
        ("Pricing page", ScoreFamily.INTEREST, 15), ("Careers page", ScoreFamily.INTEREST, -10)]
    pricing = view.reasons[2]
    assert pricing.last_at == NOW - dt.timedelta(days=2)  # the latest in the window, not the 40-day-old one
    assert view.reasons[0].last_at is None
    assert reason_text(pricing, ago="2 days ago") == "+15 Pricing page, 2 days ago"
    assert reason_text(view.reasons[3]) == "-10 Careers page"
    assert (view.grade, view.quadrant) == (Grade.WARM, Quadrant.NURTURE)
    assert view.stage is LifecycleStage.SQL == done.stage
    assert view.persona is not None and view.persona.persona.id == ops.id and not view.persona_assigned
    assert view.persona.persona.talking_points == "Fewer stock-outs"
    assert view.persona.score == 100 and "job title 'Head of Operations' matches" in view.persona.reasons[0]
    assert [i.name for i in view.indicators_met] == ["Logistics firm"]  # 300 employees; one pricing visit in 14 days
    assert [(i.name, i.checkable) for i in view.indicators] == [
        ("Logistics firm", True), ("Runs 3+ warehouses", True), ("Competitor contract ends this year", False),
        ("Pricing twice in 14 days", True)]
    assert view.bant is not None and view.bant.result is BantResult.POSITIVE
    assert (view.owner_id, view.owner_name) == (rep.id, "Zoe Rep")
    assert view.assigned_at is not None
    assert (view.stored_fit, view.stored_interest) == (0, 0)  # the cache is shown, not rewritten


def test_lead_view_follows_thresholds_and_the_assigned_persona(db):
    rules(db)
    team_settings.set_setting(db, "score_hot", 40)
    team_settings.set_setting(db, "score_warm", 20)
    acme = accounts.create_account(db, name="Acme", industry="Logistics")
    other = personas.create_persona(db, name="Finance", job_titles=["CFO"])
    c = contacts.create_contact(db, given_name="Ana", seniority="vp", account_id=acme.id)
    campaigns.record_engagement(db, c.id, "pricing_page_visit", NOW - dt.timedelta(days=1))
    personas.set_contact_persona(db, c.id, other.id)
    view = lead_view(db, c.id, now=NOW)
    assert view.total == 50 and view.grade is Grade.HOT and view.thresholds.hot == 40
    assert view.quadrant is Quadrant.NURTURE  # interest 15 < 40 / 2
    assert view.persona.persona.id == other.id and view.persona_assigned
    assert view.persona.score == 0


def test_bare_contact_gives_an_empty_but_valid_view(db):
    c = contacts.create_contact(db, given_name="Bare", owner_id=None)
    view = lead_view(db, c.id, now=NOW)
    assert (view.fit, view.interest, view.total, view.reasons) == (0, 0, 0, ())
    assert (view.grade, view.quadrant) == (Grade.COLD, Quadrant.DISQUALIFY)
    assert view.persona is None and view.bant is None
    assert view.indicators_met == () and view.owner_id is None and view.assigned_at is None
    assert view.stage is LifecycleStage.LEAD


def test_stage_definition_is_the_teams(db):
    definitions.update_definition(db, "lead", expected_version=None, name="Lead",
                                  definition="A person whose name we have", entry_criteria="A business card")
    c = contacts.create_contact(db, given_name="Def")
    view = lead_view(db, c.id, now=NOW)
    assert view.definition.definition == "A person whose name we have"
    assert view.definition.entry_criteria == "A business card"


def test_missing_and_deleted_contacts_are_not_found(db):
    c = contacts.create_contact(db, given_name="Gone")
    contacts.delete_contact(db, c.id)
    with pytest.raises(NotFound):
        lead_view(db, c.id)
