"""Activities: calls, e-mails, meetings, tasks and notes, done or scheduled."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from leaddesk.models.base import Base, Synced, str_enum
from leaddesk.models.enums import ActivityKind, ActivityOutcome
from leaddesk.models.types import UTCDateTime


class Activity(Synced, Base):
    __tablename__ = "activity"

    kind: Mapped[ActivityKind] = mapped_column(str_enum(ActivityKind, "activity_kind"))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    #: When it is planned for (follow-up reminders and SLA timers read this).
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[ActivityOutcome | None] = mapped_column(str_enum(ActivityOutcome, "activity_outcome"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("contact.id"))
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("opportunity.id"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("account.id"))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("app_user.id"))

    __table_args__ = (
        Index("ix_activity_contact_id", "contact_id"),
        Index("ix_activity_opportunity_id", "opportunity_id"),
        Index("ix_activity_account_id", "account_id"),
        Index("ix_activity_owner_due", "owner_id", "due_at"),
    )
