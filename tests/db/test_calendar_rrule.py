"""Recurring follow-ups in the .ics export, on both engines, read back by icalendar and
vobject: the open occurrence carries its RRULE in the rep's zone (with its VTIMEZONE), the
series the parsers expand is the one the app schedules (09:00 Berlin on both sides of the
DST change, the same UNTIL end), and done occurrences are single items, so the series never
shows twice."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import vobject
from dateutil import rrule as du
from icalendar import Calendar

from leaddesk.models.enums import Role
from leaddesk.services.followups import activities as a
from leaddesk.services.followups import calendar_export as ics
from leaddesk.services.followups import recurrence
from leaddesk.services.people import contacts
from leaddesk.services.team import users

UTC = dt.timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
#: Monday 16 March 2026, 09:00 in Berlin (CET); summer time starts on the 29th.
FIRST = dt.datetime(2026, 3, 16, 9, 0, tzinfo=BERLIN).astimezone(UTC)
RULE = "FREQ=WEEKLY;BYDAY=MO;UNTIL=20260420"  # the app stops before 20 April (midnight starting it)


@pytest.fixture
def rep(db):
    rita = users.create_user(db, "Rita Rep", "rita@example.com", role=Role.REP)
    lea = contacts.create_contact(db, given_name="Lea", family_name="Lang")
    return rita, lea


def app_series(rule: str, first: dt.datetime, tz: dt.tzinfo = BERLIN) -> list[dt.datetime]:
    """The occurrences the app schedules one after another as each is completed."""
    out = [first]
    while (nxt := recurrence.next_occurrence(rule, out[-1], tz)) is not None:
        out.append(nxt)
    return out


def parse(data: bytes):
    first = {str(c["uid"]): c for c in Calendar.from_ical(data).walk() if c.name in ("VEVENT", "VTODO")}
    cal = vobject.readOne(data.decode("utf-8"))
    second = {c.uid.value: c for c in cal.getChildren() if c.name in ("VEVENT", "VTODO")}
    return Calendar.from_ical(data), first, second


def test_a_weekly_call_exports_its_series_in_the_reps_zone(db, rep):
    rita, lea = rep
    call = a.schedule_activity(db, "call", "Weekly check-in", FIRST, contact_id=lea.id, owner_id=rita.id,
                               rrule=RULE)
    once = a.schedule_activity(db, "call", "One-off", FIRST, contact_id=lea.id, owner_id=rita.id)
    data = ics.export_calendar(db, rita.id, now=FIRST - dt.timedelta(days=1), tz=BERLIN)
    cal, first, second = parse(data)
    uid = ics.uid_of(call.id)
    expected = app_series(RULE, FIRST)
    assert [x.astimezone(BERLIN).strftime("%d %b %H:%M %Z") for x in expected] == [
        "16 Mar 09:00 CET", "23 Mar 09:00 CET", "30 Mar 09:00 CEST", "06 Apr 09:00 CEST", "13 Apr 09:00 CEST"]
    # icalendar: the rule, a zoned start, a VTIMEZONE for it; expanded by dateutil
    comp = first[uid]
    assert b"DTSTART;TZID=Europe/Berlin:20260316T090000" in comp.to_ical()
    assert comp["rrule"].to_ical() == b"FREQ=WEEKLY;UNTIL=20260419T220000Z;BYDAY=MO"
    assert [str(z["tzid"]) for z in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    start = comp.decoded("dtstart")
    assert start == FIRST and start.utcoffset() == dt.timedelta(hours=1)
    rule = du.rrulestr(comp["rrule"].to_ical().decode(), dtstart=start)
    assert [x.astimezone(UTC) for x in rule] == expected
    # vobject: its own expansion of the series, with the file's VTIMEZONE
    event = second[uid]
    assert [x.astimezone(UTC) for x in event.getrruleset()] == expected
    assert event.dtend.value - event.dtstart.value == dt.timedelta(minutes=15)
    # a one-off keeps its UTC time and has no rule
    assert "rrule" not in first[ics.uid_of(once.id)] and not hasattr(second[ics.uid_of(once.id)], "rrule")
    assert b"DTSTART:20260316T080000Z" in first[ics.uid_of(once.id)].to_ical()


def test_a_done_occurrence_is_single_and_the_next_one_carries_the_series(db, rep):
    rita, lea = rep
    task = a.schedule_activity(db, "task", "Weekly report", FIRST, contact_id=lea.id, owner_id=rita.id,
                               rrule="FREQ=WEEKLY")
    a.complete_activity(db, task.id, "completed", done_at=FIRST + dt.timedelta(hours=1), tz=BERLIN)
    [nxt] = [x for x in a.list_activities(db, contact_id=lea.id) if x.done_at is None]
    data = ics.export_calendar(db, rita.id, now=FIRST + dt.timedelta(hours=2), tz="Europe/Berlin")
    _, first, second = parse(data)
    done, open_ = ics.uid_of(task.id), ics.uid_of(nxt.id)
    assert set(first) == set(second) == {done, open_}
    assert "rrule" not in first[done] and str(first[done]["status"]) == "COMPLETED"
    assert not hasattr(second[done], "rrule")
    assert first[open_]["rrule"].to_ical() == b"FREQ=WEEKLY" and first[open_].name == "VTODO"
    week = dt.timedelta(days=7)
    assert [x.astimezone(UTC) for x in list(second[open_].getrruleset())[:3]] == [
        FIRST + week, FIRST + 2 * week - dt.timedelta(hours=1), FIRST + 3 * week - dt.timedelta(hours=1)]


def test_in_utc_the_rule_is_written_with_utc_times(db, rep):
    rita, lea = rep
    a.schedule_activity(db, "meeting", "Stand-up", FIRST, contact_id=lea.id, owner_id=rita.id,
                        rrule="FREQ=DAILY;UNTIL=20260318T100000")
    data = ics.export_calendar(db, rita.id, now=FIRST, tz="UTC")
    cal, first, second = parse(data)
    [comp] = first.values()
    assert b"DTSTART:20260316T080000Z" in comp.to_ical() and cal.walk("VTIMEZONE") == []
    assert [x.astimezone(UTC) for x in next(iter(second.values())).getrruleset()] == [
        FIRST, FIRST + dt.timedelta(days=1), FIRST + dt.timedelta(days=2)]


@pytest.mark.parametrize(("zone", "first", "until"), [
    ("Australia/Sydney", dt.datetime(2026, 3, 20, 8, 30), "20260501"),  # summer time ends 5 April
    ("America/Santiago", dt.datetime(2026, 8, 20, 8, 30), "20261001"),  # starts 6 September at midnight
    ("Asia/Tokyo", dt.datetime(2026, 3, 20, 8, 30), "20260410"),  # no DST at all
])
def test_other_zones_expand_like_the_app(db, rep, zone, first, until):
    rita, lea = rep
    tz = ZoneInfo(zone)
    start = first.replace(tzinfo=tz).astimezone(UTC)
    rule = f"FREQ=WEEKLY;UNTIL={until}"
    a.schedule_activity(db, "call", "Weekly", start, contact_id=lea.id, owner_id=rita.id, rrule=rule)
    _, first_, second = parse(ics.export_calendar(db, rita.id, now=start, tz=zone))
    expected = app_series(rule, start, tz)
    assert len(expected) >= 3 and {x.astimezone(tz).time() for x in expected} == {dt.time(8, 30)}
    assert [x.astimezone(UTC) for x in next(iter(second.values())).getrruleset()] == expected
    comp = next(iter(first_.values()))
    assert [x.astimezone(UTC) for x in du.rrulestr(comp["rrule"].to_ical().decode(),
                                                    dtstart=comp.decoded("dtstart"))] == expected
