"""A cadence run that a reply, a qualification or a disqualification ended stops before the
rep's day is listed (My day's read and `leaddesk agenda`), without opening the lead's
timeline; the steps still running read "step 2 of 5 · New inbound lead" in the day."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from leaddesk import cli
from leaddesk.models.enums import ActivityOutcome, Role
from leaddesk.services.followups import activities as a
from leaddesk.services.followups import cadences, my_day
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import contacts
from leaddesk.services.team import users

UTC = dt.timezone.utc
# The run's start is the wall clock when its rows are written; events "after the start"
# are put in the future, and the day is read as of then.
START = (dt.datetime.now(UTC) + dt.timedelta(days=1)).replace(microsecond=0)


@pytest.fixture
def leads(db):
    rita = users.create_user(db, "Rita Rep", "rita@example.com", role=Role.REP)
    lea = contacts.create_contact(db, given_name="Lea", family_name="Lang", owner_id=rita.id)
    max_ = contacts.create_contact(db, given_name="Max", family_name="Moor", owner_id=rita.id)
    runs = cadences.apply_cadence(db, "new-inbound", [lea.id, max_.id], start=START, tz=UTC)
    return rita, lea, max_, runs


def listed(day) -> list:
    return [i for i in (*day.overdue, *day.today, *day.upcoming)]


def test_my_day_labels_cadence_steps_with_their_place_in_the_run(db, leads):
    rita, lea, _, _ = leads
    day = my_day.my_day(db, rita.id, tz="UTC", now=START)
    lea_steps = sorted((i for i in listed(day) if i.contact_id == lea.id), key=lambda i: i.due_at)
    # days 0, 1, 3 and 7 of five at 09:00 UTC fall within today and the next 7 days
    assert [i.cadence for i in lea_steps] == [f"step {n} of 5 · New inbound lead" for n in (1, 2, 3, 4)]
    assert lea_steps[0].as_dict()["cadence"] == "step 1 of 5 · New inbound lead"
    other = a.schedule_activity(db, "task", "Plain task", START + dt.timedelta(hours=3),
                               contact_id=lea.id, owner_id=rita.id)
    plain = [i for i in listed(my_day.my_day(db, rita.id, tz="UTC", now=START)) if i.id == other.id]
    assert [i.cadence for i in plain] == [""]


def test_a_reply_after_the_start_drops_the_steps_from_my_day(db, leads):
    rita, lea, max_, runs = leads
    assert my_day.my_day(db, rita.id, tz="UTC", now=START).stopped == ()
    campaigns.record_engagement(db, lea.id, "email_reply", START + dt.timedelta(hours=1))
    with db.reader() as s:
        assert cadences.stale_contacts(s, rita.id) == [lea.id]  # only the lead that replied
    day = my_day.my_day(db, rita.id, tz="UTC", now=START + dt.timedelta(hours=2))
    assert [(x.run, x.reason, x.cancelled) for x in day.stopped] == [(runs[lea.id], "the lead replied", 5)]
    assert {i.contact_id for i in listed(day)} == {max_.id}  # Lea's steps are gone, Max's stay
    done = [x for x in a.list_activities(db, contact_id=lea.id) if x.cadence_run]
    assert {x.outcome for x in done} == {ActivityOutcome.CANCELLED}
    # settled once: the next read finds nothing to stop and writes nothing
    assert my_day.my_day(db, rita.id, tz="UTC", now=START + dt.timedelta(hours=3)).stopped == ()


@pytest.mark.parametrize("stage", ["sql", "disqualified"])
def test_a_stage_change_after_the_start_drops_the_steps(db, leads, stage):
    rita, lea, max_, runs = leads
    contacts.change_stage(db, max_.id, stage, reason="Talked to him", now=START + dt.timedelta(hours=1))
    day = my_day.my_day(db, rita.id, tz="UTC", now=START + dt.timedelta(hours=2))
    assert [x.run for x in day.stopped] == [runs[max_.id]]
    assert {i.contact_id for i in listed(day)} == {lea.id}


def test_events_before_the_start_or_on_other_reps_leads_stop_nothing(db, leads):
    rita, lea, _, _ = leads
    campaigns.record_engagement(db, lea.id, "email_reply", START - dt.timedelta(days=30))
    campaigns.record_engagement(db, lea.id, "site_visit", START + dt.timedelta(hours=1))
    olga = users.create_user(db, "Olga Other", "olga@example.com", role=Role.REP)
    ole = contacts.create_contact(db, given_name="Ole", owner_id=olga.id)
    cadences.apply_cadence(db, "trade-show", [ole.id], start=START, tz=UTC)
    campaigns.record_engagement(db, ole.id, "email_reply", START + dt.timedelta(hours=1))
    assert my_day.my_day(db, rita.id, tz="UTC", now=START + dt.timedelta(hours=2)).stopped == ()
    assert len([x for x in a.list_activities(db, contact_id=ole.id) if x.done_at is None]) == 4  # Olga's day settles it


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_leaddesk_agenda_settles_before_listing(db, db_url, leads, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LEADDESK_DATA_DIR", str(tmp_path / "data"))
    _, lea, max_, _ = leads
    code, out, err = run(capsys, "--db", db_url, "agenda", "--user", "rita@example.com", "--tz", "UTC", "--json")
    assert code == 0, err
    before = json.loads(out)
    items = before["overdue"] + before["today"] + before["upcoming"]
    assert {i["contact"] for i in items} == {"Lea Lang", "Max Moor"}
    assert "step 1 of 5 · New inbound lead" in {i["cadence"] for i in items}
    campaigns.record_engagement(db, lea.id, "email_reply", dt.datetime.now(UTC) + dt.timedelta(minutes=5))
    code, out, err = run(capsys, "--db", db_url, "agenda", "--user", "rita@example.com", "--tz", "UTC")
    assert code == 0, err
    assert "Lea Lang" not in out and "Max Moor" in out and "step 1 of 5 · New inbound lead" in out
    still_open = [x for x in a.list_activities(db, contact_id=lea.id) if x.done_at is None]
    assert still_open == []  # stopped in the database, not just hidden
