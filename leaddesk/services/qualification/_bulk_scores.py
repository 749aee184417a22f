"""Fit and interest for many contacts at once, with the same answer as ``evaluate``.

``rescore_all`` needs only two numbers per contact, not the reasons, grade and quadrant
that :func:`~leaddesk.services.qualification.scoring_criteria.evaluate` explains a score
with. Most criteria look at one fact of a contact (its seniority, its industry, its set of
e-mail domains ...), and across 100,000 leads those facts take few distinct values, so
each rule's verdict is remembered per value of the fact it reads: the criterion's own
test runs once per distinct value (on facts holding that value alone), and every other
contact with that value costs a dictionary look-up. Engagement rules compare a count,
which is as cheap as the look-up. A criterion not listed in :data:`READS` is tested on the
whole facts for every contact, as ``evaluate`` does, so a new criterion is right (only
slower) until it is listed here.

The verdicts are those of the same tests ``evaluate`` uses; tests/db/test_rescore_bulk.py
compares both on every criterion.

:class:`Matcher` does the same for persona matching (``personas.best_match``, remembered
per combination of the traits it reads), and :class:`Facts` is a light ``ContactFacts``.
The set-based reading of the facts is in ``_rescore_facts``.
"""

from __future__ import annotations

from collections.abc import Iterable

from leaddesk.models.enums import ScoreFamily, Seniority
from leaddesk.services.qualification.dto import ContactFacts, RuleInfo
from leaddesk.services.qualification.personas import best_match
from leaddesk.services.qualification.scoring_criteria import CRITERIA

#: criterion -> the one ContactFacts field its test reads.
READS = {
    "job_title_contains": "job_title",
    "seniority_in": "seniority",
    "department_in": "department",
    "industry_in": "industry",
    "employees_between": "employees",
    "country_in": "country",
    "email_domain_in": "email_domains",
    "free_email": "email_domains",
    "competitor_domain": "email_domains",
    "persona_match": "persona_id",
    "lifecycle_in": "lifecycle_stage",
}


class _Rule:
    __slots__ = ("points", "fit", "field", "test", "params", "seen", "count_key", "min_count")

    def __init__(self, rule: RuleInfo):
        spec = CRITERIA[rule.criterion]
        self.points = rule.points
        self.fit = ScoreFamily(rule.family) is ScoreFamily.FIT
        self.test, self.params = spec.test, rule.params
        self.field = READS.get(rule.criterion)
        self.seen: dict = {}
        self.count_key = self.min_count = None
        if rule.criterion == "engagement":
            self.count_key = (rule.params["kind"], rule.params["within_days"])
            self.min_count = rule.params["min_count"]

    def hits(self, facts: ContactFacts) -> bool:
        if self.count_key is not None:
            return facts.engagement.get(self.count_key, 0) >= self.min_count
        if self.field is None:
            return self.test(self.params, facts)
        value = getattr(facts, self.field)
        verdict = self.seen.get(value)
        if verdict is None:
            verdict = self.seen[value] = bool(self.test(self.params, ContactFacts(**{self.field: value})))
        return verdict


class Scorer:
    """``Scorer(rules).score(facts)`` == ``(evaluate(rules, facts).fit, .interest)``."""

    def __init__(self, rules: Iterable[RuleInfo]):
        self._rules = [_Rule(r) for r in rules if r.active and r.points and r.criterion in CRITERIA]

    def score(self, facts: ContactFacts) -> tuple[int, int]:
        fit = interest = 0
        for rule in self._rules:
            if rule.hits(facts):
                if rule.fit:
                    fit += rule.points
                else:
                    interest += rule.points
        return fit, interest


class Facts:
    """A contact's facts as ``Scorer`` reads them: the attributes of ``ContactFacts``, made
    without a frozen dataclass's per-field ``__setattr__`` (100,000 of them per rescore)."""

    __slots__ = ("job_title", "seniority", "department", "country", "lifecycle_stage", "persona_id", "industry",
                 "employees", "email_domains", "engagement")

    def __init__(self, job_title, seniority, department, country, lifecycle_stage, persona_id, industry,
                 employees, email_domains, engagement):
        self.job_title, self.seniority, self.department, self.country = job_title, seniority, department, country
        self.lifecycle_stage, self.persona_id, self.industry = lifecycle_stage, persona_id, industry
        self.employees, self.email_domains, self.engagement = employees, email_domains, engagement


class Matcher:
    """``Matcher(personas).best(...)`` == the id of ``personas.best_match(...)`` (or None),
    remembered per combination of the traits it reads: across 100,000 leads few differ."""

    def __init__(self, personas: Iterable):
        self._personas = list(personas)
        self._seen: dict = {}

    def best(self, job_title, seniority, department, industry, employees):
        key = (job_title, seniority, department, industry, employees)
        try:
            return self._seen[key]
        except KeyError:
            pass
        found = None
        if self._personas:
            level = None if seniority is None else Seniority(seniority)
            match = best_match(self._personas, job_title=job_title, seniority=level, department=department,
                               industry=industry, employees=employees)
            found = match.persona.id if match else None
        self._seen[key] = found
        return found
