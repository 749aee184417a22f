"""Won and lost leads that differ the way real ones do: buyers with more say win more often.

Without this the demo's customers and its lost leads (disqualified, or nurtured after a
lost deal) get their job titles independently of how they ended, so "Learn from won/lost"
would find nothing but noise. Here, after the identities are planned, many customers
trade their title, seniority and department with a lost lead at a company of the same
size whose title scores higher *by the team's own scoring rules* (the real engine,
:func:`~leaddesk.services.qualification.scoring_criteria.evaluate`, on the title facts
alone). The counts per stage are untouched, and the trade uses its own random source
seeded from the demo's seed, so every other draw of the demo stays as it was: same seed,
same data. Leads disqualified as no buyer at all (students, job seekers) keep their
titles. A mixin of ``generate._Generator``.
"""

from __future__ import annotations

import random
from collections import defaultdict

from leaddesk.services.demo._plan import CUST, DQ, NUR
from leaddesk.services.demo._tables import NO_BUYER_REASONS
from leaddesk.services.qualification.dto import ContactFacts, RuleInfo
from leaddesk.services.qualification.scoring_criteria import evaluate

#: Share of customers that trade with a better-titled lost lead when one is found.
LEAN = 0.6
#: Random partners tried per customer.
TRIES = 6


class _OutcomePlans:
    def lean_outcomes(self, rules: list[RuleInfo]) -> int:
        """Trade titles between customers and lost leads (see the module); returns how many."""
        rng = random.Random(f"outcomes/{self.seed}")
        fit_of: dict[tuple, int] = {}

        def fit(p) -> int:
            key = (p.title, p.seniority, p.department)
            if key not in fit_of:
                facts = ContactFacts(job_title=p.title, seniority=getattr(p.seniority, "value", p.seniority),
                                     department=p.department)
                fit_of[key] = evaluate(rules, facts).fit
            return fit_of[key]

        def size(p) -> str:
            return p.acct.size if p.acct else "micro"

        losers: dict[str, list] = defaultdict(list)
        for p in self.people:
            if p.stage is NUR or (p.stage is DQ and p.reason not in NO_BUYER_REASONS):
                losers[size(p)].append(p)
        traded = 0
        used: set = set()
        for p in self.people:
            if p.stage is not CUST or rng.random() >= LEAN:
                continue
            pool = losers.get(size(p))
            if not pool:
                continue
            mine = fit(p)
            for _ in range(TRIES):
                q = rng.choice(pool)
                if q.id not in used and fit(q) > mine:
                    p.title, q.title = q.title, p.title
                    p.seniority, q.seniority = q.seniority, p.seniority
                    p.department, q.department = q.department, p.department
                    used.add(q.id)
                    traded += 1
                    break
        return traded
