"""A record's timeline (services/followups/timeline.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from leaddesk.errors import ValidationError
from leaddesk.services.followups import activities as a
from leaddesk.services.followups.timeline import load_timeline
from leaddesk.services.people import accounts, contacts
from leaddesk.services.pipeline import opportunities as p
from leaddesk.services.team import users

UTC = dt.timezone.utc
NOW = dt.datetime.now(UTC).replace(microsecond=0)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def deal(db):
    acme = accounts.create_account(db, name="Acme")
    lead = contacts.create_contact(db, given_name="Lea", account_id=acme.id)
    opp = p.create_opportunity(db, acme.id, "Rollout", primary_contact_id=lead.id)
    return acme, lead, opp


def test_newest_first_done_and_scheduled_with_who(db, deal):
    acme, lead, opp = deal
    rita = users.create_user(db, "Rita Rep", "rita@example.com")
    old = a.log_activity(db, "call", "Intro", contact_id=lead.id, opportunity_id=opp.id, done_at=NOW - 5 * HOUR,
                         owner_id=rita.id)
    late = a.schedule_activity(db, "call", "Missed follow-up", NOW - 2 * HOUR, contact_id=lead.id)
    nxt = a.schedule_activity(db, "meeting", "Demo", NOW + 48 * HOUR, opportunity_id=opp.id, owner_id=rita.id)
    gone = a.log_activity(db, "note", "Deleted", contact_id=lead.id)
    a.delete_activity(db, gone.id)

    t = load_timeline(db, account_id=acme.id)
    assert [e.id for e in t.entries] == [nxt.id, late.id, old.id]
    assert t.total == 3
    assert [e.owner_name for e in t.entries][0::2] == ["Rita Rep", "Rita Rep"]
    assert [e.is_overdue(NOW) for e in t.entries] == [False, True, False]
    assert [e.id for e in load_timeline(db, contact_id=lead.id).entries] == [late.id, old.id]
    assert [e.id for e in load_timeline(db, opportunity_id=opp.id).entries] == [nxt.id, old.id]


def test_capped_with_the_total(db, deal):
    _, lead, _ = deal
    for i in range(7):
        a.log_activity(db, "email", f"Mail {i}", contact_id=lead.id, done_at=NOW - i * HOUR)
    t = load_timeline(db, contact_id=lead.id, limit=3)
    assert [e.subject for e in t.entries] == ["Mail 0", "Mail 1", "Mail 2"]
    assert t.total == 7


def test_one_record_only(db, deal):
    acme, lead, _ = deal
    with pytest.raises(ValidationError):
        load_timeline(db)
    with pytest.raises(ValidationError):
        load_timeline(db, contact_id=lead.id, account_id=acme.id)
