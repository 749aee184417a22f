"""Two laptops of the same rep and the hub: a cadence run applied on one laptop is one run
on the other after syncing (refused there too), a reply recorded on the other laptop stops
it there, and the cancelled steps come back to the first; a recurring activity's repeat
rule syncs."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from leaddesk.errors import ValidationError
from leaddesk.models.enums import ActivityOutcome
from leaddesk.services.followups import activities as a
from leaddesk.services.followups import cadences
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import contacts
from tests.sync.test_reminders_sync import sync_all, two_laptops

BERLIN = ZoneInfo("Europe/Berlin")


def test_a_run_and_its_stop_sync_between_laptops(make_replica, hub):
    lap_a, lap_b = two_laptops(make_replica, hub)
    lea = contacts.create_contact(lap_a, given_name="Lea", family_name="Lang")
    run = cadences.apply_cadence(lap_a, "new-inbound", [lea.id], tz=BERLIN)[lea.id]
    weekly = a.schedule_activity(lap_a, "task", "Weekly check", dt.datetime(2026, 6, 8, 9, tzinfo=BERLIN),
                                 contact_id=lea.id, rrule="FREQ=WEEKLY;BYDAY=MO")
    sync_all(hub, lap_a, lap_b)
    on_b = [x for x in a.list_activities(lap_b, contact_id=lea.id) if x.cadence_run == run]
    assert sorted((x.cadence_key, x.cadence_step) for x in on_b) == [("new-inbound", n) for n in range(1, 6)]
    assert a.get_activity(lap_b, weekly.id).rrule == "FREQ=WEEKLY;BYDAY=MO"
    with pytest.raises(ValidationError):
        cadences.apply_cadence(lap_b, "new-inbound", [lea.id], tz=BERLIN)

    campaigns.record_engagement(lap_b, lea.id, "email_reply", dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
    assert [s.run for s in cadences.settle_runs(lap_b, [lea.id])] == [run]
    sync_all(hub, lap_b, lap_a)
    steps = [x for x in a.list_activities(lap_a, contact_id=lea.id) if x.cadence_run == run]
    assert {x.outcome for x in steps} == {ActivityOutcome.CANCELLED}
    assert cadences.settle_runs(lap_a, [lea.id]) == []  # nothing left to stop
