"""My day's read: the rep's SLA breaches come first, as rows that open the lead, beside the
agenda's buckets (both engines, fixed clock)."""

from __future__ import annotations

import datetime as dt

from leaddesk.services.followups import activities, my_day
from leaddesk.services.people import contacts

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def test_breaches_come_first_and_the_agenda_stays(db):
    me = db.write.actor_id
    late = contacts.create_contact(db, given_name="Web", family_name="Lead", owner_id=me, source="web_form",
                                   captured_at=NOW - dt.timedelta(minutes=25), now=NOW - dt.timedelta(minutes=25))
    fresh = contacts.create_contact(db, given_name="New", family_name="Lead", owner_id=me, source="web_form",
                                    captured_at=NOW - dt.timedelta(minutes=2), now=NOW - dt.timedelta(minutes=2))
    activities.schedule_activity(db, "call", "Call back", NOW + dt.timedelta(hours=2), contact_id=fresh.id,
                                 owner_id=me)
    day = my_day.my_day(db, me, tz="Europe/Berlin", now=NOW)
    assert [b.contact_id for b in day.breaches] == [late.id]
    breach = day.breaches[0]
    assert breach.contact == "Web Lead" and breach.breach.startswith("SLA breached: overdue by 20 min")
    assert breach.local_due.utcoffset() == dt.timedelta(hours=1)  # shown in the rep's zone
    assert [i.subject for i in day.today] == ["Call back"]  # the agenda reads through
