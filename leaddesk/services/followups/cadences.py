"""Cadences: a team's series of follow-up steps applied to leads.

A cadence *template* is team configuration (setting ``cadences``; see
``settings.clean_cadences``). Applying one to a lead is a *run*: one activity per step,
marked with the template's key, the run's id and the step's number (``activity.cadence_*``,
revision 0011). The same cadence applied twice to one lead is two runs, but never while
one is open (an open run is one with an open step).

Timing: a step is due ``day`` days after the start (calendar days, or working days
Monday-Friday when asked) at its ``time`` (default 09:00) in the rep's zone, stored UTC.
When a step is completed late, the run's later open steps move by the delay (wall-clock
time in the rep's zone, so 09:00 stays 09:00 across DST).

A run stops (open steps: outcome ``cancelled``, done, with the reason added to the body)
when, after the run started:

* the lead replied: an engagement of kind ``email_reply`` was recorded. (An activity has
  no direction, so a logged call or e-mail does not tell that the lead reached out: it
  does not stop the run.)
* the lead qualified (its stage moved to MQL, SQL, opportunity or customer) or was
  disqualified (a lifecycle event to that stage);
* a person stopped it (:func:`stop_cadence`).

The checks for replies and stage changes live here, not in the services that record them
(those packages sit below follow-ups): :func:`settle_runs` applies them, and applying a
cadence or completing a step settles the lead's runs first. The UI settles the leads it
shows (timeline) in its worker, and the day's reads (My day, ``leaddesk agenda``) settle the
rep's leads first with one set-based query (:func:`stale_contacts`, :func:`settle_owner`), so
a stopped run's steps never show as due.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from leaddesk.db import Database
from leaddesk.errors import NotFound, ValidationError
from leaddesk.models import Activity, Contact, EngagementEvent, LifecycleEvent
from leaddesk.models.enums import ActivityKind, ActivityOutcome, EngagementKind, LifecycleStage
from leaddesk.services import settings as team_settings
from leaddesk.services.followups import agenda
from leaddesk.services.records import as_uuid

UTC = dt.timezone.utc
DEFAULT_TIME = dt.time(9, 0)
QUALIFIED = (LifecycleStage.MQL, LifecycleStage.SQL, LifecycleStage.OPPORTUNITY, LifecycleStage.CUSTOMER)


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    steps: tuple[dict, ...]


@dataclass(frozen=True)
class PlannedStep:
    number: int
    kind: str
    subject: str
    due_at: dt.datetime  #: UTC


@dataclass(frozen=True)
class Stopped:
    run: uuid.UUID
    contact_id: uuid.UUID | None
    reason: str
    cancelled: int


def templates(db: Database) -> list[Template]:
    return [Template(t["key"], t["name"], tuple(t["steps"])) for t in team_settings.get_setting(db, "cadences")]


def template(db: Database, key: str) -> Template:
    for t in templates(db):
        if t.key == key:
            return t
    raise ValidationError(f"There is no cadence '{key}' (a manager sets cadences up in the team settings).",
                          field="cadence_key")


def _add_days(day: dt.date, days: int, working_days: bool) -> dt.date:
    if not working_days:
        return day + dt.timedelta(days=days)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def plan(tpl: Template, start: dt.datetime, tz: dt.tzinfo, *, working_days: bool = False) -> list[PlannedStep]:
    """The steps of ``tpl`` started at ``start``, with their due times (UTC)."""
    first = start.astimezone(tz).date()
    out = []
    for n, step in enumerate(tpl.steps, 1):
        at = dt.time.fromisoformat(step["time"]) if step.get("time") else DEFAULT_TIME
        local = dt.datetime.combine(_add_days(first, step["day"], working_days), at, tzinfo=tz)
        out.append(PlannedStep(n, step["kind"], step["subject"], local.astimezone(UTC)))
    return out


def _open_runs(s: Session, contact_ids: Iterable[uuid.UUID], key: str | None = None) -> dict:
    """{run: (contact_id, key, started)} of the runs with an open step."""
    stmt = (select(Activity.cadence_run, Activity.contact_id, Activity.cadence_key)
            .where(Activity.cadence_run.is_not(None), Activity.done_at.is_(None), Activity.deleted.is_(False),
                   Activity.contact_id.in_(list(contact_ids))))
    if key is not None:
        stmt = stmt.where(Activity.cadence_key == key)
    runs = {r.cadence_run: (r.contact_id, r.cadence_key) for r in s.execute(stmt)}
    if not runs:
        return {}
    started = dict(s.execute(select(Activity.cadence_run, func.min(Activity.created_at))
                             .where(Activity.cadence_run.in_(list(runs))).group_by(Activity.cadence_run)).all())
    return {run: (cid, k, started[run]) for run, (cid, k) in runs.items()}


def apply_cadence(db: Database, cadence_key: str, contact_ids: Iterable, *, start: dt.datetime | None = None,
                  tz: dt.tzinfo | None = None, working_days: bool = False) -> dict[uuid.UUID, uuid.UUID]:
    """Start the cadence on each lead, in one unit of work: {contact_id: run id}.

    Each step is owned by the lead's owner (else the acting user). A lead that already has
    an open run of this cadence is refused (ValidationError naming it; nothing written)."""
    tpl = template(db, cadence_key)
    tz = tz or agenda.zone()
    start = (start or dt.datetime.now(UTC)).astimezone(UTC)
    ids = list(dict.fromkeys(as_uuid(c, field="contact_ids") for c in contact_ids))
    if not ids:
        raise ValidationError("Choose the leads to apply the cadence to.", field="contact_ids")
    steps = plan(tpl, start, tz, working_days=working_days)
    with db.unit_of_work() as s:
        leads = {c.id: c for c in s.scalars(select(Contact).where(Contact.id.in_(ids), Contact.deleted.is_(False)))}
        missing = [i for i in ids if i not in leads]
        if missing:
            raise NotFound("contact", missing[0])
        settle_in(s, ids)
        busy = {v[0] for v in _open_runs(s, ids, cadence_key).values()}
        if busy:
            names = ", ".join(sorted(leads[c].display_name or "?" for c in busy))
            raise ValidationError(f"'{tpl.name}' is already running for {names}: stop that run first.",
                                  field="contact_ids")
        actor = s.info["write"].actor_id
        runs = {}
        for cid in ids:
            lead, run = leads[cid], uuid.uuid4()
            runs[cid] = run
            for st in steps:
                s.add(Activity(kind=ActivityKind(st.kind), subject=st.subject, due_at=st.due_at, contact_id=cid,
                               account_id=lead.account_id, owner_id=lead.owner_id or actor,
                               cadence_key=tpl.key, cadence_run=run, cadence_step=st.number))
        s.flush()
        return runs


def _cancel(s: Session, run: uuid.UUID, reason: str, at: dt.datetime) -> int:
    rows = s.scalars(select(Activity).where(Activity.cadence_run == run, Activity.done_at.is_(None),
                                            Activity.deleted.is_(False))).all()
    for act in rows:
        act.outcome, act.done_at = ActivityOutcome.CANCELLED, at
        note = f"Cadence stopped: {reason}"
        act.body = f"{act.body}\n\n{note}" if act.body else note
    s.flush()
    return len(rows)


def stop_cadence(db: Database, run_id, reason: str, *, now: dt.datetime | None = None) -> Stopped:
    """Stop a run by hand: its open steps are cancelled with ``reason``."""
    run = as_uuid(run_id, field="run_id")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the cadence stops.", field="reason")
    now = (now or dt.datetime.now(UTC)).astimezone(UTC)
    with db.unit_of_work() as s:
        contact = s.scalar(select(Activity.contact_id).where(Activity.cadence_run == run).limit(1))
        if contact is None:
            raise NotFound("cadence run", run)
        return Stopped(run, contact, reason, _cancel(s, run, reason, now))


def _why_stop(s: Session, contact_id: uuid.UUID, started: dt.datetime) -> tuple[str, dt.datetime] | None:
    reply = s.scalar(select(func.min(EngagementEvent.occurred_at)).where(
        EngagementEvent.contact_id == contact_id, EngagementEvent.kind == EngagementKind.EMAIL_REPLY,
        EngagementEvent.deleted.is_(False), EngagementEvent.occurred_at >= started))
    moved = s.execute(select(LifecycleEvent.to_stage, LifecycleEvent.at).where(
        LifecycleEvent.contact_id == contact_id, LifecycleEvent.at >= started,
        LifecycleEvent.to_stage.in_([*QUALIFIED, LifecycleStage.DISQUALIFIED]))
        .order_by(LifecycleEvent.at).limit(1)).first()
    found = []
    if reply is not None:
        found.append((reply, "the lead replied"))
    if moved is not None:
        what = "disqualified" if moved.to_stage == LifecycleStage.DISQUALIFIED else f"qualified ({moved.to_stage.value})"
        found.append((moved.at, f"the lead was {what}"))
    if not found:
        return None
    at, reason = min(found)
    return reason, at


def settle_in(s: Session, contact_ids: Iterable[uuid.UUID]) -> list[Stopped]:
    """:func:`settle_runs` in the caller's write session."""
    out = []
    for run, (cid, _key, started) in _open_runs(s, contact_ids).items():
        why = _why_stop(s, cid, started)
        if why is not None:
            out.append(Stopped(run, cid, why[0], _cancel(s, run, why[0], why[1])))
    return out


def settle_runs(db: Database, contact_ids: Iterable) -> list[Stopped]:
    """Stop the open runs of these leads that replied, qualified or were disqualified after
    the run started (the open steps are cancelled as of that moment)."""
    ids = [as_uuid(c, field="contact_ids") for c in contact_ids]
    with db.reader() as s:
        if not _open_runs(s, ids):
            return []
    with db.unit_of_work() as s:
        return settle_in(s, ids)


def stale_contacts(s: Session, owner_id: uuid.UUID) -> list[uuid.UUID]:
    """The leads with an open cadence step owned by ``owner_id`` whose run a reply, a
    qualification or a disqualification after its start has ended: one query (the owner's
    open steps by the ``(owner_id, due_at)`` index, their runs' starts, two EXISTS)."""
    mine = select(Activity.cadence_run).where(
        Activity.owner_id == owner_id, Activity.cadence_run.is_not(None), Activity.done_at.is_(None),
        Activity.deleted.is_(False))
    runs = (select(Activity.contact_id.label("cid"), func.min(Activity.created_at).label("started"))
            .where(Activity.cadence_run.in_(mine), Activity.contact_id.is_not(None))
            .group_by(Activity.cadence_run, Activity.contact_id).subquery())
    replied = select(EngagementEvent.id).where(
        EngagementEvent.contact_id == runs.c.cid, EngagementEvent.kind == EngagementKind.EMAIL_REPLY,
        EngagementEvent.deleted.is_(False), EngagementEvent.occurred_at >= runs.c.started).exists()
    moved = select(LifecycleEvent.id).where(
        LifecycleEvent.contact_id == runs.c.cid, LifecycleEvent.at >= runs.c.started,
        LifecycleEvent.to_stage.in_([*QUALIFIED, LifecycleStage.DISQUALIFIED])).exists()
    return list(s.scalars(select(runs.c.cid).where(or_(replied, moved)).distinct()))


def has_stale(db: Database, owner_id) -> bool:
    """Whether :func:`settle_owner` has anything to stop (a read only)."""
    with db.reader() as s:
        return bool(stale_contacts(s, as_uuid(owner_id, field="owner_id")))


def settle_owner(db: Database, owner_id) -> list[Stopped]:
    """Before the rep's day is listed: stop the runs of her leads that replied, qualified or
    were disqualified. A read when nothing is stale (the usual case); else one unit of work."""
    owner = as_uuid(owner_id, field="owner_id")
    with db.reader() as s:
        if not stale_contacts(s, owner):
            return []
    with db.unit_of_work() as s:
        return settle_in(s, stale_contacts(s, owner))


def shift_later_steps(s: Session, act: Activity, tz: dt.tzinfo) -> int:
    """After ``act`` (a step) was completed late, move the run's later open steps by the
    delay, on the wall clock of ``tz``. Returns how many moved."""
    if act.cadence_run is None or act.due_at is None or act.done_at is None or act.done_at <= act.due_at:
        return 0
    delay = act.done_at - act.due_at
    later = s.scalars(select(Activity).where(
        Activity.cadence_run == act.cadence_run, Activity.done_at.is_(None), Activity.deleted.is_(False),
        Activity.cadence_step > (act.cadence_step or 0), Activity.due_at.is_not(None))).all()
    for step in later:
        local = step.due_at.astimezone(tz).replace(tzinfo=None) + delay
        step.due_at = local.replace(tzinfo=tz).astimezone(UTC)
    return len(later)


def run_steps(db: Database, contact_id) -> dict[uuid.UUID, tuple[str, int]]:
    """{run: (cadence name, number of steps)} of the lead's runs, for "step 2 of 5 · name"."""
    cid = as_uuid(contact_id, field="contact_id")
    names = {t.key: t.name for t in templates(db)}
    with db.reader() as s:
        rows = s.execute(select(Activity.cadence_run, Activity.cadence_key, func.count())
                         .where(Activity.contact_id == cid, Activity.cadence_run.is_not(None))
                         .group_by(Activity.cadence_run, Activity.cadence_key)).all()
    return {r[0]: (names.get(r[1], r[1]), r[2]) for r in rows}

