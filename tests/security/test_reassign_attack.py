"""Reassignment past the app (issue #12 point 4): a rep's own PostgreSQL login, in raw SQL,
cannot take a teammate's lead nor give hers away; the app refuses the same through the
service, and her manager may do it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from leaddesk.db import Database, WriteContext
from leaddesk.errors import PermissionDenied
from leaddesk.models import access
from leaddesk.services.qualification import assignment

pytestmark = pytest.mark.postgres


def _owner(engine, contact_id):
    with engine.connect() as conn:
        return conn.execute(text("SELECT owner_id, assignment_reason FROM contact WHERE id = :c"),
                            {"c": contact_id}).one()


def test_a_rep_cannot_reassign_a_teammates_lead_in_raw_sql(pg_team):
    ids, engines, _ = pg_team
    alice = engines["alice"]
    before = _owner(engines["carol"], ids["contact_bob"])
    # she sees Bob's lead (the team's), but her UPDATE reaches no row she may not change
    with alice.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM contact WHERE id = :c"), {"c": ids["contact_bob"]}) == 1
    with alice.begin() as conn:
        n = conn.execute(text("UPDATE contact SET owner_id = :a, assignment_reason = 'mine now' WHERE id = :c"),
                         {"a": ids["alice"], "c": ids["contact_bob"]}).rowcount
    assert n == 0
    # nor give her own lead to Bob (the new row fails the policy's check)
    with pytest.raises(DBAPIError, match="row-level security"):
        with alice.begin() as conn:
            conn.execute(text("UPDATE contact SET owner_id = :b, assignment_reason = 'yours' WHERE id = :c"),
                         {"b": ids["bob"], "c": ids["contact_alice"]})
    assert _owner(engines["carol"], ids["contact_bob"]) == before
    assert _owner(engines["carol"], ids["contact_alice"]).owner_id == ids["alice"]
    # her manager may, in the same raw SQL
    with engines["carol"].begin() as conn:
        assert conn.execute(text("UPDATE contact SET owner_id = :a, assignment_reason = 'Bob is away' "
                                 "WHERE id = :c"), {"a": ids["alice"], "c": ids["contact_bob"]}).rowcount == 1


def _app_as(engine, user_id) -> Database:
    db = Database(engine, WriteContext(node=uuid.uuid4(), actor_id=user_id))
    with db.reader() as s:
        db.write.subject = access.load_subject(s, user_id)
    return db


def test_the_app_on_a_reps_login_refuses_before_the_server_does(pg_team):
    ids, engines, _ = pg_team
    db = _app_as(engines["alice"], ids["alice"])
    with pytest.raises(PermissionDenied, match="belongs to someone else"):
        assignment.reassign(db, [ids["contact_bob"]], ids["alice"], "mine now")
    with pytest.raises(PermissionDenied, match="only a manager"):
        assignment.reassign(db, [ids["contact_alice"]], ids["bob"], "yours")
    assert _owner(engines["carol"], ids["contact_bob"]).owner_id == ids["bob"]
    manager = _app_as(engines["carol"], ids["carol"])
    assignment.reassign(manager, [ids["contact_bob"]], ids["alice"], "Bob is away")
    assert tuple(_owner(engines["carol"], ids["contact_bob"])) == (ids["alice"], "Bob is away")


def test_a_managers_hand_off_on_her_own_login_assigns_within_her_team(pg_team, hub_url):
    """Through her login (row-level security on), Carol's hand-off makes the team's hot leads
    MQL and gives the pool's one to a rep of North; South's lead is not hers to touch."""
    ids, engines, _ = pg_team
    from leaddesk.db import make_engine
    from leaddesk.services import settings as team_settings
    from leaddesk.services.qualification import handoff

    su = Database(make_engine(hub_url), WriteContext(node=uuid.uuid4()))
    team_settings.set_setting(su, "score_hot", 0)  # every lead is hot: the write rules are the point here
    su.dispose()
    manager = _app_as(engines["carol"], ids["carol"])
    result = handoff.hand_off_hot_leads(manager)
    handed = {h.contact_id: h.assigned_to for h in result.handed_off}
    assert set(handed) == {ids["contact_alice"], ids["contact_bob"], ids["contact_nobody"]}
    assert handed[ids["contact_nobody"]] in (ids["alice"], ids["bob"])
    with engines["erin"].connect() as conn:
        stages = dict(conn.execute(text("SELECT id, lifecycle_stage FROM contact")).all())
    assert stages[ids["contact_dave"]] == "lead" and stages[ids["contact_nobody"]] == "mql"
