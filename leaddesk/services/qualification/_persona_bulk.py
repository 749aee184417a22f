"""Persona matching for many contacts at once: the facts of a batch in one query, and each
distinct set of facts scored once (many leads share a title, a seniority and a company).

Used by :func:`personas.rematch_all` (every lead, in batches, written set-based through the
journal's bulk path), :func:`personas.match_in_session` (a few contacts in the caller's
session) and :func:`personas.count_matches` (the persona editor's live count).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from leaddesk.models import Account, Contact
from leaddesk.models.enums import Seniority
from leaddesk.services.qualification._persona_score import BEST_MATCH_MINIMUM, best_match, score_persona
from leaddesk.services.qualification.dto import PersonaDetail


def facts_query():
    """Live contacts with what persona matching reads (the account's when the contact's own
    country is empty), plus ``persona_id``, ``version`` and ``hlc`` for the bulk write."""
    return (
        select(Contact.id, Contact.job_title, Contact.seniority, Contact.department, Contact.country,
               Contact.persona_id, Contact.version, Contact.hlc, Account.industry, Account.employees,
               Account.country.label("account_country"))
        .outerjoin(Account, and_(Account.id == Contact.account_id, Account.deleted.is_(False)))
        .where(Contact.deleted.is_(False))
    )


class Matcher:
    """``Matcher(personas).best_of(...)`` == the id of ``best_match(...)`` over the live
    buyer personas (avoid-profiles and deleted ones are never matched), or None; remembered
    per distinct set of facts, a company size only counting as inside or outside each
    persona's range (across 100,000 leads few sets differ). The one matcher of the bulk
    paths: ``rematch_all``, ``match_in_session``, ``scoring.rescore_all``."""

    def __init__(self, personas: Iterable[PersonaDetail], *, minimum: int = BEST_MATCH_MINIMUM):
        self.personas = [p for p in personas if not p.avoid and not p.deleted]
        self.minimum = minimum
        self._bounds = [(p.company_size_min, p.company_size_max) for p in self.personas]
        self._seen: dict[tuple, uuid.UUID | None] = {}

    def best_of(self, job_title, seniority, department, industry, employees, country=None) -> uuid.UUID | None:
        """The best persona's id for these facts (``seniority``: a Seniority or its value)."""
        n = employees
        sizes = tuple(None if n is None else ((lo is None or n >= lo) and (hi is None or n <= hi))
                      for lo, hi in self._bounds)
        key = (job_title, seniority, department, industry, sizes, country)
        try:
            return self._seen[key]
        except KeyError:
            pass
        found = None
        if self.personas:
            match = best_match(self.personas, job_title=job_title,
                               seniority=None if seniority is None else Seniority(seniority),
                               department=department, industry=industry, employees=employees, country=country,
                               minimum=self.minimum)
            found = match.persona.id if match else None
        self._seen[key] = found
        return found

    def best(self, row) -> uuid.UUID | None:
        """:meth:`best_of` a row of :func:`facts_query`."""
        return self.best_of(row.job_title, row.seniority, row.department, row.industry, row.employees,
                            row.country or row.account_country)

    def changes(self, rows: Sequence) -> tuple[dict, dict]:
        """({contact id: {"persona_id": new}}, {contact id: row}) for the rows whose best
        persona differs from the one they have."""
        new, read = {}, {}
        for row in rows:
            pid = self.best(row)
            if pid != row.persona_id:
                new[row.id], read[row.id] = {"persona_id": pid}, row
        return new, read


def count_matching(s: Session, persona: PersonaDetail, *, minimum: int = BEST_MATCH_MINIMUM) -> tuple[int, int]:
    """(live contacts that match ``persona`` with at least ``minimum`` points, live
    contacts): one grouped query, each distinct set of facts scored once."""
    country = func.coalesce(Contact.country, Account.country)
    cols = (Contact.job_title, Contact.seniority, Contact.department, Account.industry, Account.employees, country)
    stmt = (select(*cols, func.count())
            .outerjoin(Account, and_(Account.id == Contact.account_id, Account.deleted.is_(False)))
            .where(Contact.deleted.is_(False)).group_by(*cols))
    low, high = persona.company_size_min, persona.company_size_max
    verdicts: dict[tuple, bool] = {}
    matched = total = 0
    for title, seniority, department, industry, employees, where, n in s.execute(stmt):
        total += n
        size = None if employees is None else ((low is None or employees >= low) and (high is None or employees <= high))
        key = (title, seniority, department, industry, size, where)
        if key not in verdicts:
            verdicts[key] = score_persona(persona, job_title=title, seniority=seniority, department=department,
                                          industry=industry, employees=employees,
                                          country=where).score >= minimum
        if verdicts[key]:
            matched += n
    return matched, total
