"""Caps per rep and per team on the team server (revision 0016): they are team settings, so
a manager's own PostgreSQL login changes them with raw SQL, and that gives her no power over
user or team rows (still the admins'); a rep's login changes no cap."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.errors import PermissionDenied
from leaddesk.services import settings as team_settings
from leaddesk.services.qualification import assignment
from tests.sync.test_push_screening import _joined
from tests.sync.test_team_join import memory_keyring  # noqa: F401 - fixture

pytestmark = pytest.mark.postgres

UPDATE = "UPDATE team_setting SET value = CAST(:value AS jsonb) WHERE key = :key"
#: A new setting row made from the stored lead_cap_by_rep row (every column), with another key.
COPY_AS = ("INSERT INTO team_setting SELECT * FROM jsonb_populate_record(NULL::team_setting, "
           "(SELECT to_jsonb(x) || jsonb_build_object('id', CAST(:id AS uuid), 'key', CAST(:key AS text), "
           "'value', CAST(:value AS jsonb)) FROM team_setting x WHERE x.key = 'lead_cap_by_rep'))")


@pytest.fixture
def hub_db(pg_team, team_hub):
    """The hub through the services as its superuser; Alice's own cap is 5."""
    ids, _engines, _ = pg_team
    su = Database(make_engine(team_hub), WriteContext(node=uuid.uuid4()))
    team_settings.set_setting(su, "lead_cap_by_rep", {str(ids["alice"]): 5})
    yield su
    su.dispose()


def _caps(engine, key: str):
    with engine.connect() as conn:
        return conn.scalar(text("SELECT value FROM team_setting WHERE key = :key"), {"key": key})


def test_a_managers_login_changes_the_caps_settings(pg_team, hub_db):
    ids, engines, _ = pg_team
    by_rep = json.dumps({str(ids["alice"]): 7, str(ids["bob"]): 3})
    by_team = json.dumps({str(ids["carol"]): 1})  # any JSON: the server checks who, the app what
    with engines["carol"].begin() as conn:
        assert conn.execute(text(UPDATE), {"key": "lead_cap_by_rep", "value": by_rep}).rowcount == 1
        assert conn.execute(text(COPY_AS), {"id": str(team_settings.setting_id("lead_cap_by_team")),
                                            "key": "lead_cap_by_team", "value": by_team}).rowcount == 1
    assert _caps(engines["alice"], "lead_cap_by_rep") == {str(ids["alice"]): 7, str(ids["bob"]): 3}
    loads = {r.user_id: (r.cap, r.cap_source) for r in assignment.rep_loads(hub_db, [ids["alice"], ids["bob"]])}
    assert loads == {ids["alice"]: (7, "rep"), ids["bob"]: (3, "rep")}


def test_a_managers_login_still_cannot_change_user_or_team_rows(pg_team, hub_db):
    ids, engines, _ = pg_team
    for sql in ("UPDATE app_user SET lead_cap = 1 WHERE id = :alice",
                "UPDATE app_user SET role = 'admin' WHERE db_role = session_user",
                "UPDATE app_user SET role = 'manager', lead_cap = 900 WHERE id = :alice",
                "UPDATE team SET lead_cap = 1, name = 'Mine'"):
        with engines["carol"].begin() as conn:
            assert conn.execute(text(sql), {"alice": ids["alice"]}).rowcount == 0, sql
    with engines["carol"].connect() as conn:
        assert conn.scalar(text("SELECT role FROM app_user WHERE db_role = session_user")) == "manager"
        assert conn.scalar(text("SELECT lead_cap FROM app_user WHERE id = :a"), {"a": ids["alice"]}) is None
        assert conn.scalar(text("SELECT count(*) FROM team WHERE lead_cap IS NOT NULL OR name = 'Mine'")) == 0


def test_a_reps_login_cannot_change_the_caps_settings(pg_team, hub_db):
    ids, engines, _ = pg_team
    mine = json.dumps({str(ids["alice"]): 9999})
    with engines["alice"].begin() as conn:
        assert conn.execute(text(UPDATE), {"key": "lead_cap_by_rep", "value": mine}).rowcount == 0
    with pytest.raises(DBAPIError, match="row-level security"):
        with engines["alice"].begin() as conn:
            conn.execute(text(COPY_AS), {"id": str(team_settings.setting_id("lead_cap_by_team")),
                                         "key": "lead_cap_by_team", "value": mine})
    with pytest.raises(DBAPIError, match="permission denied"):
        with engines["alice"].begin() as conn:
            conn.execute(text("DELETE FROM team_setting WHERE key = 'lead_cap_by_rep'"))
    assert _caps(engines["alice"], "lead_cap_by_rep") == {str(ids["alice"]): 5}
    assert _caps(engines["alice"], "lead_cap_by_team") is None


def test_a_managers_laptop_sets_a_cap_offline_and_the_reps_laptop_gets_it(pg_team, team_hub, tmp_path,
                                                                         memory_keyring):  # noqa: F811
    """Through the sync: the push rules take a manager's cap change (team_setting is
    configuration); the rep's laptop pulls it and round-robin there reads it."""
    ids, engines, logins = pg_team
    carol, sync_carol = _joined(team_hub, tmp_path, logins["carol"], "carol")
    alice, sync_alice = _joined(team_hub, tmp_path, logins["alice"], "alice")
    try:
        north = assignment.rep_loads(carol, [ids["alice"]])[0].team_id
        assignment.set_rep_cap(carol, ids["bob"], 4)
        assignment.set_team_cap(carol, north, 30)
        assert sync_carol().pending_after == 0
        assert _caps(engines["erin"], "lead_cap_by_rep") == {str(ids["bob"]): 4}
        sync_alice()
        loads = {r.user_id: (r.cap, r.cap_source) for r in assignment.rep_loads(alice, [ids["alice"], ids["bob"]])}
        assert loads == {ids["alice"]: (30, "team"), ids["bob"]: (4, "rep")}
        with pytest.raises(PermissionDenied, match="Only a manager or an admin"):
            assignment.set_rep_cap(alice, ids["alice"], 999)
    finally:
        carol.dispose()
        alice.dispose()
