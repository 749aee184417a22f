"""rescore_all's Scorer gives evaluate's fit and interest for rules of every criterion."""

from __future__ import annotations

import random
import uuid

from leaddesk.services.qualification._bulk_scores import READS, Scorer
from leaddesk.services.qualification.dto import ContactFacts, RuleInfo
from leaddesk.services.qualification.indicators import IndicatorInfo
from leaddesk.services.qualification.scoring_criteria import CRITERIA, bind_hpis, clean_params, evaluate

PERSONA = uuid.UUID("0192f0e0-0000-7000-8000-000000000001")
PARAMS = {
    "job_title_contains": {"words": ["head", "warehouse manager"]},
    "seniority_in": {"values": ["director", "vp"]},
    "department_in": {"values": ["operations"]},
    "industry_in": {"values": ["logistics", "retail"]},
    "employees_between": {"min": 50, "max": 5000},
    "country_in": {"values": ["DE", "TR"]},
    "email_domain_in": {"domains": ["edu", "ac.uk"]},
    "free_email": {},
    "competitor_domain": {"domains": ["acme.com"]},
    "engagement": {"kind": "pricing_page_visit", "min_count": 2, "within_days": 30},
    "persona_match": {"persona_id": str(PERSONA)},
    "lifecycle_in": {"values": ["mql", "sql"]},
    "hpi_met": {"min_count": 2},
}
#: The HPIs the hpi_met rules are bound to (one of each kind of fact, and one retired).
HPIS = [IndicatorInfo(id=uuid.uuid4(), name=f"hpi {c}", description=None, active=c != "country_in", position=i,
                      version=1, criterion=c, params=clean_params(c, PARAMS[c]))
        for i, c in enumerate(("industry_in", "employees_between", "engagement", "country_in"))]


def _rule(i, criterion, points, family=None):
    return RuleInfo(id=uuid.uuid4(), name=f"r{i}", family=family or CRITERIA[criterion].family,
                    criterion=criterion, params=clean_params(criterion, PARAMS[criterion]), points=points,
                    active=True, position=i, version=1, deleted=False)


def test_every_criterion_is_covered_here():
    assert set(PARAMS) == set(CRITERIA)
    assert set(READS) | {"engagement", "hpi_met"} == set(CRITERIA)


def test_scorer_matches_evaluate_on_random_contacts():
    rnd = random.Random(4)
    rules = [_rule(i, c, rnd.choice([-20, -5, 5, 10, 15])) for i, c in enumerate(CRITERIA)]
    rules.append(_rule(99, "seniority_in", 7, family="interest"))  # a family other than the usual
    rules.append(RuleInfo(**{**rules[0].__dict__, "id": uuid.uuid4(), "active": False}))
    rules.append(RuleInfo(name="one HPI", family="interest", criterion="hpi_met", points=9,
                          params=clean_params("hpi_met", {"indicator_id": str(HPIS[2].id)})))
    rules = bind_hpis(rules, HPIS)
    scorer = Scorer(rules)
    hits = set()
    for _ in range(3000):
        facts = ContactFacts(
            job_title=rnd.choice([None, "Head of Sales", "Warehouse Manager", "Headhunter", "CFO"]),
            seniority=rnd.choice([None, "director", "vp", "manager"]),
            department=rnd.choice([None, "Operations", "Sales"]),
            country=rnd.choice([None, "DE", "TR", "US"]),
            lifecycle_stage=rnd.choice(["lead", "mql", "sql"]),
            persona_id=rnd.choice([None, PERSONA, uuid.uuid4()]),
            industry=rnd.choice([None, "Logistics", "Banking", "Retail & Wholesale"]),
            employees=rnd.choice([None, 10, 50, 4999, 6000]),
            email_domains=frozenset(rnd.sample(["gmail.com", "uni.edu", "ox.ac.uk", "acme.com"], rnd.randint(0, 2))),
            engagement={("pricing_page_visit", 30): rnd.randint(0, 3)},
        )
        want = evaluate(rules, facts)
        assert scorer.score(facts) == (want.fit, want.interest), facts
        hits.update(r.name for r in want.reasons)
    assert len(hits) == len(CRITERIA) + 2  # every active rule hits somewhere
