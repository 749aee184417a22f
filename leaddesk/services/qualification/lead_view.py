"""The lead view's read model: everything a rep needs to judge one lead at a glance.

:func:`lead_view` reads a contact's stage and the team's written definition of it, the
scoring rules and thresholds, the facts scoring looks at, the personas, the high-probability
indicators (HPIs), the latest BANT and the owner, in one read-only session and a handful of
queries; then it computes the score with the pure engine
(:func:`~leaddesk.services.qualification.scoring_criteria.evaluate`), so the reasons shown
are exactly the rules that make the score *now*. Viewing never writes: the cached
``fit_score``/``interest_score`` are returned beside the live breakdown, untouched.

Each reason of an engagement rule carries the time of the latest engagement of its kind
in the rule's window, so the panel can say "+15 pricing page, 2 days ago".

HPIs: every active high-probability indicator is checked against the same facts with the
scoring engine's criteria (:func:`~leaddesk.services.qualification.indicators.hpis_met`);
a written-only HPI is listed as not checkable.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from leaddesk.db import Database
from leaddesk.errors import NotFound
from leaddesk.models import Bant, Contact, EngagementEvent, FunnelStageDefinition, Persona, User
from leaddesk.models.enums import LifecycleStage, ScoreFamily
from leaddesk.services import settings as team_settings
from leaddesk.services.qualification.bant import _detail as _bant_detail
from leaddesk.services.qualification.dto import (
    BantDetail,
    Grade,
    PersonaMatch,
    Quadrant,
    RuleInfo,
    StageDefinition,
    Thresholds,
)
from leaddesk.services.qualification.indicators import IndicatorInfo, active_hpis, hpis_met
from leaddesk.services.qualification.personas import _detail as _persona_detail
from leaddesk.services.qualification.personas import score_persona
from leaddesk.services.qualification.scoring import _contacts_query, _load_facts, _scoring_rules
from leaddesk.services.qualification.scoring_criteria import engagement_keys, evaluate
from leaddesk.services.records import as_uuid, to_dto


@dataclass(frozen=True)
class LeadReason:
    """One rule that gives the lead points: ``last_at`` is the latest engagement of the
    rule's kind in its window (None for fit rules)."""

    name: str
    family: ScoreFamily
    points: int
    last_at: dt.datetime | None = None


@dataclass(frozen=True)
class LeadView:
    contact_id: uuid.UUID
    display_name: str
    stage: LifecycleStage
    stage_changed_at: dt.datetime | None
    stage_reason: str | None
    #: The team's written definition of the stage (None if the team has none for it).
    definition: StageDefinition | None
    fit: int
    interest: int
    total: int
    grade: Grade
    quadrant: Quadrant
    thresholds: Thresholds
    reasons: tuple[LeadReason, ...]
    #: The stored (cached) scores, which the list shows; they may lag behind the rules.
    stored_fit: int
    stored_interest: int
    #: The assigned persona's match if the contact has one, else the best match (or None).
    persona: PersonaMatch | None
    persona_assigned: bool
    #: The active HPIs the lead meets; ``indicators`` are all active ones (written-only
    #: ones have ``checkable`` False: they can be neither met nor missed).
    indicators_met: tuple[IndicatorInfo, ...]
    indicators: tuple[IndicatorInfo, ...]
    #: The latest BANT of the contact, None when never qualified.
    bant: BantDetail | None
    owner_id: uuid.UUID | None
    owner_name: str | None
    assigned_at: dt.datetime | None

    @property
    def stored_total(self) -> int:
        return self.stored_fit + self.stored_interest


def reason_text(reason: LeadReason, *, ago: str | None = None) -> str:
    """"+15 Visited the pricing page (30 days)" and, with ``ago``, ", 2 days ago"."""
    head = f"{reason.points:+d} {reason.name}"
    return f"{head}, {ago}" if ago else head


def _latest_engagement(s: Session, contact_id: uuid.UUID, rules: list[RuleInfo],
                       now: dt.datetime) -> dict[tuple[str, int | None], dt.datetime]:
    """(kind, within_days) -> the latest engagement of that kind in the window: one query."""
    keys = engagement_keys(rules)
    if not keys:
        return {}
    ev = EngagementEvent
    rows = s.execute(
        select(ev.kind, func.max(ev.occurred_at))
        .where(ev.contact_id == contact_id, ev.deleted.is_(False), ev.kind.in_(sorted({k for k, _ in keys})))
        .group_by(ev.kind)).all()
    latest = {str(getattr(kind, "value", kind)): at for kind, at in rows}
    out = {}
    for kind, days in keys:
        at = latest.get(kind)
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=dt.timezone.utc)
        if at is not None and (days is None or at >= now - dt.timedelta(days=days)):
            out[(kind, days)] = at
    return out


def _reasons(rules: list[RuleInfo], breakdown, latest: dict) -> tuple[LeadReason, ...]:
    by_name: dict[str, RuleInfo] = {}
    for rule in rules:
        by_name.setdefault(rule.name, rule)
    out = []
    for r in breakdown.reasons:
        rule = by_name.get(r.name)
        last = None
        if rule is not None and rule.criterion == "engagement":
            last = latest.get((rule.params["kind"], rule.params.get("within_days")))
        out.append(LeadReason(r.name, r.family, r.points, last))
    return tuple(out)


def _persona(s: Session, contact, row) -> tuple[PersonaMatch | None, bool]:
    personas = [_persona_detail(p) for p in s.scalars(select(Persona).where(Persona.deleted.is_(False)))]
    matches = [score_persona(p, job_title=row.job_title, seniority=row.seniority, department=row.department,
                             industry=row.industry, employees=row.employees,
                             country=row.country or row.account_country) for p in personas]
    assigned = [m for m in matches if m.persona.id == contact.persona_id]
    if assigned:
        return assigned[0], True
    matches = sorted((m for m in matches if m.score >= 1),
                     key=lambda m: (-m.score, m.persona.name.casefold(), m.persona.id))
    return (matches[0] if matches else None), False


def lead_view(db: Database, contact_id, *, now: dt.datetime | None = None) -> LeadView:
    """The lead view of one live contact (raises NotFound for a missing or deleted one)."""
    cid = as_uuid(contact_id, field="contact_id")
    now = now or dt.datetime.now(dt.timezone.utc)
    settings = team_settings.get_settings(db)
    limits = Thresholds(hot=int(settings["score_hot"]), warm=int(settings["score_warm"]))
    with db.reader() as s:
        head = s.execute(
            select(Contact.display_name, Contact.stage_reason, Contact.lifecycle_changed_at, Contact.owner_id,
                   Contact.assigned_at, Contact.persona_id, User.name.label("owner_name"))
            .outerjoin(User, and_(User.id == Contact.owner_id, User.deleted.is_(False)))
            .where(Contact.id == cid, Contact.deleted.is_(False))).one_or_none()
        row = s.execute(_contacts_query().where(Contact.id == cid)).one_or_none()
        if head is None or row is None:
            raise NotFound("contact", contact_id)
        rules = _scoring_rules(s)
        all_hpis = tuple(active_hpis(s))
        facts = _load_facts(s, [row], engagement_keys([*rules, *all_hpis]), now)[cid]
        breakdown = evaluate(rules, facts, limits)
        reasons = _reasons(rules, breakdown, _latest_engagement(s, cid, rules, now))
        stage = LifecycleStage(row.lifecycle_stage)
        definition = s.scalar(select(FunnelStageDefinition).where(
            FunnelStageDefinition.stage == stage, FunnelStageDefinition.deleted.is_(False))
            .order_by(FunnelStageDefinition.position).limit(1))
        persona, assigned = _persona(s, head, row)
        bant = s.scalars(select(Bant).where(Bant.contact_id == cid, Bant.deleted.is_(False))
                         .order_by(Bant.assessed_at.desc(), Bant.id.desc()).limit(1)).first()
        return LeadView(
            contact_id=cid, display_name=head.display_name, stage=stage, stage_changed_at=head.lifecycle_changed_at,
            stage_reason=head.stage_reason,
            definition=to_dto(definition, StageDefinition) if definition is not None else None,
            fit=breakdown.fit, interest=breakdown.interest, total=breakdown.total, grade=breakdown.grade,
            quadrant=breakdown.quadrant, thresholds=limits, reasons=reasons,
            stored_fit=int(row.fit_score or 0), stored_interest=int(row.interest_score or 0),
            persona=persona, persona_assigned=assigned,
            indicators_met=hpis_met(all_hpis, facts), indicators=all_hpis,
            bant=_bant_detail(bant) if bant is not None else None,
            owner_id=head.owner_id, owner_name=head.owner_name, assigned_at=head.assigned_at,
        )
