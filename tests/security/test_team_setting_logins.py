"""Issue #12 point 8 on the team server: thresholds, caps and SLAs are the managers' job.
A manager's own PostgreSQL login may change and add team settings with raw SQL; a rep's
login may read them and change nothing (revision 0009's policy on ``team_setting``)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.services import settings as team_settings

pytestmark = pytest.mark.postgres

#: A new setting row made from the stored lead_cap row (every column), with another key.
COPY_AS = ("INSERT INTO team_setting SELECT * FROM jsonb_populate_record(NULL::team_setting, "
           "(SELECT to_jsonb(x) || jsonb_build_object('id', gen_random_uuid(), 'key', CAST(:key AS text), "
           "'value', CAST(:value AS jsonb)) FROM team_setting x WHERE x.key = 'lead_cap'))")
UPDATE = "UPDATE team_setting SET value = CAST(:value AS jsonb) WHERE key = 'lead_cap'"


@pytest.fixture
def stored(pg_team, team_hub):
    """The team's lead cap stored on the hub (by the hub's superuser, through the service)."""
    su = Database(make_engine(team_hub), WriteContext(node=uuid.uuid4()))
    team_settings.set_setting(su, "lead_cap", 500)
    yield su
    su.dispose()


def _lead_cap(engine) -> object:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT value FROM team_setting WHERE key = 'lead_cap'"))


def test_a_managers_login_updates_and_inserts_team_settings(pg_team, stored):
    ids, engines, _ = pg_team
    with engines["carol"].begin() as conn:
        assert conn.execute(text(UPDATE), {"value": "400"}).rowcount == 1
        assert conn.execute(text(COPY_AS), {"key": "sla_assign_hours", "value": "2"}).rowcount == 1
    assert _lead_cap(engines["alice"]) == 400  # and every login reads it
    assert team_settings.get_settings(stored)["sla_assign_hours"] == 2


def test_a_reps_login_changes_no_team_setting(pg_team, stored):
    ids, engines, _ = pg_team
    with engines["alice"].begin() as conn:
        assert conn.execute(text(UPDATE), {"value": "9999"}).rowcount == 0  # the row is not hers to change
    with pytest.raises(DBAPIError, match="row-level security"):
        with engines["alice"].begin() as conn:
            conn.execute(text(COPY_AS), {"key": "sla_assign_hours", "value": "1"})
    with pytest.raises(DBAPIError, match="permission denied"):  # nobody deletes settings (soft delete)
        with engines["alice"].begin() as conn:
            conn.execute(text("DELETE FROM team_setting WHERE key = 'lead_cap'"))
    assert _lead_cap(engines["alice"]) == 500
    assert team_settings.get_settings(stored)["sla_assign_hours"] == team_settings.SPECS["sla_assign_hours"].default
