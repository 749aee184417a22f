"""Reminders that fire at the due time, once per occurrence, also across laptops (issue #13).

The rule, all in UTC instants (a zone only matters for "tomorrow morning"):

* A reminder is **due** when its open activity (not done, not deleted) has ``due_at <= now``
  and either it was never shown for this ``due_at`` (``reminded_for`` is NULL or another
  time: a rescheduled activity fires again) or it was snoozed and the snooze is over
  (``snoozed_until <= now``).
* :func:`mark_shown` records ``reminded_for = due_at`` and clears the snooze: that
  occurrence never fires again. The columns sync field by field like every payload column,
  so once the rep's laptop A has shown a reminder and synced, laptop B does not show it.
* :func:`snooze` records ``reminded_for = due_at`` and ``snoozed_until``: the reminder comes
  back at that instant. A snooze belongs to its occurrence: after a reschedule the new due
  time fires whatever an old snooze said.
* A reminder is **missed** when it should have fired more than :data:`MISSED_AFTER` ago
  (the app was closed, the laptop asleep): the UI groups those at the next start.

Activities are private rows (their owner's), and the check reads only ``owner_id``'s, so a
rep's reminders are her own. The check reads the partial index of pending reminders
(``ix_activity_reminder_pending``), which holds only activities still to fire, so its cost
does not grow with the rep's history.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from leaddesk.db import Database
from leaddesk.errors import PermissionDenied, ValidationError
from leaddesk.models import Account, Activity, Contact, Opportunity
from leaddesk.models.activity import PENDING_REMINDER
from leaddesk.models.enums import ActivityKind
from leaddesk.services.followups.agenda import local_zone
from leaddesk.services.records import Changes, as_uuid, get_row

UTC = dt.timezone.utc
#: A reminder that should have fired longer ago than this was missed (app closed, laptop
#: asleep) rather than late by a tick of the once-a-minute check.
MISSED_AFTER = dt.timedelta(minutes=5)
#: The hour "tomorrow morning" means, in the rep's zone.
MORNING = dt.time(9, 0)
#: At most this many reminders per check (a rep back from holiday gets the latest ones;
#: the rest come at the next checks).
LIMIT = 200
#: The snooze choices the UI offers (besides a custom time).
SNOOZE_CHOICES = ("10min", "1h", "tomorrow")


@dataclass(frozen=True)
class Reminder:
    id: uuid.UUID
    kind: ActivityKind
    subject: str
    due_at: dt.datetime            #: UTC
    fire_at: dt.datetime           #: when it should have fired: due_at, or the snooze's end
    missed: bool                   #: should have fired well before now (the app was closed)
    snoozed: bool                  #: comes back from a snooze
    contact_id: uuid.UUID | None
    contact: str | None
    account_id: uuid.UUID | None
    account: str | None
    opportunity_id: uuid.UUID | None
    opportunity: str | None
    version: int

    @property
    def about(self) -> str | None:
        """Whom or what it is about: "Ana Costa · Acme GmbH"."""
        parts = [p for p in (self.contact, self.opportunity or self.account) if p]
        return " · ".join(parts) or None


def _aware(value, field: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(f"{field.replace('_', ' ').capitalize()} must be a date and time with a time zone.",
                              field=field)
    return value.astimezone(UTC)


def _now(now: dt.datetime | None) -> dt.datetime:
    return dt.datetime.now(UTC) if now is None else _aware(now, "now")


def due_reminders(db: Database, owner_id, now: dt.datetime | None = None, *, limit: int = LIMIT) -> list[Reminder]:
    """``owner_id``'s reminders that should fire at ``now`` (default: the clock), oldest first,
    including those that fell due while the app was closed (``missed``)."""
    owner = as_uuid(owner_id, field="owner_id")
    now = _now(now)
    fires = or_(Activity.reminded_for.is_(None), Activity.reminded_for != Activity.due_at,
                Activity.snoozed_until <= now)
    # The pending ones first, from ``activity`` alone (the index predicate names its columns
    # unqualified), then the names of what they are about.
    pending = (select(Activity.id, Activity.kind, Activity.subject, Activity.due_at, Activity.reminded_for,
                      Activity.snoozed_until, Activity.contact_id, Activity.account_id, Activity.opportunity_id,
                      Activity.version)
               .where(Activity.owner_id == owner, Activity.due_at <= now, PENDING_REMINDER, fires)
               .order_by(Activity.due_at.desc(), Activity.id).limit(max(1, int(limit))).subquery())
    stmt = (select(pending, Contact.display_name.label("contact"), Account.name.label("account"),
                   Opportunity.name.label("opportunity"))
            .outerjoin(Contact, and_(Contact.id == pending.c.contact_id, Contact.deleted.is_(False)))
            .outerjoin(Account, and_(Account.id == pending.c.account_id, Account.deleted.is_(False)))
            .outerjoin(Opportunity, and_(Opportunity.id == pending.c.opportunity_id, Opportunity.deleted.is_(False)))
            .order_by(pending.c.due_at.desc(), pending.c.id))
    with db.reader() as s:
        rows = s.execute(stmt).all()
    out = []
    for r in reversed(rows):  # the latest ``limit`` ones, shown oldest first
        snoozed = r.reminded_for == r.due_at and r.snoozed_until is not None
        fire_at = r.snoozed_until if snoozed else r.due_at
        out.append(Reminder(id=r.id, kind=r.kind, subject=r.subject, due_at=r.due_at, fire_at=fire_at,
                            missed=fire_at < now - MISSED_AFTER, snoozed=snoozed, contact_id=r.contact_id,
                            contact=r.contact, account_id=r.account_id, account=r.account,
                            opportunity_id=r.opportunity_id, opportunity=r.opportunity, version=r.version))
    return out


def _own(s, activity_id, actor_id) -> Activity:
    act = get_row(s, Activity, activity_id)
    if actor_id is not None and act.owner_id not in (None, actor_id):
        raise PermissionDenied("This reminder belongs to another rep's activity.")
    return act


def mark_shown(db: Database, ids, now: dt.datetime | None = None) -> Changes:
    """Record that the reminders of ``ids`` were shown for their current due time (and end
    their snoozes), so they do not fire again, here or on the rep's other laptops. Gone,
    done or not-yet-due activities are skipped (another laptop may have dealt with them)."""
    now = _now(now)
    wanted = [as_uuid(i) for i in ids]
    touched: set[uuid.UUID] = set()
    with db.unit_of_work() as s:
        actor = s.info["write"].actor_id
        rows = s.scalars(select(Activity).where(Activity.id.in_(wanted), Activity.deleted.is_(False),
                                                Activity.done_at.is_(None))).all() if wanted else []
        for act in rows:
            if act.due_at is None or act.due_at > now or (actor is not None and act.owner_id not in (None, actor)):
                continue
            if act.reminded_for != act.due_at or act.snoozed_until is not None:
                act.reminded_for, act.snoozed_until = act.due_at, None
                touched.add(act.id)
        s.flush()
    return Changes(frozenset({"activity"} if touched else ()), frozenset(touched))


def snooze_until(choice, now: dt.datetime | None = None, tz: dt.tzinfo | None = None) -> dt.datetime:
    """The UTC instant a snooze ``choice`` ends: ``"10min"``, ``"1h"``, ``"tomorrow"`` (9:00 on
    the next day in the zone ``tz``, default this machine's zone *now*, so a laptop that moved
    zone gets its new local morning; DST-correct) or an aware datetime (custom)."""
    now = _now(now)
    if isinstance(choice, dt.datetime):
        until = _aware(choice, "until")
    elif choice == "10min":
        until = now + dt.timedelta(minutes=10)
    elif choice == "1h":
        until = now + dt.timedelta(hours=1)
    elif choice == "tomorrow":
        tzinfo = tz or local_zone()
        day = now.astimezone(tzinfo).date() + dt.timedelta(days=1)
        until = dt.datetime.combine(day, MORNING, tzinfo=tzinfo).astimezone(UTC)
    else:
        raise ValidationError(f"'{choice}' is not a snooze choice (use 10min, 1h, tomorrow or a time).",
                              field="until")
    if until <= now:
        raise ValidationError("Snooze until a time in the future.", field="until")
    return until


def snooze(db: Database, activity_id, until, now: dt.datetime | None = None,
           tz: dt.tzinfo | None = None) -> Changes:
    """Snooze the reminder of ``activity_id`` until ``until`` (a choice of
    :func:`snooze_until` or an aware datetime); it fires again then."""
    now = _now(now)
    end = snooze_until(until, now, tz)
    with db.unit_of_work() as s:
        act = _own(s, activity_id, s.info["write"].actor_id)
        if act.done_at is not None:
            raise ValidationError("This activity is already done: there is nothing to snooze.", field="until")
        if act.due_at is None:
            raise ValidationError("This activity has no due time, so no reminder.", field="until")
        act.reminded_for, act.snoozed_until = act.due_at, end
        s.flush()
        return Changes.of("activity", act.id)
