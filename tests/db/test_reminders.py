"""Reminders (services/followups/reminders.py) with a controlled clock on both engines: due and
overdue, once per occurrence, snooze and its choices, missed while the app was closed,
rescheduling re-arms, DST boundaries in Europe/Berlin, a zone change between checks, and
that a rep sees only her own."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from leaddesk.errors import ValidationError
from leaddesk.models.enums import Role
from leaddesk.services.followups import activities as a
from leaddesk.services.followups import reminders as r
from leaddesk.services.people import accounts, contacts
from leaddesk.services.team import users

UTC = dt.timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def at(y, mo, d, h=0, mi=0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=UTC)


@pytest.fixture
def rita(db, make_db):
    """Rita's own installation (acting as her) with a contact at Acme."""
    rep = users.create_user(db, "Rita Rep", "rita@example.com", role=Role.REP)
    acme = accounts.create_account(db, name="Acme Logistics")
    lea = contacts.create_contact(db, given_name="Lea", family_name="Lang", account_id=acme.id)
    mine = make_db(actor_id=rep.id)
    return mine, rep.id, lea.id


def plan(rita, subject, due, **kw):
    db, owner, lea = rita
    return a.schedule_activity(db, "call", subject, due, contact_id=lea, owner_id=kw.pop("owner_id", owner), **kw)


def subjects(reminders):
    return [x.subject for x in reminders]


def test_fires_at_the_due_time_once_and_names_the_record(rita):
    db, owner, _ = rita
    due = at(2026, 6, 10, 8, 0)
    plan(rita, "Call Lea back", due)
    plan(rita, "Later", due + dt.timedelta(hours=2))
    assert r.due_reminders(db, owner, due - dt.timedelta(seconds=1)) == []
    [rem] = r.due_reminders(db, owner, due)
    assert (rem.subject, rem.due_at, rem.fire_at, rem.missed, rem.snoozed) == ("Call Lea back", due, due, False, False)
    assert rem.about == "Lea Lang · Acme Logistics"
    assert subjects(r.due_reminders(db, owner, due + dt.timedelta(minutes=1))) == ["Call Lea back"]  # not yet shown
    changes = r.mark_shown(db, [rem.id], due + dt.timedelta(minutes=1))
    assert changes.ids == frozenset({rem.id})
    assert r.due_reminders(db, owner, due + dt.timedelta(minutes=2)) == []
    # overdue, but shown: never again (only "Later", due since, fires)
    assert subjects(r.due_reminders(db, owner, due + dt.timedelta(days=3))) == ["Later"]
    assert r.mark_shown(db, [rem.id], due + dt.timedelta(minutes=3)).ids == frozenset()  # idempotent


def test_done_deleted_and_other_reps_activities_never_fire(rita, db):
    mine, owner, _ = rita
    due = at(2026, 6, 10, 8, 0)
    done = plan(rita, "Done", due)
    a.complete_activity(mine, done.id, "completed", now=due - dt.timedelta(minutes=5))
    gone = plan(rita, "Deleted", due)
    a.delete_activity(mine, gone.id)
    other = users.create_user(db, "Otto Other", "otto@example.com", role=Role.REP)
    plan(rita, "Otto's", due, owner_id=other.id)
    plan(rita, "Rita's", due)
    assert subjects(r.due_reminders(mine, owner, due + dt.timedelta(minutes=1))) == ["Rita's"]
    assert subjects(r.due_reminders(mine, other.id, due + dt.timedelta(minutes=1))) == ["Otto's"]


def test_missed_while_the_app_was_closed_are_shown_at_the_next_start_oldest_first(rita):
    db, owner, _ = rita
    closed_at = at(2026, 6, 10, 17, 0)
    plan(rita, "Evening call", closed_at + dt.timedelta(hours=1))
    plan(rita, "Night task", closed_at + dt.timedelta(hours=6))
    plan(rita, "Just now", closed_at + dt.timedelta(hours=15, minutes=58))
    start = closed_at + dt.timedelta(hours=16)  # the laptop opens the next morning
    got = r.due_reminders(db, owner, start)
    assert [(x.subject, x.missed) for x in got] == [("Evening call", True), ("Night task", True), ("Just now", False)]
    r.mark_shown(db, [x.id for x in got], start)
    assert r.due_reminders(db, owner, start + dt.timedelta(minutes=1)) == []


def test_snooze_brings_it_back_at_the_snooze_end_once(rita):
    db, owner, _ = rita
    due = at(2026, 6, 10, 8, 0)
    act = plan(rita, "Call Lea back", due)
    r.mark_shown(db, [act.id], due)
    r.snooze(db, act.id, "10min", now=due + dt.timedelta(minutes=1))
    assert r.due_reminders(db, owner, due + dt.timedelta(minutes=10)) == []
    [back] = r.due_reminders(db, owner, due + dt.timedelta(minutes=11))
    assert (back.snoozed, back.fire_at, back.missed) == (True, due + dt.timedelta(minutes=11), False)
    r.mark_shown(db, [back.id], due + dt.timedelta(minutes=11))
    assert r.due_reminders(db, owner, due + dt.timedelta(hours=5)) == []
    r.snooze(db, act.id, "1h", now=due + dt.timedelta(hours=5))
    assert r.due_reminders(db, owner, due + dt.timedelta(hours=6) - dt.timedelta(seconds=1)) == []
    assert subjects(r.due_reminders(db, owner, due + dt.timedelta(hours=6))) == ["Call Lea back"]
    custom = due + dt.timedelta(days=2, hours=3)
    r.snooze(db, act.id, custom.astimezone(BERLIN), now=due + dt.timedelta(hours=6))
    assert r.due_reminders(db, owner, custom - dt.timedelta(minutes=1)) == []
    [late] = r.due_reminders(db, owner, custom + dt.timedelta(hours=1))
    assert (late.fire_at, late.missed) == (custom, True)  # the laptop slept through the snooze's end


def test_snooze_refuses_the_past_a_done_activity_and_unknown_choices(rita):
    db, owner, _ = rita
    due = at(2026, 6, 10, 8, 0)
    act = plan(rita, "Call", due)
    with pytest.raises(ValidationError):
        r.snooze(db, act.id, due - dt.timedelta(minutes=1), now=due)
    with pytest.raises(ValidationError):
        r.snooze(db, act.id, "next week", now=due)
    with pytest.raises(ValidationError):
        r.snooze(db, act.id, dt.datetime(2026, 6, 11, 9, 0), now=due)  # naive: which zone?
    a.complete_activity(db, act.id, "completed", now=due)
    with pytest.raises(ValidationError):
        r.snooze(db, act.id, "10min", now=due)


def test_rescheduling_rearms_the_reminder_even_under_an_old_snooze(rita):
    db, owner, _ = rita
    due = at(2026, 6, 10, 8, 0)
    act = plan(rita, "Call", due)
    r.mark_shown(db, [act.id], due)
    r.snooze(db, act.id, "tomorrow", now=due, tz=BERLIN)  # back at 9:00 Berlin on the 11th
    a.reschedule_activity(db, act.id, due + dt.timedelta(hours=2))
    assert r.due_reminders(db, owner, due + dt.timedelta(hours=2) - dt.timedelta(seconds=1)) == []
    [again] = r.due_reminders(db, owner, due + dt.timedelta(hours=2))
    assert (again.due_at, again.snoozed) == (due + dt.timedelta(hours=2), False)


def test_tomorrow_morning_is_nine_local_across_dst_changes():
    # Spring forward in Berlin: Sunday 29 March 2026, 02:00 CET -> 03:00 CEST.
    assert r.snooze_until("tomorrow", at(2026, 3, 28, 19, 0), BERLIN) == at(2026, 3, 29, 7, 0)  # 9:00 CEST
    assert r.snooze_until("tomorrow", at(2026, 3, 27, 19, 0), BERLIN) == at(2026, 3, 28, 8, 0)  # 9:00 CET
    # Fall back: Sunday 25 October 2026, 03:00 CEST -> 02:00 CET.
    assert r.snooze_until("tomorrow", at(2026, 10, 24, 18, 0), BERLIN) == at(2026, 10, 25, 8, 0)  # 9:00 CET
    # Late at night in Berlin (00:30 local) "tomorrow" is the next calendar day there, not UTC's.
    assert r.snooze_until("tomorrow", at(2026, 6, 9, 22, 30), BERLIN) == at(2026, 6, 11, 7, 0)
    # Ten minutes are ten real minutes, also across the jump.
    assert r.snooze_until("10min", at(2026, 3, 29, 0, 55), BERLIN) == at(2026, 3, 29, 1, 5)


def test_dst_boundaries_fire_at_the_real_instant(rita):
    db, owner, _ = rita
    # 03:00 CEST on the spring-forward Sunday is 01:00 UTC, one real hour after 01:00 CET.
    after_jump = dt.datetime(2026, 3, 29, 3, 0, tzinfo=BERLIN)
    plan(rita, "After the jump", after_jump)
    # The repeated hour in October: 02:30 CET (fold=1) is 01:30 UTC, an hour after 02:30 CEST.
    second = dt.datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN)
    first = dt.datetime(2026, 10, 25, 2, 30, fold=0, tzinfo=BERLIN)
    plan(rita, "Second 02:30", second)
    plan(rita, "First 02:30", first)
    assert r.due_reminders(db, owner, at(2026, 3, 29, 0, 59)) == []
    assert subjects(r.due_reminders(db, owner, at(2026, 3, 29, 1, 0))) == ["After the jump"]
    r.mark_shown(db, [x.id for x in r.due_reminders(db, owner, at(2026, 3, 29, 1, 0))], at(2026, 3, 29, 1, 0))
    assert subjects(r.due_reminders(db, owner, at(2026, 10, 25, 0, 30))) == ["First 02:30"]
    r.mark_shown(db, [x.id for x in r.due_reminders(db, owner, at(2026, 10, 25, 0, 30))], at(2026, 10, 25, 0, 30))
    assert r.due_reminders(db, owner, at(2026, 10, 25, 1, 29)) == []
    assert subjects(r.due_reminders(db, owner, at(2026, 10, 25, 1, 30))) == ["Second 02:30"]


def test_a_zone_change_between_checks_neither_repeats_nor_loses_a_reminder(rita):
    """Rita flies Berlin -> New York: a reminder shown in Berlin is not shown again after
    the laptop's zone changes; one due during the flight fires once on arrival; "tomorrow
    morning" is then 9:00 in New York."""
    db, owner, _ = rita
    berlin_call = dt.datetime(2026, 6, 10, 10, 0, tzinfo=BERLIN)
    flight_call = dt.datetime(2026, 6, 10, 9, 0, tzinfo=NEW_YORK)  # 15:00 in Berlin
    plan(rita, "Berlin call", berlin_call)
    plan(rita, "Call during the flight", flight_call)
    shown = r.due_reminders(db, owner, berlin_call)
    assert subjects(shown) == ["Berlin call"]
    r.mark_shown(db, [x.id for x in shown], berlin_call)
    landed = dt.datetime(2026, 6, 10, 11, 0, tzinfo=NEW_YORK)  # 17:00 Berlin; the zone is now New York
    [missed] = r.due_reminders(db, owner, landed)
    assert (missed.subject, missed.missed) == ("Call during the flight", True)
    assert r.snooze_until("tomorrow", landed, NEW_YORK) == dt.datetime(2026, 6, 11, 9, 0, tzinfo=NEW_YORK)
    r.snooze(db, missed.id, "tomorrow", now=landed, tz=NEW_YORK)
    assert r.due_reminders(db, owner, dt.datetime(2026, 6, 11, 8, 59, tzinfo=NEW_YORK)) == []  # 14:59 Berlin
    assert subjects(r.due_reminders(db, owner, dt.datetime(2026, 6, 11, 9, 0, tzinfo=NEW_YORK))) == [
        "Call during the flight"]


def test_the_check_reads_the_pending_reminder_index(rita):
    """The real query of :func:`due_reminders`, as sent, is planned on the partial index."""
    db, owner, _ = rita
    if db.dialect != "sqlite":
        pytest.skip("the plan is checked on SQLite; PostgreSQL's depends on its statistics")
    from sqlalchemy import event

    plan(rita, "Call", at(2026, 6, 10, 8, 0))
    sent = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "reminded_for" in statement and statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        assert len(r.due_reminders(db, owner, at(2026, 6, 10, 9, 0))) == 1
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    [(statement, params)] = sent
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
    assert any("ix_activity_reminder_pending" in row[-1] for row in rows), rows
