"""Cadences (team templates applied to leads as runs) and recurring activities."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from leaddesk.errors import ValidationError
from leaddesk.models.enums import ActivityOutcome, Role
from leaddesk.services import settings as team_settings
from leaddesk.services.followups import activities as a
from leaddesk.services.followups import cadences, recurrence, timeline
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import accounts, contacts
from leaddesk.services.team import users

UTC = dt.timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
# A controllable clock: every call gets its "now"; the run starts just after the rows are
# written (their created_at is the wall clock), so events "after the start" are in the future.
START = (dt.datetime.now(UTC) + dt.timedelta(days=1)).replace(microsecond=0)


@pytest.fixture
def leads(db):
    rita = users.create_user(db, "Rita Rep", "rita@example.com", role=Role.REP)
    acme = accounts.create_account(db, name="Acme")
    lea = contacts.create_contact(db, given_name="Lea", family_name="Lang", account_id=acme.id, owner_id=rita.id)
    max_ = contacts.create_contact(db, given_name="Max", family_name="Moor")
    return rita, lea, max_


def steps(db, contact_id):
    return sorted((x for x in a.list_activities(db, contact_id=contact_id) if x.cadence_run),
                  key=lambda x: x.cadence_step)


def test_apply_to_one_lead_plans_every_step_at_local_nine(db, leads):
    rita, lea, _ = leads
    start = dt.datetime(2026, 3, 27, 15, 0, tzinfo=UTC)  # Friday; Berlin goes to summer time on the 29th
    runs = cadences.apply_cadence(db, "new-inbound", [lea.id], start=start, tz=BERLIN)
    got = steps(db, lea.id)
    assert [(x.cadence_step, x.kind.value, x.due_at.astimezone(BERLIN).replace(tzinfo=None)) for x in got] == [
        (1, "call", dt.datetime(2026, 3, 27, 9)), (2, "email", dt.datetime(2026, 3, 28, 9)),
        (3, "call", dt.datetime(2026, 3, 30, 9)), (4, "call", dt.datetime(2026, 4, 3, 9)),
        (5, "email", dt.datetime(2026, 4, 10, 9))]
    assert {x.cadence_run for x in got} == {runs[lea.id]}
    assert {(x.owner_id, x.cadence_key, x.account_id is not None) for x in got} == {(rita.id, "new-inbound", True)}
    assert got[2].due_at == dt.datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST


def test_working_days_skip_the_weekend(db, leads):
    _, lea, _ = leads
    cadences.apply_cadence(db, "trade-show", [lea.id], start=dt.datetime(2026, 3, 27, 8, tzinfo=UTC), tz=BERLIN,
                           working_days=True)
    assert [x.due_at.astimezone(BERLIN).date().isoformat() for x in steps(db, lea.id)] == [
        "2026-03-30", "2026-03-31", "2026-04-03", "2026-04-10"]


def test_apply_to_a_selection_and_refuse_a_second_open_run(db, leads):
    _, lea, max_ = leads
    runs = cadences.apply_cadence(db, "trade-show", [lea.id, max_.id], start=START, tz=BERLIN)
    assert len(set(runs.values())) == 2
    assert [len(steps(db, c)) for c in (lea.id, max_.id)] == [4, 4]
    assert {x.owner_id for x in steps(db, max_.id)} == {db.write.actor_id}  # no owner: the acting user
    other = contacts.create_contact(db, given_name="Ole")
    with pytest.raises(ValidationError, match="already running for Max Moor"):
        cadences.apply_cadence(db, "trade-show", [other.id, max_.id], start=START, tz=BERLIN)
    assert steps(db, other.id) == []  # nothing written for the other lead either
    cadences.apply_cadence(db, "new-inbound", [max_.id], start=START, tz=BERLIN)  # another cadence is fine
    cadences.stop_cadence(db, runs[max_.id], "Wrong list")
    again = cadences.apply_cadence(db, "trade-show", [max_.id], start=START, tz=BERLIN)
    assert again[max_.id] != runs[max_.id]  # the same cadence twice is two runs
    with pytest.raises(ValidationError):
        cadences.apply_cadence(db, "no-such", [max_.id])


def test_a_late_step_shifts_the_later_open_steps(db, leads):
    _, lea, _ = leads
    cadences.apply_cadence(db, "new-inbound", [lea.id], start=dt.datetime(2026, 3, 26, 8, tzinfo=UTC), tz=BERLIN)
    first, second, third, *_ = steps(db, lea.id)
    late = first.due_at + dt.timedelta(days=2, hours=3)
    a.complete_activity(db, first.id, "no_answer", done_at=late, now=late, tz=BERLIN)
    after = {x.cadence_step: x.due_at.astimezone(BERLIN).replace(tzinfo=None) for x in steps(db, lea.id)}
    assert after[2] == dt.datetime(2026, 3, 29, 12)  # 27th 09:00 + 2 days 3 hours, across the DST jump
    assert after[3] == dt.datetime(2026, 3, 31, 12)
    on_time = second.due_at - dt.timedelta(hours=1)
    before = steps(db, lea.id)
    a.complete_activity(db, second.id, "completed", done_at=dt.datetime(2026, 3, 29, 10, tzinfo=UTC),
                        now=on_time + dt.timedelta(days=3), tz=BERLIN)
    assert [x.due_at for x in steps(db, lea.id)][2:] == [x.due_at for x in before][2:]
    assert third.id in {x.id for x in steps(db, lea.id)}


def _open_and_cancelled(db, contact_id):
    got = steps(db, contact_id)
    return ([x for x in got if x.done_at is None],
            [x for x in got if x.outcome == ActivityOutcome.CANCELLED])


def test_a_reply_stops_the_run(db, leads):
    _, lea, _ = leads
    cadences.apply_cadence(db, "new-inbound", [lea.id], start=START, tz=BERLIN)
    assert cadences.settle_runs(db, [lea.id]) == []
    campaigns.record_engagement(db, lea.id, "email_reply", START + dt.timedelta(hours=5))
    [stopped] = cadences.settle_runs(db, [lea.id])
    assert (stopped.reason, stopped.cancelled) == ("the lead replied", 5)
    still_open, cancelled = _open_and_cancelled(db, lea.id)
    assert still_open == [] and len(cancelled) == 5
    assert {x.done_at for x in cancelled} == {START + dt.timedelta(hours=5)}
    assert all("Cadence stopped: the lead replied" in x.body for x in cancelled)


def test_an_old_reply_does_not_stop_a_new_run(db, leads):
    _, lea, _ = leads
    campaigns.record_engagement(db, lea.id, "email_reply", START - dt.timedelta(days=30))
    campaigns.record_engagement(db, lea.id, "site_visit", START + dt.timedelta(hours=1))
    cadences.apply_cadence(db, "new-inbound", [lea.id], start=START, tz=BERLIN)
    assert cadences.settle_runs(db, [lea.id]) == []


@pytest.mark.parametrize(("stage", "reason"), [("sql", "the lead was qualified (sql)"),
                                                ("disqualified", "the lead was disqualified")])
def test_qualifying_or_disqualifying_stops_the_run(db, leads, stage, reason):
    _, lea, _ = leads
    cadences.apply_cadence(db, "new-inbound", [lea.id], start=START, tz=BERLIN)
    contacts.change_stage(db, lea.id, stage, reason="Talked to her", now=START + dt.timedelta(days=2))
    first = steps(db, lea.id)[0]
    # completing a step settles the lead's runs too
    a.complete_activity(db, first.id, "completed", done_at=first.due_at, now=first.due_at, tz=BERLIN)
    still_open, cancelled = _open_and_cancelled(db, lea.id)
    assert still_open == [] and len(cancelled) == 4
    assert all(reason in x.body for x in cancelled)


def test_stop_by_hand(db, leads):
    _, lea, _ = leads
    run = cadences.apply_cadence(db, "trade-show", [lea.id], start=START, tz=BERLIN)[lea.id]
    with pytest.raises(ValidationError):
        cadences.stop_cadence(db, run, "  ")
    stopped = cadences.stop_cadence(db, run, "Met at the booth, will call back", now=START)
    assert stopped.cancelled == 4
    _, cancelled = _open_and_cancelled(db, lea.id)
    assert {x.done_at for x in cancelled} == {START}
    assert cadences.run_steps(db, lea.id) == {run: ("Trade-show follow-up", 4)}
    entries = timeline.load_timeline(db, contact_id=lea.id).entries
    assert sorted(e.cadence for e in entries) == [f"step {n} of 4 · Trade-show follow-up" for n in range(1, 5)]


def test_weekly_recurrence_stays_at_nine_across_dst_in_berlin(db, leads):
    _, lea, _ = leads
    monday = dt.datetime(2026, 3, 23, 9, 0, tzinfo=BERLIN)  # CET; next Monday is CEST
    act = a.schedule_activity(db, "task", "Weekly pipeline review", monday, contact_id=lea.id,
                              rrule="rrule:freq=weekly;byday=MO")
    assert act.rrule == "FREQ=WEEKLY;BYDAY=MO"
    a.complete_activity(db, act.id, "completed", done_at=monday, now=monday, tz=BERLIN)
    [nxt] = a.list_activities(db, contact_id=lea.id, open_only=True)
    assert nxt.due_at.astimezone(BERLIN).replace(tzinfo=None) == dt.datetime(2026, 3, 30, 9, 0)
    assert nxt.due_at == dt.datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert (nxt.rrule, nxt.subject, nxt.contact_id) == (act.rrule, act.subject, lea.id)
    assert {e.repeat for e in timeline.load_timeline(db, contact_id=lea.id).entries} == {"weekly on MO"}
    # done late (Wednesday): the next one is the Monday after
    late = dt.datetime(2026, 4, 1, 15, 0, tzinfo=BERLIN)
    a.complete_activity(db, nxt.id, "completed", done_at=late, now=late, tz=BERLIN)
    [third] = a.list_activities(db, contact_id=lea.id, open_only=True)
    assert third.due_at == dt.datetime(2026, 4, 6, 7, 0, tzinfo=UTC)


def test_until_ends_the_series(db, leads):
    _, lea, _ = leads
    day = dt.datetime(2026, 5, 4, 9, 0, tzinfo=BERLIN)
    act = a.schedule_activity(db, "call", "Daily stand-up call", day, contact_id=lea.id,
                              rrule="FREQ=DAILY;UNTIL=20260504T235959")
    a.complete_activity(db, act.id, "completed", done_at=day, now=day, tz=BERLIN)
    assert a.list_activities(db, contact_id=lea.id, open_only=True) == []


@pytest.mark.parametrize("bad", ["every monday", "FREQ=SOMETIMES", "FREQ=WEEKLY;BYDAY=XX", "FREQ=DAILY;COUNT=3",
                                 "DTSTART:20260101T090000\nRRULE:FREQ=DAILY"])
def test_a_bad_rrule_is_refused(db, leads, bad):
    _, lea, _ = leads
    with pytest.raises(ValidationError) as err:
        a.schedule_activity(db, "task", "x", START, contact_id=lea.id, rrule=bad)
    assert err.value.field == "rrule"
    assert a.list_activities(db, contact_id=lea.id) == []


def test_repeat_presets():
    monday = dt.datetime(2026, 3, 23, 9)
    assert [recurrence.preset_rrule(p, monday) for p in ("none", "daily", "weekly", "monthly")] == [
        None, "FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO", "FREQ=MONTHLY"]
    assert recurrence.describe("FREQ=WEEKLY;BYDAY=MO") == "weekly on MO"


def test_managers_edit_cadence_templates_strictly(db):
    custom = [{"key": "webinar", "name": "After the webinar",
               "steps": [{"day": 2, "kind": "Call", "subject": "Call", "time": "14:30"},
                         {"day": 0, "kind": "email", "subject": "Slides"}]}]
    saved = team_settings.set_setting(db, "cadences", custom)
    assert [s["day"] for s in saved[0]["steps"]] == [0, 2] and saved[0]["steps"][1]["kind"] == "call"
    assert [t.key for t in cadences.templates(db)] == ["webinar"]
    bad_ones = [
        [{"key": "Bad Key", "name": "x", "steps": [{"day": 0, "kind": "call", "subject": "x"}]}],
        [{"key": "a", "name": "x", "steps": []}],
        [{"key": "a", "name": "x", "steps": [{"day": -1, "kind": "call", "subject": "x"}]}],
        [{"key": "a", "name": "x", "steps": [{"day": 0, "kind": "note", "subject": "x"}]}],
        [{"key": "a", "name": "x", "steps": [{"day": 0, "kind": "call", "subject": "x", "time": "25:00"}]}],
        [{"key": "a", "name": "x", "steps": [{"day": 0, "kind": "call", "subject": "x"}]}] * 2,
        "not a list",
    ]
    for bad in bad_ones:
        with pytest.raises(ValidationError) as err:
            team_settings.set_setting(db, "cadences", bad)
        assert err.value.field == "cadences"
    assert [t.key for t in cadences.templates(db)] == ["webinar"]
