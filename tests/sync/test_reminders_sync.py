"""Two laptops of the same rep and the hub: a reminder shown (or snoozed) on one laptop is
not shown again on the other after both sync; rescheduling on one re-arms it on both."""

from __future__ import annotations

import datetime as dt

from leaddesk.services.followups import activities as a
from leaddesk.services.followups import reminders as r
from leaddesk.services.people import contacts
from leaddesk.sync import client

UTC = dt.timezone.utc
DUE = dt.datetime(2026, 6, 10, 8, 0, tzinfo=UTC)


def sync_all(hub, *dbs):
    for db in dbs:
        client.sync(db, hub, backup=False)
    for db in dbs[:-1]:
        client.sync(db, hub, backup=False)


def two_laptops(make_replica, hub):
    """Ada's laptop ``a`` (set up like ``leaddesk init``) and her second laptop ``b``,
    bootstrapped from the hub and acting as Ada too."""
    from leaddesk.services.team import setup

    a_db = make_replica("a")
    setup.initialize(a_db, admin_name="Ada Admin", admin_email="ada@example.com")
    client.sync(a_db, hub, backup=False)
    b_db = make_replica("b")
    client.sync(b_db, hub, backup=False)
    b_db.write.actor_id = a_db.write.actor_id
    return a_db, b_db


def test_a_reminder_shown_on_one_laptop_is_not_shown_on_the_other(make_replica, hub):
    lap_a, lap_b = two_laptops(make_replica, hub)
    ada = lap_a.write.actor_id
    lea = contacts.create_contact(lap_a, given_name="Lea", family_name="Lang")
    call = a.schedule_activity(lap_a, "call", "Call Lea back", DUE, contact_id=lea.id)
    later = a.schedule_activity(lap_a, "task", "Send the offer", DUE + dt.timedelta(hours=1), contact_id=lea.id)
    sync_all(hub, lap_a, lap_b)
    assert [x.subject for x in r.due_reminders(lap_b, ada, DUE)] == ["Call Lea back"]  # both would show it

    r.mark_shown(lap_a, [call.id], DUE)
    sync_all(hub, lap_a, lap_b)
    assert r.due_reminders(lap_a, ada, DUE + dt.timedelta(minutes=1)) == []
    assert r.due_reminders(lap_b, ada, DUE + dt.timedelta(minutes=1)) == []

    # Snoozed on b: a does not show it at the due time, both show it at the snooze's end.
    then = DUE + dt.timedelta(hours=1)
    r.snooze(lap_b, later.id, "10min", now=then)
    sync_all(hub, lap_b, lap_a)
    for lap in (lap_a, lap_b):
        assert r.due_reminders(lap, ada, then + dt.timedelta(minutes=9)) == []
        assert [x.subject for x in r.due_reminders(lap, ada, then + dt.timedelta(minutes=10))] == ["Send the offer"]

    # Rescheduled on a: the new due time fires on b too, once.
    a.reschedule_activity(lap_a, call.id, DUE + dt.timedelta(days=1))
    sync_all(hub, lap_a, lap_b)
    tomorrow = DUE + dt.timedelta(days=1)
    r.mark_shown(lap_b, [later.id], tomorrow)
    assert [x.subject for x in r.due_reminders(lap_b, ada, tomorrow)] == ["Call Lea back"]
    r.mark_shown(lap_b, [call.id], tomorrow)
    sync_all(hub, lap_b, lap_a)
    assert r.due_reminders(lap_a, ada, tomorrow + dt.timedelta(minutes=1)) == []
