"""Buyer personas: editable profiles of who buys (and, with ``avoid``, who ends closed-lost),
and matching a contact against them.

Job titles are compared as written first (whole words), then by what they mean in any of
the languages of :mod:`leaddesk.services.qualification.titles`: "Depo Müdürü" or
"Lagerleiter" match a "Warehouse Manager" persona as "Warehouse Manager" does. A contact
whose seniority or department is not filled in is matched on what the job title says.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import Account, Contact, Persona
from leaddesk.models.enums import Seniority
from leaddesk.services import validation as v
from leaddesk.services.validation import choice
from leaddesk.services.qualification.dto import ContactPersona, PersonaDetail, PersonaMatch
from leaddesk.services.qualification.titles import normalize_title, same_role
from leaddesk.services.records import (
    Changes,
    as_uuid,
    assign,
    check_version,
    get_row,
    restore,
    soft_delete,
    to_dto,
)

LIST_FIELDS = ("job_titles", "seniorities", "departments", "industries")
TEXT_FIELDS = ("description", "goals", "motivations", "background", "daily_activities", "interests",
               "talking_points")
FIELDS = ("name", *LIST_FIELDS, "company_size_min", "company_size_max", *TEXT_FIELDS, "avoid")

#: How much each part of a persona weighs in a match (of the parts the persona specifies).
WEIGHTS = {"job_title": 35, "seniority": 20, "department": 15, "industry": 15, "company_size": 15}
#: Words too common to make two job titles similar (seniority words: seniority is its own trait).
STOP_WORDS = frozenset({"of", "and", "the", "for", "in", "to", "a", "an", "&", "senior", "junior", "head", "lead",
                        "manager", "assistant", "director", "chief", "officer", "vice", "president", "vp",
                        "executive", "team", "staff"})


def _text_list(value, *, field: str) -> list[str]:
    """A list of short texts (or one comma-separated text), trimmed, without duplicates."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise ValidationError(f"{field.replace('_', ' ').capitalize()} must be a list.", field=field)
    out, seen = [], set()
    for item in value:
        text = v.clean_text(item, field=field, max_len=200)
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(text)
    return out


def clean_persona(data: dict, *, partial: bool = False) -> dict:
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError(f"Unknown persona field(s): {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    out: dict = {}
    if "name" in data or not partial:
        out["name"] = v.clean_text(data.get("name"), field="name", max_len=200, required=True)
    for key in ("job_titles", "departments", "industries"):
        if key in data:
            out[key] = _text_list(data[key], field=key)
    if "seniorities" in data:
        out["seniorities"] = [choice(Seniority, s, "seniorities").value
                              for s in _text_list(data["seniorities"], field="seniorities")]
    for key in ("company_size_min", "company_size_max"):
        if key in data:
            out[key] = v.non_negative_int(data[key], field=key)
    for key in TEXT_FIELDS:
        if key in data:
            out[key] = v.clean_text(data[key], field=key, max_len=20000)
    if "avoid" in data:
        out["avoid"] = bool(data["avoid"])
    return out


def _check(s, values: dict, obj: Persona | None) -> None:
    low = values.get("company_size_min", obj.company_size_min if obj else None)
    high = values.get("company_size_max", obj.company_size_max if obj else None)
    if low is not None and high is not None and low > high:
        raise ValidationError(
            f"The smallest company size ({low}) is larger than the largest ({high}).", field="company_size_max"
        )
    if "name" in values:
        # Few personas: compare case-folded in Python (SQLite's lower() folds ASCII only).
        others = s.execute(select(Persona.id, Persona.name).where(Persona.deleted.is_(False)))
        if any(n.casefold() == values["name"].casefold() and (obj is None or i != obj.id) for i, n in others):
            raise ValidationError(f"A persona named '{values['name']}' already exists.", field="name")


def _detail(obj: Persona) -> PersonaDetail:
    return to_dto(
        obj, PersonaDetail,
        job_titles=tuple(obj.job_titles or ()), seniorities=tuple(Seniority(x) for x in obj.seniorities or ()),
        departments=tuple(obj.departments or ()), industries=tuple(obj.industries or ()),
    )


def create_persona(db: Database, **data) -> PersonaDetail:
    """Create a persona. Lists may be given as lists or comma-separated text."""
    values = clean_persona(data)
    with db.unit_of_work() as s:
        _check(s, values, None)
        obj = Persona(**values)
        s.add(obj)
        s.flush()
        return _detail(obj)


def update_persona(db: Database, persona_id, *, expected_version: int | None, **data) -> PersonaDetail:
    values = clean_persona(data, partial=True)
    with db.unit_of_work() as s:
        obj = get_row(s, Persona, persona_id)
        check_version(obj, expected_version)
        _check(s, values, obj)
        if assign(obj, values):
            s.flush()
        return _detail(obj)


def mark_reviewed(db: Database, persona_id, *, expected_version: int | None = None,
                  now: dt.datetime | None = None) -> PersonaDetail:
    """Record that the team reviewed the persona today (personas evolve: review regularly)."""
    with db.unit_of_work() as s:
        obj = get_row(s, Persona, persona_id)
        check_version(obj, expected_version)
        obj.reviewed_at = now or dt.datetime.now(dt.timezone.utc)
        s.flush()
        return _detail(obj)


def get_persona(db: Database, persona_id, *, include_deleted: bool = False) -> PersonaDetail:
    with db.reader() as s:
        return _detail(get_row(s, Persona, persona_id, include_deleted=include_deleted))


def delete_persona(db: Database, persona_id, *, expected_version: int | None = None) -> Changes:
    return soft_delete(db, Persona, persona_id, expected_version=expected_version)


def restore_persona(db: Database, persona_id, *, expected_version: int | None = None) -> Changes:
    return restore(db, Persona, persona_id, expected_version=expected_version)


def list_personas(db: Database, *, avoid: bool | None = None, deleted: bool = False) -> list[PersonaDetail]:
    """Personas by name; ``avoid`` True/False keeps only avoid-profiles / only buyer personas."""
    stmt = select(Persona).where(Persona.deleted.is_(deleted))
    if avoid is not None:
        stmt = stmt.where(Persona.avoid.is_(avoid))
    with db.reader() as s:
        return sorted((_detail(p) for p in s.scalars(stmt)), key=lambda p: (p.name.casefold(), p.id))


# --- matching ---------------------------------------------------------------------------

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


def score_persona(persona: PersonaDetail, *, job_title: str | None, seniority: Seniority | None,
                  department: str | None, industry: str | None, employees: int | None) -> PersonaMatch:
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
    total = sum(WEIGHTS[key] for key, _, _ in parts)
    if not total:
        return PersonaMatch(persona, 0, ())
    got = sum(WEIGHTS[key] * credit for key, credit, _ in parts)
    reasons = tuple(r for _, credit, r in parts if credit > 0) + tuple(r for _, credit, r in parts if credit == 0)
    return PersonaMatch(persona, round(100 * got / total), reasons)


#: A persona is a contact's *best* match (assigned automatically) from this score on.
BEST_MATCH_MINIMUM = 50


def live_personas(s) -> list[PersonaDetail]:
    """The live personas, read in the caller's open session (a bulk job scores many
    contacts against them without one query per contact)."""
    return [_detail(p) for p in s.scalars(select(Persona).where(Persona.deleted.is_(False))
                                          .order_by(Persona.name, Persona.id))]


def best_match(personas: list[PersonaDetail], *, job_title: str | None, seniority: Seniority | None,
               department: str | None, industry: str | None, employees: int | None,
               minimum: int = BEST_MATCH_MINIMUM) -> PersonaMatch | None:
    """The persona the contact matches best with at least ``minimum`` points (pure), ties
    broken by name as :func:`match_personas` orders them; None when none is close enough."""
    best = None
    for persona in personas:
        m = score_persona(persona, job_title=job_title, seniority=seniority, department=department,
                          industry=industry, employees=employees)
        if m.score >= minimum and (best is None or (-m.score, m.persona.name.casefold(), m.persona.id)
                                   < (-best.score, best.persona.name.casefold(), best.persona.id)):
            best = m
    return best


def match_personas(db: Database, contact_id, *, minimum: int = 1) -> list[PersonaMatch]:
    """Live personas (avoid-profiles included: check ``persona.avoid``) that the contact
    matches with at least ``minimum`` points, best first. Reasons list matching traits first."""
    with db.reader() as s:
        contact = get_row(s, Contact, contact_id)
        industry = employees = None
        if contact.account_id is not None:
            account = s.get(Account, contact.account_id)
            if account is not None and not account.deleted:
                industry, employees = account.industry, account.employees
        personas = [_detail(p) for p in s.scalars(select(Persona).where(Persona.deleted.is_(False)))]
    matches = [
        score_persona(p, job_title=contact.job_title, seniority=contact.seniority, department=contact.department,
                      industry=industry, employees=employees)
        for p in personas
    ]
    matches = [m for m in matches if m.score >= minimum]
    return sorted(matches, key=lambda m: (-m.score, m.persona.name.casefold(), m.persona.id))


def set_contact_persona(db: Database, contact_id, persona_id, *,
                        expected_version: int | None = None) -> ContactPersona:
    """Assign the contact to a persona (``None`` clears it). ``expected_version`` = contact's."""
    with db.unit_of_work() as s:
        contact = get_row(s, Contact, contact_id)
        check_version(contact, expected_version)
        persona = get_row(s, Persona, as_uuid(persona_id, field="persona_id")).id if persona_id else None
        if contact.persona_id != persona:
            contact.persona_id = persona
            s.flush()
        return ContactPersona(contact.id, contact.persona_id, contact.version)
