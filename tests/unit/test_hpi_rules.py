"""High-probability indicators as rules, in the pure engine: an HPI of each criterion type
met and not met, and the ``hpi_met`` scoring criterion (one HPI, or at least N)."""

from __future__ import annotations

import uuid

import pytest

from leaddesk.errors import ValidationError
from leaddesk.services.qualification._bulk_scores import Scorer
from leaddesk.services.qualification.dto import ContactFacts, RuleInfo
from leaddesk.services.qualification.indicators import IndicatorInfo, hpis_met
from leaddesk.services.qualification.scoring_criteria import (
    CRITERIA,
    HPI_CHECKS,
    bind_hpis,
    clean_params,
    engagement_keys,
    evaluate,
)

PERSONA = uuid.UUID("0192f0e0-0000-7000-8000-000000000002")
BASE = dict(job_title="Head of Operations", seniority="director", department="Operations", country="DE",
            lifecycle_stage="mql", persona_id=PERSONA, industry="Logistics & Warehousing", employees=800,
            email_domains=frozenset({"acme.com"}), engagement={("pricing_page_visit", 14): 2})
#: criterion -> (params, facts that meet it, facts that do not)
CASES = {
    "job_title_contains": ({"words": ["operations"]}, {}, {"job_title": "Sales Manager"}),
    "seniority_in": ({"values": ["director", "vp"]}, {}, {"seniority": "manager"}),
    "department_in": ({"values": ["operations", "logistics"]}, {}, {"department": "Finance"}),
    "industry_in": ({"values": ["logistics"]}, {}, {"industry": "Banking"}),
    "employees_between": ({"min": 500}, {}, {"employees": 120}),
    "country_in": ({"values": ["DE", "AT"]}, {}, {"country": "FR"}),
    "email_domain_in": ({"domains": ["acme.com"]}, {}, {"email_domains": frozenset({"other.org"})}),
    "free_email": ({}, {"email_domains": frozenset({"gmail.com"})}, {}),
    "competitor_domain": ({"domains": ["acme.com"]}, {}, {"email_domains": frozenset()}),
    "engagement": ({"kind": "pricing_page_visit", "min_count": 2, "within_days": 14}, {},
                   {"engagement": {("pricing_page_visit", 14): 1}}),
    "persona_match": ({"persona_id": str(PERSONA)}, {}, {"persona_id": None}),
    "lifecycle_in": ({"values": ["mql", "sql"]}, {}, {"lifecycle_stage": "lead"}),
}


def hpi(name, criterion=None, params=None, *, active=True) -> IndicatorInfo:
    return IndicatorInfo(id=uuid.uuid4(), name=name, description=None, active=active, position=0, version=1,
                         criterion=criterion, params=clean_params(criterion, params) if criterion else {})


def test_every_criterion_but_hpi_met_can_be_an_hpi_here():
    assert set(CASES) == set(CRITERIA) - {"hpi_met"}


@pytest.mark.parametrize("criterion", sorted(CASES))
def test_an_hpi_of_each_criterion_is_met_or_not(criterion):
    params, met, missed = CASES[criterion]
    h = hpi(f"HPI {criterion}", criterion, params)
    assert hpis_met([h], ContactFacts(**{**BASE, **met})) == (h,)
    assert hpis_met([h], ContactFacts(**{**BASE, **missed})) == ()


def test_written_or_retired_hpis_are_never_met():
    written = hpi("Competitor contract ends this year")
    retired = hpi("Big firm", "employees_between", {"min": 1}, active=False)
    assert not written.checkable and retired.checkable
    assert hpis_met([written, retired], ContactFacts(**BASE)) == ()


def test_engagement_keys_include_the_hpis():
    h = hpi("Pricing twice", "engagement", {"kind": "pricing_page_visit", "min_count": 2, "within_days": 14})
    rule = RuleInfo(name="HPIs", family="fit", criterion="hpi_met", points=10, params={"min_count": 1})
    assert engagement_keys([h]) == [("pricing_page_visit", 14)]
    assert engagement_keys(bind_hpis([rule], [h])) == [("pricing_page_visit", 14)]
    assert engagement_keys([rule]) == []  # unbound: no HPI to look at


def test_hpi_met_params_are_checked():
    assert clean_params("hpi_met", {"min_count": "2"}) == {"min_count": 2}
    some = uuid.uuid4()
    assert clean_params("hpi_met", {"indicator_id": str(some)}) == {"indicator_id": str(some)}
    for bad in ({}, {"min_count": 0}, {"min_count": 6}, {"indicator_id": "nope"},
                {"min_count": 1, "indicator_id": str(some)}, {"count": 1}):
        with pytest.raises(ValidationError):
            clean_params("hpi_met", bad)


def test_hpi_met_scores_one_hpi_or_at_least_n():
    big = hpi("Runs 3+ warehouses", "employees_between", {"min": 500})
    ops = hpi("Operations decision maker", "department_in", {"values": ["operations"]})
    pricing = hpi("Pricing twice in 14 days", "engagement",
                  {"kind": "pricing_page_visit", "min_count": 2, "within_days": 14})
    written = hpi("Competitor contract ends")
    hpis = [big, ops, pricing, written]
    rules = bind_hpis([
        RuleInfo(name="Big", family="fit", criterion="hpi_met", points=10,
                 params=clean_params("hpi_met", {"indicator_id": str(big.id)})),
        RuleInfo(name="Two HPIs", family="interest", criterion="hpi_met", points=20,
                 params=clean_params("hpi_met", {"min_count": 2})),
        RuleInfo(name="Three HPIs", family="interest", criterion="hpi_met", points=5,
                 params=clean_params("hpi_met", {"min_count": 3})),
        RuleInfo(name="Written HPI", family="fit", criterion="hpi_met", points=7,
                 params=clean_params("hpi_met", {"indicator_id": str(written.id)})),
    ], hpis)
    assert len(rules[1].params[HPI_CHECKS]) == 3 and rules[3].params[HPI_CHECKS] == ()
    cases = [
        (BASE, ["Big", "Two HPIs", "Three HPIs"]),
        ({**BASE, "engagement": {}}, ["Big", "Two HPIs"]),
        ({**BASE, "engagement": {}, "department": "Finance"}, ["Big"]),
        ({**BASE, "employees": 10}, ["Two HPIs"]),
        ({**BASE, "employees": 10, "engagement": {}}, []),
    ]
    scorer = Scorer(rules)
    for facts, names in cases:
        result = evaluate(rules, ContactFacts(**facts))
        assert [r.name for r in result.reasons] == names, facts
        assert scorer.score(ContactFacts(**facts)) == (result.fit, result.interest)


def test_hpi_met_of_a_retired_hpi_matches_nothing():
    old = hpi("Old", "seniority_in", {"values": ["director"]}, active=False)
    rules = bind_hpis([RuleInfo(name="Old HPI", family="fit", criterion="hpi_met", points=10,
                                params={"indicator_id": str(old.id)})], [old])
    assert evaluate(rules, ContactFacts(**BASE)).reasons == ()
    assert Scorer(rules).score(ContactFacts(**BASE)) == (0, 0)
