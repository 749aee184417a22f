"""A rep's day in their time zone: what is overdue, what is due today, what comes next.

The day is the rep's *local* day: "today" runs from local midnight to the next local
midnight in the rep's zone (an IANA name such as ``Europe/Berlin``; by default the zone of
this machine), so a day with a DST change is 23 or 25 hours long. Times are stored in UTC;
the bounds are computed in the zone and turned into UTC once, so the database compares
plain UTC instants and can use the ``(owner_id, due_at)`` index.

* **overdue**: open (not done, not deleted) and due before now, most overdue first;
* **today**: open and due from now to the end of the local day;
* **upcoming**: open and due in the next ``days`` local days after today.

Two queries (overdue; today and upcoming), each joining the linked contact, account and
opportunity names and, for a cadence step, its run's number of steps (a correlated count on
the ``cadence_run`` index), so the list needs no further look-ups however long it is; a step
reads "step 2 of 5 · New inbound lead" like the timeline's (:func:`timeline.cadence_label`).
Cadence runs a reply or stage change ended are settled by the callers that list the day
(:func:`leaddesk.services.followups.my_day.my_day`, ``leaddesk agenda``) before they read.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import Account, Activity, Contact, Opportunity, User
from leaddesk.models.enums import ActivityKind
from leaddesk.services import settings as team_settings
from leaddesk.services.followups.timeline import cadence_label
from leaddesk.services.records import as_uuid

UTC = dt.timezone.utc
#: At most this many rows per bucket: a screenful and more (a rep with thousands of overdue
#: items sees the oldest 200; the rest come as the first ones are dealt with).
DEFAULT_LIMIT = 200


def zone(name: str | None = None) -> dt.tzinfo:
    """The IANA zone ``name``, or this machine's local zone (``$TZ``, then the
    ``/etc/localtime`` link, then the current fixed offset as a last resort)."""
    if name is not None:
        text = str(name).strip()
        try:
            return ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError(f"'{text}' is not a time zone name (use an IANA name such as Europe/Berlin).",
                                  field="tz") from exc
    return local_zone()


def local_zone() -> dt.tzinfo:
    env = os.environ.get("TZ", "").lstrip(":").strip()
    if env:
        try:
            return ZoneInfo(env)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            return ZoneInfo(target.split("zoneinfo/", 1)[1])
    except (OSError, ZoneInfoNotFoundError, ValueError):
        pass
    return dt.datetime.now().astimezone().tzinfo or UTC


def zone_name(tz: dt.tzinfo) -> str:
    return getattr(tz, "key", None) or str(tz)


def local_midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The UTC instant local ``day`` starts at in ``tz``. Where DST skips midnight (Santiago,
    early September: 00:00 -> 01:00) that is the moment of the jump (``fold=0`` takes the
    offset before the gap, PEP 495); where midnight happens twice, the first one."""
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(UTC)


def overdue_text(due: dt.datetime, now: dt.datetime) -> str:
    """"overdue by 25 min", "overdue by 3 h 10 min", "overdue by 2 days"."""
    minutes = int((now - due).total_seconds() // 60)
    if minutes < 60:
        return f"overdue by {max(minutes, 1)} min"
    if minutes < 24 * 60:
        h, m = divmod(minutes, 60)
        return f"overdue by {h} h {m} min" if m else f"overdue by {h} h"
    days = minutes // (24 * 60)
    return f"overdue by {days} day{'s' if days != 1 else ''}"


@dataclass(frozen=True)
class AgendaItem:
    id: uuid.UUID
    kind: ActivityKind
    subject: str
    due_at: dt.datetime            #: UTC
    local_due: dt.datetime         #: the same instant in the rep's zone
    duration_minutes: int | None
    contact_id: uuid.UUID | None
    contact: str | None
    account_id: uuid.UUID | None
    account: str | None
    opportunity_id: uuid.UUID | None
    opportunity: str | None
    overdue: str | None            #: "overdue by ..." or None
    version: int
    #: "step 2 of 5 · New inbound lead" for a cadence step, else ""
    cadence: str = ""

    def as_dict(self) -> dict:
        return {"id": str(self.id), "kind": self.kind.value, "subject": self.subject,
                "due_at": self.due_at.isoformat(), "local_due": self.local_due.isoformat(),
                "duration_minutes": self.duration_minutes, "contact": self.contact, "account": self.account,
                "opportunity": self.opportunity, "overdue": self.overdue, "cadence": self.cadence}


@dataclass(frozen=True)
class Agenda:
    owner_id: uuid.UUID
    zone: str
    day: dt.date                   #: the rep's local date
    now: dt.datetime
    overdue: list[AgendaItem]
    today: list[AgendaItem]
    upcoming: list[AgendaItem]

    def as_dict(self) -> dict:
        return {"owner_id": str(self.owner_id), "zone": self.zone, "day": self.day.isoformat(),
                "now": self.now.isoformat(), "overdue": [i.as_dict() for i in self.overdue],
                "today": [i.as_dict() for i in self.today], "upcoming": [i.as_dict() for i in self.upcoming]}


def _columns():
    sibling = aliased(Activity)
    steps = (select(func.count()).where(sibling.cadence_run == Activity.cadence_run)
             .correlate(Activity).scalar_subquery())
    return (Activity.id, Activity.kind, Activity.subject, Activity.due_at, Activity.duration_minutes,
            Activity.contact_id, Contact.display_name.label("contact"), Activity.account_id,
            Account.name.label("account"), Activity.opportunity_id, Opportunity.name.label("opportunity"),
            Activity.version, Activity.cadence_key, Activity.cadence_step, steps.label("cadence_steps"))


def _stmt(owner_id: uuid.UUID):
    return (select(*_columns())
            .outerjoin(Contact, and_(Contact.id == Activity.contact_id, Contact.deleted.is_(False)))
            .outerjoin(Account, and_(Account.id == Activity.account_id, Account.deleted.is_(False)))
            .outerjoin(Opportunity, and_(Opportunity.id == Activity.opportunity_id, Opportunity.deleted.is_(False)))
            .where(Activity.owner_id == owner_id, Activity.deleted.is_(False), Activity.done_at.is_(None)))


def user_id_by_email(db: Database, email: str) -> uuid.UUID:
    """The live user with this e-mail (matched case-insensitively)."""
    wanted = (email or "").strip().lower()
    with db.reader() as s:
        found = s.scalar(select(User.id).where(User.email_normalized == wanted, User.deleted.is_(False)))
    if found is None:
        raise ValidationError(f"No user has the e-mail '{email}'.", field="user")
    return found


def resolve_owner(db: Database, email: str | None) -> uuid.UUID:
    """The user ``email`` names, else the user this installation acts as."""
    if email:
        return user_id_by_email(db, email)
    if db.write.actor_id is None:
        raise ValidationError("This database has no user yet: run `leaddesk init` or name one with --user.",
                              field="user")
    return db.write.actor_id


def day_agenda(db: Database, owner_id, *, tz: dt.tzinfo | str | None = None, now: dt.datetime | None = None,
               days: int = 7, limit: int = DEFAULT_LIMIT) -> Agenda:
    """``owner_id``'s open activities: overdue, due today and due in the next ``days`` days,
    in the rep's zone ``tz`` (a tzinfo or an IANA name; default: this machine's zone)."""
    owner = as_uuid(owner_id, field="owner_id")
    tzinfo = tz if isinstance(tz, dt.tzinfo) else zone(tz)
    if now is not None and now.tzinfo is None:
        raise ValidationError("Now must have a time zone.", field="now")
    now = (now or dt.datetime.now(UTC)).astimezone(UTC)
    if days < 0 or limit < 1:
        raise ValidationError("Days must be 0 or more and the limit 1 or more.", field="days")
    today = now.astimezone(tzinfo).date()
    end_today = local_midnight(today + dt.timedelta(days=1), tzinfo)
    end_upcoming = local_midnight(today + dt.timedelta(days=1 + days), tzinfo)
    base = _stmt(owner)
    with db.reader() as s:
        late = s.execute(base.where(Activity.due_at < now)
                         .order_by(Activity.due_at, Activity.id).limit(limit)).all()
        ahead = s.execute(base.where(Activity.due_at >= now, Activity.due_at < end_upcoming)
                          .order_by(Activity.due_at, Activity.id).limit(2 * limit)).all()
        keyed = any(r.cadence_key for r in (*late, *ahead))
        names = {c["key"]: c["name"] for c in team_settings.read_in(s, "cadences")["cadences"]} if keyed else {}

    def cadence(r) -> str:
        if not r.cadence_key:
            return ""
        return cadence_label(r.cadence_step, r.cadence_steps, names.get(r.cadence_key, r.cadence_key))

    def item(r, overdue: bool) -> AgendaItem:
        return AgendaItem(id=r.id, kind=r.kind, subject=r.subject, due_at=r.due_at,
                          local_due=r.due_at.astimezone(tzinfo), duration_minutes=r.duration_minutes,
                          contact_id=r.contact_id, contact=r.contact, account_id=r.account_id, account=r.account,
                          opportunity_id=r.opportunity_id, opportunity=r.opportunity,
                          overdue=overdue_text(r.due_at, now) if overdue else None, version=r.version,
                          cadence=cadence(r))

    return Agenda(owner_id=owner, zone=zone_name(tzinfo), day=today, now=now,
                  overdue=[item(r, True) for r in late],
                  today=[item(r, False) for r in ahead if r.due_at < end_today][:limit],
                  upcoming=[item(r, False) for r in ahead if r.due_at >= end_today][:limit])
