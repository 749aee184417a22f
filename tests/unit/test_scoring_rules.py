"""The scoring vocabulary and evaluate(): pure, no database."""

from __future__ import annotations

import uuid

import pytest

from leaddesk.errors import ValidationError
from leaddesk.models.enums import ScoreFamily
from leaddesk.services.qualification.dto import ContactFacts, Grade, Quadrant, RuleInfo, ScoreReason, Thresholds
from leaddesk.services.qualification.scoring import DEFAULT_RULES
from leaddesk.services.qualification.scoring_criteria import CRITERIA, clean_params, engagement_keys, evaluate

FIT, INTEREST = ScoreFamily.FIT, ScoreFamily.INTEREST


def rule(name, criterion, points, family=None, active=True, **params) -> RuleInfo:
    return RuleInfo(name=name, family=family or CRITERIA[criterion].family, criterion=criterion,
                    params=clean_params(criterion, params), points=points, active=active)


def test_scoring_evaluate_sums_families_and_explains_in_rule_order():
    rules = [
        rule("Decision maker", "seniority_in", 20, values=["director", "c_level"]),
        rule("Target industry", "industry_in", 15, values=["Logistics"]),
        rule("Pricing page", "engagement", 15, kind="pricing_page_visit", within_days=30),
        rule("Careers page", "engagement", -10, kind="careers_page_visit"),
    ]
    facts = ContactFacts(seniority="director", industry="Logistics & Warehousing",
                         engagement={("pricing_page_visit", 30): 2, ("careers_page_visit", None): 1})
    result = evaluate(rules, facts)
    assert (result.fit, result.interest, result.total) == (35, 5, 40)
    assert result.reasons == (
        ScoreReason("Decision maker", FIT, 20),
        ScoreReason("Target industry", FIT, 15),
        ScoreReason("Pricing page", INTEREST, 15),
        ScoreReason("Careers page", INTEREST, -10),
    )


def test_scoring_negative_points_lower_the_score():
    student = rule("Student e-mail", "email_domain_in", -20, domains=["edu"])
    title = rule("Buyer title", "job_title_contains", 10, words=["procurement"])
    facts = ContactFacts(job_title="Procurement intern", email_domains=frozenset({"cs.mit.edu"}))
    assert evaluate([title], facts).fit == 10
    result = evaluate([title, student], facts)
    assert result.fit == -10
    assert ScoreReason("Student e-mail", FIT, -20) in result.reasons


def test_scoring_inactive_and_zero_point_rules_do_not_count():
    rules = [rule("Off", "seniority_in", 50, active=False, values=["director"]),
             rule("Zero", "seniority_in", 0, values=["director"])]
    result = evaluate(rules, ContactFacts(seniority="director"))
    assert (result.total, result.reasons) == (0, ())


@pytest.mark.parametrize("total, grade", [(60, Grade.HOT), (59, Grade.WARM), (30, Grade.WARM), (29, Grade.COLD),
                                          (-5, Grade.COLD)])
def test_scoring_grade_follows_thresholds(total, grade):
    r = rule("Points", "lifecycle_in", total, values=["lead"])
    assert evaluate([r], ContactFacts(lifecycle_stage="lead"), Thresholds(hot=60, warm=30)).grade is grade


@pytest.mark.parametrize("fit, interest, quadrant", [
    (30, 30, Quadrant.SALES_NOW), (40, 29, Quadrant.NURTURE),
    (29, 45, Quadrant.QUALIFY_CAREFULLY), (10, 10, Quadrant.DISQUALIFY),
])
def test_scoring_quadrant_uses_half_the_hot_threshold(fit, interest, quadrant):
    rules = [rule("fit", "lifecycle_in", fit, values=["mql"]),
             rule("interest", "lifecycle_in", interest, family=INTEREST, values=["mql"])]
    assert evaluate(rules, ContactFacts(lifecycle_stage="mql"), Thresholds(hot=60, warm=30)).quadrant is quadrant


def test_scoring_job_title_matches_whole_words_only():
    cto = rule("CTO", "job_title_contains", 10, words=["CTO", "head of it"])
    assert evaluate([cto], ContactFacts(job_title="CTO & Co-Founder")).fit == 10
    assert evaluate([cto], ContactFacts(job_title="Head of IT Operations")).fit == 10
    assert evaluate([cto], ContactFacts(job_title="Sales Director")).fit == 0  # "cto" inside "director"
    assert evaluate([cto], ContactFacts(job_title=None)).fit == 0


def test_scoring_free_email_only_when_no_company_address():
    free = rule("Free e-mail", "free_email", -5)
    assert evaluate([free], ContactFacts(email_domains=frozenset({"gmail.com"}))).fit == -5
    assert evaluate([free], ContactFacts(email_domains=frozenset({"gmail.com", "acme.com"}))).fit == 0
    assert evaluate([free], ContactFacts()).fit == 0
    custom = rule("Local free mail", "free_email", -5, domains=["example.org"])
    assert evaluate([custom], ContactFacts(email_domains=frozenset({"example.org"}))).fit == -5


def test_scoring_email_domain_matches_subdomains_not_lookalikes():
    edu = rule("Student", "email_domain_in", -20, domains=["@EDU", "ac.uk"])
    assert evaluate([edu], ContactFacts(email_domains=frozenset({"ox.ac.uk"}))).fit == -20
    assert evaluate([edu], ContactFacts(email_domains=frozenset({"education.com"}))).fit == 0
    assert evaluate([edu], ContactFacts(email_domains=frozenset({"notac.uk"}))).fit == 0


def test_scoring_employees_between_is_inclusive_and_unknown_never_matches():
    size = rule("Mid-size", "employees_between", 10, min=50, max=500)
    assert [evaluate([size], ContactFacts(employees=n)).fit for n in (49, 50, 500, 501)] == [0, 10, 10, 0]
    assert evaluate([size], ContactFacts(employees=None)).fit == 0
    open_ended = rule("Large", "employees_between", 5, min=1000)
    assert evaluate([open_ended], ContactFacts(employees=10**6)).fit == 5


def test_scoring_engagement_needs_min_count_in_its_window():
    visits = rule("Repeat visits", "engagement", 10, kind="site_visit", min_count=3, within_days=30)
    assert engagement_keys([visits]) == [("site_visit", 30)]
    assert evaluate([visits], ContactFacts(engagement={("site_visit", 30): 2, ("site_visit", None): 9})).interest == 0
    assert evaluate([visits], ContactFacts(engagement={("site_visit", 30): 3})).interest == 10


def test_scoring_persona_country_and_lifecycle_criteria():
    pid = uuid.uuid4()
    rules = [rule("Persona", "persona_match", 10, persona_id=str(pid)),
             rule("DACH", "country_in", 5, values=["Germany", "AT", "CHE"]),
             rule("Not a customer yet", "lifecycle_in", 1, values=["lead", "MQL"])]
    facts = ContactFacts(persona_id=pid, country="CH", lifecycle_stage="mql")
    assert evaluate(rules, facts).fit == 16
    assert evaluate(rules, ContactFacts(persona_id=uuid.uuid4(), country="FR", lifecycle_stage="sql")).fit == 0


def test_scoring_params_are_normalised():
    assert clean_params("job_title_contains", {"words": "CFO, Head of Finance ,cfo"}) == {
        "words": ["cfo", "head of finance"]}
    assert clean_params("seniority_in", {"values": ["Director", "C_LEVEL"]}) == {"values": ["director", "c_level"]}
    assert clean_params("engagement", {"kind": "download"}) == {"kind": "download", "min_count": 1,
                                                                  "within_days": None}
    assert clean_params("country_in", {"values": ["Türkiye", "IR"]}) == {"values": ["TR", "IR"]}


@pytest.mark.parametrize("criterion, params, field", [
    ("lead_magic", {}, "criterion"),
    (None, {}, "criterion"),
    ("job_title_contains", {}, "params.words"),
    ("job_title_contains", {"words": []}, "params.words"),
    ("job_title_contains", {"words": ["cfo"], "colour": "red"}, "params"),
    ("job_title_contains", ["cfo"], "params"),
    ("seniority_in", {"values": ["emperor"]}, "params.values"),
    ("country_in", {"values": ["Atlantis"]}, "params.values"),
    ("email_domain_in", {"domains": ["not a domain"]}, "params.domains"),
    ("employees_between", {}, "params.min"),
    ("employees_between", {"min": 500, "max": 50}, "params.max"),
    ("employees_between", {"min": -1}, "params.min"),
    ("employees_between", {"min": "many"}, "params.min"),
    ("engagement", {}, "params.kind"),
    ("engagement", {"kind": "telepathy"}, "params.kind"),
    ("engagement", {"kind": "download", "min_count": 0}, "params.min_count"),
    ("engagement", {"kind": "download", "within_days": "soon"}, "params.within_days"),
    ("engagement", {"kind": "download", "within_days": True}, "params.within_days"),
    ("persona_match", {}, "params.persona_id"),
    ("persona_match", {"persona_id": "nobody"}, "params.persona_id"),
    ("lifecycle_in", {"values": ["customerish"]}, "params.values"),
])
def test_scoring_bad_params_name_the_field(criterion, params, field):
    with pytest.raises(ValidationError) as err:
        clean_params(criterion, params)
    assert err.value.field == field
    assert str(err.value)


def test_scoring_default_rules_are_valid_and_cover_both_families():
    families = set()
    for _key, _name, criterion, params, points in DEFAULT_RULES:
        clean_params(criterion, params)
        families.add(CRITERIA[criterion].family)
        assert -100 <= points <= 100
    assert families == {FIT, INTEREST}
    assert any(points < 0 for *_, points in DEFAULT_RULES)
