"""A record's timeline: the activities of a contact, an opportunity or an account, with who
did (or will do) each one, newest first, capped for accounts with thousands of them.

Order: done activities by when they happened, open ones by when they are due (the same
order as :func:`leaddesk.services.followups.activities.list_activities`), so what is booked
for next week sits above what happened yesterday. ``total`` counts every live activity of
the record so the view can say how many it did not show.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import Activity, User
from leaddesk.models.enums import ActivityKind, ActivityOutcome
from leaddesk.services import settings as team_settings
from leaddesk.services.followups import recurrence
from leaddesk.services.records import as_uuid

DEFAULT_CAP = 200
MAX_CAP = 1000


@dataclass(frozen=True)
class TimelineEntry:
    id: uuid.UUID
    kind: ActivityKind
    subject: str
    body: str | None
    due_at: dt.datetime | None
    done_at: dt.datetime | None
    outcome: ActivityOutcome | None
    owner_id: uuid.UUID | None
    owner_name: str | None
    contact_id: uuid.UUID | None
    opportunity_id: uuid.UUID | None
    account_id: uuid.UUID | None
    #: "step 2 of 5 · New inbound lead" for a cadence step, else ""
    cadence: str = ""
    cadence_run: uuid.UUID | None = None
    #: "weekly on MO" for a recurring activity, else ""
    repeat: str = ""

    @property
    def when(self) -> dt.datetime | None:
        return self.done_at or self.due_at

    def is_overdue(self, now: dt.datetime) -> bool:
        """Still open and its due time has passed."""
        return self.done_at is None and self.due_at is not None and self.due_at < now


@dataclass(frozen=True)
class Timeline:
    entries: list[TimelineEntry]
    #: every live activity of the record; more than ``len(entries)`` when capped
    total: int


def load_timeline(db: Database, *, contact_id=None, opportunity_id=None, account_id=None,
                  limit: int = DEFAULT_CAP) -> Timeline:
    """The newest ``limit`` activities (done and scheduled) of exactly one record."""
    given = {k: as_uuid(v, field=k) for k, v in (("contact_id", contact_id), ("opportunity_id", opportunity_id),
                                                  ("account_id", account_id)) if v is not None}
    if len(given) != 1:
        raise ValidationError("A timeline belongs to one contact, one opportunity or one account.")
    (key, ident), = given.items()
    limit = max(1, min(int(limit), MAX_CAP))
    live = (Activity.deleted.is_(False), getattr(Activity, key) == ident)
    when = func.coalesce(Activity.done_at, Activity.due_at, Activity.created_at)
    stmt = (select(Activity.id, Activity.kind, Activity.subject, Activity.body, Activity.due_at, Activity.done_at,
                   Activity.outcome, Activity.owner_id, User.name.label("owner_name"), Activity.contact_id,
                   Activity.opportunity_id, Activity.account_id, Activity.cadence_key, Activity.cadence_run,
                   Activity.cadence_step, Activity.rrule)
            .outerjoin(User, User.id == Activity.owner_id)
            .where(*live).order_by(when.desc(), Activity.id.desc()).limit(limit))
    with db.reader() as s:
        rows = s.execute(stmt).all()
        runs = sorted({r.cadence_run for r in rows if r.cadence_run is not None})
        steps = dict(s.execute(select(Activity.cadence_run, func.count()).where(Activity.cadence_run.in_(runs))
                               .group_by(Activity.cadence_run)).all()) if runs else {}
        names = {t["key"]: t["name"] for t in team_settings.read_in(s, "cadences")["cadences"]} if runs else {}
        entries = [_entry(r, steps, names) for r in rows]
        total = len(entries) if len(entries) < limit else s.scalar(select(func.count()).where(*live))
    return Timeline(entries, int(total))


def _entry(row, steps: dict, names: dict) -> TimelineEntry:
    values = row._asdict()
    key, step, rule = values.pop("cadence_key"), values.pop("cadence_step"), values.pop("rrule")
    run = values["cadence_run"]
    cadence = cadence_label(step, steps.get(run, 0), names.get(key, key)) if run is not None else ""
    return TimelineEntry(**values, cadence=cadence, repeat=recurrence.describe(rule))


def cadence_label(step: int | None, total: int, name: str | None) -> str:
    return f"step {step} of {total} · {name}"
