"""Issue #12 points 4 and 8: caps per rep and per team are the managers' (team settings
``lead_cap_by_rep`` / ``lead_cap_by_team``), not the admins' user and team rows; round-robin
respects them; a rep is refused. On both engines."""

from __future__ import annotations

from collections import Counter

import pytest

from leaddesk.errors import PermissionDenied, ValidationError
from sqlalchemy import select

from leaddesk.models import Team, User
from leaddesk.services import settings as team_settings
from leaddesk.services.qualification import assignment, handoff
from leaddesk.services.qualification.assignment import CAP_REP, CAP_SETTING, CAP_TEAM, LeadCapReached
from leaddesk.services.team import users
from tests.db.test_handoff import NOW, as_user, lead, make_team, owners_of, row


@pytest.fixture
def team(empty_db):
    return make_team(empty_db)


def test_a_manager_sets_a_reps_and_a_teams_cap_as_settings(team):
    db, ids = team
    as_user(db, ids["Mia"])  # a manager: no power over user or team rows
    ben = assignment.set_rep_cap(db, ids["Ben"], 2)
    north = assignment.set_team_cap(db, ids["north"], 1)
    assert (ben.cap, ben.cap_source, ben.own_cap) == (2, CAP_REP, 2)
    assert (north.team_cap, north.setting_cap) == (1, 500)
    load = {r.name: (r.cap, r.cap_source, r.own_cap) for r in north.reps}
    assert load["Ben Rep"] == (2, CAP_REP, 2) and load["Ana Rep"] == (1, CAP_TEAM, None)
    (zed,) = assignment.rep_loads(db, [ids["Zed"]])  # South has no cap of its own
    assert (zed.cap, zed.cap_source) == (500, CAP_SETTING)
    stored = team_settings.get_settings(db)
    assert stored["lead_cap_by_rep"] == {str(ids["Ben"]): 2}
    assert stored["lead_cap_by_team"] == {str(ids["north"]): 1}
    with db.reader() as s:  # the user and team rows were not touched
        assert s.get(User, ids["Ben"]).lead_cap is None
    assert users.list_teams(db)[0].lead_cap is None
    # empty = back to the team's, then to the setting's
    assert assignment.set_rep_cap(db, ids["Ben"], None).cap_source == CAP_TEAM
    assert assignment.set_team_cap(db, ids["north"], None).team_cap is None
    assert team_settings.get_settings(db)["lead_cap_by_rep"] == {}


def test_round_robin_skips_a_rep_at_her_cap_and_refuses_when_all_are_full(team):
    db, ids = team
    as_user(db, ids["Mia"])
    assignment.set_team_cap(db, ids["north"], 1)
    assignment.set_rep_cap(db, ids["Ben"], 3)
    lead(db, "Held by Ana", owner=ids["Ana"], hot=False)  # Ana is at her team's cap already
    leads = [lead(db, f"Lead {i}") for i in range(4)]
    handoff.hand_off_hot_leads(db, now=NOW, team_id=ids["north"])
    assert Counter(owners_of(db, leads)) == {ids["Ben"]: 2, ids["Cem"]: 1, ids["Dee"]: 1}
    assert ids["Ana"] not in owners_of(db, leads)
    one_more, two_more = lead(db, "One more"), lead(db, "Two more")
    with pytest.raises(LeadCapReached, match=r"All 4 reps of North are at their cap \(caps of 1, 3 open leads\)"):
        handoff.hand_off_hot_leads(db, now=NOW, team_id=ids["north"])  # Ben has room for one, not two
    assert owners_of(db, [one_more, two_more]) == [None, None]  # nothing was assigned
    assignment.set_rep_cap(db, ids["Ben"], 4)  # the manager raises Ben's cap: one more place
    with db.unit_of_work() as s:
        assert assignment.round_robin(s, ids["north"], 1) == [ids["Ben"]]


def test_a_rep_is_refused_with_a_clear_sentence(team):
    db, ids = team
    as_user(db, ids["Ana"])
    assert not assignment.may_edit_caps(db.write.subject)
    with pytest.raises(PermissionDenied, match="Only a manager or an admin can change lead caps"):
        assignment.set_rep_cap(db, ids["Ana"], 900)
    with pytest.raises(PermissionDenied, match="Only a manager or an admin can change lead caps"):
        assignment.set_team_cap(db, ids["north"], 900)
    with pytest.raises(PermissionDenied):  # nor through the settings service (the journal's rules)
        team_settings.set_setting(db, "lead_cap_by_rep", {str(ids["Ana"]): 900})
    assert team_settings.get_settings(db)["lead_cap_by_rep"] == {}


@pytest.mark.parametrize("value, match", [
    ({"not-an-id": 3}, "is not a rep id"),
    ("Ben: 3", "must map rep ids to caps"),
    ({"BEN": 3}, "is not a rep id"),
    ({"USER": 0}, "at least 1"),
    ({"USER": True}, "whole number"),
    ({"USER": 2.5}, "whole number"),
    ({"TEAM": 3}, "no user with the id"),  # a team's id is no user's
])
def test_cap_settings_are_checked(team, value, match):
    db, ids = team
    if isinstance(value, dict):
        value = {str(ids["Ben"]) if k == "USER" else str(ids["north"]) if k == "TEAM" else k: c
                 for k, c in value.items()}
    with pytest.raises(ValidationError, match=match) as err:
        team_settings.set_settings(db, {"lead_cap_by_rep": value, "lead_cap": 300})
    assert err.value.field == "lead_cap_by_rep"
    assert team_settings.get_settings(db)["lead_cap"] == 500  # nothing saved


def test_a_cap_below_one_is_refused_by_the_set_functions(team):
    db, ids = team
    with pytest.raises(ValidationError, match="at least 1"):
        assignment.set_rep_cap(db, ids["Ben"], 0)
    saved = team_settings.set_setting(db, "lead_cap_by_team", {str(ids["north"]).upper(): "7"})
    assert saved == {str(ids["north"]): 7}  # ids in their canonical form, caps as numbers
    assert assignment.team_load(db, ids["north"]).team_cap == 7


def test_reassign_and_the_reassign_check_read_the_setting_caps(team):
    db, ids = team
    as_user(db, ids["Mia"])
    assignment.set_rep_cap(db, ids["Ben"], 1)
    lead(db, "Bens", owner=ids["Ben"], hot=False)
    a = lead(db, "Anas", owner=ids["Ana"], hot=False)
    with pytest.raises(LeadCapReached, match="Ben Rep holds 1 open leads of a cap of 1"):
        assignment.reassign(db, [a], ids["Ben"], "Territory")
    assert row(db, a).owner_id == ids["Ana"]


def test_entries_written_past_the_app_are_skipped_not_fatal(team):
    db, ids = team
    from leaddesk.models import TeamSetting

    with db.unit_of_work() as s:  # as a manager's raw SQL could leave the row
        s.add(TeamSetting(id=team_settings.setting_id("lead_cap_by_rep"), key="lead_cap_by_rep",
                          value={"nobody": 3, str(ids["Ana"]): 0, str(ids["Ben"]): "x", str(ids["Cem"]): 4}))
    loads = {r.name: (r.cap, r.cap_source) for r in assignment.team_load(db, ids["north"]).reps}
    assert loads["Cem Rep"] == (4, CAP_REP) and loads["Ana Rep"] == (500, CAP_SETTING)
    assert loads["Ben Rep"] == (500, CAP_SETTING)
    assignment.set_rep_cap(db, ids["Dee"], 2)  # the next save through the app keeps only good entries
    assert team_settings.get_settings(db)["lead_cap_by_rep"] == {str(ids["Cem"]): 4, str(ids["Dee"]): 2}


def test_the_demo_teams_caps_are_the_team_setting_that_assignment_reads(db):
    import datetime as dt

    from leaddesk.services.demo import generate as demo
    from leaddesk.services.demo._tables import TEAM_CAPS

    demo.generate(db, "small", now=dt.datetime(2026, 12, 7, 9, tzinfo=dt.timezone.utc))
    with db.reader() as s:
        caps = assignment.caps_in(s)
        capped = [t for t in s.scalars(select(Team).order_by(Team.name)) if caps.by_team.get(t.id)]
    expected = sorted(c for c in TEAM_CAPS if c)
    assert expected and sorted(caps.by_team.values()) == expected
    assert all(t.lead_cap is None for t in capped)  # the old column is left alone
