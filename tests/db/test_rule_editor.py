"""The rule editor's services on both engines: every criterion saved through the editor's
path (form -> params -> create_rule) and evaluated by a rescore, negative points, the
thresholds (warm below hot; managers only), the preview's counts against a real rescore,
and requalify after a contact edit or an engagement."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from leaddesk.errors import PermissionDenied, ValidationError
from leaddesk.models import Contact
from leaddesk.models.access import Subject
from leaddesk.models.enums import Role
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import accounts, contacts
from leaddesk.services.qualification import indicators, personas, requalify, rule_forms, rule_preview, scoring
from leaddesk.services.qualification.dto import Grade, Thresholds
from leaddesk.services.qualification.scoring_criteria import CRITERIA
from leaddesk.services.team import setup, users

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def db(empty_db):
    setup.initialize(empty_db, admin_name="Ada Admin", admin_email="ada@example.com", scoring_rules=False)
    return empty_db


def stored(db) -> dict:
    with db.reader() as s:
        return {r.id: (r.fit_score, r.interest_score, r.persona_id)
                for r in s.execute(select(Contact.id, Contact.fit_score, Contact.interest_score, Contact.persona_id))}


def _people(db):
    """(hit, miss): two contacts that differ in everything a criterion looks at."""
    big = accounts.create_account(db, name="Acme Logistics", industry="Logistics", employees=400, country="TR")
    small = accounts.create_account(db, name="Tiny Bakery", industry="Food", employees=3, country="DE")
    ops = personas.create_persona(db, name="Ops", job_titles=["Warehouse Manager"], seniorities=["manager"])
    hit = contacts.create_contact(db, given_name="Deniz", job_title="Depo Müdürü", seniority="manager",
                                  department="Logistics", account_id=big.id, emails=["deniz@rival.com"],
                                  lifecycle_stage="mql")
    miss = contacts.create_contact(db, given_name="Sam", job_title="Baker", seniority="entry", department="Kitchen",
                                   account_id=small.id, emails=["sam@tinybakery.de"], lifecycle_stage="lead")
    personas.set_contact_persona(db, hit.id, ops.id)
    campaigns.record_engagement(db, hit.id, "pricing_page_visit", NOW - dt.timedelta(days=3))
    campaigns.record_engagement(db, hit.id, "pricing_page_visit", NOW - dt.timedelta(days=4))
    campaigns.record_engagement(db, miss.id, "pricing_page_visit", NOW - dt.timedelta(days=60))
    return hit, miss, ops


#: criterion -> what the editor's form holds for a rule the first contact meets and the second does not
FORMS = {
    "job_title_contains": {"words": "warehouse, depot"},
    "seniority_in": {"values": ["manager", "director"]},
    "department_in": {"values": "logistics"},
    "industry_in": {"values": "logistics, retail"},
    "employees_between": {"min": 50, "max": None},
    "country_in": {"values": "TR"},
    "email_domain_in": {"domains": "rival.com"},
    "free_email": {"domains": "rival.com"},
    "competitor_domain": {"domains": "rival.com"},
    "engagement": {"kind": "pricing_page_visit", "min_count": 2, "within_days": 30},
    "persona_match": {"persona_id": None},  # filled in with the persona
    "lifecycle_in": {"values": ["mql"]},
    "hpi_met": {"indicator_id": None, "min_count": ""},  # filled in with an HPI the first one meets
}


def test_every_criterion_has_an_editor_form():
    assert set(FORMS) == set(CRITERIA) == set(rule_forms.PARAM_FIELDS)
    for name in CRITERIA:
        assert {f.key for f in rule_forms.param_fields(name)} == set(CRITERIA[name].keys)
        assert rule_forms.criterion_help(name)[0].isupper() and "_" not in rule_forms.criterion_help(name)


@pytest.mark.parametrize("criterion", sorted(FORMS))
def test_each_criterion_saved_through_the_editor_scores_a_rescore(db, criterion):
    hit, miss, ops = _people(db)
    form = dict(FORMS[criterion], persona_id=str(ops.id)) if criterion == "persona_match" else FORMS[criterion]
    if criterion == "hpi_met":
        hpi = indicators.create_indicator(db, name="Runs 100+ staff", criterion="employees_between",
                                          params={"min": 100})
        form = dict(form, indicator_id=str(hpi.id))
    params = rule_forms.params_from_form(criterion, form)
    rule = scoring.create_rule(db, name=f"Rule {criterion}", criterion=criterion, points=-7, params=params)
    assert rule.points == -7 and rule_forms.describe_params(criterion, rule.params, persona_names={str(ops.id): "Ops"},
                                                            indicator_names={str(hpi.id): "Runs 100+ staff"}
                                                            if criterion == "hpi_met" else None)
    scoring.rescore_all(db, now=NOW)
    got = stored(db)
    family_of_hit = got[hit.id][0] if rule.family == "fit" else got[hit.id][1]
    assert family_of_hit == -7  # negative points are kept as they are
    assert got[miss.id][:2] == (0, 0)


def test_an_hpi_count_rule_from_the_editor_form(db):
    hit, miss, _ops = _people(db)
    for name, params in (("Big firm", {"min": 100}), ("Logistics", {"values": ["logistics"]})):
        indicators.create_indicator(db, name=name, criterion="employees_between" if "min" in params
                                    else "industry_in", params=params)
    params = rule_forms.params_from_form("hpi_met", {"indicator_id": None, "min_count": "2"})
    rule = scoring.create_rule(db, name="Two HPIs", criterion="hpi_met", points=12, params=params)
    assert {k: v for k, v in rule.params.items() if not k.startswith("_")} == {"min_count": 2}
    assert rule_forms.describe_params("hpi_met", rule.params) == "at least 2 of the team's HPIs"
    scoring.rescore_all(db, now=NOW)
    assert stored(db)[hit.id][0] == 12 and stored(db)[miss.id][0] == 0


def test_negative_points_make_a_lead_colder(db):
    hit, _miss, _ops = _people(db)
    scoring.create_rule(db, name="Manager", criterion="seniority_in", points=40, params={"values": ["manager"]})
    scoring.create_rule(db, name="Competitor", criterion="competitor_domain", points=-50,
                        params={"domains": ["rival.com"]})
    result = requalify.requalify(db, [hit.id], now=NOW).of(hit.id)
    assert (result.score.fit, result.score.grade) == (-10, Grade.COLD)
    assert [r.name for r in result.score.reasons] == ["Manager", "Competitor"]


def test_thresholds_are_validated_and_stored_together(db):
    assert rule_preview.set_thresholds(db, hot="70", warm=35) == Thresholds(70, 35)
    assert scoring.thresholds(db) == Thresholds(70, 35)
    for hot, warm, field in ((50, 50, "score_warm"), (40, 45, "score_warm"), ("x", 10, "score_hot"),
                             (60, -1, "score_warm"), (60, 2.5, "score_warm")):
        with pytest.raises(ValidationError) as err:
            rule_preview.set_thresholds(db, hot=hot, warm=warm)
        assert err.value.field == field
    assert scoring.thresholds(db) == Thresholds(70, 35)  # nothing of a refused pair is stored


def test_a_rep_may_read_but_not_change_rules_or_thresholds(db, make_db):
    rule = scoring.create_rule(db, name="Manager", criterion="seniority_in", points=10, params={"values": ["manager"]})
    rep = users.create_user(db, "Rita Rep", "rita@example.com", role=Role.REP)
    boss = users.create_user(db, "Max Manager", "max@example.com", role=Role.MANAGER)
    as_rep, as_boss = make_db(actor_id=rep.id), make_db(actor_id=boss.id)
    as_rep.write.subject = Subject(rep.id, "rep", frozenset({rep.id}))
    as_boss.write.subject = Subject(boss.id, "manager", frozenset({boss.id}))
    assert not rule_preview.may_configure(as_rep) and rule_preview.may_configure(as_boss)
    assert [r.name for r in scoring.list_rules(as_rep)] == ["Manager"]
    with pytest.raises(PermissionDenied):
        rule_preview.set_thresholds(as_rep, hot=80, warm=40)
    with pytest.raises(PermissionDenied):
        scoring.create_rule(as_rep, name="Mine", criterion="seniority_in", points=5, params={"values": ["vp"]})
    with pytest.raises(PermissionDenied):
        scoring.update_rule(as_rep, rule.id, expected_version=rule.version, points=50)
    with pytest.raises(PermissionDenied):
        scoring.delete_rule(as_rep, rule.id)
    assert scoring.get_rule(db, rule.id).points == 10 and scoring.thresholds(db) == Thresholds()
    scoring.update_rule(as_boss, rule.id, expected_version=rule.version, points=50)
    assert rule_preview.set_thresholds(as_boss, hot=80, warm=40) == scoring.thresholds(db) == Thresholds(80, 40)


def _grades(db):
    out = {}
    for c in stored(db):
        result = scoring.score_contact(db, c, now=NOW)
        out[c] = (result.grade, {r.name for r in result.reasons})
    return out


def test_the_preview_counts_what_the_rescore_then_finds(db):
    scoring.create_rule(db, name="Manager", criterion="seniority_in", points=20, params={"values": ["manager"]})
    scoring.create_rule(db, name="Logistics", criterion="industry_in", points=20, params={"values": ["logistics"]})
    pricing = scoring.create_rule(db, name="Pricing", criterion="engagement", points=5,
                                  params={"kind": "pricing_page_visit", "within_days": 30})
    big = accounts.create_account(db, name="Acme", industry="Logistics", employees=300)
    for i in range(30):
        c = contacts.create_contact(db, given_name=f"Lead{i:02d}", seniority=("manager", "entry", "director")[i % 3],
                                    account_id=big.id if i % 2 else None)
        for _ in range(i % 4):
            campaigns.record_engagement(db, c.id, "pricing_page_visit", NOW - dt.timedelta(days=i))
    before = _grades(db)
    edit = {"name": "Pricing (2+ visits)", "criterion": "engagement", "points": 30,
            "params": rule_forms.params_from_form("engagement", {"kind": "pricing_page_visit", "min_count": "2",
                                                                "within_days": "20"})}
    calls = []
    preview = rule_preview.preview_rule(db, edit, rule_id=pricing.id, now=NOW, batch_size=7,
                                        progress=lambda done, total: calls.append((done, total)))
    scoring.update_rule(db, pricing.id, expected_version=pricing.version, **edit)
    scoring.rescore_all(db, now=NOW)
    after = _grades(db)
    hits = sum(1 for _grade, reasons in after.values() if "Pricing (2+ visits)" in reasons)
    moved = sum(1 for c in after if after[c][0] is not before[c][0])
    assert (preview.contacts, preview.hits, preview.temperature_changes) == (30, hits, moved)
    assert hits > 0 and moved > 0 and sum(preview.moves.values()) == moved
    assert calls[0] == (0, 30) and calls[-1] == (30, 30) and len(calls) == 6


def test_preview_of_a_new_rule_and_a_bad_one(db):
    hit, miss, _ops = _people(db)
    preview = rule_preview.preview_rule(db, {"name": "Rivals", "criterion": "competitor_domain", "points": -60,
                                             "params": {"domains": ["rival.com"]}}, now=NOW)
    assert (preview.contacts, preview.hits, preview.temperature_changes) == (2, 1, 0)  # 0 -> -60: still cold
    with pytest.raises(ValidationError) as err:
        rule_preview.preview_rule(db, {"name": "Size", "criterion": "employees_between", "points": 5,
                                       "params": rule_forms.params_from_form("employees_between", {"min": "", "max": ""})})
    assert err.value.field == "params.min"


def test_requalify_after_a_contact_edit_changes_score_reasons_and_persona(db):
    scoring.create_rule(db, name="Director", criterion="seniority_in", points=40, params={"values": ["director"]})
    ops = personas.create_persona(db, name="Ops director", job_titles=["Operations Director"],
                                  seniorities=["director"])
    scoring.create_rule(db, name="Ops persona", criterion="persona_match", points=25,
                        params={"persona_id": str(ops.id)})
    c = contacts.create_contact(db, given_name="Deniz", job_title="Clerk", seniority="entry")
    first = requalify.requalify(db, [c.id], now=NOW).of(c.id)
    assert (first.score.total, first.persona_id, first.score.grade) == (0, None, Grade.COLD)
    assert (first.total_before, first.grade_before, first.grade_changed) == (0, Grade.COLD, False)
    c = contacts.get_contact(db, c.id)
    contacts.update_contact(db, c.id, expected_version=c.version, job_title="Operations Director",
                            seniority="director")
    result = requalify.requalify(db, [c.id], now=NOW)
    again = result.of(c.id)
    assert again.persona_id == ops.id and again.persona_before is None  # persona first ...
    assert [r.name for r in again.score.reasons] == ["Director", "Ops persona"]  # ... then the score it gives
    assert (again.total_before, again.grade_before, again.score.grade, again.grade_changed) == (
        0, Grade.COLD, Grade.HOT, True)
    assert stored(db)[c.id] == (65, 0, ops.id) and "contact" in result.changes.entities
    assert requalify.requalify(db, [], now=NOW).contacts == ()


def test_recording_an_engagement_in_the_app_requalifies_the_contact(db):
    scoring.create_rule(db, name="Trial", criterion="engagement", points=20, params={"kind": "trial_signup"})
    c = contacts.create_contact(db, given_name="Tara")
    campaigns.record_engagement(db, c.id, "trial_signup", NOW)  # the primitive alone stores no score
    assert stored(db)[c.id][:2] == (0, 0)
    result = requalify.record_engagement(db, c.id, "trial_signup", NOW, now=NOW).of(c.id)
    assert result.score.interest == 20 and stored(db)[c.id][:2] == (0, 20)
    with pytest.raises(ValidationError):
        requalify.record_engagement(db, c.id, "no_such_kind", NOW)


def test_scores_equal_the_engine(db):
    """requalify stores exactly what evaluate says (the same engine as the lead view)."""
    hit, miss, _ops = _people(db)
    scoring.create_rule(db, name="Manager", criterion="seniority_in", points=15, params={"values": ["manager"]})
    result = requalify.requalify(db, [hit.id, miss.id], now=NOW)
    assert [r.contact_id for r in result.contacts] == sorted([hit.id, miss.id])
    for r in result.contacts:
        assert (r.score.fit, r.score.interest) == stored(db)[r.contact_id][:2]
        assert r.score == scoring.score_contact(db, r.contact_id, now=NOW)


def test_requalify_never_assigns_an_avoid_profile(db):
    personas.create_persona(db, name="Lost: students", job_titles=["Student"], avoid=True)
    c = contacts.create_contact(db, given_name="Sam", job_title="Student")
    assert requalify.requalify(db, [c.id], now=NOW).of(c.id).persona_id is None


def test_parameters_are_said_in_words():
    say = rule_forms.describe_params
    assert say("seniority_in", {"values": ["director", "vp", "c_level"]}) == "director, VP, C-level"
    assert say("employees_between", {"min": 50, "max": 5000}) == "50–5,000"
    assert say("employees_between", {"min": None, "max": 20}) == "at most 20"
    assert say("engagement", {"kind": "site_visit", "min_count": 3, "within_days": 30}) == "site visit ×3 in 30 days"
    assert say("engagement", {"kind": "webinar", "min_count": 1, "within_days": None}) == "webinar ×1 (ever)"
    assert say("email_domain_in", {"domains": ["edu", "ac.uk"]}) == "edu, ac.uk"
    assert say("free_email", {}).endswith("(built-in list)")
    assert say("persona_match", {"persona_id": "x"}, persona_names={"x": "Ops"}) == "Ops"
    assert rule_forms.params_from_form("engagement", {"kind": "download", "min_count": "", "within_days": ""}) == {
        "kind": "download", "min_count": 1}
