"""Service levels on leads: time to first touch and attempts in the first days.

The clock of a lead starts at its assignment to a rep (``assigned_at``) or, before any, at
its capture (``captured_at``; a lead with neither starts when it was created). It must be
touched (its first *attempt*, see :mod:`leaddesk.services.followups.activities`) within
the minutes set for its source (team setting ``sla_first_touch_by_source``) or else
``sla_first_touch_minutes``; and it should get at least ``sla_first_week_calls`` attempts
in its first ``sla_attempt_days`` days. Leads are contacts in the stages lead, IQL, MQL and
SQL; nurtured, disqualified leads and customers have no clock.

:func:`lead_sla` is one lead's state (what a timer shows); :func:`breaches` lists untouched
leads past their due time, set-based (one query for a rep or the whole team, the most
overdue first); :func:`rep_figures` gives managers speed-to-lead and persistence per rep
(with meetings and no-shows, :func:`rep_meetings`); :func:`breach_counts` counts open
breaches per rep; :func:`account_meeting_figures` is an account's meetings and no-shows.

Whose figures: the per-rep reads (:func:`rep_figures`, :func:`rep_meetings`,
:func:`rep_persistence`, :func:`breach_counts`) follow the access subject
(``db.write.subject``): a rep gets only her own row, a manager her team's, an admin (or no
subject: a single-user install, the command line) everyone's. (The row filter alone would
not do: a rep reads her team's contacts.) Unassigned leads are nobody's row; their breach
count (owner None) is shown to all, as the pool is.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, true

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import Activity, Contact, User, access
from leaddesk.models.enums import ActivityKind, ActivityOutcome, LeadSource, LifecycleStage
from leaddesk.services import settings as team_settings
from leaddesk.services.followups._speed import add_speeds, lead_minutes, percentile
from leaddesk.services.followups.activities import ATTEMPT_OUTCOMES, OUTREACH_KINDS
from leaddesk.services.records import as_uuid, get_row

S = LifecycleStage
CLOCKED_STAGES = tuple(S(x) for x in team_settings.SLA_CLOCKED_STAGES)
#: The others, for a NOT IN filter: most contacts are in a clocked stage, and SQLite reads
#: them faster in one table scan than through the stage index one by one.
UNCLOCKED_STAGES = tuple(x for x in S if x not in CLOCKED_STAGES)
_KEYS = ("sla_first_touch_minutes", "sla_first_touch_by_source", "sla_first_week_calls", "sla_attempt_days")


@dataclass(frozen=True)
class SlaRules:
    """The team's targets, read once per query."""

    default_minutes: int
    minutes_by_source: dict[str, int]
    min_attempts: int
    attempt_days: int

    def minutes_for(self, source) -> int:
        return team_settings.first_touch_minutes({"sla_first_touch_minutes": self.default_minutes,
                                                  "sla_first_touch_by_source": self.minutes_by_source}, source)


def rules_in(session) -> SlaRules:
    values = team_settings.read_in(session, *_KEYS)
    return SlaRules(values["sla_first_touch_minutes"], dict(values["sla_first_touch_by_source"] or {}),
                    values["sla_first_week_calls"], values["sla_attempt_days"])


@dataclass(frozen=True)
class LeadSla:
    """One lead's service level at ``now``. ``due_at`` is None when the lead has no clock."""

    contact_id: uuid.UUID
    source: str | None
    started_at: dt.datetime | None
    target_minutes: int
    due_at: dt.datetime | None
    first_touch_at: dt.datetime | None
    now: dt.datetime
    attempts: int
    min_attempts: int
    attempt_days: int

    @property
    def touched(self) -> bool:
        return self.first_touch_at is not None

    @property
    def breached(self) -> bool:
        """Touched late, or untouched past the due time."""
        if self.due_at is None:
            return False
        return (self.first_touch_at or self.now) > self.due_at

    @property
    def remaining(self) -> dt.timedelta | None:
        """Time left to the first touch (negative: breached by); None once touched or unclocked."""
        if self.due_at is None or self.touched:
            return None
        return self.due_at - self.now

    @property
    def attempts_window_open(self) -> bool:
        return self.started_at is not None and self.now < self.started_at + dt.timedelta(days=self.attempt_days)

    @property
    def attempts_short(self) -> bool:
        """The first days are over and the lead got fewer attempts than the minimum."""
        return self.started_at is not None and not self.attempts_window_open and self.attempts < self.min_attempts


@dataclass(frozen=True)
class Breach:
    contact_id: uuid.UUID
    display_name: str
    owner_id: uuid.UUID | None
    source: str | None
    started_at: dt.datetime
    due_at: dt.datetime
    overdue: dt.timedelta


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def _now(now: dt.datetime | None) -> dt.datetime:
    if now is not None and now.tzinfo is None:
        raise ValidationError("now must carry a time zone.", field="now")
    return _utc(now) or dt.datetime.now(dt.timezone.utc)


def _start(c) -> dt.datetime | None:
    return _utc(c.assigned_at or c.captured_at or c.created_at)


_ATTEMPT = and_(Activity.deleted.is_(False), Activity.done_at.is_not(None),
                Activity.kind.in_(list(OUTREACH_KINDS)), Activity.outcome.in_(list(ATTEMPT_OUTCOMES)))


def lead_sla(db: Database, contact_id, *, now: dt.datetime | None = None) -> LeadSla:
    """The lead's first-touch clock and its attempts so far in the first days."""
    now = _now(now)
    with db.reader() as s:
        c = get_row(s, Contact, as_uuid(contact_id, field="contact_id"))
        rules = rules_in(s)
        start = _start(c)
        clocked = c.lifecycle_stage in CLOCKED_STAGES and start is not None
        done = [_utc(d) for d in s.scalars(select(Activity.done_at).where(_ATTEMPT, Activity.contact_id == c.id))]
    attempts = 0
    if start is not None:
        end = start + dt.timedelta(days=rules.attempt_days)
        attempts = sum(1 for d in done if start <= d < end)
    minutes = rules.minutes_for(c.source)
    return LeadSla(c.id, c.source.value if c.source else None, start, minutes,
                   start + dt.timedelta(minutes=minutes) if clocked else None, _utc(c.first_touch_at), now,
                   attempts, rules.min_attempts, rules.attempt_days)


_START = func.coalesce(Contact.assigned_at, Contact.captured_at, Contact.created_at)


def _breached(rules: SlaRules, now: dt.datetime) -> tuple:
    """WHERE clauses of "untouched and past its source's due time" (a cut-off per source)."""
    listed = [LeadSource(src) for src in rules.minutes_by_source if src in {m.value for m in LeadSource}]
    per_source = [and_(Contact.source == src, _START <= now - dt.timedelta(minutes=rules.minutes_for(src)))
                  for src in listed]
    others = and_(or_(Contact.source.is_(None), Contact.source.not_in(listed)),
                  _START <= now - dt.timedelta(minutes=rules.default_minutes))
    return (Contact.deleted.is_(False), Contact.first_touch_at.is_(None),
            Contact.lifecycle_stage.not_in(UNCLOCKED_STAGES), or_(others, *per_source))


def owner_scope(session, owner_column):
    """The owners whose figures the session's subject may see, as a WHERE clause."""
    subject = session.info.get("subject")
    if subject is None or subject.is_admin:
        return true()
    if subject.role == access.MANAGER:
        return owner_column.in_(sorted(subject.team))
    return owner_column == subject.user_id


def breach_counts(db: Database, *, now: dt.datetime | None = None) -> dict[uuid.UUID | None, int]:
    """Open breaches per owner (None: unassigned leads), for the managers' figures."""
    now = _now(now)
    with db.reader() as s:
        rules = rules_in(s)
        # grouped by an expression, not the column: SQLite would otherwise walk the owner
        # index and fetch each row from the table (about twice as slow as one scan)
        owner = func.coalesce(Contact.owner_id, None).label("owner")
        rows = s.execute(select(owner, func.count())
                         .where(*_breached(rules, now), or_(Contact.owner_id.is_(None), owner_scope(s, Contact.owner_id)))
                         .group_by(owner)).all()
    return {owner: n for owner, n in rows}


def unassigned_overdue(db: Database, *, now: dt.datetime | None = None) -> int:
    """Leads in a clocked stage, untouched and still without a rep, captured longer ago than
    the team's ``sla_assign_hours`` (the assignment SLA)."""
    now = _now(now)
    with db.reader() as s:
        hours = team_settings.read_in(s, "sla_assign_hours")["sla_assign_hours"]
        captured = func.coalesce(Contact.captured_at, Contact.created_at)
        return s.scalar(select(func.count()).select_from(Contact).where(
            Contact.deleted.is_(False), Contact.owner_id.is_(None), Contact.first_touch_at.is_(None),
            Contact.lifecycle_stage.not_in(UNCLOCKED_STAGES), captured <= now - dt.timedelta(hours=hours))) or 0


def breaches(db: Database, *, owner_id=None, now: dt.datetime | None = None, limit: int = 200) -> list[Breach]:
    """Untouched leads past their first-touch due time, the most overdue first.

    ``owner_id`` None: the whole team's (a manager's view), else one rep's. One query: a
    lead breaches when its clock started before ``now`` minus its source's target, written
    as one condition per source with its own cut-off (no date arithmetic in SQL)."""
    now = _now(now)
    with db.reader() as s:
        rules = rules_in(s)
        stmt = (select(Contact.id, Contact.display_name, Contact.owner_id, Contact.source, Contact.assigned_at,
                       Contact.captured_at, Contact.created_at)
                .where(*_breached(rules, now)).order_by(_START, Contact.id))
        if owner_id is not None:
            stmt = stmt.where(Contact.owner_id == as_uuid(owner_id, field="owner_id"))
        # oldest clocks first; a short target can make a younger lead more overdue, so read
        # a margin beyond the limit and order exactly here
        rows = s.execute(stmt.limit(max(1, int(limit)) * 2 + 50)).all()
    out = []
    for r in rows:
        begun = _start(r)
        due = begun + dt.timedelta(minutes=rules.minutes_for(r.source))
        out.append(Breach(r.id, r.display_name, r.owner_id, r.source.value if r.source else None, begun, due,
                          now - due))
    out.sort(key=lambda b: (-b.overdue, b.contact_id))
    return out[:max(1, int(limit))]


def breaches_first(db: Database, owner_id, *, now: dt.datetime | None = None, limit: int = 50) -> list[Breach]:
    """For My day: the rep's own breaches, most overdue first (call before the agenda)."""
    return breaches(db, owner_id=owner_id, now=now, limit=limit)


@dataclass(frozen=True)
class RepFigures:
    """One rep's figures over leads whose clock started in the period."""

    owner_id: uuid.UUID
    name: str
    leads: int
    touched: int
    median_minutes: float | None
    p90_minutes: float | None
    within_sla: int
    avg_attempts: float | None
    met_minimum: int | None  # None: persistence not read
    judged: int | None  # leads whose first days are over (persistence is judged on them)
    meetings: int | None  # done meetings held or missed (None: not read)
    no_shows: int | None

    @property
    def within_sla_share(self) -> float | None:
        return self.within_sla / self.leads if self.leads else None

    @property
    def met_minimum_share(self) -> float | None:
        return self.met_minimum / self.judged if self.judged and self.met_minimum is not None else None


CHUNK = 900  # ids per IN list (well under every engine's parameter limit)


def _attempt_times(s, contact_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dt.datetime]]:
    """Done attempts of these contacts, read by the contact index a chunk at a time."""
    out: dict[uuid.UUID, list[dt.datetime]] = defaultdict(list)
    for i in range(0, len(contact_ids), CHUNK):
        chunk = contact_ids[i:i + CHUNK]
        for contact_id, done in s.execute(select(Activity.contact_id, Activity.done_at)
                                          .where(Activity.contact_id.in_(chunk), _ATTEMPT)):
            out[contact_id].append(_utc(done))
    return out


def rep_meetings(db: Database, *, since: dt.datetime, until: dt.datetime | None = None) -> dict:
    """``{owner_id: (meetings, no_shows)}``: meetings done in ``[since, until)`` that were
    held (``completed``) or missed (``no_show``), per activity owner. (A scan of the
    activities: the slower half of the figures screen, read after the first rows.)"""
    since, until = _now(since), _now(until)
    with db.reader() as s:
        rows = s.execute(select(Activity.owner_id, Activity.outcome, func.count())
                         .where(Activity.deleted.is_(False), Activity.kind == ActivityKind.MEETING,
                                Activity.done_at >= since, Activity.done_at < until,
                                Activity.outcome.in_([ActivityOutcome.COMPLETED, ActivityOutcome.NO_SHOW]),
                                owner_scope(s, Activity.owner_id))
                         .group_by(Activity.owner_id, Activity.outcome)).all()
    meet: dict = defaultdict(lambda: [0, 0])
    for owner, outcome, n in rows:
        meet[owner][0] += n
        meet[owner][1] += n if outcome == ActivityOutcome.NO_SHOW else 0
    return {owner: tuple(v) for owner, v in meet.items()}


def rep_figures(db: Database, *, since: dt.datetime, until: dt.datetime | None = None,
                meetings: bool = True, attempts: bool = True) -> list[RepFigures]:
    """Speed-to-lead (minutes from clock start to first touch: median, 90th percentile,
    share within the source's target) and persistence (attempts in the first days, over
    leads whose first days are over by ``until``; share meeting the minimum) per owning rep,
    over leads whose clock started in ``[since, until)``; with each rep's meetings and
    no-shows in the period (:func:`rep_meetings`; ``meetings=False`` leaves them None, for a
    screen that shows the first rows before reading them; ``attempts=False`` likewise leaves
    the persistence fields None: speed-to-lead alone reads only the contacts). Reps with no
    lead in the period are left out. Sorted by name."""
    since, until = _now(since), _now(until)
    with db.reader() as s:
        rules = rules_in(s)
        period = (Contact.deleted.is_(False), Contact.owner_id.is_not(None), _START >= since, _START < until,
                  owner_scope(s, Contact.owner_id))
        window = dt.timedelta(days=rules.attempt_days)
        if attempts:
            leads = s.execute(select(Contact.id, Contact.owner_id, Contact.source, Contact.assigned_at,
                                     Contact.captured_at, Contact.created_at, Contact.first_touch_at)
                              .where(*period)).all()
            judged = [r.id for r in leads if _start(r) + window <= until]
            by_contact = _attempt_times(s, judged)
        else:  # speed-to-lead only: minutes from the database, no row objects
            speeds = lead_minutes(s, _START, period)
            leads, by_contact = (), None
        names = dict(s.execute(select(User.id, User.name)).all())
    meet = rep_meetings(db, since=since, until=until) if meetings else None
    acc: dict = defaultdict(lambda: {"leads": 0, "speeds": [], "within": 0, "attempts": [], "met": 0})
    if not attempts:
        add_speeds(acc, speeds, rules.minutes_for)
    for r in leads:
        a = acc[r.owner_id]
        begun = _start(r)
        a["leads"] += 1
        touch = _utc(r.first_touch_at)
        if touch is not None:
            minutes = max(0.0, (touch - begun).total_seconds() / 60)
            a["speeds"].append(minutes)
            a["within"] += minutes <= rules.minutes_for(r.source)
        if by_contact is not None and begun + window <= until:
            n = sum(1 for d in by_contact.get(r.id, ()) if begun <= d < begun + window)
            a["attempts"].append(n)
            a["met"] += n >= rules.min_attempts
    out = []
    for owner, a in acc.items():
        held, missed = (None, None) if meet is None else meet.get(owner, (0, 0))
        tries = a["attempts"]
        met, judged_n = (a["met"], len(tries)) if by_contact is not None else (None, None)
        out.append(RepFigures(owner, names.get(owner, "?"), a["leads"], len(a["speeds"]), percentile(a["speeds"], 50),
                              percentile(a["speeds"], 90), a["within"],
                              sum(tries) / len(tries) if tries else None, met, judged_n, held, missed))
    return sorted(out, key=lambda f: (f.name.casefold(), str(f.owner_id)))


def rep_persistence(db: Database, *, since: dt.datetime, until: dt.datetime | None = None) -> dict:
    """``{owner_id: (average attempts, leads that met the minimum, leads judged)}``: the
    persistence half of :func:`rep_figures`, for a screen that showed speed-to-lead first."""
    return {f.owner_id: (f.avg_attempts, f.met_minimum, f.judged)
            for f in rep_figures(db, since=since, until=until, meetings=False)}


@dataclass(frozen=True)
class AccountMeetings:
    account_id: uuid.UUID
    meetings: int  # done meetings that were held or missed
    no_shows: int

    @property
    def no_show_share(self) -> float | None:
        return self.no_shows / self.meetings if self.meetings else None


def account_meeting_figures(db: Database, account_id, *, since: dt.datetime | None = None) -> AccountMeetings:
    """An account's meetings held or missed (``no_show``), all time or from ``since``."""
    account_id = as_uuid(account_id, field="account_id")
    stmt = (select(Activity.outcome, func.count())
            .where(Activity.deleted.is_(False), Activity.account_id == account_id,
                   Activity.kind == ActivityKind.MEETING,
                   Activity.outcome.in_([ActivityOutcome.COMPLETED, ActivityOutcome.NO_SHOW]))
            .group_by(Activity.outcome))
    if since is not None:
        stmt = stmt.where(Activity.done_at >= _now(since))
    with db.reader() as s:
        counts = dict(s.execute(stmt).all())
    missed = counts.get(ActivityOutcome.NO_SHOW, 0)
    return AccountMeetings(account_id, missed + counts.get(ActivityOutcome.COMPLETED, 0), missed)
