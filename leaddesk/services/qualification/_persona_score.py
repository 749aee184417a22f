"""How well one contact fits one persona, and which persona fits a contact best (pure:
no session). Only the traits a persona specifies count; see :func:`score_persona`.

Job titles are compared as written first (whole words), then by what they mean in any
language (:mod:`leaddesk.services.qualification.titles`). A persona's countries are ISO
3166 alpha-2 codes; a contact's country is its own, else its account's.
"""

from __future__ import annotations

import re

from leaddesk.models.enums import Seniority
from leaddesk.services.qualification.dto import PersonaDetail, PersonaMatch
from leaddesk.services.qualification.titles import normalize_title, same_role

#: How much each part of a persona weighs in a match (of the parts the persona specifies).
WEIGHTS = {"job_title": 35, "seniority": 20, "department": 15, "industry": 15, "company_size": 15, "country": 15}
#: Words too common to make two job titles similar (seniority words: seniority is its own trait).
STOP_WORDS = frozenset({"of", "and", "the", "for", "in", "to", "a", "an", "&", "senior", "junior", "head", "lead",
                        "manager", "assistant", "director", "chief", "officer", "vice", "president", "vp",
                        "executive", "team", "staff"})
#: A persona is a contact's *best* match (assigned automatically) from this score on.
BEST_MATCH_MINIMUM = 50


def phrase_in(needle: str, haystack: str) -> bool:
    """Whole words, case-insensitive: "CFO" is in "CFO & COO", "IT" is not in "Facility"."""
    return re.search(rf"(?<!\w){re.escape(needle.casefold())}(?!\w)", haystack.casefold()) is not None


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^\w&]+", text.casefold()) if len(w) > 1 and w not in STOP_WORDS}


def _title_credit(title: str | None, wanted: tuple[str, ...]) -> tuple[float, str]:
    """Full credit when a persona title is part of the contact's title (or the reverse),
    half credit when they share a significant word ("Finance Director" ~ "Head of Finance")."""
    if not title:
        return 0.0, "job title unknown"
    for w in wanted:
        if phrase_in(w, title) or phrase_in(title, w):
            return 1.0, f"job title '{title}' matches '{w}'"
    for w in wanted:
        shared = _words(title) & _words(w)
        if shared:
            return 0.5, f"job title '{title}' resembles '{w}' ({', '.join(sorted(shared))})"
    # Not in the same words: in the same meaning, in any language ("Depo Müdürü" ~ "Warehouse Manager")?
    credit, reason = max((same_role(title, w) for w in wanted), key=lambda cr: cr[0])
    if credit:
        return credit, reason
    return 0.0, f"job title '{title}' is not among {', '.join(wanted)}"


def _in(value: str | None, wanted: tuple[str, ...], what: str, *, meaning: bool = False) -> tuple[float, str]:
    """Whole-word match; with ``meaning``, also the same department named in another language
    ("Lojistik" ~ "Logistics")."""
    if not value:
        return 0.0, f"{what} unknown"
    for w in wanted:
        if phrase_in(w, value) or phrase_in(value, w):
            return 1.0, f"{what} '{value}' matches '{w}'"
    if meaning:
        have = set(normalize_title(value).departments)
        for w in wanted:
            if have & set(normalize_title(w).departments):
                return 1.0, f"{what} '{value}' means '{w}'"
    return 0.0, f"{what} '{value}' is not among {', '.join(wanted)}"


def _country(country: str | None, wanted: tuple[str, ...]) -> tuple[float, str]:
    """A contact's ISO code (its own, else its account's) among the persona's: "in DE"."""
    if not country:
        return 0.0, "country unknown"
    code = country.strip().upper()
    if code in wanted:
        return 1.0, f"in {code}"
    return 0.0, f"in {code}, not in {', '.join(wanted)}"


def score_persona(persona: PersonaDetail, *, job_title: str | None, seniority: Seniority | None,
                  department: str | None, industry: str | None, employees: int | None,
                  country: str | None = None) -> PersonaMatch:
    """How well one contact fits one persona (pure). Only traits the persona specifies count:
    score = 100 x (weights of matched traits) / (weights of specified traits)."""
    parts: list[tuple[str, float, str]] = []
    said = normalize_title(job_title)
    told = ""
    if (seniority is None or seniority is Seniority.UNKNOWN) and said.seniority is not None:
        seniority, told = said.seniority, " (from the job title)"
    department_is = "department"
    if not department and said.department:
        department, department_is = said.department, "department (from the job title)"
    if persona.job_titles:
        parts.append(("job_title", *_title_credit(job_title, persona.job_titles)))
    if persona.seniorities:
        if seniority is None or seniority is Seniority.UNKNOWN:
            parts.append(("seniority", 0.0, "seniority unknown"))
        else:
            ok = seniority in persona.seniorities
            verdict = "matches" if ok else "does not match"
            parts.append(("seniority", float(ok), f"seniority {seniority.value}{told} {verdict}"))
    if persona.departments:
        parts.append(("department", *_in(department, persona.departments, department_is, meaning=True)))
    if persona.industries:
        parts.append(("industry", *_in(industry, persona.industries, "industry")))
    low, high = persona.company_size_min, persona.company_size_max
    if low is not None or high is not None:
        span = f"{low if low is not None else 0}-{high if high is not None else 'any'}"
        if employees is None:
            parts.append(("company_size", 0.0, "company size unknown"))
        else:
            ok = (low is None or employees >= low) and (high is None or employees <= high)
            parts.append(("company_size", float(ok),
                          f"company size {employees} {'within' if ok else 'outside'} {span} employees"))
    if persona.countries:
        parts.append(("country", *_country(country, persona.countries)))
    total = sum(WEIGHTS[key] for key, _, _ in parts)
    if not total:
        return PersonaMatch(persona, 0, ())
    got = sum(WEIGHTS[key] * credit for key, credit, _ in parts)
    reasons = tuple(r for _, credit, r in parts if credit > 0) + tuple(r for _, credit, r in parts if credit == 0)
    return PersonaMatch(persona, round(100 * got / total), reasons)


def best_match(personas: list[PersonaDetail], *, job_title: str | None, seniority: Seniority | None,
               department: str | None, industry: str | None, employees: int | None,
               country: str | None = None, minimum: int = BEST_MATCH_MINIMUM) -> PersonaMatch | None:
    """The persona the contact matches best with at least ``minimum`` points (pure), ties
    broken by name as :func:`match_personas` orders them; None when none is close enough."""
    best = None
    for persona in personas:
        m = score_persona(persona, job_title=job_title, seniority=seniority, department=department,
                          industry=industry, employees=employees, country=country)
        if m.score >= minimum and (best is None or (-m.score, m.persona.name.casefold(), m.persona.id)
                                   < (-best.score, best.persona.name.casefold(), best.persona.id)):
            best = m
    return best
