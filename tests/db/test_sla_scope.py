"""Whose speed-to-lead and persistence figures a user gets (services/followups/sla.py): a
rep only her own row, a manager her team's, an admin everyone's; the breach counts and
meetings behind the figures screen follow, and unassigned leads' breaches stay visible to
all. Both engines; the access subject is switched as the app does when a user signs in."""

from __future__ import annotations

import datetime as dt

import pytest

from leaddesk.models import Contact, access
from leaddesk.services.followups import activities as a
from leaddesk.services.followups import sla
from leaddesk.services.people import contacts
from leaddesk.services.team import users

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MIN = dt.timedelta(minutes=1)
WINDOW = {"since": T0 - dt.timedelta(days=1), "until": T0 + dt.timedelta(days=10)}


def as_user(db, user_id):
    with db.reader() as s:
        db.write.subject = None
        subject = access.load_subject(s, user_id)
    db.write.subject, db.write.actor_id = subject, user_id


def _lead(db, name, owner=None):
    c = contacts.create_contact(db, given_name=name)
    with db.unit_of_work() as s:
        row = s.get(Contact, c.id)
        row.source, row.captured_at = "web_form", T0
        row.owner_id, row.assigned_at = (owner, T0) if owner else (None, None)
    return c.id


@pytest.fixture
def teams(db):
    return make_teams(db)


def make_teams(db):
    """North: Ana and Ben (reps), Mia (manager); South: Zed (rep). Each rep has a lead
    touched after 3 min, an untouched one (a breach) and a meeting missed; one lead is in
    the pool."""
    north, south = users.create_team(db, "North"), users.create_team(db, "South")
    ids = {"ada": db.write.actor_id}
    for name, team in (("Ana", north), ("Ben", north), ("Zed", south)):
        ids[name] = users.create_user(db, f"{name} Rep", f"{name.lower()}@example.com", role="rep",
                                      team_id=team.id).id
    ids["Mia"] = users.create_user(db, "Mia Manager", "mia@example.com", role="manager", team_id=north.id).id
    for name in ("Ana", "Ben", "Zed"):
        touched = _lead(db, f"{name}'s lead", ids[name])
        a.log_activity(db, "call", "Call", contact_id=touched, owner_id=ids[name], outcome="no_answer",
                       done_at=T0 + 3 * MIN, now=T0 + 3 * MIN)
        _lead(db, f"{name}'s waiting lead", ids[name])
        meeting = a.schedule_activity(db, "meeting", "Demo", T0, contact_id=touched, owner_id=ids[name])
        a.complete_activity(db, meeting.id, "no_show", now=T0 + MIN, tz="UTC")
    _lead(db, "Pool lead")
    return ids


def names(db) -> list[str]:
    return [f.name for f in sla.rep_figures(db, **WINDOW)]


@pytest.mark.parametrize(("who", "rows"), [
    ("ada", ["Ana Rep", "Ben Rep", "Zed Rep"]),  # admin: everyone
    ("Mia", ["Ana Rep", "Ben Rep"]),  # manager: her team (North)
    ("Ana", ["Ana Rep"]),  # rep: her own row only, though she reads her team's leads
    ("Zed", ["Zed Rep"]),
])
def test_each_role_sees_its_rows(db, teams, who, rows):
    as_user(db, teams[who])
    assert names(db) == rows
    mine = {teams[n.split()[0]] for n in rows}
    figures = sla.rep_figures(db, **WINDOW)
    assert {f.owner_id for f in figures} == mine
    assert all((f.leads, f.touched, f.median_minutes, f.meetings, f.no_shows) == (2, 1, 3.0, 1, 1) for f in figures)
    now = T0 + dt.timedelta(hours=2)
    assert sla.breach_counts(db, now=now) == {**{o: 1 for o in mine}, None: 1}
    assert set(sla.rep_meetings(db, **WINDOW)) == mine
    assert set(sla.rep_persistence(db, **WINDOW)) == mine


def test_no_subject_is_everyone(db, teams):
    db.write.subject = None  # a single-user install or the command line
    assert names(db) == ["Ana Rep", "Ben Rep", "Zed Rep"]
