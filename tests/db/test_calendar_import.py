"""Importing meeting invitations (services/followups/calendar_import.py) on both engines:
an Outlook invitation with a Windows-named VTIMEZONE, a Google one with attendees and an
all-day event, re-import and updates without duplicates, cancellations, bad files."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from leaddesk.errors import ValidationError
from leaddesk.models import Activity
from leaddesk.models.enums import ActivityKind, Role
from leaddesk.services.followups import activities as a
from leaddesk.services.followups import calendar_export, calendar_import as imp
from leaddesk.services.people import accounts, contacts
from leaddesk.services.team import users
from tests.db._invitations import GOOGLE, OUTLOOK

UTC = dt.timezone.utc


@pytest.fixture
def people(db):
    rita = users.create_user(db, "Rita Rep", "rita@example.com", role=Role.REP)
    acme = accounts.create_account(db, name="Acme Logistics")
    deniz = contacts.create_contact(db, given_name="Deniz", family_name="Kaya", account_id=acme.id,
                                    emails=["deniz.kaya@acme-logistics.com"])
    lea = contacts.create_contact(db, given_name="Lea", family_name="Lang", account_id=acme.id,
                                  emails=["lea@acme.example"])
    return rita, acme, deniz, lea


def outlook(start="20260715T140000", end="20260715T153000", status="CONFIRMED", sequence=0) -> bytes:
    return OUTLOOK.format(start=start, end=end, status=status, sequence=sequence).encode()


def count(db) -> int:
    with db.reader() as s:
        return s.scalar(select(func.count()).select_from(Activity))


def test_outlook_invitation_with_windows_zone_becomes_a_meeting(db, people):
    rita, acme, deniz, _ = people
    [m] = imp.import_invitation(db, outlook(), owner_id=rita.id, tz="Europe/Berlin")
    assert m.action == "created" and m.subject == "Rollout planning"
    assert (m.due_at, m.duration_minutes) == (dt.datetime(2026, 7, 15, 12, 0, tzinfo=UTC), 90)  # 14:00 CEST
    act = a.get_activity(db, m.activity_id)
    assert (act.kind, act.subject, act.due_at, act.duration_minutes) == (
        ActivityKind.MEETING, "Rollout planning", m.due_at, 90)
    assert (act.contact_id, act.account_id, act.owner_id, act.done_at) == (deniz.id, acme.id, rita.id, None)
    assert act.body.startswith("Let's go through the rollout plan.\n\nAgenda:\n- scope\n- timing")
    assert "Location: Microsoft Teams Meeting" in act.body and "Deniz Kaya <Deniz.Kaya@ACME-Logistics.com>" in act.body
    uid = "040000008200E00074C5B7101A82E00800000000D0C2E0A1C7A0DC01000000000000000010000000A1B2C3D4E5F6"
    assert m.activity_id == uuid.uuid5(imp.UID_NAMESPACE, f"{rita.id}|{uid}")
    # winter time: the same zone is one hour from UTC
    [w] = imp.import_invitation(db, outlook("20261103T093000", "20261103T100000").replace(b"A1B2C3", b"FFFFFF"),
                                owner_id=rita.id)
    assert (w.due_at, w.duration_minutes) == (dt.datetime(2026, 11, 3, 8, 30, tzinfo=UTC), 30)


def test_reimport_updates_instead_of_duplicating_and_a_cancellation_deletes(db, people):
    rita = people[0]
    [first] = imp.import_invitation(db, outlook(), owner_id=rita.id)
    [again] = imp.import_invitation(db, outlook(), owner_id=rita.id)
    assert (again.activity_id, again.action, count(db)) == (first.activity_id, "unchanged", 1)
    [moved] = imp.import_invitation(db, outlook("20260716T090000", "20260716T100000", sequence=1), owner_id=rita.id)
    act = a.get_activity(db, first.activity_id)
    assert (moved.action, count(db), act.due_at, act.duration_minutes) == (
        "updated", 1, dt.datetime(2026, 7, 16, 7, 0, tzinfo=UTC), 60)
    assert act.version > 1
    [gone] = imp.import_invitation(db, outlook(status="CANCELLED", sequence=2), owner_id=rita.id)
    assert gone.action == "cancelled" and a.get_activity(db, first.activity_id, include_deleted=True).deleted
    assert a.list_activities(db, owner_id=rita.id) == []
    [back] = imp.import_invitation(db, outlook(sequence=3), owner_id=rita.id)  # re-invited
    assert back.action == "updated" and not a.get_activity(db, first.activity_id).deleted and count(db) == 1


def test_two_reps_invited_to_the_same_meeting_each_get_their_own(db, people):
    rita = people[0]
    otto = users.create_user(db, "Otto Other", "otto@example.com", role=Role.REP)
    [mine] = imp.import_invitation(db, outlook(), owner_id=rita.id)
    [his] = imp.import_invitation(db, outlook(), owner_id=otto.id)
    assert his.action == "created" and his.activity_id != mine.activity_id and count(db) == 2
    assert a.get_activity(db, mine.activity_id).owner_id == rita.id
    assert a.get_activity(db, his.activity_id).owner_id == otto.id
    # Rita's own export imported by Otto does not touch Rita's activities
    [copy] = imp.import_invitation(db, calendar_export.export_calendar(db, rita.id), owner_id=otto.id,
                                   contact_id=people[2].id)  # our export names no attendees
    assert copy.action == "created" and copy.activity_id != mine.activity_id and count(db) == 3


def test_a_meeting_already_done_is_not_changed_by_a_late_update(db, people):
    rita = people[0]
    [m] = imp.import_invitation(db, outlook(), owner_id=rita.id)
    a.complete_activity(db, m.activity_id, "no_show", now=dt.datetime(2026, 7, 15, 14, 0, tzinfo=UTC))
    [late] = imp.import_invitation(db, outlook("20260801T090000", "20260801T100000", sequence=5), owner_id=rita.id)
    assert late.action == "unchanged"
    assert a.get_activity(db, m.activity_id).due_at == dt.datetime(2026, 7, 15, 12, 0, tzinfo=UTC)


def test_google_invitation_matches_attendees_by_normalised_email_and_reads_all_day_events(db, people):
    rita, acme, _, lea = people
    timed, all_day = imp.import_invitation(db, GOOGLE.encode(), owner_id=rita.id, tz="Europe/Berlin")
    assert timed.subject == "Renewal pricing – Acme / Rita"
    assert (timed.due_at, timed.duration_minutes) == (dt.datetime(2026, 11, 3, 14, 30, tzinfo=UTC), 45)  # EST
    act = a.get_activity(db, timed.activity_id)
    assert (act.contact_id, act.account_id) == (lea.id, acme.id)  # LEA@acme.example; Sam is no contact
    assert "Sam Buyer <sam.buyer@globex.example>" in act.body and "Join with Google Meet" in act.body
    # 10 and 11 November, whole days in the rep's zone (CET)
    assert (all_day.due_at, all_day.duration_minutes) == (dt.datetime(2026, 11, 9, 23, 0, tzinfo=UTC), 2 * 24 * 60)
    assert all_day.contact_id == lea.id  # the organizer
    assert imp.import_invitation(db, GOOGLE.encode(), owner_id=rita.id)[0].action == "unchanged"
    assert count(db) == 2


def test_our_own_export_maps_back_to_its_activities(db, people):
    rita, _, deniz, _ = people
    call = a.schedule_activity(db, "call", "Check-in", dt.datetime(2026, 7, 1, 9, 0, tzinfo=UTC),
                               contact_id=deniz.id, owner_id=rita.id)
    data = calendar_export.export_calendar(db, rita.id)
    [back] = imp.import_invitation(db, data, owner_id=rita.id)
    assert back.activity_id == call.id and count(db) == 1
    assert a.get_activity(db, call.id).kind == ActivityKind.CALL


BAD = [
    (b"\xff\xfeB\x00E\x00G\x00", "not valid UTF-8"),
    (b"Hello, this is a letter.", "not an iCalendar file"),
    (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "holds no event"),
    (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:No start\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
     r"Event 1 \('No start'\) has no start \(DTSTART\)"),
    (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:2026-07-xx\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
     "start or end"),
    (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20260701T100000Z\r\nDTEND:20260701T090000Z\r\n"
     b"ORGANIZER:mailto:deniz.kaya@acme-logistics.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", "ends before it starts"),
    (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:Stranger\r\nDTSTART:20260701T100000Z\r\n"
     b"ORGANIZER;CN=Who:mailto:who@nowhere.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
     r"none of the people invited \(Who <who@nowhere.example>\) is a contact"),
]


@pytest.mark.parametrize(("data", "message"), BAD, ids=["encoding", "not-ical", "no-vevent", "no-dtstart",
                                                         "bad-dtstart", "end-before-start", "no-contact"])
def test_bad_files_are_refused_and_nothing_is_written(db, people, data, message):
    with pytest.raises(ValidationError, match=message):
        imp.import_invitation(db, data, owner_id=people[0].id)
    assert count(db) == 0


def test_one_bad_event_writes_none_of_the_file(db, people):
    two = outlook().replace(b"END:VCALENDAR", b"BEGIN:VEVENT\r\nUID:y\r\nSUMMARY:Broken\r\nEND:VEVENT\r\n"
                                              b"END:VCALENDAR")
    with pytest.raises(ValidationError, match="Event 2"):
        imp.import_invitation(db, two, owner_id=people[0].id)
    assert count(db) == 0


def test_windows_zone_names_without_vtimezone_and_unknown_zones(db, people):
    rita = people[0]
    event = ("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:Call\r\n"
             "DTSTART;TZID={tzid}:20260115T090000\r\nDURATION:PT30M\r\n"
             "ATTENDEE:MAILTO:deniz.kaya@acme-logistics.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    [pacific] = imp.import_invitation(db, event.format(uid="p", tzid="Pacific Standard Time"), owner_id=rita.id)
    assert (pacific.due_at, pacific.duration_minutes) == (dt.datetime(2026, 1, 15, 17, 0, tzinfo=UTC), 30)
    # a zone nobody knows is read as the rep's own local time (like a floating time)
    [unknown] = imp.import_invitation(db, event.format(uid="u", tzid="Nowhere/Land"), owner_id=rita.id,
                                      tz="Asia/Tokyo")
    assert unknown.due_at == dt.datetime(2026, 1, 15, 0, 0, tzinfo=UTC)
