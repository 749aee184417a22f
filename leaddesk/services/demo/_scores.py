"""The demo's scores and personas, from the real engine over the demo's own data.

Each demo contact gets its best buyer persona (:func:`personas.best_match`, the rule behind
persona matching) and then its fit and interest from the team's scoring rules
(:func:`scoring_criteria.evaluate`, the function ``rescore_all`` applies), computed from the
rows about to be written: titles, seniority, departments, the accounts' industry and size,
e-mail domains and engagement signals. Nothing random: ``rescore_all`` over a fresh demo
changes nothing.

Why here and not by calling ``rescore_all`` after the load: the demo is a snapshot written
in one bulk transaction without journalling (its rows are not changes to push), while
``rescore_all`` writes through the journal in its own transactions, which would queue every
demo contact in the outbox and take seconds per thousand rows. The values are put into the
contact rows before they are inserted, so no row is ever updated. A mixin of
``generate._Generator``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from leaddesk.services.qualification import personas as persona_rules
from leaddesk.services.qualification import scoring
from leaddesk.services.qualification.dto import ContactFacts, Thresholds
from leaddesk.services.qualification.scoring_criteria import engagement_keys, evaluate


class _ScorePlans:
    def score_contacts(self, s, thresholds: Thresholds, contacts: list[dict], accounts: Iterable[dict],
                       emails: Iterable[dict], engagements: Iterable[dict]) -> None:
        """Set ``persona_id``, ``fit_score`` and ``interest_score`` on the contact rows."""
        rules = scoring.usable_rules(s)
        personas = [p for p in persona_rules.live_personas(s) if not p.avoid]  # as rescore_all matches
        firms = {a["id"]: (a.get("industry"), a.get("employees"), a.get("country")) for a in accounts}
        domains: dict = defaultdict(set)
        for e in emails:
            domains[e["contact_id"]].add(e["address"].rpartition("@")[2].strip().lower())
        keys = engagement_keys(rules)
        counts: dict = defaultdict(lambda: dict.fromkeys(keys, 0))
        if keys:
            since = {days: self.now - dt.timedelta(days=days) for _, days in keys if days}
            by_kind = defaultdict(list)
            for key in keys:
                by_kind[str(key[0])].append(key)
            for ev in engagements:
                for key in by_kind.get(str(ev["kind"]), ()):
                    if not key[1] or ev["occurred_at"] >= since[key[1]]:
                        counts[ev["contact_id"]][key] += 1
        scored: dict[tuple, tuple[int, int]] = {}
        bounds = [(p.company_size_min, p.company_size_max) for p in personas]
        best: dict[tuple, object] = {}  # many contacts share a title at a company: match once
        for row in contacts:
            industry, employees, firm_country = firms.get(row["account_id"], (None, None, None))
            # the size only counts as inside or outside each persona's range: the key says which
            sizes = tuple(None if employees is None else
                          ((lo is None or employees >= lo) and (hi is None or employees <= hi)) for lo, hi in bounds)
            key = (row["job_title"], row["seniority"], row["department"], industry, sizes)
            if key not in best:
                match = persona_rules.best_match(
                    personas, job_title=row["job_title"], seniority=row["seniority"], department=row["department"],
                    industry=industry, employees=employees)
                best[key] = match.persona.id if match else None
            row["persona_id"] = best[key]
            engagement = counts.get(row["id"], {})
            facts = ContactFacts(
                job_title=row["job_title"], seniority=_value(row["seniority"]), department=row["department"],
                country=row["country"] or firm_country, lifecycle_stage=_value(row["lifecycle_stage"]),
                persona_id=row["persona_id"], industry=industry, employees=employees,
                email_domains=frozenset(domains.get(row["id"], ())), engagement=engagement,
            )
            key = (*[getattr(facts, f) for f in _FACT_FIELDS], tuple(sorted(engagement.items())))
            if key not in scored:  # evaluate is pure: equal facts, equal scores
                result = evaluate(rules, facts, thresholds)
                scored[key] = (result.fit, result.interest)
            row["fit_score"], row["interest_score"] = scored[key]


_FACT_FIELDS = ("job_title", "seniority", "department", "country", "lifecycle_stage", "persona_id", "industry",
                "employees", "email_domains")


def _value(member):
    return getattr(member, "value", member)
