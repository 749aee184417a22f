"""What the qualification services hand out (BANT, personas, scoring, stage
definitions): frozen dataclasses that never lazy-load across threads."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from leaddesk.models.enums import (
    Authority,
    BantPartStatus,
    BantResult,
    BuyingRole,
    LifecycleStage,
    ScoreFamily,
    Seniority,
)

# --- BANT --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BantAssessment:
    """The verdict of a BANT: ``problems`` say what is missing (incomplete) or wrong (negative)."""

    result: BantResult
    problems: tuple[str, ...]

    @property
    def reason(self) -> str:
        """The sentence recorded with the stage change, e.g.
        ``"BANT incomplete: no confirmed budget, timing unknown"``."""
        if self.result is BantResult.POSITIVE:
            return "BANT positive"
        return f"BANT {self.result.value}: {', '.join(self.problems)}"


@dataclass(frozen=True)
class BantDetail:
    id: uuid.UUID
    contact_id: uuid.UUID
    opportunity_id: uuid.UUID | None
    budget_amount: Decimal | None
    budget_currency: str | None
    budget_confirmed: bool
    authority: Authority
    decision_maker_id: uuid.UUID | None
    authority_note: str | None
    need: str | None
    timing: str | None
    timing_date: dt.date | None
    result: BantResult
    assessed_at: dt.datetime | None
    assessed_by: uuid.UUID | None
    #: Why the result is not positive (empty when positive).
    problems: tuple[str, ...]
    # --- per part (revision 0009); an old row's statuses are read from its fields ---------
    budget_status: BantPartStatus = BantPartStatus.UNKNOWN
    budget_source: str | None = None
    budget_note: str | None = None
    authority_status: BantPartStatus = BantPartStatus.UNKNOWN
    decision_maker_role: BuyingRole = BuyingRole.UNKNOWN
    need_status: BantPartStatus = BantPartStatus.UNKNOWN
    need_offer: str | None = None
    need_note: str | None = None
    no_need: bool = False
    timing_status: BantPartStatus = BantPartStatus.UNKNOWN
    timing_driver: str | None = None
    timing_note: str | None = None
    requalify_on: dt.date | None = None

    def statuses(self) -> dict[str, BantPartStatus]:
        """``{"budget": yes, "authority": partial, ...}``."""
        return {"budget": self.budget_status, "authority": self.authority_status, "need": self.need_status,
                "timing": self.timing_status}


@dataclass(frozen=True)
class BantOutcome:
    """What ``record_bant`` wrote: the BANT, and where the contact now stands."""

    bant: BantDetail
    stage: LifecycleStage
    stage_changed: bool
    reason: str
    contact_version: int
    #: When to qualify again (not positive), else None.
    requalify_on: dt.date | None = None
    #: The decision maker created on the spot, if one was.
    decision_maker_id: uuid.UUID | None = None
    #: The rep a pool lead went to when the BANT made it SQL (round-robin within the caps).
    assigned_to: uuid.UUID | None = None
    #: Why a pool lead the BANT made SQL stayed unassigned (every rep at her cap).
    assignment_refused: str | None = None


# --- personas ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonaDetail:
    id: uuid.UUID
    name: str
    description: str | None
    job_titles: tuple[str, ...]
    seniorities: tuple[Seniority, ...]
    departments: tuple[str, ...]
    industries: tuple[str, ...]
    company_size_min: int | None
    company_size_max: int | None
    goals: str | None
    motivations: str | None
    background: str | None
    daily_activities: str | None
    interests: str | None
    talking_points: str | None
    avoid: bool
    reviewed_at: dt.datetime | None
    version: int
    deleted: bool
    updated_at: dt.datetime
    #: ISO 3166 alpha-2 codes; empty: any country.
    countries: tuple[str, ...] = ()


@dataclass(frozen=True)
class PersonaMatch:
    persona: PersonaDetail
    #: 0..100: the weighted share of the persona's specified traits the contact has.
    score: int
    #: Matching traits first, then the ones that did not match.
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ContactPersona:
    contact_id: uuid.UUID
    persona_id: uuid.UUID | None
    contact_version: int


# --- scoring -----------------------------------------------------------------------------


class Grade(StrEnum):
    HOT = "hot"
    WARM = "warm"
    COLD = "cold"


class Quadrant(StrEnum):
    """Where a lead sits on fit vs interest, and so what to do with it (domain brief)."""

    SALES_NOW = "sales_now"  # high fit, high interest
    NURTURE = "nurture"  # high fit, low interest
    QUALIFY_CAREFULLY = "qualify_carefully"  # low fit, high interest
    DISQUALIFY = "disqualify"  # low fit, low interest


@dataclass(frozen=True)
class Thresholds:
    """Total score from which a lead is hot / warm (team settings ``score_hot``/``score_warm``)."""

    hot: int = 60
    warm: int = 30

    def is_high(self, part: int) -> bool:
        """Fit or interest counts as high from half of the hot threshold."""
        return 2 * part >= self.hot


@dataclass(frozen=True)
class RuleInfo:
    name: str
    family: ScoreFamily
    criterion: str
    params: dict
    points: int
    active: bool = True
    position: int = 0
    id: uuid.UUID | None = None
    version: int = 0
    deleted: bool = False


class ScoreReason(NamedTuple):
    name: str
    family: ScoreFamily
    points: int


@dataclass(frozen=True)
class ScoreBreakdown:
    fit: int
    interest: int
    total: int
    grade: Grade
    quadrant: Quadrant
    #: The matching rules, in rule order: why the lead has this score.
    reasons: tuple[ScoreReason, ...]


@dataclass(frozen=True)
class ContactFacts:
    """What scoring looks at. ``engagement`` maps (kind, within_days or None) to a count."""

    job_title: str | None = None
    seniority: str | None = None
    department: str | None = None
    country: str | None = None
    lifecycle_stage: str | None = None
    persona_id: uuid.UUID | None = None
    industry: str | None = None
    employees: int | None = None
    email_domains: frozenset[str] = frozenset()
    engagement: Mapping[tuple[str, int | None], int] = field(default_factory=dict)


@dataclass(frozen=True)
class RescoreResult:
    scored: int
    changed: int
    cancelled: bool


# --- stage definitions -------------------------------------------------------------------


@dataclass(frozen=True)
class StageDefinition:
    id: uuid.UUID
    stage: LifecycleStage
    name: str
    definition: str
    entry_criteria: str | None
    position: int
    version: int
    updated_at: dt.datetime
