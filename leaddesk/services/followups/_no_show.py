"""No-show recovery: a missed meeting gets one reschedule task for its owner.

The task's id is derived from the meeting's (UUIDv5), so completing the meeting as a no-show
again, or on two laptops of the same rep that later sync, still makes a single task.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.orm import Session

from leaddesk.models import Activity
from leaddesk.models.enums import ActivityKind, ActivityOutcome

NO_SHOW_NAMESPACE = uuid.UUID("0e7b6a52-3f0c-4f7e-9a55-1c4d3b2a9f61")
RESCHEDULE_HOUR = 10


def reschedule_task_id(meeting_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NO_SHOW_NAMESPACE, str(meeting_id))


def next_working_morning(after: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """10:00 local on the first weekday (Monday to Friday) after ``after``'s local day, in UTC."""
    day = after.astimezone(tz).date() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(RESCHEDULE_HOUR), tzinfo=tz).astimezone(dt.timezone.utc)


def add_reschedule_task(s: Session, meeting: Activity, tz: dt.tzinfo) -> Activity | None:
    """In the caller's unit of work: the reschedule task for a meeting done as ``no_show``
    (None for anything else, or when the task exists already, even deleted)."""
    if meeting.kind != ActivityKind.MEETING or meeting.outcome != ActivityOutcome.NO_SHOW:
        return None
    task_id = reschedule_task_id(meeting.id)
    if s.get(Activity, task_id) is not None:
        return None
    task = Activity(id=task_id, kind=ActivityKind.TASK, subject=f"Reschedule: {meeting.subject}"[:300],
                    body="The prospect missed the meeting: reach out to book it again or learn what went wrong.",
                    due_at=next_working_morning(meeting.done_at, tz), owner_id=meeting.owner_id,
                    contact_id=meeting.contact_id, opportunity_id=meeting.opportunity_id,
                    account_id=meeting.account_id)
    s.add(task)
    return task
