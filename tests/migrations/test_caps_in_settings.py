"""Revision 0016 carries the caps of ``app_user.lead_cap`` and ``team.lead_cap`` into the
team settings ``lead_cap_by_rep`` / ``lead_cap_by_team`` (on both engines), keeps a settings
row a replica already holds, and the caps then read through today's services."""

from __future__ import annotations

import uuid

from alembic import command

from leaddesk import migrate
from leaddesk.db import Database, WriteContext
from leaddesk.services import settings as team_settings
from leaddesk.services.qualification import assignment
from tests.migrations.test_alembic import _insert_as_of


def _user(conn, name: str, team, cap):
    return _insert_as_of(conn, "app_user", name=name, email=f"{name}@example.com",
                         email_normalized=f"{name}@example.com", role="rep", active=True, team_id=team, lead_cap=cap)


def test_0016_copies_the_old_caps_into_the_settings(alembic_engine):
    cfg = migrate.alembic_config()
    with alembic_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0015")
    with alembic_engine.begin() as conn:
        north = _insert_as_of(conn, "team", name="North", lead_cap=40)
        south = _insert_as_of(conn, "team", name="South", lead_cap=None)
        gone = _insert_as_of(conn, "team", name="Gone", lead_cap=9, deleted=True)
        ana, ben = _user(conn, "ana", north, 12), _user(conn, "ben", north, None)
        zed = _user(conn, "zed", south, 300)
    migrate.upgrade(alembic_engine)
    db = Database(alembic_engine, WriteContext(node=uuid.uuid4()))
    stored = team_settings.get_settings(db)
    assert stored["lead_cap_by_rep"] == {str(ana): 12, str(zed): 300}
    assert stored["lead_cap_by_team"] == {str(north): 40}  # South had none; Gone is deleted
    assert str(gone) not in stored["lead_cap_by_team"]
    loads = {r.user_id: (r.cap, r.cap_source) for r in assignment.rep_loads(db)}
    assert loads == {ana: (12, "rep"), ben: (40, "team"), zed: (300, "rep")}
    db.dispose()


def test_0016_keeps_a_settings_row_the_replica_already_holds_and_writes_none_without_caps(alembic_engine):
    cfg = migrate.alembic_config()
    with alembic_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0015")
    with alembic_engine.begin() as conn:
        team = _insert_as_of(conn, "team", name="North", lead_cap=None)
        ana = _user(conn, "ana", team, 12)
        pulled = {str(ana): 99}  # pulled from a server that upgraded first, and changed since
        _insert_as_of(conn, "team_setting", id=team_settings.setting_id("lead_cap_by_rep"), key="lead_cap_by_rep",
                      value=pulled)
    migrate.upgrade(alembic_engine)
    db = Database(alembic_engine, WriteContext(node=uuid.uuid4()))
    stored = team_settings.get_settings(db)
    assert stored["lead_cap_by_rep"] == pulled
    assert stored["lead_cap_by_team"] == {}
    with db.reader() as s:
        from leaddesk.models import TeamSetting

        assert s.get(TeamSetting, team_settings.setting_id("lead_cap_by_team")) is None
    db.dispose()
