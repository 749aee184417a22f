"""Buyer personas: editable profiles of who buys (and, with ``avoid``, who ends closed-lost),
and matching a contact against them.

Job titles are compared as written first (whole words), then by what they mean in any of
the languages of :mod:`leaddesk.services.qualification.titles`: "Depo Müdürü" or
"Lagerleiter" match a "Warehouse Manager" persona as "Warehouse Manager" does. A contact
whose seniority or department is not filled in is matched on what the job title says; a
persona's countries against the contact's country, else its account's.

Personas are team configuration: managers and admins change them (:func:`editing_refused`
says why a rep may not). Every lead carries its best non-avoid persona: :func:`rematch_all`
after a persona changes, :func:`match_in_session` when a contact is saved.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from leaddesk.db import Database
from leaddesk.errors import PermissionDenied, ValidationError
from leaddesk.models import Contact, Persona, access
from leaddesk.models.enums import Seniority
from leaddesk.services import validation as v
from leaddesk.services.validation import choice
from leaddesk.services.qualification._persona_bulk import Matcher, count_matching, facts_query
from leaddesk.services.qualification._persona_score import (  # noqa: F401 - the public names of matching
    BEST_MATCH_MINIMUM,
    STOP_WORDS,
    WEIGHTS,
    best_match,
    phrase_in,
    score_persona,
)
from leaddesk.services.qualification.dto import ContactPersona, PersonaDetail, PersonaMatch, RescoreResult
from leaddesk.sync import bulk_writes
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

LIST_FIELDS = ("job_titles", "seniorities", "departments", "industries", "countries")
TEXT_FIELDS = ("description", "goals", "motivations", "background", "daily_activities", "interests",
               "talking_points")
FIELDS = ("name", *LIST_FIELDS, "company_size_min", "company_size_max", *TEXT_FIELDS, "avoid")


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
    if "countries" in data:
        out["countries"] = list(dict.fromkeys(v.country(c, field="countries")
                                              for c in _text_list(data["countries"], field="countries")))
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


def editing_refused(db: Database) -> str | None:
    """Why the signed-in user may not change personas (None: they may). Personas are team
    configuration: managers and admins change them, reps read them."""
    subject = db.write.subject
    role = getattr(subject, "role", None)
    if subject is None or role in (access.MANAGER, access.ADMIN):
        return None
    return (f"Only managers and admins can change buyer personas; you are signed in as a "
            f"{'sales rep' if role == access.REP else role}.")


def _require_editor(db: Database) -> None:
    reason = editing_refused(db)
    if reason:
        raise PermissionDenied(reason)


def _detail(obj: Persona) -> PersonaDetail:
    return to_dto(
        obj, PersonaDetail,
        job_titles=tuple(obj.job_titles or ()), seniorities=tuple(Seniority(x) for x in obj.seniorities or ()),
        departments=tuple(obj.departments or ()), industries=tuple(obj.industries or ()),
        countries=tuple(obj.countries or ()),
    )


def create_persona(db: Database, **data) -> PersonaDetail:
    """Create a persona. Lists may be given as lists or comma-separated text."""
    _require_editor(db)
    values = clean_persona(data)
    with db.unit_of_work() as s:
        _check(s, values, None)
        obj = Persona(**values)
        s.add(obj)
        s.flush()
        return _detail(obj)


def update_persona(db: Database, persona_id, *, expected_version: int | None, **data) -> PersonaDetail:
    _require_editor(db)
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
    _require_editor(db)
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
    _require_editor(db)
    return soft_delete(db, Persona, persona_id, expected_version=expected_version)


def restore_persona(db: Database, persona_id, *, expected_version: int | None = None) -> Changes:
    _require_editor(db)
    return restore(db, Persona, persona_id, expected_version=expected_version)


def list_personas(db: Database, *, avoid: bool | None = None, deleted: bool = False) -> list[PersonaDetail]:
    """Personas by name; ``avoid`` True/False keeps only avoid-profiles / only buyer personas."""
    stmt = select(Persona).where(Persona.deleted.is_(deleted))
    if avoid is not None:
        stmt = stmt.where(Persona.avoid.is_(avoid))
    with db.reader() as s:
        return sorted((_detail(p) for p in s.scalars(stmt)), key=lambda p: (p.name.casefold(), p.id))


def live_personas(s) -> list[PersonaDetail]:
    """The live personas, read in the caller's open session (a bulk job scores many
    contacts against them without one query per contact)."""
    return [_detail(p) for p in s.scalars(select(Persona).where(Persona.deleted.is_(False))
                                          .order_by(Persona.name, Persona.id))]


def match_personas(db: Database, contact_id, *, minimum: int = 1) -> list[PersonaMatch]:
    """Live personas (avoid-profiles included: check ``persona.avoid``) that the contact
    matches with at least ``minimum`` points, best first. Reasons list matching traits first."""
    cid = as_uuid(contact_id, field="contact_id")
    with db.reader() as s:
        get_row(s, Contact, cid)
        row = s.execute(facts_query().where(Contact.id == cid)).one()
        personas = live_personas(s)
    matches = [
        score_persona(p, job_title=row.job_title, seniority=row.seniority, department=row.department,
                      industry=row.industry, employees=row.employees, country=row.country or row.account_country)
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


# --- automatic matching ------------------------------------------------------------------

def match_in_session(session: Session, contact_ids: Iterable) -> dict[uuid.UUID, uuid.UUID | None]:
    """Set ``persona_id`` of these live contacts to their best non-avoid persona (None when
    none reaches :data:`BEST_MATCH_MINIMUM`), in the caller's open unit of work (so a
    contact's save and its re-match are one transaction). Returns {contact id: persona id}
    for every live contact given. One facts query for all of them; the write goes through
    the ORM (journaled, versions bumped only for contacts whose persona changed). Pending
    changes of the session are flushed before the facts are read (autoflush), so a title
    just set counts; such a contact's version then moves once per flush."""
    ids = [as_uuid(c, field="contact_ids") for c in contact_ids]
    if not ids:
        return {}
    matcher = Matcher(live_personas(session))
    rows = session.execute(facts_query().where(Contact.id.in_(ids))).all()
    new, _ = matcher.changes(rows)
    if new:
        stmt = (select(Contact).where(Contact.id.in_(list(new)))
                .options(lazyload(Contact.emails), lazyload(Contact.phones)))
        for obj in session.scalars(stmt):
            obj.persona_id = new[obj.id]["persona_id"]
        session.flush()
    return {r.id: new[r.id]["persona_id"] if r.id in new else r.persona_id for r in rows}


def rematch_all(db: Database, *, progress: Callable[[int, int], None] | None = None,
                cancel: threading.Event | None = None, batch_size: int = 2000) -> RescoreResult:
    """Give every live contact its best non-avoid persona (or none), ``batch_size`` contacts
    per transaction: per batch one facts query, each distinct set of facts matched once,
    and the changed ``persona_id`` written set-based by :func:`bulk_writes.bulk_update`
    (journaled as ORM saves, guarded by the versions read, the same permissions).
    ``progress(done, total)`` after each batch; a cancel keeps the batches done."""
    with db.reader() as s:
        matcher = Matcher(live_personas(s))
        total = s.scalar(select(func.count()).select_from(Contact).where(Contact.deleted.is_(False))) or 0
    done = changed = 0
    last = None
    if progress:
        progress(0, total)
    while True:
        if cancel is not None and cancel.is_set():
            return RescoreResult(done, changed, True)
        with db.unit_of_work() as s:
            stmt = facts_query().order_by(Contact.id).limit(batch_size)
            if last is not None:
                stmt = stmt.where(Contact.id > last)
            rows = s.execute(stmt).all()
            if not rows:
                break
            new, read = matcher.changes(rows)
            changed += bulk_writes.bulk_update(s, Contact, new, current=read)
        last = rows[-1].id
        done += len(rows)
        if progress:
            progress(done, max(total, done))
    return RescoreResult(done, changed, False)


def count_matches(db: Database, draft: PersonaDetail | dict) -> tuple[int, int]:
    """(live contacts the persona, as being edited, matches with at least
    :data:`BEST_MATCH_MINIMUM` points, live contacts): the editor's live count. ``draft`` is
    a persona or the editor's fields (cleaned as a save would clean them)."""
    if isinstance(draft, dict):
        values = clean_persona({k: v for k, v in draft.items() if k in FIELDS}, partial=True)
        draft = _draft(values)
    with db.reader() as s:
        return count_matching(s, draft)


def _draft(values: dict) -> PersonaDetail:
    lists = {k: tuple(values.get(k) or ()) for k in LIST_FIELDS}
    lists["seniorities"] = tuple(Seniority(x) for x in lists["seniorities"])
    return PersonaDetail(id=uuid.UUID(int=0), name=values.get("name") or "", description=None, **lists,
                         company_size_min=values.get("company_size_min"),
                         company_size_max=values.get("company_size_max"),
                         **dict.fromkeys(TEXT_FIELDS[1:]), avoid=bool(values.get("avoid")), reviewed_at=None,
                         version=0, deleted=False, updated_at=dt.datetime.now(dt.timezone.utc))
