"""The lead list with its reasons: what ``leaddesk leads`` prints and a lead view reads.

:func:`list_leads` returns, for each lead, its stage, owner, best persona and the score
explained: fit, interest, temperature, the fit x interest quadrant and the rules that made
it, with when the lead last did what an engagement rule counts ("+15 Visited the pricing
page (30 days), 2 days ago"), and the team's high-probability indicators (HPIs) it meets. The breakdown is computed now, with the team's current rules
(:func:`scoring_criteria.evaluate`, as ``rescore_all`` does); the list is ordered by the
stored score, which ``rescore_all`` refreshes. A fixed number of queries per 1,000 leads
listed (contacts; e-mails; engagement counts and last times), never one per lead.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import Account, Contact, ContactEmail, EngagementEvent, Persona, User
from leaddesk.models.enums import LifecycleStage, ScoreFamily
from leaddesk.services.qualification import scoring
from leaddesk.services.qualification.dto import ContactFacts, Grade, Quadrant, RuleInfo
from leaddesk.services.qualification.indicators import IndicatorInfo, active_hpis, hpis_met
from leaddesk.services.qualification.scoring_criteria import engagement_keys, evaluate

#: Stages listed when none is asked for: the leads still being qualified or nurtured.
LEAD_STAGES = (LifecycleStage.LEAD, LifecycleStage.IQL, LifecycleStage.MQL, LifecycleStage.SQL,
               LifecycleStage.NURTURE)
CHUNK = 1000


@dataclass(frozen=True)
class LeadReason:
    """One rule that counted: its points, and for an engagement rule the last such event."""

    name: str
    family: ScoreFamily
    points: int
    last_at: dt.datetime | None = None

    def text(self, now: dt.datetime) -> str:
        """``"+15 Visited the pricing page (30 days), 2 days ago"``."""
        out = f"{self.points:+d} {self.name}"
        if self.last_at is not None:
            days = max(0, (now - _aware(self.last_at)).days)
            out += ", today" if days == 0 else ", yesterday" if days == 1 else f", {days} days ago"
        return out


@dataclass(frozen=True)
class LeadSummary:
    id: uuid.UUID
    name: str
    company: str | None
    email: str | None
    stage: LifecycleStage
    owner_email: str | None
    fit: int
    interest: int
    score: int
    grade: Grade
    quadrant: Quadrant
    persona: str | None
    #: The names of the team's active high-probability indicators this lead meets.
    hpis_met: tuple[str, ...]
    reasons: tuple[LeadReason, ...]

    def as_dict(self, now: dt.datetime) -> dict:
        return {
            "id": str(self.id), "name": self.name, "company": self.company, "email": self.email,
            "stage": self.stage.value, "owner": self.owner_email, "score": self.score, "temperature": self.grade.value,
            "fit": self.fit, "interest": self.interest, "quadrant": self.quadrant.value, "persona": self.persona,
            "hpis_met": list(self.hpis_met), "reasons": [r.text(now) for r in self.reasons],
        }


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.timezone.utc)


def _stage(value) -> LifecycleStage:
    try:
        return LifecycleStage(str(value).strip().lower())
    except ValueError:
        names = ", ".join(s.value for s in LifecycleStage)
        raise ValidationError(f"'{value}' is not a lifecycle stage. Use one of: {names}.", field="stage") from None


def _owner_id(s, email: str) -> uuid.UUID:
    owner = s.scalar(select(User.id).where(User.email_normalized == email.strip().lower(), User.deleted.is_(False)))
    if owner is None:
        raise ValidationError(f"No user has the e-mail '{email}' (see Team ▸ Users).", field="owner")
    return owner


def list_leads(db: Database, *, stage=None, owner_email: str | None = None, limit: int | None = None,
               now: dt.datetime | None = None) -> list[LeadSummary]:
    """Leads (by default the stages of :data:`LEAD_STAGES`; ``stage`` picks one) of
    ``owner_email`` (default: everyone's), best stored score first, at most ``limit``."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValidationError(f"The limit must be a whole number of 0 or more (got '{limit}').", field="limit")
    stages = (_stage(stage),) if stage is not None else LEAD_STAGES
    limits = scoring.thresholds(db)
    now = _aware(now or dt.datetime.now(dt.timezone.utc))
    with db.reader() as s:
        rules = scoring.usable_rules(s)
        hpis = active_hpis(s)
        stmt = (
            select(Contact.id, Contact.display_name, Contact.job_title, Contact.seniority, Contact.department,
                   Contact.country, Contact.lifecycle_stage, Contact.persona_id, Account.name.label("company"),
                   Account.industry, Account.employees, Account.country.label("account_country"),
                   User.email.label("owner_email"), Persona.name.label("persona"))
            .outerjoin(Account, and_(Account.id == Contact.account_id, Account.deleted.is_(False)))
            .outerjoin(User, User.id == Contact.owner_id)
            .outerjoin(Persona, and_(Persona.id == Contact.persona_id, Persona.deleted.is_(False)))
            .where(Contact.deleted.is_(False), Contact.lifecycle_stage.in_(stages))
            .order_by((func.coalesce(Contact.fit_score, 0) + func.coalesce(Contact.interest_score, 0)).desc(),
                      Contact.name_key, Contact.id)
        )
        if owner_email is not None:
            stmt = stmt.where(Contact.owner_id == _owner_id(s, owner_email))
        if limit:
            stmt = stmt.limit(limit)
        rows = s.execute(stmt).all()
        out: list[LeadSummary] = []
        for start in range(0, len(rows), CHUNK):
            out.extend(_summaries(s, rows[start:start + CHUNK], rules, hpis, limits, now))
    return out


def _summaries(s, rows: Sequence, rules: list[RuleInfo], hpis: list[IndicatorInfo], limits,
               now: dt.datetime) -> list[LeadSummary]:
    ids = [r.id for r in rows]
    domains: dict[uuid.UUID, set[str]] = defaultdict(set)
    first_email: dict[uuid.UUID, str] = {}
    for cid, address, normalized in s.execute(
        select(ContactEmail.contact_id, ContactEmail.address, ContactEmail.address_normalized)
        .where(ContactEmail.contact_id.in_(ids), ContactEmail.deleted.is_(False))
        .order_by(ContactEmail.contact_id, ContactEmail.position, ContactEmail.id)
    ):
        domains[cid].add(normalized.rpartition("@")[2])
        first_email.setdefault(cid, address)
    keys = engagement_keys([*rules, *hpis])
    counts: dict[uuid.UUID, dict] = {}
    last: dict[uuid.UUID, dict] = {}
    if keys:
        ev = EngagementEvent
        kinds = sorted({k for k, _ in keys})
        columns = [
            func.sum(case((and_(ev.kind == kind, ev.occurred_at >= now - dt.timedelta(days=days)) if days
                           else ev.kind == kind, 1), else_=0))
            for kind, days in keys
        ]
        columns += [func.max(case((ev.kind == kind, ev.occurred_at), else_=None)) for kind in kinds]
        stmt = (select(ev.contact_id, *columns)
                .where(ev.contact_id.in_(ids), ev.deleted.is_(False), ev.kind.in_(kinds))
                .group_by(ev.contact_id))
        for row in s.execute(stmt):
            counts[row[0]] = {key: int(n or 0) for key, n in zip(keys, row[1:1 + len(keys)])}
            last[row[0]] = dict(zip(kinds, row[1 + len(keys):]))
    by_name = {}
    for rule in rules:
        by_name.setdefault(rule.name, rule)
    out = []
    for r in rows:
        facts = ContactFacts(
            job_title=r.job_title, seniority=r.seniority, department=r.department,
            country=r.country or r.account_country, lifecycle_stage=r.lifecycle_stage, persona_id=r.persona_id,
            industry=r.industry, employees=r.employees, email_domains=frozenset(domains.get(r.id, ())),
            engagement=counts.get(r.id, {}),
        )
        result = evaluate(rules, facts, limits)
        reasons = []
        for reason in result.reasons:
            rule = by_name.get(reason.name)
            when = None
            if rule is not None and rule.criterion == "engagement":
                when = last.get(r.id, {}).get(rule.params["kind"])
            reasons.append(LeadReason(reason.name, reason.family, reason.points, when))
        out.append(LeadSummary(
            id=r.id, name=r.display_name, company=r.company, email=first_email.get(r.id),
            stage=LifecycleStage(r.lifecycle_stage), owner_email=r.owner_email, fit=result.fit,
            interest=result.interest, score=result.total, grade=result.grade, quadrant=result.quadrant,
            persona=r.persona, hpis_met=tuple(h.name for h in hpis_met(hpis, facts)), reasons=tuple(reasons),
        ))
    return out
