"""A rep's day (services/followups/agenda.py) with a fixed clock on both engines: buckets by
the rep's local day, DST days of 23 and 25 hours, a rep who changes zone, "overdue by"
texts, joined names, and what is left out (done, deleted, notes, other reps)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from leaddesk.errors import ValidationError
from leaddesk.models.enums import Role
from leaddesk.services.followups import activities as a
from leaddesk.services.followups import agenda
from leaddesk.services.people import accounts, contacts
from leaddesk.services.pipeline import opportunities as p
from leaddesk.services.team import users

UTC = dt.timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")


def at(y, mo, d, h=0, mi=0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=UTC)


@pytest.fixture
def rep(db):
    """Rita, with a contact at Acme and an open deal there."""
    rita = users.create_user(db, "Rita Rep", "Rita@Example.com", role=Role.REP)
    acme = accounts.create_account(db, name="Acme Logistics")
    lea = contacts.create_contact(db, given_name="Lea", family_name="Lang", account_id=acme.id)
    opp = p.create_opportunity(db, acme.id, "WMS rollout", primary_contact_id=lea.id)
    return rita, lea, acme, opp


def plan(db, rep, subject, due, kind="call", **links):
    rita, lea, _, _ = rep
    links = links or {"contact_id": lea.id}
    return a.schedule_activity(db, kind, subject, due, owner_id=rita.id, **links)


def buckets(day):
    return ([i.subject for i in day.overdue], [i.subject for i in day.today], [i.subject for i in day.upcoming])


def test_buckets_names_and_overdue_texts(db, rep):
    rita, lea, acme, opp = rep
    now = at(2026, 6, 10, 8, 0)  # 10:00 in Berlin
    plan(db, rep, "Two days late", now - dt.timedelta(days=2, hours=3))
    plan(db, rep, "Forty minutes late", now - dt.timedelta(minutes=40), opportunity_id=opp.id)
    plan(db, rep, "Ninety minutes late", now - dt.timedelta(minutes=90))
    plan(db, rep, "This evening", at(2026, 6, 10, 19, 0), kind="meeting", opportunity_id=opp.id, contact_id=lea.id)
    plan(db, rep, "Tomorrow", at(2026, 6, 11, 7, 0), kind="task")
    plan(db, rep, "In a week", at(2026, 6, 17, 21, 59))     # 23:59 Berlin on day 7: still upcoming
    plan(db, rep, "Too far", at(2026, 6, 17, 22, 0))        # 00:00 Berlin on day 8
    done = plan(db, rep, "Done already", now - dt.timedelta(hours=5))
    a.complete_activity(db, done.id, "completed", now=now)
    gone = plan(db, rep, "Deleted", now + dt.timedelta(hours=1))
    a.delete_activity(db, gone.id)
    other = users.create_user(db, "Otto Other", "otto@example.com")
    a.schedule_activity(db, "call", "Otto's call", now + dt.timedelta(hours=1), contact_id=lea.id, owner_id=other.id)

    day = agenda.day_agenda(db, rita.id, tz="Europe/Berlin", now=now)
    assert buckets(day) == (["Two days late", "Ninety minutes late", "Forty minutes late"],
                            ["This evening"], ["Tomorrow", "In a week"])
    assert [i.overdue for i in day.overdue] == ["overdue by 2 days", "overdue by 1 h 30 min", "overdue by 40 min"]
    evening = day.today[0]
    assert (evening.kind.value, evening.contact, evening.account, evening.opportunity) == (
        "meeting", "Lea Lang", "Acme Logistics", "WMS rollout")
    assert evening.local_due == dt.datetime(2026, 6, 10, 21, 0, tzinfo=BERLIN) and evening.overdue is None
    assert (day.overdue[2].contact, day.overdue[2].opportunity) == (None, "WMS rollout")  # no contact linked
    assert day.day == dt.date(2026, 6, 10) and day.zone == "Europe/Berlin"
    as_json = day.as_dict()
    assert as_json["today"][0]["local_due"] == "2026-06-10T21:00:00+02:00"
    assert as_json["overdue"][0]["overdue"] == "overdue by 2 days"


def test_spring_forward_day_has_23_hours(db, rep):
    rita = rep[0]
    now = at(2026, 3, 29, 0, 30)  # 01:30 CET on the day clocks go 02:00 -> 03:00
    plan(db, rep, "23:30 summer time", at(2026, 3, 29, 21, 30))
    plan(db, rep, "00:30 next day", at(2026, 3, 29, 22, 30))  # 24 h after midnight, but already Monday
    day = agenda.day_agenda(db, rita.id, tz="Europe/Berlin", now=now)
    assert buckets(day) == ([], ["23:30 summer time"], ["00:30 next day"])
    assert day.upcoming[0].local_due.strftime("%d %H:%M %Z") == "30 00:30 CEST"


def test_fall_back_day_has_25_hours(db, rep):
    rita = rep[0]
    now = at(2026, 10, 25, 0, 30)  # 02:30 CEST on the day clocks go 03:00 -> 02:00
    plan(db, rep, "23:30 winter time", at(2026, 10, 25, 22, 30))  # 25 h day: still today
    plan(db, rep, "00:30 Monday", at(2026, 10, 25, 23, 30))
    plan(db, rep, "The second 02:30", at(2026, 10, 25, 1, 30))  # the repeated hour, after now
    day = agenda.day_agenda(db, rita.id, tz="Europe/Berlin", now=now)
    assert buckets(day) == ([], ["The second 02:30", "23:30 winter time"], ["00:30 Monday"])
    assert day.today[0].local_due.strftime("%H:%M %Z") == "02:30 CET"


def test_a_day_whose_midnight_is_skipped_starts_at_the_jump(db, rep):
    rita = rep[0]
    # Santiago, 6 September 2026: 00:00 -04 becomes 01:00 -03 (04:00 UTC); 03:30 UTC is still the 5th
    now = at(2026, 9, 6, 12, 0)
    plan(db, rep, "Saturday 23:30", at(2026, 9, 6, 3, 30))
    plan(db, rep, "Sunday 01:30", at(2026, 9, 6, 4, 30))
    plan(db, rep, "Sunday 23:30", at(2026, 9, 7, 2, 30))
    day = agenda.day_agenda(db, rita.id, tz="America/Santiago", now=at(2026, 9, 6, 0, 0))  # Sat 20:00
    assert buckets(day) == ([], ["Saturday 23:30"], ["Sunday 01:30", "Sunday 23:30"])
    assert day.day == dt.date(2026, 9, 5)
    assert agenda.local_midnight(dt.date(2026, 9, 6), ZoneInfo("America/Santiago")) == at(2026, 9, 6, 4, 0)
    late = agenda.day_agenda(db, rita.id, tz="America/Santiago", now=now)
    assert [i.overdue for i in late.overdue] == ["overdue by 8 h 30 min", "overdue by 7 h 30 min"]


def test_a_rep_who_changes_zone_gets_her_new_local_day(db, rep):
    rita = rep[0]
    now = at(2026, 6, 10, 20, 0)  # 22:00 in Berlin, 16:00 in New York
    plan(db, rep, "Late call", at(2026, 6, 11, 1, 0))  # 03:00 tomorrow in Berlin, 21:00 today in New York
    plan(db, rep, "Breakfast", at(2026, 6, 11, 12, 0))
    in_berlin = agenda.day_agenda(db, rita.id, tz="Europe/Berlin", now=now)
    in_new_york = agenda.day_agenda(db, rita.id, tz="America/New_York", now=now)
    assert buckets(in_berlin) == ([], [], ["Late call", "Breakfast"])
    assert buckets(in_new_york) == ([], ["Late call"], ["Breakfast"])
    assert in_new_york.today[0].local_due.hour == 21 and in_berlin.upcoming[0].local_due.hour == 3
    in_tokyo = agenda.day_agenda(db, rita.id, tz=ZoneInfo("Asia/Tokyo"), now=now)  # already 11 June, 05:00
    assert in_tokyo.day == dt.date(2026, 6, 11) and buckets(in_tokyo) == ([], ["Late call", "Breakfast"], [])


def test_the_default_zone_is_this_machines(db, rep, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tehran")
    assert agenda.zone().key == "Asia/Tehran"
    day = agenda.day_agenda(db, rep[0].id, now=at(2026, 6, 10))
    assert day.zone == "Asia/Tehran"


def test_users_by_email_and_bad_input(db, rep):
    rita = rep[0]
    assert agenda.resolve_owner(db, "  rita@EXAMPLE.com ") == rita.id
    with pytest.raises(ValidationError, match="No user has the e-mail 'nobody@example.com'"):
        agenda.resolve_owner(db, "nobody@example.com")
    with pytest.raises(ValidationError, match="'Mars/Olympus' is not a time zone name") as err:
        agenda.day_agenda(db, rita.id, tz="Mars/Olympus")
    assert err.value.field == "tz"
    with pytest.raises(ValidationError, match="Now must have a time zone"):
        agenda.day_agenda(db, rita.id, now=dt.datetime(2026, 6, 10, 8, 0))


def test_each_bucket_is_capped(db, rep):
    rita = rep[0]
    now = at(2026, 6, 10, 8, 0)
    for n in range(5):
        plan(db, rep, f"late {n}", now - dt.timedelta(hours=10 - n))
        plan(db, rep, f"later {n}", now + dt.timedelta(days=2, hours=n))
    day = agenda.day_agenda(db, rita.id, tz="UTC", now=now, limit=3)
    assert buckets(day) == (["late 0", "late 1", "late 2"], [], ["later 0", "later 1", "later 2"])


@pytest.mark.parametrize(("minutes", "text"), [(0, "overdue by 1 min"), (59, "overdue by 59 min"),
                                               (60, "overdue by 1 h"), (61, "overdue by 1 h 1 min"),
                                               (24 * 60 - 1, "overdue by 23 h 59 min"), (24 * 60, "overdue by 1 day"),
                                               (3 * 24 * 60 + 5, "overdue by 3 days")])
def test_overdue_texts(minutes, text):
    now = at(2026, 6, 10, 8, 0)
    assert agenda.overdue_text(now - dt.timedelta(minutes=minutes), now) == text
