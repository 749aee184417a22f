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

:class:`Facts` is a light ``ContactFacts``. Persona matching, remembered the same way, is
``_persona_bulk.Matcher``; the set-based reading of the facts is in ``_rescore_facts``.
"""

from __future__ import annotations

from collections.abc import Iterable

from leaddesk.models.enums import ScoreFamily
from leaddesk.services.qualification.dto import ContactFacts, RuleInfo
from leaddesk.services.qualification.scoring_criteria import CRITERIA, HPI_CHECKS

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
    """``Scorer(rules).score(facts)`` == ``(evaluate(rules, facts).fit, .interest)``.

    Rules reading one field are summed per value of that field (one look-up per field and
    contact, not one per rule); engagement rules are looked up from the contact's counts
    (most leads have a few, or none); any other criterion is tested on the whole facts."""

    def __init__(self, rules: Iterable[RuleInfo]):
        rules = [r for r in rules if r.active and r.points and r.criterion in CRITERIA]
        hpis = [_HpiMet(r) for r in rules if r.criterion == "hpi_met"]
        rules = [_Rule(r) for r in rules if r.criterion != "hpi_met"]
        self._whole = [r for r in rules if r.count_key is None and r.field is None] + hpis
        fields: dict[str, list[_Rule]] = {}
        for r in rules:
            if r.count_key is None and r.field is not None:
                fields.setdefault(r.field, []).append(r)
        self._fields = [(field, group, {}) for field, group in fields.items()]
        self._base = [0, 0]  # engagement rules that need no event at all (at least 0)
        self._by_key: dict[tuple, list[tuple[int, bool, int]]] = {}
        for r in rules:
            if r.count_key is not None:
                if r.min_count <= 0:
                    self._base[0 if r.fit else 1] += r.points
                else:
                    self._by_key.setdefault(r.count_key, []).append((r.min_count, r.fit, r.points))

    @staticmethod
    def _sum(group: list[_Rule], facts) -> tuple[int, int]:
        fit = interest = 0
        for rule in group:
            if rule.hits(facts):
                if rule.fit:
                    fit += rule.points
                else:
                    interest += rule.points
        return fit, interest

    def score(self, facts) -> tuple[int, int]:
        fit, interest = self._base
        for field, group, sums in self._fields:
            value = getattr(facts, field)
            got = sums.get(value)
            if got is None:
                got = sums[value] = self._sum(group, facts)
            fit += got[0]
            interest += got[1]
        if facts.engagement:
            by_key = self._by_key
            for key, count in facts.engagement.items():
                for least, is_fit, points in by_key.get(key, ()):
                    if count >= least:
                        if is_fit:
                            fit += points
                        else:
                            interest += points
        if self._whole:
            got = self._sum(self._whole, facts)
            fit += got[0]
            interest += got[1]
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


# --- hpi_met (issue #12 point 6): each HPI the rule checks is remembered like a rule --------

class _HpiMet:
    """An ``hpi_met`` rule (bound by ``scoring_criteria.bind_hpis``): the HPIs it checks are
    one-fact rules, so each keeps its verdicts per value as :class:`_Rule` does."""

    __slots__ = ("points", "fit", "checks", "need")

    def __init__(self, rule: RuleInfo):
        self.points = rule.points
        self.fit = ScoreFamily(rule.family) is ScoreFamily.FIT
        self.checks = [_Rule(RuleInfo(name="", family=rule.family, criterion=c, params=p, points=1))
                       for c, p in rule.params.get(HPI_CHECKS, ())]
        self.need = rule.params.get("min_count") or 1

    def hits(self, facts: ContactFacts) -> bool:
        return sum(1 for check in self.checks if check.hits(facts)) >= self.need
