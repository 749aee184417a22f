"""Activities: calls, e-mails, meetings, tasks and notes, done or scheduled."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from leaddesk.models.base import Base, Synced, str_enum
from leaddesk.models.enums import ActivityKind, ActivityOutcome
from leaddesk.models.types import UTCDateTime

#: An open activity whose reminder has not fired for its current ``due_at`` or was snoozed
#: (the partial index's predicate; the reminder check repeats it word for word, as SQLite
#: uses a partial index only then).
PENDING_REMINDER_SQL = ("done_at IS NULL AND NOT deleted AND due_at IS NOT NULL AND "
                        "(reminded_for IS NULL OR reminded_for <> due_at OR snoozed_until IS NOT NULL)")
PENDING_REMINDER = text(PENDING_REMINDER_SQL)


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
    #: The ``due_at`` whose reminder was shown (or snoozed): a reminder fires once per
    #: occurrence, and a new ``due_at`` (rescheduled) re-arms it. Synced, so a reminder shown
    #: on one laptop is not shown again on the rep's other laptop.
    reminded_for: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: A shown reminder comes back at this instant (UTC); NULL = not snoozed.
    snoozed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: The team cadence template (setting ``cadences``) this activity is a step of.
    cadence_key: Mapped[str | None] = mapped_column(String(60))
    #: One application of a cadence to one lead (the same cadence applied twice: two runs).
    cadence_run: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    #: The step's number in its template, from 1.
    cadence_step: Mapped[int | None] = mapped_column(Integer)
    #: An RFC 5545 RRULE: completing the activity schedules its next occurrence.
    rrule: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        Index("ix_activity_contact_id", "contact_id"),
        Index("ix_activity_opportunity_id", "opportunity_id"),
        Index("ix_activity_account_id", "account_id"),
        Index("ix_activity_owner_due", "owner_id", "due_at"),
        Index("ix_activity_cadence_run", "cadence_run"),
        # Meetings and no-shows of a period (the SLA figures; revision 0015): done ones only,
        # so a rep's open follow-ups (My day, reminders) keep to the owner's index.
        Index("ix_activity_kind_done_at", "kind", "done_at", sqlite_where=text("done_at IS NOT NULL"),
              postgresql_where=text("done_at IS NOT NULL")),
        # Reminders still to fire (never shown for this due_at, or snoozed): the per-minute
        # check reads only these, however many old open activities a rep has.
        Index("ix_activity_reminder_pending", "owner_id", "due_at",
              sqlite_where=PENDING_REMINDER, postgresql_where=PENDING_REMINDER),
    )
