"""A rep's follow-ups as an RFC 5545 calendar (``.ics``), made with the icalendar library.

Each scheduled activity becomes one component whose ``UID`` is ``<activity id>@leaddesk``
and whose ``SEQUENCE`` is the row's ``version``: exporting again after a change gives the
same UID with a higher SEQUENCE, so a calendar app that imports or subscribes to the file
updates the entry instead of adding a second one.

* calls, e-mails and meetings are ``VEVENT`` from ``due_at`` for ``duration_minutes``
  (default: 60 for a meeting, 15 for a call or an e-mail);
* tasks are ``VTODO`` with ``DUE``: a task has a deadline, not a slot in the day, and only
  a to-do can say ``STATUS:COMPLETED`` with the time it was done (``COMPLETED``), which
  is what lets Thunderbird, Apple Reminders, Evolution and Outlook tick it off. (Google
  Calendar ignores to-dos in imported files; its users see calls and meetings.)
* status: open events ``CONFIRMED``, open to-dos ``NEEDS-ACTION``; a done task
  ``COMPLETED``; a deleted activity, or a call/meeting done as ``cancelled`` or
  ``rescheduled`` (the slot did not take place), ``CANCELLED``, so calendar apps drop it;
  any other done call or meeting stays ``CONFIRMED`` (it happened) with its outcome in the
  description.

Times are written in UTC (``...Z``); ``DTSTAMP`` is the export time and ``LAST-MODIFIED``
the row's ``updated_at``.

A recurring activity (``activity.rrule``) that is still open carries its ``RRULE`` so the
calendar shows the series from this occurrence on. The app evaluates a rule on the wall
clock of the rep's zone (``recurrence``: "Mondays 9:00" stays 9:00 across DST), so such a
component is written in that zone (``DTSTART;TZID=Europe/Berlin``, with its ``VTIMEZONE`` as
yearly rules, ``_vtimezone``)
and a stored ``UNTIL`` (local, as the rep typed it) becomes the UTC instant RFC 5545 asks for,
with the same end as the app's own evaluation (a date means local midnight starting that
day). Completing an occurrence makes a new activity for the next one (a new UID, with the
rule); the done one is exported without it, so the series never shows twice. Done activities are exported for ``keep_days`` after they were done
and deleted ones for ``keep_days`` after their deletion (their last change), so that the next
import ticks them off or drops them; older ones are left out.
"""

from __future__ import annotations

import datetime as dt
import uuid

from icalendar import Calendar, Event, Todo, vRecur
from sqlalchemy import and_, or_, select

from leaddesk.db import Database
from leaddesk.models import Account, Activity, Contact, ContactEmail, Opportunity, User
from leaddesk.models.enums import ActivityKind, ActivityOutcome
from leaddesk.services.followups import agenda
from leaddesk.services.followups._vtimezone import vtimezone
from leaddesk.services.records import as_uuid

UTC = dt.timezone.utc
PRODID = "-//LeadDesk//LeadDesk follow-ups//EN"
UID_DOMAIN = "leaddesk"
DEFAULT_MINUTES = {ActivityKind.MEETING: 60, ActivityKind.CALL: 15, ActivityKind.EMAIL: 15}
KEEP_DAYS = 90
_DROPPED_OUTCOMES = frozenset({ActivityOutcome.CANCELLED, ActivityOutcome.RESCHEDULED})


def uid_of(activity_id: uuid.UUID) -> str:
    """The stable calendar UID of an activity."""
    return f"{activity_id}@{UID_DOMAIN}"


def status_of(kind: ActivityKind, done_at, outcome, deleted: bool) -> str:
    """The RFC 5545 STATUS an activity is exported with (see the module's notes)."""
    todo = kind == ActivityKind.TASK
    if deleted:
        return "CANCELLED"
    if done_at is None:
        return "NEEDS-ACTION" if todo else "CONFIRMED"
    if todo:
        return "COMPLETED"
    return "CANCELLED" if outcome in _DROPPED_OUTCOMES else "CONFIRMED"


def _rows(db: Database, owner: uuid.UUID, since: dt.datetime):
    first_email = (select(ContactEmail.address).where(ContactEmail.contact_id == Activity.contact_id,
                                                      ContactEmail.deleted.is_(False))
                   .order_by(ContactEmail.position).limit(1).scalar_subquery())
    stmt = (select(Activity.id, Activity.kind, Activity.subject, Activity.body, Activity.due_at, Activity.done_at,
                   Activity.duration_minutes, Activity.outcome, Activity.version, Activity.deleted,
                   Activity.updated_at, Activity.created_at, Activity.rrule, Contact.display_name.label("contact"),
                   first_email.label("contact_email"), Account.name.label("account"),
                   Opportunity.name.label("opportunity"))
            .outerjoin(Contact, and_(Contact.id == Activity.contact_id, Contact.deleted.is_(False)))
            .outerjoin(Account, and_(Account.id == Activity.account_id, Account.deleted.is_(False)))
            .outerjoin(Opportunity, and_(Opportunity.id == Activity.opportunity_id, Opportunity.deleted.is_(False)))
            .where(Activity.owner_id == owner, Activity.due_at.is_not(None), Activity.kind != ActivityKind.NOTE,
                   or_(and_(Activity.deleted.is_(False), Activity.done_at.is_(None)),
                       and_(Activity.deleted.is_(False), Activity.done_at >= since),
                       and_(Activity.deleted.is_(True), Activity.updated_at >= since)))
            .order_by(Activity.due_at, Activity.id))
    with db.reader() as s:
        user = s.execute(select(User.name, User.email).where(User.id == owner)).first()
        return user, s.execute(stmt).all()


def _description(r) -> str:
    lines = []
    if r.body:
        lines += [r.body, ""]
    if r.contact:
        lines.append(f"Contact: {r.contact}" + (f" <{r.contact_email}>" if r.contact_email else ""))
    if r.account:
        lines.append(f"Account: {r.account}")
    if r.opportunity:
        lines.append(f"Opportunity: {r.opportunity}")
    lines.append(f"Kind: {r.kind.value}")
    if r.done_at is not None and r.outcome is not None:
        lines.append(f"Done: {r.outcome.value.replace('_', ' ')}")
    return "\n".join(lines).strip()


def recurrence_of(rule: str, tz: dt.tzinfo) -> vRecur:
    """The stored rule as an RRULE for a component whose DTSTART is in ``tz`` (a local
    ``UNTIL`` made a UTC instant, as RFC 5545 requires)."""
    recur = vRecur.from_ical(rule)
    untils = recur.get("UNTIL")
    if untils:
        until = untils[0]
        if not isinstance(until, dt.datetime):
            until = dt.datetime.combine(until, dt.time())
        if until.tzinfo is None:
            until = until.replace(tzinfo=tz)
        recur["UNTIL"] = [until.astimezone(UTC)]
    return recur


def _zone_of(tz: dt.tzinfo) -> dt.tzinfo:
    """``tz`` when it is a named zone a VTIMEZONE can be written for, else UTC."""
    name = getattr(tz, "key", None)
    return tz if name and name not in ("UTC", "Etc/UTC") else UTC


def _component(r, stamp: dt.datetime, tz: dt.tzinfo = UTC):
    todo = r.kind == ActivityKind.TASK
    recurring = bool(r.rrule) and r.done_at is None and not r.deleted
    zone = tz if recurring else UTC
    comp = Todo() if todo else Event()
    comp.add("uid", uid_of(r.id))
    comp.add("dtstamp", stamp)
    comp.add("sequence", r.version)
    comp.add("created", r.created_at.astimezone(UTC))
    comp.add("last-modified", r.updated_at.astimezone(UTC))
    comp.add("summary", r.subject)
    comp.add("description", _description(r))
    comp.add("categories", [r.kind.value.upper()])
    due = r.due_at.astimezone(zone)
    if recurring:
        comp.add("rrule", recurrence_of(r.rrule, zone))
    if todo:
        comp.add("dtstart", due)
        comp.add("due", due)
        if r.done_at is not None:
            comp.add("completed", r.done_at.astimezone(UTC))
            comp.add("percent-complete", 100)
    else:
        minutes = r.duration_minutes or DEFAULT_MINUTES.get(r.kind, 30)
        comp.add("dtstart", due)
        comp.add("dtend", due + dt.timedelta(minutes=minutes))
        comp.add("transp", "OPAQUE")
    comp.add("status", status_of(r.kind, r.done_at, r.outcome, r.deleted))
    return comp


def export_calendar(db: Database, owner_id, *, now: dt.datetime | None = None, keep_days: int = KEEP_DAYS,
                    tz: dt.tzinfo | str | None = None) -> bytes:
    """The ``.ics`` text (UTF-8, CRLF lines) of ``owner_id``'s scheduled activities: every
    open one, and those done or deleted in the last ``keep_days`` days (marked so calendar
    apps tick them off or drop them). Open recurring ones carry their RRULE in the rep's
    zone ``tz`` (a tzinfo or an IANA name; default: this machine's)."""
    zone = _zone_of(tz if isinstance(tz, dt.tzinfo) else agenda.zone(tz))
    owner = as_uuid(owner_id, field="owner_id")
    stamp = (now or dt.datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    user, rows = _rows(db, owner, stamp - dt.timedelta(days=keep_days))
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"LeadDesk: {user.name}" if user else "LeadDesk")
    series = [r for r in rows if r.rrule and r.done_at is None and not r.deleted]
    if zone is not UTC and series:
        first = min(r.due_at for r in series).astimezone(zone).year
        cal.add_component(vtimezone(zone, zone.key, first))
    for r in rows:
        cal.add_component(_component(r, stamp, zone))
    return cal.to_ical()
