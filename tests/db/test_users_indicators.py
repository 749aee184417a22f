"""Teams, users and high-probability indicators: full life cycle on both engines."""

from __future__ import annotations

import pytest

from leaddesk.errors import Conflict, NotFound, ValidationError
from leaddesk.services.qualification import indicators
from leaddesk.services.team import users


def test_team_rename_and_delete_needs_no_active_members(db):
    team = users.create_team(db, "Field Sales")
    rep = users.create_user(db, "Rita Rep", "rita@example.com", team_id=team.id)
    team2 = users.update_team(db, team.id, expected_version=team.version, name="Field sales EMEA")
    assert team2.name == "Field sales EMEA" and team2.version == team.version + 1
    with pytest.raises(Conflict):
        users.update_team(db, team.id, expected_version=team.version, name="Stale")
    with pytest.raises(ValidationError):
        users.delete_team(db, team.id)
    users.update_user(db, rep.id, expected_version=rep.version, team_id=None)
    users.delete_team(db, team.id)
    assert [t.name for t in users.list_teams(db)] == []
    users.restore_team(db, team.id)
    assert [t.name for t in users.list_teams(db)] == ["Field sales EMEA"]


def test_user_soft_delete_restore_and_not_yourself(db):
    rep = users.create_user(db, "Rita Rep", "rita@example.com")
    users.delete_user(db, rep.id)
    with pytest.raises(NotFound):
        users.get_user(db, rep.id)
    users.restore_user(db, rep.id)
    assert users.get_user(db, rep.id).name == "Rita Rep"
    with pytest.raises(ValidationError):
        users.delete_user(db, db.write.actor_id)


def test_indicators_crud_and_at_most_five_active(db):
    made = [indicators.create_indicator(db, name=f"HPI {i}", description="sign") for i in range(5)]
    assert [i.name for i in indicators.list_indicators(db)] == [f"HPI {i}" for i in range(5)]
    with pytest.raises(ValidationError) as err:
        indicators.create_indicator(db, name="Sixth")
    assert err.value.field == "active"
    spare = indicators.create_indicator(db, name="Sixth, retired", active=False)
    first = indicators.update_indicator(db, made[0].id, expected_version=made[0].version, active=False)
    assert not first.active
    indicators.update_indicator(db, spare.id, expected_version=spare.version, active=True)
    assert len(indicators.list_indicators(db, active_only=True)) == 5
    indicators.delete_indicator(db, made[1].id)
    assert made[1].id not in [i.id for i in indicators.list_indicators(db)]
    indicators.restore_indicator(db, made[1].id)
    assert made[1].id in [i.id for i in indicators.list_indicators(db)]
    with pytest.raises(ValidationError):
        indicators.create_indicator(db, name="   ")
