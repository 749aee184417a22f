"""Roles and row-level security: introspection, and one (user, row, action) matrix checked
on PostgreSQL (RLS, per-user LOGIN roles) and on SQLite (the same rules applied in-app)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.errors import PermissionDenied
from leaddesk.models import (
    SYNCED_MODELS,
    Activity,
    Contact,
    ContactEmail,
    Opportunity,
    Pipeline,
    access,
)
from leaddesk.services.people import contacts
from leaddesk.services.team import admin as team_admin

from tests.sync.team import population as _population


# (user, row key, action) -> allowed; "read": sees it, "edit": may change it.
MATRIX = {
    ("alice", "contact_alice"): (True, True),
    ("alice", "contact_bob"): (True, False),      # team's contact: seen, not hers to change
    ("alice", "contact_nobody"): (True, True),    # the team's pool
    ("alice", "contact_dave"): (False, False),    # other team
    ("alice", "email_bob"): (True, False),        # follows its contact
    ("alice", "email_alice"): (True, True),
    ("alice", "opp_alice"): (True, True),
    ("alice", "opp_bob"): (False, False),         # reps see only their own deals
    ("alice", "pipeline"): (True, False),         # configuration: managers and admins
    ("carol", "contact_bob"): (True, True),       # manager: the whole team
    ("carol", "opp_bob"): (True, True),
    ("carol", "email_bob"): (True, True),
    ("carol", "contact_dave"): (False, False),
    ("carol", "opp_dave"): (False, False),
    ("carol", "pipeline"): (True, True),
    ("dave", "contact_dave"): (True, True),
    ("dave", "contact_alice"): (False, False),
    ("dave", "contact_nobody"): (True, True),
    ("dave", "opp_alice"): (False, False),
    ("erin", "opp_dave"): (True, True),           # admin: everything
    ("erin", "contact_alice"): (True, True),
}

TABLES = {"contact": (Contact, "notes"), "email": (ContactEmail, "kind"), "opp": (Opportunity, "next_step"),
          "pipeline": (Pipeline, "name")}


def _target(key: str):
    return TABLES[key.split("_")[0]]


def _new_value(col: str):
    return "other" if col == "kind" else "changed"


# --- PostgreSQL: RLS with per-user logins -----------------------------------------------------

def _pg_can(engine, table, col, row_id) -> tuple[bool, bool]:
    with engine.connect() as conn:
        seen = conn.scalar(text(f"SELECT count(*) FROM {table} WHERE id = :i"), {"i": row_id}) == 1
    try:
        with engine.begin() as conn:
            n = conn.execute(text(f"UPDATE {table} SET {col} = :v WHERE id = :i"),
                             {"v": _new_value(col), "i": row_id}).rowcount
    except DBAPIError as exc:
        assert "row-level security" in str(exc.orig) or "permission denied" in str(exc.orig), exc
        n = 0
    return seen, n == 1


@pytest.mark.postgres
def test_rls_matrix_on_postgresql(pg_team):
    ids, engines, _ = pg_team
    got = {}
    for (who, key) in MATRIX:
        model, col = _target(key)
        got[(who, key)] = _pg_can(engines[who], model.__tablename__, col, ids[key])
    assert got == MATRIX


@pytest.mark.postgres
def test_rls_refuses_giving_a_deal_away_and_inserting_for_someone_else(pg_team):
    ids, engines, _ = pg_team
    with pytest.raises(DBAPIError, match="row-level security"):
        with engines["alice"].begin() as conn:
            conn.execute(text("UPDATE opportunity SET owner_id = :b WHERE id = :o"),
                         {"b": ids["bob"], "o": ids["opp_alice"]})
    with engines["carol"].begin() as conn:  # her manager may reassign it
        assert conn.execute(text("UPDATE opportunity SET owner_id = :b WHERE id = :o"),
                            {"b": ids["bob"], "o": ids["opp_alice"]}).rowcount == 1
    with pytest.raises(DBAPIError):
        with engines["alice"].begin() as conn:  # no DELETE for anybody: rows are tombstoned
            conn.execute(text("DELETE FROM contact WHERE id = :c"), {"c": ids["contact_alice"]})


@pytest.mark.postgres
def test_sync_tables_hide_what_the_data_tables_hide(pg_team):
    """The change log and field clocks of Bob's deal are invisible to Alice; visible to Carol."""
    ids, engines, _ = pg_team
    for who, expect in (("alice", 0), ("carol", 1), ("dave", 0)):
        with engines[who].connect() as conn:
            n = conn.scalar(text("SELECT count(*) FROM change_log WHERE row_id = :o AND field = '*'"),
                            {"o": ids["opp_bob"]})
            hits = conn.scalar(text("SELECT count(*) FROM search_doc WHERE row_id = :o"), {"o": ids["opp_bob"]})
        assert (who, n, hits) == (who, expect, expect)


@pytest.mark.postgres
def test_direct_writes_as_a_rep_are_stamped_into_the_change_log(pg_team, hub_url):
    """The app opened on the team database with Alice's own login: she is the acting user
    (from session_user, not from any setting), her rules apply in-app, and her edit lands
    in change_log with a seq, as a pushed change would."""
    from leaddesk.bootstrap import open_database
    from leaddesk.config import Settings

    ids, engines, logins = pg_team
    url = make_engine(hub_url, check=False).url.set(username=logins["alice"], password="s3cret-pass")
    db = open_database(Settings(db_url=url.render_as_string(hide_password=False)), upgrade=False)
    try:
        assert db.write.actor_id == ids["alice"] and db.write.subject.role == "rep"
        contacts.update_contact(db, ids["contact_alice"], expected_version=None, notes="met at the fair")
        with pytest.raises(PermissionDenied):
            contacts.update_contact(db, ids["contact_bob"], expected_version=None, notes="not mine")
        with db.reader() as s:
            row = s.execute(text("SELECT seq, author, pushed_by FROM change_log WHERE row_id = :c AND field = 'notes'"),
                            {"c": ids["contact_alice"]}).one()
        assert row.author == ids["alice"] and row.pushed_by == logins["alice"] and row.seq > 0
    finally:
        db.dispose()


@pytest.mark.postgres
def test_only_admins_manage_logins(pg_team, hub_url):
    ids, engines, _ = pg_team
    with pytest.raises(DBAPIError, match="permission denied|Only LeadDesk admins"):
        with engines["carol"].begin() as conn:
            conn.execute(text("SELECT ld_create_login('ld_sneaky', 'x', :g)"),
                         {"g": team_admin.groups_of(conn).admin})
    with engines["erin"].begin() as conn:  # an admin may (and the role is an ordinary login)
        conn.execute(text("SELECT ld_set_login(:n, false, NULL)"), {"n": f"ld_{_suffix(engines)}_dave"})
    with engines["erin"].begin() as conn:
        assert conn.scalar(text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :n"),
                           {"n": f"ld_{_suffix(engines)}_dave"}) is False


def _suffix(engines) -> str:
    return engines["alice"].url.username.split("_")[1]


@pytest.mark.postgres
def test_every_synced_and_sync_table_forces_rls_and_no_user_bypasses_it(pg_team):
    _, engines, logins = pg_team
    with engines["erin"].connect() as conn:
        rows = conn.execute(text(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "(SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname) AS policies "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r'")).all()
        members = conn.execute(text(
            "SELECT r.rolname, r.rolsuper OR r.rolbypassrls AS bypass FROM pg_roles r "
            "JOIN pg_auth_members m ON m.member = r.oid JOIN pg_roles g ON g.oid = m.roleid "
            "WHERE g.rolname = ANY(:groups) AND r.rolcanlogin"),
            {"groups": list(team_admin.groups_of(conn).all)}).all()
    assert set(logins.values()) <= {m.rolname for m in members}
    bypass = [m.rolname for m in members if m.bypass]
    state = {r.relname: (r.relrowsecurity, r.relforcerowsecurity, r.policies) for r in rows}
    must = [m.__tablename__ for m in SYNCED_MODELS] + ["change_log", "hub_field_version", "sync_batch",
                                                     "sync_conflict", "access_change", "search_doc"]
    for table in must:
        enabled, forced, policies = state[table]
        assert enabled and forced and policies >= 1, table
    for table in ("outbox", "field_version", "sync_state", "outbox_base"):  # closed: no policy at all
        assert state[table][:2] == (True, True), table
    assert bypass == []


# --- SQLite: the same matrix, in-app ----------------------------------------------------------

def _sqlite_can(db: Database, subject, model, col, row_id) -> tuple[bool, bool]:
    db.write.subject = subject
    db.write.actor_id = subject.user_id
    with db.reader() as s:
        seen = s.scalar(select(model.id).where(model.id == row_id)) is not None
    try:
        with db.unit_of_work() as s:
            obj = s.get(model, row_id)
            if obj is None:
                return seen, False
            setattr(obj, col, _new_value(col))
    except PermissionDenied:
        return seen, False
    return seen, True


def test_same_matrix_in_app_on_sqlite(make_db, tmp_path, sqlite_template):
    import shutil

    path = tmp_path / "team.sqlite3"
    shutil.copyfile(sqlite_template, path)
    db = Database(make_engine(f"sqlite:///{path}"), WriteContext(node=uuid.uuid4()))
    try:
        ids = _population(db)
        got = {}
        for (who, key) in MATRIX:
            with db.reader() as s:
                db.write.subject = None
                subject = access.load_subject(s, ids[who])
            model, col = _target(key)
            got[(who, key)] = _sqlite_can(db, subject, model, col, ids[key])
        assert got == MATRIX
    finally:
        db.dispose()


def test_rep_cannot_reassign_or_create_for_others_in_app(make_db):
    db = make_db()
    ids = _population(db)
    with db.reader() as s:
        alice = access.load_subject(s, ids["alice"])
    db.write.subject, db.write.actor_id = alice, ids["alice"]
    with pytest.raises(PermissionDenied, match="owner"):
        with db.unit_of_work() as s:
            s.get(Opportunity, ids["opp_alice"]).owner_id = ids["bob"]
    with pytest.raises(PermissionDenied):
        contacts.create_contact(db, given_name="Not", family_name="Mine", owner_id=ids["bob"])
    with pytest.raises(PermissionDenied):
        with db.unit_of_work() as s:
            s.add(Activity(kind="call", subject="x", owner_id=ids["dave"]))
    mine = contacts.create_contact(db, given_name="Mine", family_name="Lead", owner_id=ids["alice"])
    assert mine.owner_id == ids["alice"]
