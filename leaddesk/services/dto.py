"""What services hand out: frozen dataclasses that never lazy-load across threads."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from leaddesk.models.enums import (
    ActivityKind,
    ActivityOutcome,
    EmailKind,
    LeadSource,
    LifecycleStage,
    OpportunityStatus,
    PhoneKind,
    Role,
    Seniority,
)


@dataclass(frozen=True)
class UserInfo:
    id: uuid.UUID
    name: str
    email: str
    role: Role
    active: bool
    team_id: uuid.UUID | None
    version: int


@dataclass(frozen=True)
class TeamInfo:
    id: uuid.UUID
    name: str
    lead_cap: int | None
    version: int


@dataclass(frozen=True)
class AccountDetail:
    id: uuid.UUID
    name: str
    domain: str | None
    website: str | None
    industry: str | None
    employees: int | None
    annual_revenue: Decimal | None
    revenue_currency: str | None
    country: str | None
    city: str | None
    phone: str | None
    owner_id: uuid.UUID | None
    tags: tuple[str, ...]
    notes: str | None
    version: int
    deleted: bool
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class AccountRow:
    """One line of the account list."""

    id: uuid.UUID
    name: str
    industry: str | None
    country: str | None
    city: str | None
    owner_id: uuid.UUID | None


@dataclass(frozen=True)
class EmailInfo:
    address: str
    kind: EmailKind = EmailKind.WORK


@dataclass(frozen=True)
class PhoneInfo:
    number: str
    kind: PhoneKind = PhoneKind.WORK
    e164: str | None = None


@dataclass(frozen=True)
class ContactDetail:
    id: uuid.UUID
    given_name: str | None
    family_name: str | None
    display_name: str
    job_title: str | None
    department: str | None
    seniority: Seniority
    account_id: uuid.UUID | None
    emails: tuple[EmailInfo, ...]
    phones: tuple[PhoneInfo, ...]
    street: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    owner_id: uuid.UUID | None
    notes: str | None
    lifecycle_stage: LifecycleStage
    lifecycle_changed_at: dt.datetime | None
    source: LeadSource | None
    campaign_id: uuid.UUID | None
    captured_at: dt.datetime | None
    assigned_at: dt.datetime | None
    first_touch_at: dt.datetime | None
    stage_reason: str | None
    persona_id: uuid.UUID | None
    fit_score: int
    interest_score: int
    version: int
    deleted: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    #: The company's or the person's web address as typed or read from a card (revision 0014).
    website: str | None = None

    @property
    def primary_email(self) -> str | None:
        return self.emails[0].address if self.emails else None

    @property
    def primary_phone(self) -> str | None:
        return self.phones[0].number if self.phones else None


@dataclass(frozen=True)
class ContactRow:
    """One line of the contact/lead list."""

    id: uuid.UUID
    display_name: str
    job_title: str | None
    account_id: uuid.UUID | None
    account_name: str | None
    email: str | None
    phone: str | None
    lifecycle_stage: LifecycleStage
    owner_id: uuid.UUID | None


@dataclass(frozen=True)
class ContactListRow:
    """One line of the Contacts page: what it shows, score and owner included."""

    id: uuid.UUID
    display_name: str
    job_title: str | None
    account_id: uuid.UUID | None
    account_name: str | None
    email: str | None
    phone: str | None
    lifecycle_stage: LifecycleStage
    owner_id: uuid.UUID | None
    owner_name: str | None
    fit_score: int
    interest_score: int
    #: The contact's assigned buyer persona (None when none is assigned).
    persona_name: str | None = None
    #: "hot", "warm" or "cold": the score by the team's thresholds when the page was read.
    temperature: str = "cold"
    #: When the first touch is due (the SLA), for a lead in a clocked stage not yet touched;
    #: None otherwise (the list compares it with now: breached or due in ...).
    first_touch_due_at: dt.datetime | None = None

    @property
    def score(self) -> int:
        """Fit plus interest, as the scoring service grades them."""
        return self.fit_score + self.interest_score


@dataclass(frozen=True)
class LifecycleStep:
    from_stage: LifecycleStage | None
    to_stage: LifecycleStage
    at: dt.datetime
    reason: str | None
    by_user_id: uuid.UUID | None


@dataclass(frozen=True)
class PipelineInfo:
    id: uuid.UUID
    name: str
    position: int
    is_default: bool
    currency: str
    version: int


@dataclass(frozen=True)
class StageInfo:
    id: uuid.UUID
    pipeline_id: uuid.UUID
    name: str
    position: int
    probability: int
    rotting_days: int | None
    description: str | None
    version: int


@dataclass(frozen=True)
class OpportunityDetail:
    id: uuid.UUID
    name: str
    account_id: uuid.UUID
    primary_contact_id: uuid.UUID | None
    pipeline_id: uuid.UUID
    stage_id: uuid.UUID
    amount: Decimal
    currency: str
    probability: int | None
    expected_close_date: dt.date | None
    owner_id: uuid.UUID | None
    status: OpportunityStatus
    lost_reason_id: uuid.UUID | None
    lost_note: str | None
    closed_at: dt.datetime | None
    stage_entered_at: dt.datetime
    last_touch_at: dt.datetime | None
    next_step: str | None
    next_step_due: dt.date | None
    board_rank: float
    campaign_id: uuid.UUID | None
    version: int
    deleted: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    #: What the rep knows about the deal.
    notes: str | None = None


@dataclass(frozen=True)
class ActivityDetail:
    id: uuid.UUID
    kind: ActivityKind
    subject: str
    body: str | None
    due_at: dt.datetime | None
    done_at: dt.datetime | None
    duration_minutes: int | None
    outcome: ActivityOutcome | None
    contact_id: uuid.UUID | None
    opportunity_id: uuid.UUID | None
    account_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    version: int
    deleted: bool
    created_at: dt.datetime
    cadence_key: str | None = None
    cadence_run: uuid.UUID | None = None
    cadence_step: int | None = None
    rrule: str | None = None


@dataclass(frozen=True)
class LostReasonInfo:
    id: uuid.UUID
    name: str
    position: int
    active: bool
    version: int


@dataclass(frozen=True)
class OpportunityCard:
    """One card of the pipeline board (read with a Core select of just these columns)."""

    id: uuid.UUID
    name: str
    account_id: uuid.UUID
    account_name: str | None
    primary_contact_id: uuid.UUID | None
    stage_id: uuid.UUID
    amount: Decimal
    currency: str
    #: The opportunity's override, else its stage's default (percent).
    probability: int
    expected_close_date: dt.date | None
    owner_id: uuid.UUID | None
    board_rank: float
    stage_entered_at: dt.datetime
    last_touch_at: dt.datetime | None
    next_step: str | None
    next_step_due: dt.date | None
    version: int


@dataclass(frozen=True)
class OpportunityStep:
    """One entry of an opportunity's stage/status history."""

    from_stage_id: uuid.UUID | None
    from_stage_name: str | None
    to_stage_id: uuid.UUID | None
    to_stage_name: str | None
    from_status: OpportunityStatus | None
    to_status: OpportunityStatus
    amount: Decimal | None
    at: dt.datetime
    by_user_id: uuid.UUID | None
