"""A save that makes a lead hot hands it to sales in the same transaction (requalify's hook),
a full team refuses the hand-off without failing the save, and ``leaddesk rescore`` hands
off what a rule change made hot; on both engines."""

from __future__ import annotations

import datetime as dt

import pytest

from sqlalchemy import update

from leaddesk.cli import main as cli_main
from leaddesk.models import Contact
from leaddesk.models.enums import LifecycleStage
from leaddesk.services import settings as team_settings
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import contacts
from leaddesk.services.qualification import requalify, scoring
from tests.db.test_handoff import NOW, REPS, as_user, make_team, row


@pytest.fixture
def team(empty_db):
    return make_team(empty_db)


def _warm_vp(db, name, owner=None):
    """A VP (40 points) with no pricing visit yet: warm, below the hot 60."""
    c = contacts.create_contact(db, given_name=name, family_name="Lead", seniority="vp", owner_id=owner,
                                now=NOW - dt.timedelta(days=3))
    scoring.score_contact(db, c.id, now=NOW)
    return c.id


def test_an_engagement_that_makes_a_lead_hot_hands_it_off_round_robin(team):
    db, ids = team
    as_user(db, ids["Mia"])
    cid = _warm_vp(db, "Hana")
    assert row(db, cid).lifecycle_stage is LifecycleStage.LEAD
    result = requalify.record_engagement(db, cid, "pricing_page_visit", NOW - dt.timedelta(hours=2), now=NOW)
    c = row(db, cid)
    assert result.of(cid).score.total == 65
    assert c.lifecycle_stage is LifecycleStage.MQL
    assert c.owner_id in {ids[n] for n in REPS}  # a rep of Mia's team, not Mia
    assert "Score 65 >= 60" in c.stage_reason and "VP title" in c.stage_reason
    assert result.handoff is not None and [h.contact_id for h in result.handoff.handed_off] == [cid]
    assert result.handoff_refused is None


def test_a_warm_lead_stays_where_it_is(team):
    db, ids = team
    as_user(db, ids["Mia"])
    cid = _warm_vp(db, "Ivo")
    result = requalify.requalify(db, [cid], now=NOW)
    assert result.handoff is None and row(db, cid).lifecycle_stage is LifecycleStage.LEAD


def test_a_full_team_refuses_the_hand_off_but_the_new_score_is_saved(team):
    db, ids = team
    as_user(db, ids["ada"])
    team_settings.set_setting(db, "lead_cap_by_team", {str(ids["north"]): 1})  # North's cap: 1
    for name in REPS:  # every North rep holds one open lead: all at the cap of 1
        _warm_vp(db, f"Held {name}", owner=ids[name])
    as_user(db, ids["Mia"])
    cid = _warm_vp(db, "Jo")
    campaigns.record_engagement(db, cid, "pricing_page_visit", NOW - dt.timedelta(hours=1))
    result = requalify.requalify(db, [cid], now=NOW)
    c = row(db, cid)
    assert result.handoff_refused and "cap" in result.handoff_refused
    assert (c.fit_score + c.interest_score, c.lifecycle_stage, c.owner_id) == (65, LifecycleStage.LEAD, None)


def test_auto_handoff_off_keeps_hot_leads_where_they_are(team):
    db, ids = team
    as_user(db, ids["ada"])
    team_settings.set_setting(db, "auto_handoff", False)
    as_user(db, ids["Mia"])
    cid = _warm_vp(db, "Kai")
    result = requalify.record_engagement(db, cid, "pricing_page_visit", NOW - dt.timedelta(hours=1), now=NOW)
    assert result.handoff is not None and result.handoff.disabled
    assert row(db, cid).lifecycle_stage is LifecycleStage.LEAD


def test_cli_rescore_hands_off_what_a_rule_change_made_hot(team, db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LEADDESK_DATA_DIR", str(tmp_path / "data"))
    db, ids = team
    as_user(db, ids["Mia"])
    cid = _warm_vp(db, "Lou", owner=ids["Ana"])
    with db.unit_of_work() as s:  # the rule change a manager made: VP now worth 70
        s.execute(update(Contact).where(Contact.id == cid).values(fit_score=40))
    rule = next(r for r in scoring.list_rules(db) if r.name == "VP title")
    scoring.update_rule(db, rule.id, expected_version=rule.version, points=70)
    url = db_url
    assert cli_main(["--db", url, "rescore"]) == 0
    out = capsys.readouterr()
    assert "handed off" in (out.out + out.err)
    c = row(db, cid)
    assert (c.lifecycle_stage, c.owner_id) == (LifecycleStage.MQL, ids["Ana"])  # owned: keeps its rep
    assert cli_main(["--db", url, "rescore", "--no-handoff"]) == 0


def _bant_yes(db, cid):
    from leaddesk.services.qualification import bant

    return bant.record_bant(db, cid, budget_status="yes", budget_amount=50000, budget_currency="EUR",
                            authority_status="yes", authority="decision_maker", need_status="yes",
                            need="Counts are wrong", timing_status="yes", timing="Q3", now=NOW)


def test_a_positive_bant_assigns_a_pool_lead_round_robin(team):
    db, ids = team
    as_user(db, ids["Mia"])
    cid = _warm_vp(db, "Max")
    out = _bant_yes(db, cid)
    c = row(db, cid)
    assert out.stage is LifecycleStage.SQL and out.assigned_to == c.owner_id
    assert c.owner_id in {ids[n] for n in REPS} and c.assignment_reason.startswith("BANT positive")


def test_a_positive_bant_on_a_full_team_keeps_the_lead_in_the_pool_and_says_why(team):
    db, ids = team
    as_user(db, ids["ada"])
    team_settings.set_setting(db, "lead_cap_by_team", {str(ids["north"]): 1})  # North's cap: 1
    for name in REPS:
        _warm_vp(db, f"Held {name}", owner=ids[name])
    as_user(db, ids["Mia"])
    cid = _warm_vp(db, "Noor")
    out = _bant_yes(db, cid)
    c = row(db, cid)
    assert (c.lifecycle_stage, c.owner_id) == (LifecycleStage.SQL, None)
    assert out.assigned_to is None and "cap" in out.assignment_refused
