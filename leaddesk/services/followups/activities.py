"""Activities: calls, e-mails, meetings, tasks and notes, logged as done or scheduled.

The touch rule (what speed-to-lead, persistence and the "stalled" marker read):

* An **attempt** is a done call, e-mail or meeting whose outcome is ``completed``,
  ``no_answer`` or ``left_voicemail``: the rep reached out. Attempts count for persistence
  (how many times reps try) and the first one sets the contact's ``first_touch_at``
  (speed-to-lead measures how fast the rep reacted, which is under the team's control,
  whether or not the prospect picked up).
* A **touch** is an attempt that reached the person: outcome ``completed``. Only touches
  move the opportunity's ``last_touch_at``, so a deal nobody answers for still rots.
* ``no_show`` (the prospect missed the meeting), ``rescheduled`` and ``cancelled`` are kept
  on record (reports list no-shows for follow-up) but are neither attempts nor touches.
  Notes and tasks never are.

Logging a done call, e-mail, meeting or task without an outcome records it as ``completed``.
An activity linked to a contact or an opportunity but no account gets their account, so the
account's timeline shows it. Deleting an activity does not roll back touch times.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leaddesk.db import Database
from leaddesk.errors import NotFound, ValidationError
from leaddesk.models import Account, Activity, Contact, Opportunity, User
from leaddesk.models.enums import ActivityKind, ActivityOutcome
from leaddesk.services.people import contacts
from leaddesk.services import validation as v
from leaddesk.services.dto import ActivityDetail
from leaddesk.services.followups import agenda, cadences, recurrence
from leaddesk.services.followups._no_show import add_reschedule_task
from leaddesk.services.records import as_uuid, assign, check_version, get_row, to_dto

K, O = ActivityKind, ActivityOutcome
OUTREACH_KINDS = frozenset({K.CALL, K.EMAIL, K.MEETING})
ATTEMPT_OUTCOMES = frozenset({O.COMPLETED, O.NO_ANSWER, O.LEFT_VOICEMAIL})
TOUCH_OUTCOMES = frozenset({O.COMPLETED})
LINKS = {"contact_id": (Contact, "contact"), "opportunity_id": (Opportunity, "opportunity"),
         "account_id": (Account, "account")}
EDITABLE = ("kind", "subject", "body", "duration_minutes", "owner_id", *LINKS)
_COLUMNS = [getattr(Activity, f) for f in ActivityDetail.__dataclass_fields__]


def is_attempt(kind: ActivityKind, outcome: ActivityOutcome | None) -> bool:
    """A try at reaching the person (counts for persistence and speed-to-lead)."""
    return kind in OUTREACH_KINDS and outcome in ATTEMPT_OUTCOMES


def is_touch(kind: ActivityKind, outcome: ActivityOutcome | None) -> bool:
    """A conversation that happened (moves an opportunity's ``last_touch_at``)."""
    return kind in OUTREACH_KINDS and outcome in TOUCH_OUTCOMES


def _enum(enum_cls, value, field: str, what: str):
    if value is None or isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(str(value).strip().lower())
    except ValueError as exc:
        allowed = ", ".join(m.value for m in enum_cls)
        raise ValidationError(f"'{value}' is not {what} (use one of: {allowed}).", field=field) from exc


def _kind(value) -> ActivityKind:
    if value is None:
        raise ValidationError("Choose what kind of activity this is (call, e-mail, meeting, task or note).",
                              field="kind")
    return _enum(ActivityKind, value, "kind", "an activity kind")


def _outcome(value) -> ActivityOutcome | None:
    return _enum(ActivityOutcome, value, "outcome", "an activity outcome")


def _when(value, field: str, *, required: bool) -> dt.datetime | None:
    label = field.replace("_", " ").capitalize()
    if value is None:
        if required:
            raise ValidationError(f"{label} is required.", field=field)
        return None
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(f"{label} must be a date and time with a time zone.", field=field)
    return value.astimezone(dt.timezone.utc)


def _now(now: dt.datetime | None) -> dt.datetime:
    return (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)


def _clean(data: dict) -> dict:
    unknown = set(data) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"Unknown activity field(s): {', '.join(sorted(unknown))}.")
    out: dict = {}
    if "kind" in data:
        out["kind"] = _kind(data["kind"])
    if "subject" in data:
        out["subject"] = v.clean_text(data["subject"], field="subject", max_len=300, required=True)
    if "body" in data:
        out["body"] = v.clean_text(data["body"], field="body", max_len=20000)
    if "duration_minutes" in data:
        out["duration_minutes"] = v.non_negative_int(data["duration_minutes"], field="duration_minutes")
    for key in ("owner_id", *LINKS):
        if key in data:
            out[key] = as_uuid(data[key], field=key) if data[key] else None
    return out


def _check_links(s: Session, links: dict, new: set[str]) -> dict:
    """Check the ``new`` links exist and are live and that at least one link is set; fill in
    the account from the opportunity or contact when none is given."""
    links = dict(links)
    for key in new:
        model, label = LINKS[key]
        if links.get(key) is not None:
            try:
                get_row(s, model, links[key])
            except NotFound as exc:
                raise ValidationError(f"The chosen {label} does not exist (it may have been deleted).",
                                      field=key) from exc
    if all(links.get(k) is None for k in LINKS):
        raise ValidationError("Link the activity to a contact, an opportunity or an account.", field="contact_id")
    if links.get("account_id") is None:
        for key, model in (("opportunity_id", Opportunity), ("contact_id", Contact)):
            parent = s.get(model, links[key]) if links.get(key) is not None else None
            if parent is not None and parent.account_id is not None:
                links["account_id"] = parent.account_id
                break
    return links


def _check_owner(s: Session, owner_id) -> None:
    if owner_id is not None:
        try:
            get_row(s, User, owner_id)
        except NotFound as exc:
            raise ValidationError("The chosen owner does not exist.", field="owner_id") from exc


def _apply_touch(s: Session, act: Activity) -> None:
    """Move first-touch / last-touch times per the module's touch rule (idempotent)."""
    if act.done_at is None or act.deleted or not is_attempt(act.kind, act.outcome):
        return
    if act.contact_id is not None:
        contacts.record_first_touch(s, act.contact_id, act.done_at)
    if act.opportunity_id is not None and is_touch(act.kind, act.outcome):
        opp = s.get(Opportunity, act.opportunity_id)
        if opp is not None and (opp.last_touch_at is None or act.done_at > opp.last_touch_at):
            opp.last_touch_at = act.done_at


def _create_in(s: Session, values: dict) -> ActivityDetail:
    values.update(_check_links(s, {k: values.get(k) for k in LINKS}, set(LINKS)))
    _check_owner(s, values.get("owner_id"))
    values["owner_id"] = values.get("owner_id") or s.info["write"].actor_id
    act = Activity(**values)
    s.add(act)
    s.flush()
    _apply_touch(s, act)
    s.flush()
    return to_dto(act, ActivityDetail)


def log_activity(db: Database, kind, subject: str, **data) -> ActivityDetail:
    """Record something that happened (default: just now). See the module's touch rule and
    :func:`log_activity_in` for the fields."""
    with db.unit_of_work() as s:
        return log_activity_in(s, kind, subject, **data)


def log_activity_in(s: Session, kind, subject: str, *, contact_id=None, opportunity_id=None, account_id=None,
                    body: str | None = None, done_at: dt.datetime | None = None, outcome=None,
                    duration_minutes: int | None = None, owner_id=None,
                    now: dt.datetime | None = None) -> ActivityDetail:
    """:func:`log_activity` in the caller's write session."""
    values = _clean({"kind": kind, "subject": subject, "body": body, "duration_minutes": duration_minutes,
                     "owner_id": owner_id, "contact_id": contact_id, "opportunity_id": opportunity_id,
                     "account_id": account_id})
    now = _now(now)
    done = _when(done_at, "done_at", required=False) or now
    if done > now + dt.timedelta(minutes=5):
        raise ValidationError("Done at is in the future: schedule the activity instead.", field="done_at")
    outcome = _outcome(outcome)
    if values["kind"] == K.NOTE and outcome is not None:
        raise ValidationError("A note has no outcome.", field="outcome")
    if values["kind"] != K.NOTE and outcome is None:
        outcome = O.COMPLETED
    return _create_in(s, {**values, "done_at": done, "outcome": outcome})


def schedule_activity(db: Database, kind, subject: str, due_at: dt.datetime, **data) -> ActivityDetail:
    """A follow-up or meeting planned for ``due_at`` (a reminder until completed); with an
    ``rrule`` (RFC 5545) it recurs: completing it schedules the next occurrence."""
    with db.unit_of_work() as s:
        return schedule_activity_in(s, kind, subject, due_at, **data)


def schedule_activity_in(s: Session, kind, subject: str, due_at: dt.datetime, *, contact_id=None,
                         opportunity_id=None, account_id=None, body: str | None = None,
                         duration_minutes: int | None = None, owner_id=None,
                         rrule: str | None = None) -> ActivityDetail:
    """:func:`schedule_activity` in the caller's write session."""
    values = _clean({"kind": kind, "subject": subject, "body": body, "duration_minutes": duration_minutes,
                     "owner_id": owner_id, "contact_id": contact_id, "opportunity_id": opportunity_id,
                     "account_id": account_id})
    if values["kind"] == K.NOTE:
        raise ValidationError("A note is written, not scheduled: log it, or schedule a task.", field="kind")
    return _create_in(s, {**values, "due_at": _when(due_at, "due_at", required=True),
                          "rrule": recurrence.clean_rrule(rrule)})


def _recur(s: Session, act: Activity, tz: dt.tzinfo) -> None:
    """The next occurrence of a recurring activity just completed (after its due time, or
    after when it was done if that was later)."""
    nxt = recurrence.next_occurrence(act.rrule, act.due_at, tz, after=act.done_at) if act.due_at else None
    if nxt is not None:
        s.add(Activity(kind=act.kind, subject=act.subject, due_at=nxt, duration_minutes=act.duration_minutes,
                       contact_id=act.contact_id, opportunity_id=act.opportunity_id, account_id=act.account_id,
                       owner_id=act.owner_id, rrule=act.rrule))


def _open_activity(s: Session, activity_id, expected_version) -> Activity:
    act = get_row(s, Activity, activity_id)
    check_version(act, expected_version)
    if act.done_at is not None:
        raise ValidationError("This activity is already done.", field="done_at")
    return act


def complete_activity(db: Database, activity_id, outcome, *, done_at: dt.datetime | None = None,
                      note: str | None = None, expected_version: int | None = None,
                      now: dt.datetime | None = None, tz: dt.tzinfo | str | None = None) -> ActivityDetail:
    """Mark a scheduled activity done with its ``outcome`` (``note`` is added to the body).

    A cadence step done late moves the run's later open steps by the delay, and a recurring
    activity schedules its next occurrence, both on the wall clock of the rep's zone ``tz``
    (default this machine's); see ``cadences`` and ``recurrence``.

    ``no_show`` keeps the missed meeting on record without counting it as an attempt or a
    touch; see the module's touch rule for the others. A meeting done as ``no_show`` also
    gets, in the same transaction, one task "Reschedule: <subject>" for its owner, due
    10:00 on the next working day in zone ``tz`` (default: this machine's), linked to the
    same records.
    """
    outcome = _outcome(outcome)
    if outcome is None:
        raise ValidationError("Say how it went (the outcome).", field="outcome")
    note = v.clean_text(note, field="note", max_len=20000)
    now = _now(now)
    done = _when(done_at, "done_at", required=False) or now
    zone = tz if isinstance(tz, dt.tzinfo) else agenda.zone(tz)
    with db.unit_of_work() as s:
        act = _open_activity(s, activity_id, expected_version)
        act.done_at, act.outcome = done, outcome
        if note:
            act.body = f"{act.body}\n\n{note}" if act.body else note
        s.flush()
        _apply_touch(s, act)
        if outcome == O.NO_SHOW:
            add_reschedule_task(s, act, zone)
        if act.cadence_run is not None or act.rrule:
            cadences.shift_later_steps(s, act, zone)
            if act.rrule:
                _recur(s, act, zone)
            if act.contact_id is not None:
                cadences.settle_in(s, [act.contact_id])
        s.flush()
        return to_dto(act, ActivityDetail)


def reschedule_activity(db: Database, activity_id, due_at: dt.datetime, *,
                        expected_version: int | None = None) -> ActivityDetail:
    due = _when(due_at, "due_at", required=True)
    with db.unit_of_work() as s:
        act = _open_activity(s, activity_id, expected_version)
        if assign(act, {"due_at": due}):
            s.flush()
        return to_dto(act, ActivityDetail)


def update_activity(db: Database, activity_id, *, expected_version: int | None = None, **data) -> ActivityDetail:
    """Edit kind, subject, body, duration, owner or links. Times and outcomes change through
    :func:`complete_activity` and :func:`reschedule_activity`."""
    values = _clean(data)
    with db.unit_of_work() as s:
        act = get_row(s, Activity, activity_id)
        check_version(act, expected_version)
        new_links = {k for k in LINKS if k in values}
        if new_links:
            values.update(_check_links(s, {k: values.get(k, getattr(act, k)) for k in LINKS}, new_links))
        _check_owner(s, values.get("owner_id"))
        if values.get("kind") == K.NOTE and act.kind != K.NOTE and (act.outcome or act.due_at):
            raise ValidationError("A scheduled or completed activity cannot become a note.", field="kind")
        if assign(act, values):
            s.flush()
            _apply_touch(s, act)
            s.flush()
        return to_dto(act, ActivityDetail)


def get_activity(db: Database, activity_id, *, include_deleted: bool = False) -> ActivityDetail:
    with db.reader() as s:
        return to_dto(get_row(s, Activity, activity_id, include_deleted=include_deleted), ActivityDetail)


def _set_deleted(db: Database, activity_id, deleted: bool, expected_version: int | None) -> ActivityDetail:
    with db.unit_of_work() as s:
        act = get_row(s, Activity, activity_id, include_deleted=not deleted)
        check_version(act, expected_version)
        if assign(act, {"deleted": deleted}):
            s.flush()
        return to_dto(act, ActivityDetail)


def delete_activity(db: Database, activity_id, *, expected_version: int | None = None) -> ActivityDetail:
    return _set_deleted(db, activity_id, True, expected_version)


def restore_activity(db: Database, activity_id, *, expected_version: int | None = None) -> ActivityDetail:
    return _set_deleted(db, activity_id, False, expected_version)


def list_activities(db: Database, *, contact_id=None, opportunity_id=None, account_id=None, owner_id=None,
                    open_only: bool = False, limit: int = 200) -> list[ActivityDetail]:
    """A timeline, newest first (done ones by when they happened, open ones by when due)."""
    stmt = select(*_COLUMNS).where(Activity.deleted.is_(False))
    for key, value in (("contact_id", contact_id), ("opportunity_id", opportunity_id),
                       ("account_id", account_id), ("owner_id", owner_id)):
        if value is not None:
            stmt = stmt.where(getattr(Activity, key) == as_uuid(value, field=key))
    if open_only:
        stmt = stmt.where(Activity.done_at.is_(None))
    when = func.coalesce(Activity.done_at, Activity.due_at, Activity.created_at)
    stmt = stmt.order_by(when.desc(), Activity.id.desc()).limit(max(1, int(limit)))
    with db.reader() as s:
        return [ActivityDetail(**r._asdict()) for r in s.execute(stmt)]


def due_activities(db: Database, owner_id: uuid.UUID | None, until: dt.datetime) -> list[ActivityDetail]:
    """Open activities due by ``until`` for reminders, most overdue first (all owners if None)."""
    until = _when(until, "until", required=True)
    stmt = select(*_COLUMNS).where(Activity.deleted.is_(False), Activity.done_at.is_(None),
                                   Activity.due_at.is_not(None), Activity.due_at <= until)
    if owner_id is not None:
        stmt = stmt.where(Activity.owner_id == as_uuid(owner_id, field="owner_id"))
    with db.reader() as s:
        return [ActivityDetail(**r._asdict()) for r in s.execute(stmt.order_by(Activity.due_at, Activity.id))]
