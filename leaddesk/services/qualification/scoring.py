"""Explainable lead scoring: fit (who they are) + interest (what they did), with reasons.

Each :class:`~leaddesk.models.ScoringRule` gives its ``points`` (negative allowed) when its
criterion matches. :func:`evaluate` is pure; :func:`score_contact` and :func:`rescore_all`
gather the facts from the database and store ``fit_score``/``interest_score`` on contacts.

Grades come from the team settings ``score_hot``/``score_warm`` applied to fit + interest.
Fit (or interest) is **high** when it reaches half of ``score_hot``: with the default 60, a
lead with fit >= 30 and interest >= 30 is hot, and sits in "sales now".
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, lazyload

from leaddesk.db import Database
from leaddesk.errors import NotFound, ValidationError
from leaddesk.models import Account, Contact, ContactEmail, EngagementEvent, Persona, ScoringRule
from leaddesk.models.enums import EngagementKind, LifecycleStage, ScoreFamily, Seniority
from leaddesk.services.team import settings as team_settings
from leaddesk.services import validation as v
from leaddesk.services.validation import choice
from leaddesk.services.qualification.dto import (
    ContactFacts,
    Grade,
    Quadrant,
    RescoreResult,
    RuleInfo,
    ScoreBreakdown,
    ScoreReason,
    Thresholds,
)
from leaddesk.services.qualification.personas import phrase_in
from leaddesk.services.records import Changes, as_uuid, assign, check_version, get_row, restore, soft_delete, to_dto
from leaddesk.services.setup import seed_id

FIELDS = ("name", "family", "criterion", "params", "points", "active", "position")
MAX_POINTS = 100
BATCH_SIZE = 2000
#: Web-mail providers: a lead with only such addresses gave no company address.
FREE_EMAIL_DOMAINS = (
    "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com", "msn.com", "aol.com",
    "icloud.com", "me.com", "gmx.de", "gmx.net", "web.de", "mail.ru", "yandex.ru", "yandex.com",
    "proton.me", "protonmail.com", "qq.com", "163.com",
)
ITEM_NAMES = {"words": "word of the job title", "domains": "e-mail domain"}
#: University domains (a student is rarely a buyer): the seeded negative rule.
STUDENT_DOMAINS = ("edu", "ac.uk", "edu.tr", "ac.ir", "ac.th", "edu.sa", "edu.eg")


# --- the criteria vocabulary: params checks (normalising) and tests ---------------------

def _bad(key: str, message: str) -> ValidationError:
    return ValidationError(message, field=f"params.{key}" if key else "params")


def _list(params: dict, key: str, item: Callable[[Any], Any]) -> dict:
    values = params.get(key)
    if isinstance(values, str):
        values = [x for x in values.split(",") if x.strip()]
    if not isinstance(values, (list, tuple)) or not values:
        raise _bad(key, f"Give at least one {ITEM_NAMES.get(key, 'value')}.")
    out = []
    for value in values:
        cleaned = item(value)
        if cleaned not in out:
            out.append(cleaned)
    return {key: out}


def _text(key: str) -> Callable[[Any], str]:
    def clean(value) -> str:
        text = value.strip().casefold() if isinstance(value, str) else ""
        if not text or len(text) > 200:
            raise _bad(key, f"'{value}' is not a usable value for '{key}' (1 to 200 characters).")
        return text
    return clean


def _member(enum_cls, key: str) -> Callable[[Any], str]:
    def clean(value) -> str:
        try:
            return choice(enum_cls, value, key).value
        except ValidationError as exc:
            raise _bad(key, str(exc)) from exc
    return clean


def _domain(key: str) -> Callable[[Any], str]:
    def clean(value) -> str:
        text = str(value).strip().lower().lstrip("@.") if value is not None else ""
        if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*", text):
            raise _bad(key, f"'{value}' is not an e-mail domain (e.g. example.com, or edu for any *.edu).")
        return text
    return clean


def _country(value) -> str:
    try:
        found = v.country(value, field="params.values")
    except ValidationError as exc:
        raise _bad("values", str(exc)) from exc
    if found is None:
        raise _bad("values", "An empty country is not a usable value.")
    return found


def _whole(params: dict, key: str, *, minimum: int, required: bool, default=None) -> int | None:
    value = params.get(key, default)
    if value is None:
        if required:
            raise _bad(key, f"Give '{key}'.")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().lstrip("-").isdigit():
        raise _bad(key, f"'{key}' must be a whole number (got '{value}').")
    if int(value) < minimum:
        raise _bad(key, f"'{key}' must be at least {minimum} (got {value}).")
    return int(value)


def _employees(params: dict) -> dict:
    low = _whole(params, "min", minimum=0, required=False)
    high = _whole(params, "max", minimum=0, required=False)
    if low is None and high is None:
        raise _bad("min", "Give a smallest ('min') or a largest ('max') number of employees, or both.")
    if low is not None and high is not None and low > high:
        raise _bad("max", f"'max' ({high}) is smaller than 'min' ({low}).")
    return {"min": low, "max": high}


def _engagement(params: dict) -> dict:
    if params.get("kind") in (None, ""):
        raise _bad("kind", "Say which kind of engagement counts (e.g. pricing_page_visit).")
    return {"kind": _member(EngagementKind, "kind")(params["kind"]),
            "min_count": _whole(params, "min_count", minimum=1, required=True, default=1),
            "within_days": _whole(params, "within_days", minimum=1, required=False)}


def _persona(params: dict) -> dict:
    try:
        return {"persona_id": str(as_uuid(params.get("persona_id"), field="params.persona_id"))}
    except ValidationError as exc:
        raise _bad("persona_id", "Choose the persona this rule looks for.") from exc


def _has(needles: Iterable[str], value: str | None) -> bool:
    return bool(value) and any(phrase_in(n, value) for n in needles)


def _in_domains(domain: str, wanted: Iterable[str]) -> bool:
    return any(domain == w or domain.endswith("." + w) for w in wanted)


def _between(p: dict, n: int | None) -> bool:
    return n is not None and (p["min"] is None or n >= p["min"]) and (p["max"] is None or n <= p["max"])


@dataclass(frozen=True)
class Criterion:
    family: ScoreFamily  # the usual family, used when a rule gives none
    keys: tuple[str, ...]
    clean: Callable[[dict], dict]
    test: Callable[[dict, ContactFacts], bool]
    help: str


FIT, INTEREST = ScoreFamily.FIT, ScoreFamily.INTEREST
CRITERIA: dict[str, Criterion] = {
    "job_title_contains": Criterion(
        FIT, ("words",), lambda p: _list(p, "words", _text("words")),
        lambda p, f: _has(p["words"], f.job_title), "job title contains one of the words (whole words)"),
    "seniority_in": Criterion(
        FIT, ("values",), lambda p: _list(p, "values", _member(Seniority, "values")),
        lambda p, f: f.seniority in p["values"], "seniority is one of the values"),
    "department_in": Criterion(
        FIT, ("values",), lambda p: _list(p, "values", _text("values")),
        lambda p, f: _has(p["values"], f.department), "department names one of the values"),
    "industry_in": Criterion(
        FIT, ("values",), lambda p: _list(p, "values", _text("values")),
        lambda p, f: _has(p["values"], f.industry), "the account's industry names one of the values"),
    "employees_between": Criterion(
        FIT, ("min", "max"), _employees, lambda p, f: _between(p, f.employees),
        "the account has min..max employees"),
    "country_in": Criterion(
        FIT, ("values",), lambda p: _list(p, "values", _country),
        lambda p, f: f.country in p["values"], "country (the contact's, else the account's) is one of the values"),
    "email_domain_in": Criterion(
        FIT, ("domains",), lambda p: _list(p, "domains", _domain("domains")),
        lambda p, f: any(_in_domains(d, p["domains"]) for d in f.email_domains),
        "an e-mail address is at one of the domains or their subdomains"),
    "free_email": Criterion(
        FIT, ("domains",), lambda p: _list(p, "domains", _domain("domains")) if p.get("domains") else {},
        lambda p, f: bool(f.email_domains) and all(
            _in_domains(d, p.get("domains") or FREE_EMAIL_DOMAINS) for d in f.email_domains),
        "every e-mail address is a free web-mail one (gmail ...)"),
    "engagement": Criterion(
        INTEREST, ("kind", "min_count", "within_days"), _engagement,
        lambda p, f: f.engagement.get((p["kind"], p["within_days"]), 0) >= p["min_count"],
        "at least min_count engagements of the kind (in the last within_days days)"),
    "persona_match": Criterion(
        FIT, ("persona_id",), _persona, lambda p, f: f.persona_id is not None and str(f.persona_id) == p["persona_id"],
        "the contact is assigned to the persona"),
    "lifecycle_in": Criterion(
        FIT, ("values",), lambda p: _list(p, "values", _member(LifecycleStage, "values")),
        lambda p, f: f.lifecycle_stage in p["values"], "the lifecycle stage is one of the values"),
}


def criterion_of(name) -> Criterion:
    try:
        return CRITERIA[name]
    except (KeyError, TypeError) as exc:
        raise ValidationError(f"'{name}' is not a scoring criterion. Choose one of: {', '.join(CRITERIA)}.",
                              field="criterion") from exc


def clean_params(criterion: str, params: Mapping | None) -> dict:
    """Check a rule's parameters for its criterion; returns them normalised (lower case ...)."""
    spec = criterion_of(criterion)
    params = {} if params is None else params
    if not isinstance(params, Mapping):
        raise _bad("", "Rule parameters must be a set of named values.")
    unknown = sorted(set(params) - set(spec.keys))
    if unknown:
        allowed = ", ".join(spec.keys) or "none"
        raise _bad("", f"'{criterion}' takes no parameter {', '.join(unknown)} (it takes: {allowed}).")
    return spec.clean(dict(params))


# --- pure evaluation --------------------------------------------------------------------

def evaluate(rules: Iterable[RuleInfo], facts: ContactFacts, thresholds: Thresholds = Thresholds()) -> ScoreBreakdown:
    """Score one contact (pure). Inactive rules and unknown criteria are skipped."""
    fit = interest = 0
    reasons = []
    for rule in rules:
        spec = CRITERIA.get(rule.criterion)
        if not rule.active or spec is None or not rule.points or not spec.test(rule.params, facts):
            continue
        family = ScoreFamily(rule.family)
        if family is ScoreFamily.FIT:
            fit += rule.points
        else:
            interest += rule.points
        reasons.append(ScoreReason(rule.name, family, rule.points))
    total = fit + interest
    grade = Grade.HOT if total >= thresholds.hot else Grade.WARM if total >= thresholds.warm else Grade.COLD
    high_fit, high_interest = thresholds.is_high(fit), thresholds.is_high(interest)
    quadrant = (
        (Quadrant.SALES_NOW if high_interest else Quadrant.NURTURE) if high_fit
        else (Quadrant.QUALIFY_CAREFULLY if high_interest else Quadrant.DISQUALIFY)
    )
    return ScoreBreakdown(fit, interest, total, grade, quadrant, tuple(reasons))


def engagement_keys(rules: Iterable[RuleInfo]) -> list[tuple[str, int | None]]:
    """The (kind, within_days) counts the rules need."""
    keys = {(r.params["kind"], r.params.get("within_days")) for r in rules if r.criterion == "engagement" and r.active}
    return sorted(keys, key=lambda k: (k[0], k[1] or 0))


# --- rules ------------------------------------------------------------------------------

def _points(value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().lstrip("-").isdigit():
        raise ValidationError(f"Points must be a whole number (got '{value}').", field="points")
    points = int(value)
    if not -MAX_POINTS <= points <= MAX_POINTS:
        raise ValidationError(f"Points must be from -{MAX_POINTS} to {MAX_POINTS} (got {points}).", field="points")
    return points


def clean_rule(data: dict, *, partial: bool = False) -> dict:
    """Fields of a rule, checked one by one; params are checked later against the criterion."""
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError(f"Unknown scoring rule field(s): {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    out: dict = {}
    if "name" in data or not partial:
        out["name"] = v.clean_text(data.get("name"), field="name", max_len=200, required=True)
    if "criterion" in data or not partial:
        criterion_of(data.get("criterion"))
        out["criterion"] = data["criterion"]
    if "points" in data or not partial:
        out["points"] = _points(data.get("points"))
    if data.get("family") is not None:
        out["family"] = choice(ScoreFamily, data["family"], "family")
    if "active" in data:
        out["active"] = bool(data["active"])
    if "position" in data:
        out["position"] = v.non_negative_int(data["position"], field="position", allow_none=False)
    if "params" in data:
        out["params"] = data["params"]
    return out


def _check_persona(s: Session, params: dict) -> None:
    persona_id = params.get("persona_id")
    if persona_id is not None:
        persona = s.get(Persona, uuid.UUID(persona_id))
        if persona is None or persona.deleted:
            raise ValidationError("The persona this rule looks for does not exist (any more).",
                                  field="params.persona_id")


def _rule(obj: ScoringRule) -> RuleInfo:
    return to_dto(obj, RuleInfo, params=dict(obj.params or {}))


def create_rule(db: Database, **data) -> RuleInfo:
    """Create a rule: ``name``, ``criterion``, ``points`` (-100..100), ``params`` for the
    criterion; ``family`` defaults to the criterion's usual one; ``position`` to the end."""
    values = clean_rule(data)
    values["params"] = clean_params(values["criterion"], values.get("params"))
    values.setdefault("family", CRITERIA[values["criterion"]].family)
    with db.unit_of_work() as s:
        _check_persona(s, values["params"])
        if "position" not in values:
            values["position"] = (s.scalar(select(func.max(ScoringRule.position))) or 0) + 1
        obj = ScoringRule(**values)
        s.add(obj)
        s.flush()
        return _rule(obj)


def update_rule(db: Database, rule_id, *, expected_version: int | None, **data) -> RuleInfo:
    """Change a rule; a new criterion or new params are checked together."""
    values = clean_rule(data, partial=True)
    with db.unit_of_work() as s:
        obj = get_row(s, ScoringRule, rule_id)
        check_version(obj, expected_version)
        if "criterion" in values or "params" in values:
            values["params"] = clean_params(values.get("criterion", obj.criterion), values.get("params", obj.params))
            _check_persona(s, values["params"])
        if assign(obj, values):
            s.flush()
        return _rule(obj)


def get_rule(db: Database, rule_id, *, include_deleted: bool = False) -> RuleInfo:
    with db.reader() as s:
        return _rule(get_row(s, ScoringRule, rule_id, include_deleted=include_deleted))


def delete_rule(db: Database, rule_id, *, expected_version: int | None = None) -> Changes:
    return soft_delete(db, ScoringRule, rule_id, expected_version=expected_version)


def restore_rule(db: Database, rule_id, *, expected_version: int | None = None) -> Changes:
    return restore(db, ScoringRule, rule_id, expected_version=expected_version)


def _rules_query(*, active_only: bool, deleted: bool = False):
    stmt = select(ScoringRule).where(ScoringRule.deleted.is_(deleted))
    if active_only:
        stmt = stmt.where(ScoringRule.active.is_(True))
    return stmt.order_by(ScoringRule.position, ScoringRule.name, ScoringRule.id)


def _scoring_rules(s: Session) -> list[RuleInfo]:
    """Active rules, re-checked: sync merges fields one by one, so a criterion edited on one
    laptop and params edited on another can meet; such a rule is skipped, not fatal."""
    usable = []
    for obj in s.scalars(_rules_query(active_only=True)):
        try:
            params = clean_params(obj.criterion, obj.params)
        except ValidationError:
            continue
        usable.append(to_dto(obj, RuleInfo, params=params))
    return usable


def list_rules(db: Database, *, active_only: bool = False, deleted: bool = False) -> list[RuleInfo]:
    with db.reader() as s:
        return [_rule(r) for r in s.scalars(_rules_query(active_only=active_only, deleted=deleted))]


def thresholds(db: Database) -> Thresholds:
    settings = team_settings.get_settings(db)
    return Thresholds(hot=int(settings["score_hot"]), warm=int(settings["score_warm"]))


# --- facts from the database ------------------------------------------------------------

def _contacts_query():
    """Live contacts with what scoring reads, plus their cached scores (one row each)."""
    return (
        select(Contact.id, Contact.job_title, Contact.seniority, Contact.department, Contact.country,
               Contact.lifecycle_stage, Contact.persona_id, Contact.fit_score, Contact.interest_score,
               Account.industry, Account.employees, Account.country.label("account_country"))
        .outerjoin(Account, and_(Account.id == Contact.account_id, Account.deleted.is_(False)))
        .where(Contact.deleted.is_(False))
    )


def _load_facts(s: Session, rows: Sequence, keys: list, now: dt.datetime) -> dict[uuid.UUID, ContactFacts]:
    """Facts of ``rows`` (sorted by id) with two set-based queries over their id range."""
    if not rows:
        return {}
    lo, hi = rows[0].id, rows[-1].id
    domains: dict[uuid.UUID, set[str]] = defaultdict(set)
    for cid, address in s.execute(
        select(ContactEmail.contact_id, ContactEmail.address_normalized)
        .where(ContactEmail.contact_id.between(lo, hi), ContactEmail.deleted.is_(False))
    ):
        domains[cid].add(address.rpartition("@")[2])
    counts: dict[uuid.UUID, dict] = {}
    if keys:
        ev = EngagementEvent
        columns = [
            func.sum(case((and_(ev.kind == kind, ev.occurred_at >= now - dt.timedelta(days=days)) if days
                           else ev.kind == kind, 1), else_=0))
            for kind, days in keys
        ]
        stmt = (select(ev.contact_id, *columns)
                .where(ev.contact_id.between(lo, hi), ev.deleted.is_(False),
                       ev.kind.in_(sorted({k for k, _ in keys})))
                .group_by(ev.contact_id))
        for row in s.execute(stmt):
            counts[row[0]] = {key: int(n or 0) for key, n in zip(keys, row[1:])}
    return {
        r.id: ContactFacts(
            job_title=r.job_title, seniority=r.seniority, department=r.department,
            country=r.country or r.account_country, lifecycle_stage=r.lifecycle_stage, persona_id=r.persona_id,
            industry=r.industry, employees=r.employees, email_domains=frozenset(domains.get(r.id, ())),
            engagement=counts.get(r.id, {}),
        )
        for r in rows
    }


def _store(s: Session, scores: dict[uuid.UUID, ScoreBreakdown]) -> None:
    """Write changed scores through ORM objects, so the journal records them."""
    if not scores:
        return
    stmt = (select(Contact).where(Contact.id.in_(list(scores)))
            .options(lazyload(Contact.emails), lazyload(Contact.phones)))
    for obj in s.scalars(stmt):
        obj.fit_score, obj.interest_score = scores[obj.id].fit, scores[obj.id].interest
    s.flush()


def score_contact(db: Database, contact_id, *, now: dt.datetime | None = None) -> ScoreBreakdown:
    """Score one contact with the active rules, store its fit/interest, return the reasons."""
    cid = as_uuid(contact_id, field="contact_id")
    limits = thresholds(db)
    now = now or dt.datetime.now(dt.timezone.utc)
    with db.unit_of_work() as s:
        rules = _scoring_rules(s)
        row = s.execute(_contacts_query().where(Contact.id == cid)).one_or_none()
        if row is None:
            raise NotFound("contact", contact_id)
        result = evaluate(rules, _load_facts(s, [row], engagement_keys(rules), now)[cid], limits)
        if (result.fit, result.interest) != (row.fit_score, row.interest_score):
            _store(s, {cid: result})
        return result


def rescore_all(
    db: Database, *, progress: Callable[[int, int], None] | None = None, cancel: threading.Event | None = None,
    batch_size: int = BATCH_SIZE, now: dt.datetime | None = None,
) -> RescoreResult:
    """Recompute every live contact's score, ``batch_size`` contacts per transaction (so a
    cancel keeps the batches done, and SQLite's write lock is never held for long).
    Per batch: one contact query, one e-mail query, one engagement query, and one load of
    the contacts whose score changed. ``progress(done, total)`` is called after each batch."""
    limits = thresholds(db)
    now = now or dt.datetime.now(dt.timezone.utc)
    with db.reader() as s:
        rules = _scoring_rules(s)
        total = s.scalar(select(func.count()).select_from(Contact).where(Contact.deleted.is_(False))) or 0
    keys = engagement_keys(rules)
    done = changed = 0
    last: uuid.UUID | None = None
    if progress:
        progress(0, total)
    while True:
        if cancel is not None and cancel.is_set():
            return RescoreResult(done, changed, True)
        with db.unit_of_work() as s:
            stmt = _contacts_query().order_by(Contact.id).limit(batch_size)
            if last is not None:
                stmt = stmt.where(Contact.id > last)
            rows = s.execute(stmt).all()
            if not rows:
                break
            facts = _load_facts(s, rows, keys, now)
            new = {}
            for r in rows:
                result = evaluate(rules, facts[r.id], limits)
                if (result.fit, result.interest) != (r.fit_score, r.interest_score):
                    new[r.id] = result
            _store(s, new)
        last = rows[-1].id
        done += len(rows)
        changed += len(new)
        if progress:
            progress(done, max(total, done))
    return RescoreResult(done, changed, False)


# --- defaults ---------------------------------------------------------------------------

#: (key, name, criterion, params, points): the domain brief's examples; every team edits them.
DEFAULT_RULES = [
    ("decision_maker", "Decision-maker seniority (director and above)", "seniority_in",
     {"values": ["director", "vp", "c_level", "owner"]}, 20),
    ("manager", "Manager seniority", "seniority_in", {"values": ["manager"]}, 10),
    ("target_industry", "Target industry", "industry_in",
     {"values": ["logistics", "manufacturing", "retail", "wholesale"]}, 15),
    ("company_size", "Company of 50 to 5,000 employees", "employees_between", {"min": 50, "max": 5000}, 10),
    ("student", "Student e-mail address", "email_domain_in", {"domains": list(STUDENT_DOMAINS)}, -20),
    ("free_email", "Only a free web-mail address", "free_email", {}, -5),
    ("pricing", "Visited the pricing page (30 days)", "engagement",
     {"kind": "pricing_page_visit", "min_count": 1, "within_days": 30}, 15),
    ("trial", "Signed up for a trial or demo (30 days)", "engagement",
     {"kind": "trial_signup", "min_count": 1, "within_days": 30}, 20),
    ("reply", "Replied to an e-mail (30 days)", "engagement",
     {"kind": "email_reply", "min_count": 1, "within_days": 30}, 10),
    ("repeat_visits", "Visited the site 3+ times (30 days)", "engagement",
     {"kind": "site_visit", "min_count": 3, "within_days": 30}, 10),
    ("download", "Downloaded content (90 days)", "engagement",
     {"kind": "download", "min_count": 1, "within_days": 90}, 5),
    ("form", "Filled a form (90 days)", "engagement", {"kind": "form_fill", "min_count": 1, "within_days": 90}, 5),
    ("event", "Attended an event (180 days)", "engagement",
     {"kind": "event_attendance", "min_count": 1, "within_days": 180}, 10),
    ("webinar", "Attended a webinar (90 days)", "engagement",
     {"kind": "webinar", "min_count": 1, "within_days": 90}, 5),
    ("careers", "Visited the careers page (job seeker?)", "engagement",
     {"kind": "careers_page_visit", "min_count": 1, "within_days": 90}, -10),
]


def seed_default_rules(db: Database) -> list[RuleInfo]:
    """Add the default rules that are missing (ids are UUIDv5 of their key, so two laptops
    seeding apart converge; a default the team deleted stays deleted). Returns those added."""
    added = []
    with db.unit_of_work() as s:
        start = (s.scalar(select(func.max(ScoringRule.position))) or 0) + 1
        for pos, (key, name, criterion, params, points) in enumerate(DEFAULT_RULES, start):
            rid = seed_id("scoring_rule", key)
            if s.get(ScoringRule, rid) is not None:
                continue
            obj = ScoringRule(id=rid, name=name, family=CRITERIA[criterion].family, criterion=criterion,
                              params=clean_params(criterion, params), points=points, active=True, position=pos)
            s.add(obj)
            added.append(obj)
        s.flush()
        return [_rule(o) for o in added]
