"""High-probability indicators as rules on both engines: an HPI's rule is checked like a
scoring rule's, written-only HPIs stay allowed, at most five are active, ``hpi_met`` rules
score on them (``score_contact`` and ``rescore_all`` agree), the lead view and
``leaddesk leads`` (text and --json) list the HPIs met, and the editor's counts."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from leaddesk import cli
from leaddesk.errors import NotFound, ValidationError
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import accounts, contacts
from leaddesk.services.qualification import hpi_reach, indicators, leads, personas, scoring
from leaddesk.services.qualification.lead_view import lead_view
from leaddesk.services.team import setup

NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture
def db(empty_db):
    """Seeded like ``leaddesk init`` but without the default scoring rules: these tests write their own."""
    setup.initialize(empty_db, admin_name="Ada Admin", admin_email="ada@example.com", scoring_rules=False)
    return empty_db


def hpis(db):
    big = indicators.create_indicator(db, name="Runs 3+ warehouses", criterion="employees_between",
                                      params={"min": "500"})
    ops = indicators.create_indicator(db, name="Operations decision maker", criterion="department_in",
                                      params={"values": "Operations, Logistics"})
    pricing = indicators.create_indicator(
        db, name="Visited pricing twice in 14 days", criterion="engagement",
        params={"kind": "pricing_page_visit", "min_count": 2, "within_days": 14})
    written = indicators.create_indicator(db, name="Competitor contract ends this year")
    return big, ops, pricing, written


@pytest.fixture
def people(db):
    """Deniz meets all three checkable HPIs, Mia only the size, Sam none."""
    big = accounts.create_account(db, name="Acme Logistics", industry="Logistics", employees=800)
    small = accounts.create_account(db, name="Tiny Shop", industry="Retail", employees=8)
    deniz = contacts.create_contact(db, given_name="Deniz", family_name="Kaya", department="Operations",
                                    account_id=big.id, lifecycle_stage="mql")
    for days in (1, 9, 30):
        campaigns.record_engagement(db, deniz.id, "pricing_page_visit", NOW - dt.timedelta(days=days))
    mia = contacts.create_contact(db, given_name="Mia", family_name="Big", department="Finance",
                                  account_id=big.id, lifecycle_stage="lead")
    campaigns.record_engagement(db, mia.id, "pricing_page_visit", NOW - dt.timedelta(days=20))
    sam = contacts.create_contact(db, given_name="Sam", family_name="Small", account_id=small.id,
                                  lifecycle_stage="lead")
    return deniz, mia, sam


def test_an_hpi_holds_a_checked_rule_or_only_words(db):
    big, ops, pricing, written = hpis(db)
    assert (big.criterion, big.params) == ("employees_between", {"min": 500, "max": None})  # normalised
    assert ops.params == {"values": ["operations", "logistics"]} and ops.checkable
    assert (written.criterion, written.params, written.checkable) == (None, {}, False)
    assert [i.name for i in indicators.list_indicators(db)] == [big.name, ops.name, pricing.name, written.name]
    changed = indicators.update_indicator(db, written.id, expected_version=written.version,
                                          criterion="seniority_in", params={"values": ["director"]})
    assert changed.checkable and changed.params == {"values": ["director"]}
    again = indicators.update_indicator(db, changed.id, expected_version=changed.version, params={"values": ["vp"]})
    assert again.criterion == "seniority_in" and again.params == {"values": ["vp"]}
    back = indicators.update_indicator(db, again.id, expected_version=again.version, criterion=None)
    assert not back.checkable and indicators.get_indicator(db, back.id).params == {}


@pytest.mark.parametrize("data, field", [
    ({"criterion": "no_such_thing", "params": {}}, "criterion"),
    ({"criterion": "employees_between", "params": {"min": "many"}}, "params.min"),
    ({"criterion": "engagement", "params": {"kind": "telepathy"}}, "params.kind"),
    ({"criterion": "seniority_in", "params": {"values": ["director"], "extra": 1}}, "params"),
    ({"criterion": "hpi_met", "params": {"min_count": 1}}, "criterion"),
    ({"params": {"values": ["x"]}}, "criterion"),
    ({"criterion": "persona_match", "params": {"persona_id": "0192f0e0-0000-7000-8000-000000000009"}},
     "params.persona_id"),
])
def test_bad_hpi_rules_are_refused_and_nothing_written(db, data, field):
    with pytest.raises(ValidationError) as err:
        indicators.create_indicator(db, name="Bad", **data)
    assert err.value.field == field
    assert indicators.list_indicators(db) == []


def test_at_most_five_active_hpis_with_rules(db):
    for i in range(5):
        indicators.create_indicator(db, name=f"HPI {i}", criterion="seniority_in", params={"values": ["vp"]})
    with pytest.raises(ValidationError, match="at most 5 active"):
        indicators.create_indicator(db, name="Sixth", criterion="country_in", params={"values": ["DE"]})
    spare = indicators.create_indicator(db, name="Sixth", criterion="country_in", params={"values": ["DE"]},
                                        active=False)
    with pytest.raises(ValidationError, match="at most 5 active"):
        indicators.update_indicator(db, spare.id, expected_version=spare.version, active=True)
    assert len(indicators.list_indicators(db, active_only=True)) == 5


def test_lead_view_lists_hpis_met_and_not_met(db, people):
    big, ops, pricing, written = hpis(db)
    deniz, mia, sam = people
    retired = indicators.create_indicator(db, name="Retired", criterion="employees_between", params={"min": 1},
                                          active=False)
    view = lead_view(db, deniz.id, now=NOW)
    assert [i.name for i in view.indicators_met] == [big.name, ops.name, pricing.name]
    assert [i.id for i in view.indicators] == [big.id, ops.id, pricing.id, written.id]  # active ones only
    assert retired.id not in [i.id for i in view.indicators]
    assert [i.name for i in lead_view(db, mia.id, now=NOW).indicators_met] == [big.name]  # pricing 20 days ago
    assert lead_view(db, sam.id, now=NOW).indicators_met == ()


def test_hpi_met_rules_score_and_rescore_all_agrees(db, people):
    big, ops, pricing, written = hpis(db)
    deniz, mia, sam = people
    scoring.create_rule(db, name="Runs 3+ warehouses (HPI)", criterion="hpi_met", points=10,
                        params={"indicator_id": str(big.id)})
    scoring.create_rule(db, name="Two HPIs met", criterion="hpi_met", family="interest", points=25,
                        params={"min_count": 2})
    scoring.create_rule(db, name="Competitor contract (HPI)", criterion="hpi_met", points=5,
                        params={"indicator_id": str(written.id)})  # written only: never met
    with pytest.raises(ValidationError) as err:
        scoring.create_rule(db, name="Gone", criterion="hpi_met", points=5,
                            params={"indicator_id": "0192f0e0-0000-7000-8000-000000000009"})
    assert err.value.field == "params.indicator_id"
    result = scoring.score_contact(db, deniz.id, now=NOW)
    assert [r.name for r in result.reasons] == ["Runs 3+ warehouses (HPI)", "Two HPIs met"]
    assert (result.fit, result.interest) == (10, 25)
    assert [r.name for r in scoring.score_contact(db, mia.id, now=NOW).reasons] == ["Runs 3+ warehouses (HPI)"]
    assert scoring.score_contact(db, sam.id, now=NOW).total == 0
    assert scoring.rescore_all(db, now=NOW).changed == 0  # the bulk scorer agrees with evaluate
    # retiring an HPI changes what the rules see
    indicators.update_indicator(db, big.id, expected_version=big.version, active=False)
    assert [r.name for r in scoring.score_contact(db, deniz.id, now=NOW).reasons] == ["Two HPIs met"]
    assert scoring.rescore_all(db, now=NOW).changed == 1  # Mia loses her 10 points
    assert lead_view(db, deniz.id, now=NOW).total == 25


def test_leads_list_and_cli_show_hpis_met(db, db_url, people, tmp_path, monkeypatch, capsys):
    big, ops, pricing, written = hpis(db)
    monkeypatch.setenv("LEADDESK_DATA_DIR", str(tmp_path / "data"))
    by_name = {r.name: r.hpis_met for r in leads.list_leads(db, now=NOW)}
    assert by_name == {"Deniz Kaya": (big.name, ops.name, pricing.name), "Mia Big": (big.name,),
                       "Sam Small": ()}
    assert cli.main(["--db", db_url, "leads", "--json"]) == 0
    rows = {r["name"]: r["hpis_met"] for r in json.loads(capsys.readouterr().out)}
    assert rows["Deniz Kaya"] == [big.name, ops.name, pricing.name] and rows["Sam Small"] == []
    assert cli.main(["--db", db_url, "leads"]) == 0
    out = capsys.readouterr().out
    assert f"HPIs met: {big.name}, {ops.name}, {pricing.name}" in out
    assert "HPIs met: -" in out  # Sam


def test_leads_meeting_counts_each_checkable_hpi(db, people):
    big, ops, pricing, written = hpis(db)
    retired = indicators.create_indicator(db, name="Any size", criterion="employees_between", params={"min": 1},
                                          active=False)
    deniz, mia, sam = people
    contacts.create_contact(db, given_name="Cu", family_name="Stomer", department="Operations",
                            lifecycle_stage="customer")  # not a lead: not counted
    reach = hpi_reach.leads_meeting(db, now=NOW, batch_size=2)  # two batches
    assert reach.leads == 3 and not reach.cancelled
    assert reach.met == {big.id: 2, ops.id: 1, pricing.id: 1, retired.id: 3}
    assert written.id not in reach.met


def test_a_persona_hpi_must_name_a_live_persona(db, people):
    ops_persona = personas.create_persona(db, name="Operations lead", job_titles=["Head of Operations"])
    h = indicators.create_indicator(db, name="Our persona", criterion="persona_match",
                                    params={"persona_id": str(ops_persona.id)})
    assert h.params == {"persona_id": str(ops_persona.id)}
    with pytest.raises(NotFound):
        indicators.update_indicator(db, "0192f0e0-0000-7000-8000-000000000009", expected_version=None, name="x")
