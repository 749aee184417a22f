"""Log a touch, the lead's reply and the next step in one unit of work
(``services/followups/logbook.py``), on both engines: all of it is written, or, when any
part fails (here the next step, which is written last), none of it: no activity, no
engagement, no score moved, no cadence stopped, so saving again never logs twice."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from leaddesk.errors import ValidationError
from leaddesk.models import Activity, ChangeLog, EngagementEvent, Outbox
from leaddesk.models.enums import ActivityOutcome, EngagementKind
from leaddesk.services.followups import activities, cadences, logbook
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import accounts, contacts
from leaddesk.services.pipeline import opportunities

BERLIN = ZoneInfo("Europe/Berlin")
CALL = {"kind": "call", "subject": "She called back about the trial", "replied": True}


@pytest.fixture
def lead(db):
    acme = accounts.create_account(db, name="Acme Logistics GmbH")
    return contacts.create_contact(db, given_name="Lea", family_name="Lang", account_id=acme.id,
                                   owner_id=db.write.actor_id)


def _state(db, lead_id) -> tuple:
    """Everything a save could have written: activities, engagement, the lead, the journal."""
    journal = ChangeLog if db.hub_mode else Outbox
    with db.reader() as s:
        counts = tuple(s.scalar(select(func.count()).select_from(t)) for t in (Activity, EngagementEvent, journal))
        open_steps = s.scalar(select(func.count()).select_from(Activity).where(
            Activity.contact_id == lead_id, Activity.done_at.is_(None), Activity.deleted.is_(False)))
    c = contacts.get_contact(db, lead_id)
    return counts, open_steps, (c.interest_score, c.fit_score, c.version)


def test_a_touch_with_the_reply_and_the_next_step_is_written_whole(db, lead):
    runs = cadences.apply_cadence(db, "new-inbound", [lead.id], tz=BERLIN)
    before = contacts.get_contact(db, lead.id).interest_score
    due = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
    out = logbook.log_and_book(db, {"contact_id": lead.id}, CALL,
                               {"kind": "call", "subject": "Demo call", "due_at": due})
    assert out.done.done_at is not None and out.next_step.due_at == due and out.next_step.contact_id == lead.id
    [reply] = campaigns.list_engagement(db, lead.id)
    assert reply.kind == EngagementKind.EMAIL_REPLY and reply.occurred_at == out.done.done_at
    assert contacts.get_contact(db, lead.id).interest_score == before + 10  # the default reply rule
    assert [x.run for x in out.reply.stopped] == [runs[lead.id]]
    steps = [x for x in activities.list_activities(db, contact_id=lead.id) if x.cadence_run == runs[lead.id]]
    assert {s.outcome for s in steps} == {ActivityOutcome.CANCELLED}
    assert {out.done.id, out.next_step.id, lead.id} <= out.changes.ids
    assert {"activity", "engagement_event", "contact"} <= out.changes.entities


def test_a_next_step_that_fails_leaves_nothing_of_the_save(db, lead):
    cadences.apply_cadence(db, "new-inbound", [lead.id], tz=BERLIN)
    before = _state(db, lead.id)
    with pytest.raises(ValidationError) as err:  # a note is written, not scheduled: refused last
        logbook.log_and_book(db, {"contact_id": lead.id}, CALL,
                             {"kind": "note", "subject": "x", "due_at": dt.datetime.now(dt.timezone.utc)})
    assert err.value.field == "kind"
    assert _state(db, lead.id) == before  # no call, no reply, no score, the cadence still runs
    # saved again, corrected: one call and one reply, not two
    logbook.log_and_book(db, {"contact_id": lead.id}, CALL, None)
    assert len(campaigns.list_engagement(db, lead.id)) == 1
    assert len([a for a in activities.list_activities(db, contact_id=lead.id) if a.cadence_run is None]) == 1


def test_a_reply_needs_a_contact_and_an_opportunity_brings_its_own(db, lead):
    acme = contacts.get_contact(db, lead.id).account_id
    before = _state(db, lead.id)
    with pytest.raises(ValidationError) as err:
        logbook.log_and_book(db, {"account_id": acme}, CALL, None)
    assert err.value.field == "replied" and _state(db, lead.id) == before
    deal = opportunities.create_opportunity(db, name="Scanners", account_id=acme, primary_contact_id=lead.id)
    out = logbook.log_and_book(db, {"opportunity_id": deal.id}, CALL, None)
    assert (out.done.opportunity_id, out.done.contact_id) == (deal.id, lead.id)
    assert [e.kind for e in campaigns.list_engagement(db, lead.id)] == [EngagementKind.EMAIL_REPLY]
