from __future__ import annotations

import datetime as dt
import uuid

import pytest

from leaddesk.errors import Conflict, NotFound, ValidationError
from leaddesk.models.enums import ActivityKind, ActivityOutcome
from leaddesk.services.people import accounts, contacts
from leaddesk.services.team import users
from leaddesk.services.followups import activities as a
from leaddesk.services.pipeline import opportunities as p

UTC = dt.timezone.utc
NOW = dt.datetime.now(UTC).replace(microsecond=0)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def deal(db):
    """An account, a fresh lead at it and an open opportunity with that lead as contact."""
    acme = accounts.create_account(db, name="Acme")
    lead = contacts.create_contact(db, given_name="Lea", account_id=acme.id)
    opp = p.create_opportunity(db, acme.id, "Rollout", primary_contact_id=lead.id)
    return acme, lead, opp


def _touch_times(db, lead, opp):
    return contacts.get_contact(db, lead.id).first_touch_at, p.get_opportunity(db, opp.id).last_touch_at


def test_logged_call_is_a_touch_and_fills_in_the_account(db, deal):
    acme, lead, opp = deal
    done = NOW - 2 * HOUR
    call = a.log_activity(db, "call", "Intro call", contact_id=lead.id, opportunity_id=opp.id, done_at=done,
                          duration_minutes=15)
    assert (call.kind, call.outcome, call.done_at, call.account_id) == (
        ActivityKind.CALL, ActivityOutcome.COMPLETED, done, acme.id)
    assert call.owner_id == db.write.actor_id
    assert _touch_times(db, lead, opp) == (done, done)
    assert [x.id for x in a.list_activities(db, account_id=acme.id)] == [call.id]


def test_first_touch_keeps_the_earliest_and_last_touch_the_latest(db, deal):
    _, lead, opp = deal
    a.log_activity(db, "email", "Follow-up", contact_id=lead.id, opportunity_id=opp.id, done_at=NOW - HOUR)
    a.log_activity(db, "meeting", "Earlier visit", contact_id=lead.id, opportunity_id=opp.id, done_at=NOW - 5 * HOUR)
    assert _touch_times(db, lead, opp) == (NOW - 5 * HOUR, NOW - HOUR)


def test_notes_and_tasks_are_not_touches(db, deal):
    _, lead, opp = deal
    a.log_activity(db, "note", "Prefers e-mail", contact_id=lead.id, opportunity_id=opp.id)
    a.log_activity(db, "task", "Prepared the quote", contact_id=lead.id, opportunity_id=opp.id)
    assert _touch_times(db, lead, opp) == (None, None)
    with pytest.raises(ValidationError) as err:
        a.log_activity(db, "note", "x", contact_id=lead.id, outcome="completed")
    assert err.value.field == "outcome"


@pytest.mark.parametrize(
    "kind, outcome, attempt, touch",
    [
        ("call", "completed", True, True),
        ("call", "no_answer", True, False),
        ("call", "left_voicemail", True, False),
        ("meeting", "no_show", False, False),
        ("meeting", "cancelled", False, False),
        ("call", "rescheduled", False, False),
        ("task", "completed", False, False),
    ],
)
def test_completing_follows_the_attempt_and_touch_rule(db, deal, kind, outcome, attempt, touch):
    _, lead, opp = deal
    planned = a.schedule_activity(db, kind, "Follow up", NOW + HOUR, contact_id=lead.id, opportunity_id=opp.id)
    assert _touch_times(db, lead, opp) == (None, None)
    done = a.complete_activity(db, planned.id, outcome, done_at=NOW, expected_version=planned.version)
    assert (done.outcome, done.done_at) == (ActivityOutcome(outcome), NOW)
    assert (a.is_attempt(done.kind, done.outcome), a.is_touch(done.kind, done.outcome)) == (attempt, touch)
    assert _touch_times(db, lead, opp) == (NOW if attempt else None, NOW if touch else None)


def test_no_show_stays_on_record_and_leaves_the_reminders(db, deal):
    _, lead, opp = deal
    demo = a.schedule_activity(db, "meeting", "Product demo", NOW - HOUR, contact_id=lead.id, opportunity_id=opp.id)
    assert [x.id for x in a.due_activities(db, db.write.actor_id, NOW)] == [demo.id]
    a.complete_activity(db, demo.id, "no_show", note="Did not dial in")
    kept = a.get_activity(db, demo.id)
    assert (kept.id, kept.outcome, kept.body) == (demo.id, ActivityOutcome.NO_SHOW, "Did not dial in")
    # the missed meeting leaves the reminders; its reschedule task (tests/db/test_sla.py) is due later
    (task,) = [x for x in a.list_activities(db, opportunity_id=opp.id) if x.id != demo.id]
    assert task.subject == "Reschedule: Product demo" and task.due_at > NOW
    assert a.due_activities(db, db.write.actor_id, NOW) == []
    with pytest.raises(ValidationError) as err:
        a.complete_activity(db, demo.id, "completed")
    assert err.value.field == "done_at"


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda db, c: a.log_activity(db, "fax", "Hi", contact_id=c), "kind"),
        (lambda db, c: a.log_activity(db, "call", "Hi", contact_id=c, outcome="maybe"), "outcome"),
        (lambda db, c: a.log_activity(db, "call", "   ", contact_id=c), "subject"),
        (lambda db, c: a.log_activity(db, "call", "x" * 301, contact_id=c), "subject"),
        (lambda db, c: a.log_activity(db, "call", "Hi", contact_id=c, done_at=dt.datetime(2026, 1, 5, 9)), "done_at"),
        (lambda db, c: a.log_activity(db, "call", "Hi", contact_id=c, done_at=NOW + 24 * HOUR), "done_at"),
        (lambda db, c: a.log_activity(db, "call", "Hi"), "contact_id"),
        (lambda db, c: a.log_activity(db, "call", "Hi", opportunity_id=uuid.uuid4()), "opportunity_id"),
        (lambda db, c: a.log_activity(db, "call", "Hi", contact_id=c, duration_minutes=-5), "duration_minutes"),
        (lambda db, c: a.log_activity(db, "call", "Hi", contact_id=c, owner_id=uuid.uuid4()), "owner_id"),
        (lambda db, c: a.schedule_activity(db, "call", "Hi", dt.datetime(2026, 1, 5, 9), contact_id=c), "due_at"),
        (lambda db, c: a.schedule_activity(db, "call", "Hi", None, contact_id=c), "due_at"),
        (lambda db, c: a.schedule_activity(db, "note", "Hi", NOW, contact_id=c), "kind"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(db, deal, call, field):
    acme, lead, opp = deal
    with pytest.raises(ValidationError) as err:
        call(db, lead.id)
    assert err.value.field == field
    assert a.list_activities(db) == []
    assert _touch_times(db, lead, opp) == (None, None)


def test_links_to_deleted_records_are_refused(db, deal):
    acme, lead, _ = deal
    contacts.delete_contact(db, lead.id)
    with pytest.raises(ValidationError) as err:
        a.log_activity(db, "call", "Hi", contact_id=lead.id, account_id=acme.id)
    assert err.value.field == "contact_id"
    assert a.list_activities(db, account_id=acme.id) == []


def test_due_activities_are_the_owners_open_ones_most_overdue_first(db, make_db, deal):
    _, lead, _ = deal
    me = db.write.actor_id
    bob = users.create_user(db, "Bob", "bob@example.com")
    later = a.schedule_activity(db, "call", "Later today", NOW + HOUR, contact_id=lead.id)
    overdue = a.schedule_activity(db, "email", "Overdue", NOW - 24 * HOUR, contact_id=lead.id)
    a.schedule_activity(db, "call", "Next week", NOW + 7 * 24 * HOUR, contact_id=lead.id)
    a.schedule_activity(db, "call", "Bob's", NOW - HOUR, contact_id=lead.id, owner_id=bob.id)
    a.log_activity(db, "call", "Already done", contact_id=lead.id)
    assert [x.subject for x in a.due_activities(db, me, NOW + 2 * HOUR)] == [overdue.subject, later.subject]
    assert [x.subject for x in a.due_activities(db, bob.id, NOW)] == ["Bob's"]
    assert len(a.due_activities(db, None, NOW + 2 * HOUR)) == 3
    with pytest.raises(ValidationError) as err:
        a.due_activities(db, me, dt.datetime(2026, 1, 5, 9))
    assert err.value.field == "until"


def test_list_activities_newest_first_with_filters(db, deal):
    acme, lead, opp = deal
    other = contacts.create_contact(db, given_name="Otto", account_id=acme.id)
    old = a.log_activity(db, "call", "old", contact_id=lead.id, done_at=NOW - 3 * HOUR)
    mid = a.log_activity(db, "email", "mid", contact_id=lead.id, opportunity_id=opp.id, done_at=NOW - 2 * HOUR)
    new = a.log_activity(db, "note", "new", contact_id=lead.id, done_at=NOW - HOUR)
    planned = a.schedule_activity(db, "call", "planned", NOW + HOUR, contact_id=lead.id)
    a.log_activity(db, "call", "someone else", contact_id=other.id, done_at=NOW)
    assert [x.id for x in a.list_activities(db, contact_id=lead.id)] == [planned.id, new.id, mid.id, old.id]
    assert [x.id for x in a.list_activities(db, contact_id=lead.id, limit=2)] == [planned.id, new.id]
    assert [x.id for x in a.list_activities(db, contact_id=lead.id, open_only=True)] == [planned.id]
    assert [x.id for x in a.list_activities(db, opportunity_id=opp.id)] == [mid.id]
    assert len(a.list_activities(db, account_id=acme.id)) == 5


def test_reschedule_stale_version_is_a_conflict_and_the_other_change_survives(db, make_db, deal):
    _, lead, _ = deal
    planned = a.schedule_activity(db, "call", "Call back", NOW + HOUR, contact_id=lead.id)
    other = make_db()
    theirs = a.reschedule_activity(other, planned.id, NOW + 3 * HOUR, expected_version=planned.version)
    with pytest.raises(Conflict):
        a.reschedule_activity(db, planned.id, NOW + 2 * HOUR, expected_version=planned.version)
    with pytest.raises(Conflict):
        a.complete_activity(db, planned.id, "completed", expected_version=planned.version)
    assert a.get_activity(db, planned.id) == theirs
    assert theirs.due_at == NOW + 3 * HOUR and theirs.done_at is None


def test_update_activity_relinks_and_counts_the_touch(db, deal):
    acme, lead, opp = deal
    call = a.log_activity(db, "call", "Chat", account_id=acme.id, done_at=NOW - HOUR)
    assert _touch_times(db, lead, opp) == (None, None)
    with pytest.raises(ValidationError) as err:
        a.update_activity(db, call.id, expected_version=call.version, contact_id=uuid.uuid4())
    assert err.value.field == "contact_id"
    with pytest.raises(ValidationError) as err:
        a.update_activity(db, call.id, expected_version=call.version, account_id=None)
    assert err.value.field == "contact_id"
    linked = a.update_activity(db, call.id, expected_version=call.version, contact_id=lead.id,
                               opportunity_id=opp.id, subject="Chat with Lea")
    assert (linked.contact_id, linked.subject, linked.version) == (lead.id, "Chat with Lea", call.version + 1)
    assert _touch_times(db, lead, opp) == (NOW - HOUR, NOW - HOUR)


def test_activity_soft_delete_and_restore(db, deal):
    _, lead, _ = deal
    note = a.log_activity(db, "note", "Met at the trade show", contact_id=lead.id, body="Booth 12")
    gone = a.delete_activity(db, note.id, expected_version=note.version)
    assert gone.deleted
    with pytest.raises(NotFound):
        a.get_activity(db, note.id)
    assert a.list_activities(db, contact_id=lead.id) == []
    back = a.restore_activity(db, note.id)
    assert not back.deleted and [x.body for x in a.list_activities(db, contact_id=lead.id)] == ["Booth 12"]
