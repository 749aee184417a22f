"""The .ics export (services/followups/calendar_export.py) on both engines, read back by two
independent parsers (icalendar and vobject): UIDs, UTC times, SEQUENCE from the version,
statuses for open, done, cancelled and deleted follow-ups, and what is left out."""

from __future__ import annotations

import datetime as dt

import pytest
import vobject
from icalendar import Calendar

from leaddesk.models.enums import Role
from leaddesk.services.followups import activities as a
from leaddesk.services.followups import calendar_export as ics
from leaddesk.services.people import accounts, contacts
from leaddesk.services.team import users

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
H = dt.timedelta(hours=1)


@pytest.fixture
def rep(db):
    rita = users.create_user(db, "Rita Rep", "rita@example.com", role=Role.REP)
    acme = accounts.create_account(db, name="Acme, Logistics")
    lea = contacts.create_contact(db, given_name="Lea", family_name="Lang", account_id=acme.id,
                                  emails=["lea@acme.example"])
    return rita, lea


def plan(db, rep, kind, subject, due, **kw):
    rita, lea = rep
    return a.schedule_activity(db, kind, subject, due, contact_id=lea.id, owner_id=rita.id, **kw)


def both(data: bytes) -> tuple[dict, dict]:
    """UID -> component, as icalendar and as vobject read the file."""
    assert b"\r\n" in data and data.startswith(b"BEGIN:VCALENDAR")
    first = {str(c["uid"]): c for c in Calendar.from_ical(data).walk() if c.name in ("VEVENT", "VTODO")}
    cal = vobject.readOne(data.decode("utf-8"))
    second = {c.uid.value: c for c in cal.getChildren() if c.name in ("VEVENT", "VTODO")}
    return first, second


def test_open_follow_ups_round_trip_through_two_parsers(db, rep):
    meeting = plan(db, rep, "meeting", "Demo; with the team", NOW + 2 * H, duration_minutes=45,
                   body="Bring the scanner.")
    call = plan(db, rep, "call", "Check-in call", NOW + 26 * H)
    task = plan(db, rep, "task", "Send the quote", NOW + 50 * H)
    first, second = both(ics.export_calendar(db, rep[0].id, now=NOW))
    uids = {ics.uid_of(x.id) for x in (meeting, call, task)}
    assert set(first) == set(second) == uids
    m1, m2 = first[ics.uid_of(meeting.id)], second[ics.uid_of(meeting.id)]
    assert m1.name == m2.name == "VEVENT"
    assert m1.decoded("dtstart") == m2.dtstart.value == NOW + 2 * H
    assert m1.decoded("dtend") == m2.dtend.value == NOW + 2 * H + dt.timedelta(minutes=45)
    assert m2.dtstart.value.utcoffset() == dt.timedelta(0) and b"DTSTART:20260610T100000Z" in m1.to_ical()
    assert str(m1["summary"]) == m2.summary.value == "Demo; with the team"
    assert str(m1["status"]) == m2.status.value == "CONFIRMED"
    assert int(m1["sequence"]) == int(m2.sequence.value) == meeting.version
    description = m2.description.value
    assert description.startswith("Bring the scanner.")
    assert "Contact: Lea Lang <lea@acme.example>" in description and "Account: Acme, Logistics" in description
    assert m1.decoded("dtstamp") == NOW and m2.last_modified.value.tzinfo is not None
    c2 = second[ics.uid_of(call.id)]
    assert c2.dtend.value - c2.dtstart.value == dt.timedelta(minutes=15)  # a call without a length
    t1, t2 = first[ics.uid_of(task.id)], second[ics.uid_of(task.id)]
    assert t1.name == t2.name == "VTODO"
    assert t1.decoded("due") == t2.due.value == NOW + 50 * H
    assert str(t1["status"]) == t2.status.value == "NEEDS-ACTION"


def test_re_export_keeps_the_uid_and_raises_the_sequence(db, rep):
    call = plan(db, rep, "call", "Check-in call", NOW + 2 * H)
    before, _ = both(ics.export_calendar(db, rep[0].id, now=NOW))
    moved = a.reschedule_activity(db, call.id, NOW + 5 * H)
    after1, after2 = both(ics.export_calendar(db, rep[0].id, now=NOW + H))
    uid = ics.uid_of(call.id)
    assert list(before) == list(after1) == list(after2) == [uid]
    assert int(after1[uid]["sequence"]) == int(after2[uid].sequence.value) == moved.version
    assert int(after1[uid]["sequence"]) > int(before[uid]["sequence"])
    assert after2[uid].dtstart.value == NOW + 5 * H


def test_done_cancelled_and_deleted_are_marked_so_calendars_drop_them(db, rep):
    task = plan(db, rep, "task", "Send the quote", NOW - 3 * H)
    a.complete_activity(db, task.id, "completed", now=NOW - H)
    held = plan(db, rep, "meeting", "Held demo", NOW - 5 * H)
    a.complete_activity(db, held.id, "completed", now=NOW - 4 * H)
    called_off = plan(db, rep, "meeting", "Called-off visit", NOW + 3 * H)
    a.complete_activity(db, called_off.id, "cancelled", now=NOW)
    deleted = plan(db, rep, "call", "Deleted call", NOW + 4 * H)
    a.delete_activity(db, deleted.id)
    first, second = both(ics.export_calendar(db, rep[0].id, now=NOW))
    statuses = {uid: (str(first[uid]["status"]), second[uid].status.value) for uid in first}
    assert statuses == {ics.uid_of(task.id): ("COMPLETED", "COMPLETED"),
                        ics.uid_of(held.id): ("CONFIRMED", "CONFIRMED"),
                        ics.uid_of(called_off.id): ("CANCELLED", "CANCELLED"),
                        ics.uid_of(deleted.id): ("CANCELLED", "CANCELLED")}
    assert second[ics.uid_of(task.id)].completed.value == NOW - H
    assert "Done: completed" in second[ics.uid_of(held.id)].description.value
    # each re-export after the change carries a higher SEQUENCE than the open one had
    assert all(int(first[uid]["sequence"]) >= 2 for uid in first)


def test_what_is_left_out(db, rep):
    rita, lea = rep
    a.log_activity(db, "note", "A note", contact_id=lea.id, owner_id=rita.id, now=NOW)
    a.log_activity(db, "call", "Logged call, never scheduled", contact_id=lea.id, owner_id=rita.id, now=NOW)
    old = plan(db, rep, "task", "Done long ago", NOW - 200 * 24 * H)
    a.complete_activity(db, old.id, "completed", done_at=NOW - 199 * 24 * H, now=NOW)
    otto = users.create_user(db, "Otto Other", "otto@example.com")
    a.schedule_activity(db, "call", "Otto's call", NOW + H, contact_id=lea.id, owner_id=otto.id)
    mine = plan(db, rep, "call", "Mine", NOW + H)
    first, second = both(ics.export_calendar(db, rita.id, now=NOW))
    assert list(first) == list(second) == [ics.uid_of(mine.id)]
    cal = vobject.readOne(ics.export_calendar(db, otto.id, now=NOW).decode())
    assert cal.x_wr_calname.value == "LeadDesk: Otto Other" and len(cal.vevent_list) == 1
