"""Qualification and marketing: campaigns, engagement, BANT, personas, scoring, definitions."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from leaddesk.models.base import Base, Synced, str_enum
from leaddesk.models.enums import (
    Authority,
    BantPartStatus,
    BantResult,
    BuyingRole,
    CampaignKind,
    EngagementKind,
    LifecycleStage,
    ScoreFamily,
)
from leaddesk.models.types import UTCDateTime, Money


class Campaign(Synced, Base):
    """A campaign or event (trade show, webinar ...) with its cost, for CPL/CPA/ROI."""

    __tablename__ = "campaign"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[CampaignKind] = mapped_column(str_enum(CampaignKind, "campaign_kind"))
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    location: Mapped[str | None] = mapped_column(String(200))
    cost: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    notes: Mapped[str | None] = mapped_column(Text)


class EngagementEvent(Synced, Base):
    """Insert-only behavioural signal (interest scoring)."""

    __tablename__ = "engagement_event"

    contact_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("contact.id"))
    kind: Mapped[EngagementKind] = mapped_column(str_enum(EngagementKind, "engagement_kind"))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    detail: Mapped[str | None] = mapped_column(String(500))
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("campaign.id"))

    __table_args__ = (Index("ix_engagement_event_contact_at", "contact_id", "occurred_at"),)


class Bant(Synced, Base):
    """A BANT qualification of a contact (optionally for one opportunity)."""

    __tablename__ = "bant"

    contact_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("contact.id"))
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("opportunity.id"))
    budget_amount: Mapped[Decimal | None] = mapped_column(Money)
    budget_currency: Mapped[str | None] = mapped_column(String(3))
    budget_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    authority: Mapped[Authority] = mapped_column(str_enum(Authority, "bant_authority"), default=Authority.UNKNOWN)
    #: Who decides, when the contact does not.
    decision_maker_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("contact.id"))
    authority_note: Mapped[str | None] = mapped_column(Text)
    #: The pain, in the buyer's words.
    need: Mapped[str | None] = mapped_column(Text)
    timing: Mapped[str | None] = mapped_column(String(300))
    timing_date: Mapped[dt.date | None] = mapped_column(Date)
    result: Mapped[BantResult] = mapped_column(str_enum(BantResult, "bant_result"), default=BantResult.INCOMPLETE)
    assessed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # --- per part, as heard on the call (revision 0009) ---------------------------------
    budget_status: Mapped[BantPartStatus] = mapped_column(
        str_enum(BantPartStatus, "bant_budget_status"), default=BantPartStatus.UNKNOWN,
        server_default=BantPartStatus.UNKNOWN.value)
    #: Where the budget figure comes from ("CFO on the call", "approved plan 2027").
    budget_source: Mapped[str | None] = mapped_column(String(200))
    budget_note: Mapped[str | None] = mapped_column(Text)
    authority_status: Mapped[BantPartStatus] = mapped_column(
        str_enum(BantPartStatus, "bant_authority_status"), default=BantPartStatus.UNKNOWN,
        server_default=BantPartStatus.UNKNOWN.value)
    #: The decision maker's role in the buying committee.
    decision_maker_role: Mapped[BuyingRole] = mapped_column(
        str_enum(BuyingRole, "bant_buying_role"), default=BuyingRole.UNKNOWN,
        server_default=BuyingRole.UNKNOWN.value)
    need_status: Mapped[BantPartStatus] = mapped_column(
        str_enum(BantPartStatus, "bant_need_status"), default=BantPartStatus.UNKNOWN,
        server_default=BantPartStatus.UNKNOWN.value)
    #: Which of our offers fits the need.
    need_offer: Mapped[str | None] = mapped_column(String(200))
    need_note: Mapped[str | None] = mapped_column(Text)
    #: The rep found no real need: an explicit negative, not a blank.
    no_need: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    timing_status: Mapped[BantPartStatus] = mapped_column(
        str_enum(BantPartStatus, "bant_timing_status"), default=BantPartStatus.UNKNOWN,
        server_default=BantPartStatus.UNKNOWN.value)
    #: What drives the date (contract end, budget year, a go-live).
    timing_driver: Mapped[str | None] = mapped_column(String(300))
    timing_note: Mapped[str | None] = mapped_column(Text)
    #: When a nurtured lead should be qualified again.
    requalify_on: Mapped[dt.date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_bant_contact_id", "contact_id"),)


class Persona(Synced, Base):
    """A buyer persona (or, with ``avoid``, the profile of segments that end closed-lost)."""

    __tablename__ = "persona"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    job_titles: Mapped[list[str]] = mapped_column(JSON, default=list)
    seniorities: Mapped[list[str]] = mapped_column(JSON, default=list)
    departments: Mapped[list[str]] = mapped_column(JSON, default=list)
    industries: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: ISO 3166 alpha-2 codes; empty = anywhere (revision 0009).
    countries: Mapped[list[str] | None] = mapped_column(JSON, default=list)
    company_size_min: Mapped[int | None]
    company_size_max: Mapped[int | None]
    goals: Mapped[str | None] = mapped_column(Text)
    motivations: Mapped[str | None] = mapped_column(Text)
    background: Mapped[str | None] = mapped_column(Text)
    daily_activities: Mapped[str | None] = mapped_column(Text)
    interests: Mapped[str | None] = mapped_column(Text)
    talking_points: Mapped[str | None] = mapped_column(Text)
    avoid: Mapped[bool] = mapped_column(Boolean, default=False)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ScoringRule(Synced, Base):
    """One explainable scoring criterion: ``points`` (may be negative) when it matches.

    ``criterion`` names the test (e.g. ``job_title_contains``, ``seniority_in``,
    ``employees_between``, ``industry_in``, ``email_domain_in``, ``engagement``,
    ``persona_match``); ``params`` holds its arguments.
    """

    __tablename__ = "scoring_rule"

    name: Mapped[str] = mapped_column(String(200))
    family: Mapped[ScoreFamily] = mapped_column(str_enum(ScoreFamily, "score_family"))
    criterion: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    points: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Indicator(Synced, Base):
    """A high-probability indicator (HPI): a sign that predicts a purchase."""

    __tablename__ = "indicator"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: The indicator as a rule a lead is checked against (revision 0009): a scoring
    #: criterion name and its parameters; None = a written indicator only.
    criterion: Mapped[str | None] = mapped_column(String(60))
    params: Mapped[dict | None] = mapped_column(JSON, default=dict)


class FunnelStageDefinition(Synced, Base):
    """The team's written definition of a lifecycle stage. Id = UUIDv5 of the stage, so two
    offline edits of the same definition merge instead of duplicating."""

    __tablename__ = "funnel_stage_definition"

    stage: Mapped[LifecycleStage] = mapped_column(str_enum(LifecycleStage, "funnel_stage"))
    name: Mapped[str] = mapped_column(String(100))
    definition: Mapped[str] = mapped_column(Text)
    entry_criteria: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)


class TeamSetting(Synced, Base):
    """A team-wide preference (SLA targets, lead cap, default currency ...).

    Id = UUIDv5 of the key: the same key written on two laptops is the same row."""

    __tablename__ = "team_setting"

    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[dict | list | str | int | float | bool | None] = mapped_column(JSON)
