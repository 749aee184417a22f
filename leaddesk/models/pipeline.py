"""Pipelines, their stages, and the opportunities that move through them."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from leaddesk.models.base import Base, Synced, str_enum
from leaddesk.models.enums import OpportunityStatus
from leaddesk.models.types import UTCDateTime, Money


class Pipeline(Synced, Base):
    __tablename__ = "pipeline"

    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")


class PipelineStage(Synced, Base):
    """An open stage of a pipeline. Won and lost are statuses of the opportunity."""

    __tablename__ = "pipeline_stage"

    pipeline_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("pipeline.id"))
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: Default win probability in percent (0..100) for forecasts.
    probability: Mapped[int] = mapped_column(Integer, default=10)
    #: A deal untouched for longer than this in this stage is "rotting" (stalled).
    rotting_days: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_pipeline_stage_pipeline_position", "pipeline_id", "position"),)


class LostReason(Synced, Base):
    __tablename__ = "lost_reason"

    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Opportunity(Synced, Base):
    """A concrete possible sale on an account's pipeline; each moves independently."""

    __tablename__ = "opportunity"

    name: Mapped[str] = mapped_column(String(300))
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id"))
    primary_contact_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("contact.id"))
    pipeline_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("pipeline.id"))
    stage_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("pipeline_stage.id"))
    amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    #: ISO 4217 code.
    currency: Mapped[str] = mapped_column(String(3))
    #: Win probability override in percent; None = the stage's default.
    probability: Mapped[int | None] = mapped_column(Integer)
    expected_close_date: Mapped[dt.date | None] = mapped_column(Date)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("app_user.id"))
    status: Mapped[OpportunityStatus] = mapped_column(
        str_enum(OpportunityStatus, "opportunity_status"), default=OpportunityStatus.OPEN
    )
    lost_reason_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("lost_reason.id"))
    lost_note: Mapped[str | None] = mapped_column(Text)
    #: What the rep knows about the deal (free text, synced like every field).
    notes: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    stage_entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: Last real touch (call, meeting, e-mail done); drives the "stalled" marker.
    last_touch_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    next_step: Mapped[str | None] = mapped_column(String(300))
    next_step_due: Mapped[dt.date | None] = mapped_column(Date)
    #: Order of the card inside its board column (smaller first).
    board_rank: Mapped[float] = mapped_column(Float, default=0.0)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("campaign.id"))

    __table_args__ = (
        Index("ix_opportunity_board", "pipeline_id", "status", "stage_id"),
        Index("ix_opportunity_account_id", "account_id"),
        Index("ix_opportunity_owner_status", "owner_id", "status"),
        Index("ix_opportunity_expected_close_date", "expected_close_date"),
        Index("ix_opportunity_primary_contact_id", "primary_contact_id"),
    )


class OpportunityEvent(Synced, Base):
    """Insert-only history of stage and status changes (funnel, forecast accuracy, audit)."""

    __tablename__ = "opportunity_event"

    opportunity_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("opportunity.id"))
    from_stage_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    to_stage_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    from_status: Mapped[OpportunityStatus | None] = mapped_column(
        str_enum(OpportunityStatus, "opp_event_from_status")
    )
    to_status: Mapped[OpportunityStatus] = mapped_column(str_enum(OpportunityStatus, "opp_event_to_status"))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    by_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    __table_args__ = (Index("ix_opportunity_event_opportunity_at", "opportunity_id", "at"),)
