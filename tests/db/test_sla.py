"""SLA clocks per source, breaches, attempts in the first days, per-rep speed-to-lead and
persistence on a constructed history, and no-show recovery (a controllable clock: every
call takes ``now``)."""

from __future__ import annotations

import datetime as dt

import pytest

from leaddesk.errors import ValidationError
from leaddesk.models import Activity, Contact
from leaddesk.models.enums import ActivityKind
from leaddesk.services import settings as team_settings
from leaddesk.services.followups import activities as a
from leaddesk.services.followups import sla
from leaddesk.services.people import accounts, contacts
from leaddesk.services.team import users

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
MIN = dt.timedelta(minutes=1)


def _lead(db, name, *, source=None, start=T0, owner=None, stage="lead"):
    c = contacts.create_contact(db, given_name=name, lifecycle_stage=stage)
    with db.unit_of_work() as s:
        row = s.get(Contact, c.id)
        row.source, row.captured_at = source, start
        row.owner_id, row.assigned_at = (owner, start) if owner else (None, None)
    return c.id


def _call(db, contact_id, at, outcome="no_answer", owner=None):
    return a.log_activity(db, "call", "Call", contact_id=contact_id, done_at=at, outcome=outcome, owner_id=owner,
                          now=at)


def test_settings_take_minutes_per_source_and_refuse_nonsense(db):
    assert team_settings.get_setting(db, "sla_first_touch_by_source")["web_form"] == 5
    stored = team_settings.set_setting(db, "sla_first_touch_by_source", {"Web_Form": "10", "trade_show": 1440})
    assert stored == {"trade_show": 1440, "web_form": 10}
    for bad in ({"fax": 5}, {"web_form": -1}, {"web_form": "soon"}, ["web_form"], {"web_form": True}):
        with pytest.raises(ValidationError) as err:
            team_settings.set_setting(db, "sla_first_touch_by_source", bad)
        assert err.value.field == "sla_first_touch_by_source"
    assert team_settings.get_setting(db, "sla_first_touch_by_source") == stored


def test_due_time_depends_on_the_source(db):
    web = _lead(db, "Web", source="web_form")
    fair = _lead(db, "Fair", source="trade_show")
    other = _lead(db, "Other", source="referral")
    team_settings.set_setting(db, "sla_first_touch_minutes", 60)
    now = T0 + 3 * MIN
    web_sla, fair_sla, other_sla = (sla.lead_sla(db, c, now=now) for c in (web, fair, other))
    assert web_sla.due_at == T0 + 5 * MIN and web_sla.remaining == 2 * MIN and not web_sla.breached
    assert fair_sla.due_at == T0 + dt.timedelta(hours=24)
    assert other_sla.due_at == T0 + 60 * MIN
    later = sla.lead_sla(db, web, now=T0 + 2 * dt.timedelta(hours=1))
    assert later.breached and later.remaining == -(2 * dt.timedelta(hours=1) - 5 * MIN)


def test_a_touch_stops_the_clock_and_a_late_one_stays_a_breach(db):
    quick, late = _lead(db, "Quick", source="web_form"), _lead(db, "Late", source="web_form")
    _call(db, quick, T0 + 4 * MIN)
    _call(db, late, T0 + 30 * MIN)
    now = T0 + dt.timedelta(hours=5)
    q, lt = sla.lead_sla(db, quick, now=now), sla.lead_sla(db, late, now=now)
    assert (q.touched, q.breached, q.remaining) == (True, False, None)
    assert (lt.touched, lt.breached) == (True, True)
    assert sla.breaches(db, now=now) == []  # the list is of leads still waiting


def test_breaches_list_the_most_overdue_first_per_rep_or_team(db):
    rep = users.create_user(db, "Rita Rep", "rita@example.com")
    other = users.create_user(db, "Otto Other", "otto@example.com")
    web = _lead(db, "Web", source="web_form", start=T0 + 50 * MIN, owner=rep.id)  # due 9:55
    fair = _lead(db, "Fair", source="trade_show", start=T0, owner=rep.id)  # due tomorrow
    ref = _lead(db, "Ref", source="referral", start=T0 + 5 * MIN, owner=other.id)  # default 5: due 9:10
    _lead(db, "Nurtured", source="web_form", owner=rep.id, stage="nurture")
    now = T0 + dt.timedelta(hours=2)
    team = sla.breaches(db, now=now)
    assert [b.contact_id for b in team] == [ref, web]
    assert team[0].overdue == now - (T0 + 10 * MIN)
    assert [b.contact_id for b in sla.breaches(db, owner_id=rep.id, now=now)] == [web]
    assert [b.display_name for b in sla.breaches_first(db, rep.id, now=now)] == ["Web"]
    assert fair not in {b.contact_id for b in sla.breaches(db, now=T0 + dt.timedelta(hours=23))}
    assert fair in {b.contact_id for b in sla.breaches(db, now=T0 + dt.timedelta(hours=25))}
    assert len(sla.breaches(db, now=now, limit=1)) == 1


def test_attempts_in_the_first_days_against_the_minimum(db):
    team_settings.set_settings(db, {"sla_first_week_calls": 3, "sla_attempt_days": 2})
    lead = _lead(db, "Lea", source="web_form")
    _call(db, lead, T0 + 2 * MIN, outcome="completed")
    _call(db, lead, T0 + dt.timedelta(days=1))
    a.log_activity(db, "note", "Not an attempt", contact_id=lead, now=T0 + dt.timedelta(days=1))
    _call(db, lead, T0 + dt.timedelta(days=3))  # after the first two days
    early = sla.lead_sla(db, lead, now=T0 + dt.timedelta(days=1, hours=1))
    assert (early.attempts, early.min_attempts, early.attempts_window_open, early.attempts_short) == (2, 3, True, False)
    after = sla.lead_sla(db, lead, now=T0 + dt.timedelta(days=4))
    assert (after.attempts, after.attempts_short) == (2, True)


def test_rep_figures_on_a_constructed_history(db):
    team_settings.set_settings(db, {"sla_first_week_calls": 2, "sla_attempt_days": 7})
    rita = users.create_user(db, "Rita Rep", "rita@example.com")
    otto = users.create_user(db, "Otto Other", "otto@example.com")
    # Rita: first touches after 2, 10 and 30 minutes (web leads: 5 min target); one untouched
    for i, minutes in enumerate((2, 10, 30)):
        lead = _lead(db, f"R{i}", source="web_form", owner=rita.id)
        _call(db, lead, T0 + minutes * MIN, owner=rita.id)
        if i == 0:
            _call(db, lead, T0 + dt.timedelta(days=2), owner=rita.id)
    _lead(db, "R-untouched", source="web_form", owner=rita.id)
    # Otto: one trade-show lead touched after 20 hours, three attempts
    fair = _lead(db, "O1", source="trade_show", owner=otto.id)
    for hours in (20, 30, 50):
        _call(db, fair, T0 + dt.timedelta(hours=hours), owner=otto.id)
    acme = accounts.create_account(db, name="Acme")
    for subject, outcome in (("Demo", "no_show"), ("Demo 2", "completed")):
        m = a.schedule_activity(db, "meeting", subject, T0 + dt.timedelta(days=1), account_id=acme.id,
                                owner_id=otto.id)
        a.complete_activity(db, m.id, outcome, done_at=T0 + dt.timedelta(days=1), now=T0 + dt.timedelta(days=1),
                            tz="UTC")
    figures = {f.name: f for f in sla.rep_figures(db, since=T0 - dt.timedelta(days=1),
                                                   until=T0 + dt.timedelta(days=10))}
    r, o = figures["Rita Rep"], figures["Otto Other"]
    assert (r.leads, r.touched, r.median_minutes, r.within_sla) == (4, 3, 10, 1)
    assert r.p90_minutes == pytest.approx(26.0)  # 10 + 0.8 * (30 - 10)
    assert (r.judged, r.met_minimum, r.avg_attempts) == (4, 1, 1.0)  # attempts 2, 1, 1, 0
    assert (r.meetings, r.no_shows) == (0, 0)
    assert (o.leads, o.median_minutes, o.within_sla, o.avg_attempts, o.met_minimum) == (1, 1200, 1, 3.0, 1)
    assert (o.meetings, o.no_shows) == (2, 1)
    account = sla.account_meeting_figures(db, acme.id)
    assert (account.meetings, account.no_shows, account.no_show_share) == (2, 1, 0.5)
    assert sla.account_meeting_figures(db, acme.id, since=T0 + dt.timedelta(days=5)).meetings == 0


def test_no_show_creates_one_reschedule_task_for_the_owner(db):
    rep = users.create_user(db, "Rita Rep", "rita@example.com")
    acme = accounts.create_account(db, name="Acme")
    lead = _lead(db, "Lea", source="web_form", owner=rep.id)
    friday = dt.datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    meeting = a.schedule_activity(db, "meeting", "Product demo", friday, contact_id=lead, account_id=acme.id,
                                  owner_id=rep.id)
    done = a.complete_activity(db, meeting.id, "no_show", now=friday + 30 * MIN, tz="Europe/Berlin")
    tasks = [x for x in a.list_activities(db, contact_id=lead) if x.kind == ActivityKind.TASK]
    assert len(tasks) == 1
    task = tasks[0]
    assert task.subject == "Reschedule: Product demo"
    assert (task.owner_id, task.contact_id, task.account_id, task.done_at) == (rep.id, lead, acme.id, None)
    assert task.due_at == dt.datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # Monday 10:00 in Berlin (UTC+1)
    assert contacts.get_contact(db, lead).first_touch_at is None  # a no-show is not an attempt
    # once: completing again is refused, and the task's id is the meeting's, so even a
    # second writer that missed the first task finds it
    with pytest.raises(ValidationError):
        a.complete_activity(db, meeting.id, "no_show", now=friday + 40 * MIN)
    from leaddesk.services.followups import _no_show

    with db.unit_of_work() as s:
        assert _no_show.add_reschedule_task(s, s.get(Activity, done.id), dt.timezone.utc) is None
    assert len([x for x in a.list_activities(db, contact_id=lead) if x.kind == ActivityKind.TASK]) == 1


def test_other_outcomes_and_kinds_make_no_reschedule_task(db):
    lead = _lead(db, "Lea")
    held = a.schedule_activity(db, "meeting", "Demo", T0, contact_id=lead)
    a.complete_activity(db, held.id, "completed", now=T0 + MIN, tz="UTC")
    call = a.schedule_activity(db, "call", "Call", T0, contact_id=lead)
    a.complete_activity(db, call.id, "no_show", now=T0 + MIN, tz="UTC")
    assert [x.kind for x in a.list_activities(db, contact_id=lead)].count(ActivityKind.TASK) == 0
    with pytest.raises(ValidationError) as err:
        a.complete_activity(db, held.id, "no_show", tz="Mars/Base")
    assert err.value.field == "tz"


def test_breach_counts_per_owner(db):
    rep = users.create_user(db, "Rita Rep", "rita@example.com")
    _lead(db, "A", source="web_form", owner=rep.id)
    _lead(db, "B", source="web_form", owner=rep.id)
    _lead(db, "C", source="web_form")
    _lead(db, "D", source="trade_show", owner=rep.id)
    assert sla.breach_counts(db, now=T0 + dt.timedelta(hours=1)) == {rep.id: 2, None: 1}
    assert sla.breach_counts(db, now=T0 + MIN) == {}


def test_unassigned_leads_past_the_assignment_target(db):
    team_settings.set_setting(db, "sla_assign_hours", 4)
    rep = users.create_user(db, "Rita Rep", "rita@example.com")
    _lead(db, "Pool old", source="web_form")
    _lead(db, "Pool new", source="web_form", start=T0 + dt.timedelta(hours=3))
    _lead(db, "Owned", source="web_form", owner=rep.id)
    _lead(db, "Nurtured", source="web_form", stage="nurture")
    assert sla.unassigned_overdue(db, now=T0 + dt.timedelta(hours=5)) == 1
    assert sla.unassigned_overdue(db, now=T0 + dt.timedelta(hours=7, minutes=1)) == 2


def test_speed_to_lead_alone_then_persistence(db):
    rep = users.create_user(db, "Rita Rep", "rita@example.com")
    lead = _lead(db, "L", source="web_form", owner=rep.id)
    _call(db, lead, T0 + 3 * MIN, owner=rep.id)
    window = {"since": T0 - dt.timedelta(days=1), "until": T0 + dt.timedelta(days=8)}
    (quick,) = sla.rep_figures(db, meetings=False, attempts=False, **window)
    assert (quick.median_minutes, quick.within_sla, quick.judged, quick.met_minimum, quick.meetings) == (
        3, 1, None, None, None)
    assert sla.rep_persistence(db, **window) == {rep.id: (1.0, 0, 1)}


def test_speed_to_lead_from_the_database_equals_the_row_by_row_figures(db):
    # the first rows (minutes computed by the database) against the full read (Python dates)
    reps = [users.create_user(db, f"Rep {i}", f"rep{i}@example.com") for i in range(3)]
    delays = {0: (1, 7, 61, None), 1: (0.5, 1441, None), 2: (None,)}
    sources = ("web_form", "trade_show", None, "referral")
    for i, rep in enumerate(reps):
        for j, minutes in enumerate(delays[i]):
            lead = _lead(db, f"L{i}{j}", source=sources[j % 4], owner=rep.id,
                         start=T0 + dt.timedelta(hours=j))
            if minutes is not None:
                _call(db, lead, T0 + dt.timedelta(hours=j, minutes=minutes), owner=rep.id)
    window = {"since": T0 - dt.timedelta(days=1), "until": T0 + dt.timedelta(days=3)}
    full = {f.owner_id: f for f in sla.rep_figures(db, **window)}
    quick = {f.owner_id: f for f in sla.rep_figures(db, meetings=False, attempts=False, **window)}
    assert set(full) == set(quick) == {r.id for r in reps}
    for owner, f in full.items():
        q = quick[owner]
        assert (q.name, q.leads, q.touched, q.within_sla) == (f.name, f.leads, f.touched, f.within_sla)
        for got, want in ((q.median_minutes, f.median_minutes), (q.p90_minutes, f.p90_minutes)):
            assert (got is None and want is None) or got == pytest.approx(want, abs=0.01)
    assert quick[reps[1].id].within_sla == 1  # 30 s on a web lead, 24 h 1 min on a trade-show lead
    assert quick[reps[2].id].touched == 0 and quick[reps[2].id].median_minutes is None
