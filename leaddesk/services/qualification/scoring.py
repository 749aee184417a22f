"""Explainable lead scoring: fit (who they are) + interest (what they did), with reasons.

Each :class:`~leaddesk.models.ScoringRule` gives its ``points`` (negative allowed) when its
criterion matches. :func:`~leaddesk.services.qualification.scoring_criteria.evaluate` is
pure; :func:`score_contact` and :func:`rescore_all` gather the facts from the database and
store ``fit_score``/``interest_score`` on contacts; :func:`rescore_all` first re-matches each
contact's persona (its best buyer persona), which the scores then count with.

Grades come from the team settings ``score_hot``/``score_warm`` applied to fit + interest.
Fit (or interest) is **high** when it reaches half of ``score_hot``: with the default 60, a
lead with fit >= 30 and interest >= 30 is hot, and sits in "sales now".
"""

from __future__ import annotations

import datetime as dt
import gc
import queue
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence

from sqlalchemy import String, and_, case, cast, func, select, type_coerce
from sqlalchemy.orm import Session, lazyload

from leaddesk.db import Database
from leaddesk.errors import NotFound, ValidationError
from leaddesk.models import Account, Contact, ContactEmail, EngagementEvent, Indicator, Persona, ScoringRule
from leaddesk.services import settings as team_settings
from leaddesk.services.qualification._bulk_scores import Scorer
from leaddesk.services.qualification._persona_bulk import Matcher
from leaddesk.services.qualification._rescore_facts import score_batches
from leaddesk.services.qualification.indicators import active_hpis
from leaddesk.services.qualification.dto import (
    ContactFacts,
    RescoreResult,
    RuleInfo,
    ScoreBreakdown,
    Thresholds,
)
from leaddesk.services.qualification.personas import live_personas
from leaddesk.services.qualification.scoring_criteria import (
    CRITERIA,
    bind_hpis,
    clean_params,
    clean_rule,
    engagement_keys,
    evaluate,
)
from leaddesk.services.records import Changes, as_uuid, assign, check_version, get_row, restore, soft_delete, to_dto
from leaddesk.services.records import seed_id
from leaddesk.sync import bulk_writes

BATCH_SIZE = 5000
#: A contact as rescore_all read it, as bulk_update compares and guards it.
#: University domains (a student is rarely a buyer): the seeded negative rule.
STUDENT_DOMAINS = ("edu", "ac.uk", "edu.tr", "ac.ir", "ac.th", "edu.sa", "edu.eg")


# --- rules ------------------------------------------------------------------------------

def _check_persona(s: Session, params: dict) -> None:
    persona_id = params.get("persona_id")
    if persona_id is not None:
        persona = s.get(Persona, uuid.UUID(persona_id))
        if persona is None or persona.deleted:
            raise ValidationError("The persona this rule looks for does not exist (any more).",
                                  field="params.persona_id")
    indicator_id = params.get("indicator_id")
    if indicator_id is not None:
        indicator = s.get(Indicator, uuid.UUID(indicator_id))
        if indicator is None or indicator.deleted:
            raise ValidationError("The HPI this rule looks for does not exist (any more).",
                                  field="params.indicator_id")


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
    with db.unit_of_work() as s:
        return update_rule_in(s, rule_id, expected_version=expected_version, **data)


def update_rule_in(s: Session, rule_id, *, expected_version: int | None, **data) -> RuleInfo:
    """:func:`update_rule` inside the caller's unit of work (several rules changed together)."""
    values = clean_rule(data, partial=True)
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
    laptop and params edited on another can meet; such a rule is skipped, not fatal.
    ``hpi_met`` rules come bound to the active HPIs' rules (one more query, only if any)."""
    usable = []
    for obj in s.scalars(_rules_query(active_only=True)):
        try:
            params = clean_params(obj.criterion, obj.params)
        except ValidationError:
            continue
        usable.append(to_dto(obj, RuleInfo, params=params))
    if any(r.criterion == "hpi_met" for r in usable):
        usable = bind_hpis(usable, active_hpis(s))
    return usable


def usable_rules(s: Session) -> list[RuleInfo]:
    """The rules scoring applies, read in the caller's open session (the demo scores its
    contacts inside its own bulk load with them)."""
    return _scoring_rules(s)


def list_rules(db: Database, *, active_only: bool = False, deleted: bool = False) -> list[RuleInfo]:
    with db.reader() as s:
        return [_rule(r) for r in s.scalars(_rules_query(active_only=active_only, deleted=deleted))]


def thresholds(db: Database) -> Thresholds:
    settings = team_settings.get_settings(db)
    return Thresholds(hot=int(settings["score_hot"]), warm=int(settings["score_warm"]))


# --- facts from the database ------------------------------------------------------------

def _ids(s: Session, col, raw: bool):
    """``col`` (a UUID column) as the database holds it when ``raw``: a string, with no
    ``uuid.UUID`` made per row (rescore_all reads 100,000 of them per id column)."""
    if not raw:
        return col
    return type_coerce(col, String) if s.get_bind().dialect.name == "sqlite" else cast(col, String)


def _contacts_query(contact_id=Contact.id):
    """Live contacts with what scoring reads, plus their cached scores (one row each)."""
    return (
        select(contact_id.label("id"), Contact.job_title, Contact.seniority, Contact.department, Contact.country,
               Contact.lifecycle_stage, Contact.persona_id, Contact.fit_score, Contact.interest_score,
               Contact.version, Contact.hlc, Account.industry, Account.employees, Account.country.label("account_country"))
        .outerjoin(Account, and_(Account.id == Contact.account_id, Account.deleted.is_(False)))
        .where(Contact.deleted.is_(False))
    )


def _load_facts(s: Session, rows: Sequence, keys: list, now: dt.datetime, *, raw: bool = False,
                sparse: bool = False) -> dict:
    """Facts of ``rows`` (sorted by id) with two set-based queries over their id range,
    keyed by the rows' ids (strings when ``raw``, see :func:`_ids`). ``sparse``: the rows
    are a few of the contacts in their range (learning's closed leads), so the queries
    name their ids instead of reading the whole range."""
    if not rows:
        return {}
    lo, hi = (uuid.UUID(str(rows[0].id)), uuid.UUID(str(rows[-1].id))) if raw else (rows[0].id, rows[-1].id)

    def among(col):
        return col.in_([uuid.UUID(str(r.id)) for r in rows]) if sparse else col.between(lo, hi)

    domains: dict = defaultdict(set)
    for cid, address in s.execute(
        select(_ids(s, ContactEmail.contact_id, raw), ContactEmail.address_normalized)
        .where(among(ContactEmail.contact_id), ContactEmail.deleted.is_(False))
    ):
        domains[cid].add(address.rpartition("@")[2])
    counts: dict = {}
    if keys:
        ev = EngagementEvent
        columns = [
            func.sum(case((and_(ev.kind == kind, ev.occurred_at >= now - dt.timedelta(days=days)) if days
                           else ev.kind == kind, 1), else_=0))
            for kind, days in keys
        ]
        stmt = (select(_ids(s, ev.contact_id, raw), *columns)
                .where(among(ev.contact_id), ev.deleted.is_(False),
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
    """Re-match every live contact's persona and recompute its score, ``batch_size``
    contacts per transaction (so a cancel keeps the batches done, and SQLite's write lock is
    never held for long).

    The persona first: the best of the live buyer personas (avoid-profiles are not matched:
    ``personas.best_match``, at least its minimum score), or none; then fit and interest
    with that persona (a persona match is a scoring factor), as ``evaluate`` gives them
    (``_bulk_scores.Scorer``). Per batch: three set-based reads (``_rescore_facts``), then
    the rows whose persona or scores differ are written by :func:`bulk_writes.bulk_update`
    (one UPDATE guarded by the versions read with the contacts; journaled field by field as
    ORM saves would be, only the fields that changed; the same write permissions apply).
    ``progress(done, total)`` is called after each batch. ``changed`` counts the contacts
    written.

    Pipelined: a second thread reads and scores batch n+1 on its own connection while this
    one writes batch n (the database works while Python scores: on two cores they overlap).
    That is safe because batches are disjoint spans of ids and each write is guarded by the
    versions its batch read: a contact changed in between is a :class:`Conflict`, as
    before. On a team hub the reading thread also reads the highest field clock of its
    span, after the contacts, so the write's stamp needs no look-up under the push lock
    (the same guard covers it: ``bulk_writes.bulk_update``)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    with db.reader() as s:
        rules = _scoring_rules(s)
        buyers = [p for p in live_personas(s) if not p.avoid]
        total = s.scalar(select(func.count()).select_from(Contact).where(Contact.deleted.is_(False))) or 0
    keys = engagement_keys(rules)
    scorer, matcher = Scorer(rules), Matcher(buyers)
    done = changed = 0
    if progress:
        progress(0, total)
    batches: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()
    reader = threading.Thread(target=score_batches, name="rescore-reader", daemon=True,
                              args=(db, keys, now, batch_size, matcher, scorer, batches, stop),
                              kwargs={"hub": db.hub_mode})
    gc_was = gc.isenabled()
    gc.disable()  # about a million short-lived, acyclic objects: no sweeps over them
    reader.start()
    try:
        while True:
            item = batches.get()
            if isinstance(item, BaseException):
                raise item
            if item is None:
                break
            if cancel is not None and cancel.is_set():
                return RescoreResult(done, changed, True)
            count, prepared, top = item
            if prepared.changed:
                with db.unit_of_work() as s:
                    bulk_writes.write(s, prepared, clocks_top=top)
            done += count
            changed += len(prepared.new_values)
            if progress:
                progress(done, max(total, done))
    finally:
        stop.set()
        while reader.is_alive():  # unblock a reader waiting for room in the queue
            try:
                batches.get_nowait()
            except queue.Empty:
                pass
            reader.join(0.05)
        if gc_was:
            gc.enable()
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
     {"kind": "careers_page_visit", "min_count": 1, "within_days": 90}, -20),
    ("competitor", "E-mail at a competitor's domain", "competitor_domain", {"domains": []}, -50),
]


def seed_default_rules(db: Database) -> list[RuleInfo]:
    """Add the default rules that are missing (ids are UUIDv5 of their key, so two laptops
    seeding apart converge; a default the team deleted stays deleted). Returns those added."""
    added = []
    with db.unit_of_work() as s:
        # Positions are the list's, not "after the team's own": two laptops seeding apart
        # write identical rows (the team reorders them in the rule editor).
        for pos, (key, name, criterion, params, points) in enumerate(DEFAULT_RULES):
            rid = seed_id("scoring_rule", key)
            if s.get(ScoringRule, rid) is not None:
                continue
            obj = ScoringRule(id=rid, name=name, family=CRITERIA[criterion].family, criterion=criterion,
                              params=clean_params(criterion, params), points=points, active=True, position=pos)
            s.add(obj)
            added.append(obj)
        s.flush()
        return [_rule(o) for o in added]
