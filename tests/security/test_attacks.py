"""Issue #9's reproductions, each run as the attacker would: a rep's (or a manager's, or an
admin's) own PostgreSQL login used with raw SQL, not through the app. Each must fail on
the hardened server, and the server must be as it was afterwards."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from leaddesk import migrate
from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.services.team import admin as team_admin
from tests.conftest import PG_URL
from tests.sync.team import PASSWORD, population

pytestmark = pytest.mark.postgres

REFUSED = "row-level security|permission denied|violates|Only"


def _refused(engine, sql: str, params: dict | None = None, match: str = REFUSED) -> None:
    """``sql`` run as the engine's login fails, and its transaction leaves nothing."""
    with pytest.raises(DBAPIError, match=match):
        with engine.begin() as conn:
            conn.execute(text(sql), params or {})


def _su(hub_url):
    return create_engine(hub_url, poolclass=NullPool)


# --- 1. temporary tables shadowing what the definer functions read ---------------------------

SHADOW = """
CREATE TEMP TABLE app_user (LIKE public.app_user);
INSERT INTO pg_temp.app_user SELECT * FROM public.app_user WHERE db_role = session_user;
UPDATE pg_temp.app_user SET role = 'admin', team_id = NULL;
CREATE TEMP TABLE pg_roles (rolname name, rolsuper boolean, rolbypassrls boolean, rolcreaterole boolean,
                            oid oid);
INSERT INTO pg_temp.pg_roles VALUES (session_user, true, true, true, 1);
CREATE TEMP TABLE pg_auth_members (roleid oid, member oid);
CREATE TEMP TABLE change_log (LIKE public.change_log);
CREATE TEMP TABLE history_purge (LIKE public.history_purge);
INSERT INTO pg_temp.history_purge VALUES (1, 999999999, now(), now(), 'x', 0);
CREATE TEMP TABLE contact (LIKE public.contact);
CREATE TEMP TABLE opportunity (LIKE public.opportunity);
"""


def test_a_temp_table_cannot_make_a_rep_admin(pg_team):
    ids, engines, logins = pg_team
    with engines["alice"].connect() as conn:
        conn.execute(text(SHADOW))
        assert conn.scalar(text("SELECT ld_role()")) == "rep"
        assert conn.scalar(text("SELECT ld_me()")) == ids["alice"]
        team = set(conn.scalars(text("SELECT ld_team()")))
        assert team == {ids["alice"], ids["bob"], ids["carol"]}
        # still not allowed to promote herself, in this session or any other
        n = conn.execute(text("UPDATE public.app_user SET role = 'admin' WHERE db_role = session_user")).rowcount
        assert n == 0
        assert conn.scalar(text("SELECT ld_history_horizon()")) == 0  # not the fake one
        with pytest.raises(DBAPIError, match="Only an administrator"):
            conn.execute(text("SELECT ld_purge_history(interval '0 days')"))
        conn.rollback()
    with engines["alice"].connect() as conn:
        assert conn.scalar(text("SELECT ld_role()")) == "rep"
        assert conn.scalar(text("SELECT count(*) FROM change_log")) > 0


def test_a_temp_pg_roles_cannot_open_the_login_functions(pg_team):
    ids, engines, logins = pg_team
    with engines["carol"].connect() as conn:  # a manager
        conn.execute(text(SHADOW))
        g = team_admin.groups_of(conn)
        with pytest.raises(DBAPIError, match="permission denied"):
            conn.execute(text("SELECT ld_create_login('ld_sneaky', 'x', :g)"), {"g": g.admin})
        conn.rollback()
        with pytest.raises(DBAPIError, match="permission denied"):
            conn.execute(text("SELECT ld_require_admin()"))
        conn.rollback()


def test_every_definer_function_has_a_safe_path_and_an_owner_that_owns_nothing_else(pg_team):
    _, engines, _ = pg_team
    with engines["erin"].connect() as conn:
        g = team_admin.groups_of(conn)
        rows = conn.execute(text(
            "SELECT p.oid::regprocedure::text AS sig, p.proconfig, r.rolname AS owner, r.rolsuper "
            "FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.prosecdef")).all()
        owned = conn.execute(text(
            "SELECT r.rolname, count(c.oid) FROM pg_roles r LEFT JOIN pg_class c ON c.relowner = r.oid "
            "WHERE r.rolname = ANY(:n) GROUP BY r.rolname"), {"n": [g.definer, g.logins]}).all()
    assert len(rows) >= 15
    for r in rows:
        path = [p for p in (r.proconfig or []) if p.startswith("search_path=")]
        assert path and path[0].replace(" ", "").endswith("pg_temp"), (r.sig, r.proconfig)
        assert r.owner in (g.definer, g.logins) and not r.rolsuper, r.sig
    assert all(n == 0 for _, n in owned)  # they own functions, no table or sequence


def test_no_leaddesk_login_may_create_in_public(pg_team):
    _, engines, _ = pg_team
    for who in ("alice", "carol", "erin"):
        _refused(engines[who], "CREATE TABLE public.app_users (id int)", match="permission denied")
        _refused(engines[who], "CREATE FUNCTION public.ld_fake() RETURNS int LANGUAGE sql AS 'SELECT 1'",
                 match="permission denied")


# --- 2. forged sync rows ---------------------------------------------------------------------

def _log_row(ids, who, *, row_id, entity="contact", field="notes", value='"forged"', hlc_ahead_s=0, pushed_by,
             rejected=False, author=None) -> dict:
    now_ms = int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000)
    return {"cid": uuid.uuid4(), "e": entity, "r": row_id, "f": field, "v": value,
            "h": (now_ms + hlc_ahead_s * 1000) << 16, "n": uuid.uuid4(), "a": author or ids[who],
            "p": pushed_by, "b": uuid.uuid4(), "rej": rejected}


INSERT_LOG = ("INSERT INTO change_log (change_id, entity, row_id, field, value, hlc, node, author, at, pushed_by, "
              "batch_id, base_seq, received_at, rejected) VALUES (:cid, :e, :r, :f, :v, :h, :n, :a, clock_timestamp(), "
              ":p, :b, 0, clock_timestamp(), :rej)")


def test_a_rep_cannot_log_a_change_in_a_colleagues_name(pg_team):
    ids, engines, logins = pg_team
    row = _log_row(ids, "alice", row_id=ids["contact_alice"], pushed_by=logins["alice"], author=ids["bob"])
    _refused(engines["alice"], INSERT_LOG, row)
    row = _log_row(ids, "alice", row_id=ids["contact_alice"], pushed_by=logins["bob"])  # as if bob pushed
    _refused(engines["alice"], INSERT_LOG, row)


def test_a_rep_cannot_log_a_clock_from_the_future(pg_team):
    ids, engines, logins = pg_team
    ten_years = 10 * 365 * 24 * 3600
    row = _log_row(ids, "alice", row_id=ids["contact_alice"], pushed_by=logins["alice"], hlc_ahead_s=ten_years)
    _refused(engines["alice"], INSERT_LOG, row)
    row = _log_row(ids, "alice", row_id=ids["contact_alice"], pushed_by=logins["alice"], hlc_ahead_s=400)
    _refused(engines["alice"], INSERT_LOG, row)


def test_a_rep_cannot_log_a_deletion_of_a_row_she_may_not_change(pg_team):
    ids, engines, logins = pg_team
    for target in ("contact_bob", "contact_dave"):  # a teammate's (seen), another team's (hidden)
        row = _log_row(ids, "alice", row_id=ids[target], field="deleted", value="true",
                       pushed_by=logins["alice"])
        _refused(engines["alice"], INSERT_LOG, row)
    deal = _log_row(ids, "alice", row_id=ids["opp_bob"], entity="opportunity", field="deleted", value="true",
                    pushed_by=logins["alice"])
    _refused(engines["alice"], INSERT_LOG, deal)
    # a creation "of" an existing hidden row is a change to it as well
    again = _log_row(ids, "alice", row_id=ids["contact_dave"], field="*", value="{}", pushed_by=logins["alice"])
    _refused(engines["alice"], INSERT_LOG, again)


def test_a_rep_may_log_her_own_change_now_and_nothing_else_about_it(pg_team):
    """The control: the same statement with her own row, name and clock is accepted (so
    the refusals above are the checks at work, not a broken statement)."""
    ids, engines, logins = pg_team
    row = _log_row(ids, "alice", row_id=ids["contact_alice"], pushed_by=logins["alice"])
    with engines["alice"].begin() as conn:
        conn.execute(text(INSERT_LOG), row)
    _refused(engines["alice"], "UPDATE change_log SET value = '\"rewritten\"' WHERE change_id = :c",
             {"c": row["cid"]}, match="permission denied")
    _refused(engines["alice"], "DELETE FROM change_log WHERE change_id = :c", {"c": row["cid"]},
             match="permission denied")


def test_a_rep_cannot_plant_a_future_field_clock(pg_team):
    ids, engines, logins = pg_team
    future = (int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000) + 10 * 365 * 86400 * 1000) << 16
    _refused(engines["alice"], "INSERT INTO hub_field_version (entity, row_id, field, hlc, node, seq, change_id) "
             "VALUES ('contact', :r, 'notes', :h, :n, 1, :c) ON CONFLICT (entity, row_id, field) DO UPDATE "
             "SET hlc = excluded.hlc", {"r": ids["contact_alice"], "h": future, "n": uuid.uuid4(), "c": uuid.uuid4()})
    # pointing at a real change of hers does not help either, unless it is this push's
    with engines["alice"].begin() as conn:
        mine = conn.execute(text("SELECT change_id, seq, hlc, node FROM change_log WHERE author = :a "
                                 "AND row_id = :r LIMIT 1"), {"a": ids["alice"], "r": ids["contact_alice"]}).first()
    if mine is not None:
        _refused(engines["alice"], "UPDATE hub_field_version SET hlc = :h WHERE row_id = :r",
                 {"h": future, "r": ids["contact_alice"]})


def test_a_rep_cannot_plant_a_conflict_by_a_colleague(pg_team):
    ids, engines, logins = pg_team
    planted = {"e": "contact", "r": ids["contact_bob"], "f": "notes", "kv": '"x"', "lv": '"attacker text"',
               "kn": uuid.uuid4(), "ln": uuid.uuid4(), "kh": 1, "lh": 2, "kc": uuid.uuid4(), "lc": uuid.uuid4(),
               "ka": ids["alice"], "la": ids["bob"]}
    _refused(engines["alice"], (
        "INSERT INTO sync_conflict (kind, entity, row_id, field, kept_value, lost_value, kept_node, lost_node, "
        "kept_hlc, lost_hlc, kept_seq, lost_seq, kept_change_id, lost_change_id, created_at, resolved, "
        "kept_author, lost_author) VALUES ('field', :e, :r, :f, :kv, :lv, :kn, :ln, :kh, :lh, 1, 2, :kc, :lc, "
        "clock_timestamp(), false, :ka, :la)"), planted)


def test_a_conflict_can_only_be_resolved_never_rewritten(pg_team, hub_url):
    ids, engines, logins = pg_team
    su = _su(hub_url)
    with su.begin() as conn:  # a real conflict on alice's contact, as the hub records one
        cid = conn.scalar(text(
            "INSERT INTO sync_conflict (kind, entity, row_id, field, kept_value, lost_value, kept_node, lost_node, "
            "kept_hlc, lost_hlc, kept_seq, lost_seq, created_at, resolved, kept_author, lost_author) VALUES "
            "('field', 'contact', :r, 'notes', '\"a\"', '\"b\"', :n, :n, 1, 2, 1, 2, now(), false, :a, :a) "
            "RETURNING id"), {"r": ids["contact_alice"], "n": uuid.uuid4(), "a": ids["alice"]})
    su.dispose()
    _refused(engines["alice"], "UPDATE sync_conflict SET lost_value = '\"evil\"' WHERE id = :i", {"i": cid},
             match="permission denied")
    _refused(engines["alice"], "UPDATE sync_conflict SET resolved = true, resolved_by = :b WHERE id = :i",
             {"i": cid, "b": ids["bob"]})  # not in a colleague's name
    with engines["alice"].begin() as conn:
        n = conn.execute(text("UPDATE sync_conflict SET resolved = true, resolution = 'kept', resolved_by = :a, "
                              "resolved_at = now() WHERE id = :i"), {"i": cid, "a": ids["alice"]}).rowcount
    assert n == 1


def test_a_rep_cannot_touch_the_batch_list_or_purge_records(pg_team, hub_url):
    ids, engines, logins = pg_team
    _refused(engines["alice"], "INSERT INTO sync_batch (batch_id, node, result, received_at, pushed_by) "
             "VALUES (:b, :n, '{}', now(), :p)", {"b": uuid.uuid4(), "n": uuid.uuid4(), "p": logins["bob"]})
    _refused(engines["alice"], "INSERT INTO history_purge (through_seq, cutoff, purged_at, purged_by, changes) "
             "VALUES (999999, now(), now(), 'x', 0)", match="permission denied")
    _refused(engines["alice"], "INSERT INTO access_change (entity, row_id, at) VALUES ('contact', :r, now())",
             {"r": ids["contact_dave"]}, match="permission denied")
    _refused(engines["alice"], "DELETE FROM contact WHERE id = :r", {"r": ids["contact_alice"]},
             match="permission denied")


# --- 3. one server, several team databases ---------------------------------------------------

@pytest.fixture
def second_team():
    """Another team database on the same server, with its own admin login."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"leaddesk_other_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    team_admin.install_roles(engine)
    db = Database(engine, WriteContext(node=uuid.uuid4()))
    ids = population(db)
    login = f"ld_y_{uuid.uuid4().hex[:6]}"
    team_admin.create_login(db, ids["erin"], password=PASSWORD, name=login)
    db.dispose()
    yield url, login, ids
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'DROP ROLE IF EXISTS "{login}"'))
    team_admin.drop_roles(admin, name)
    admin.dispose()


def test_team_databases_on_one_server_are_isolated(pg_team, hub_url, second_team):
    ids, engines, logins = pg_team
    other_url, other_admin, _ = second_team
    # X's admin cannot reset the password or the group of Y's login
    with engines["erin"].connect() as conn:
        g = team_admin.groups_of(conn)
        with pytest.raises(DBAPIError, match="not a login of this team database"):
            conn.execute(text("SELECT ld_create_login(:n, 'stolen', :g)"), {"n": other_admin, "g": g.rep})
        conn.rollback()
        with pytest.raises(DBAPIError, match="No LeadDesk login"):
            conn.execute(text("SELECT ld_set_login(:n, false, :g)"), {"n": other_admin, "g": g.rep})
        conn.rollback()
        # nor hand out a superuser's or a foreign group
        with pytest.raises(DBAPIError, match="not a login of this team database"):
            conn.execute(text("SELECT ld_create_login('postgres', 'x', :g)"), {"g": g.admin})
        conn.rollback()
        with pytest.raises(DBAPIError, match="Unknown LeadDesk group"):
            conn.execute(text("SELECT ld_create_login('ld_new_one', 'x', 'pg_read_server_files')"))
        conn.rollback()
    # Y's login still works with its own password
    y = create_engine(make_engine(other_url).url.set(username=other_admin, password=PASSWORD), poolclass=NullPool)
    with y.connect() as conn:
        assert conn.scalar(text("SELECT ld_role()")) == "admin"
    y.dispose()
    # no login of X connects to Y, nor Y's to X
    for who in ("alice", "erin"):
        e = create_engine(make_engine(other_url).url.set(username=logins[who], password=PASSWORD), poolclass=NullPool)
        with pytest.raises(DBAPIError, match="permission denied for database"):
            e.connect().close()
        e.dispose()
    e = create_engine(engines["alice"].url.set(username=other_admin, password=PASSWORD), poolclass=NullPool)
    with pytest.raises(DBAPIError, match="permission denied for database"):
        e.connect().close()
    e.dispose()


def test_a_login_that_is_nobody_here_sees_and_changes_nothing(pg_team, hub_url):
    """Even with the database's own groups (a stray grant), a login without an active
    LeadDesk user sees no row, unassigned ones included, and changes none."""
    ids, engines, logins = pg_team
    su = create_engine(hub_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with su.connect() as conn:
        g = team_admin.groups_of(conn)
        conn.execute(text("DROP ROLE IF EXISTS ld_nobody_here"))
        conn.execute(text(f'CREATE ROLE ld_nobody_here LOGIN IN ROLE "{g.user}", "{g.rep}" PASSWORD \'x\''))
    try:
        e = create_engine(engines["alice"].url.set(username="ld_nobody_here", password="x"), poolclass=NullPool)
        with e.connect() as conn:
            for table in ("contact", "account", "app_user", "team_setting", "pipeline", "change_log",
                          "sync_conflict", "access_change"):
                assert conn.scalar(text(f"SELECT count(*) FROM {table}")) == 0, table
            n = conn.execute(text("UPDATE contact SET notes = 'x' WHERE owner_id IS NULL")).rowcount
            assert n == 0
        e.dispose()
        # a disabled user's login too
        with su.connect() as conn:
            conn.execute(text("UPDATE app_user SET active = false WHERE id = :i"), {"i": ids["alice"]})
        with engines["alice"].connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM contact")) == 0
    finally:
        with su.connect() as conn:
            conn.execute(text("DROP ROLE IF EXISTS ld_nobody_here"))
        su.dispose()


# --- the rule table past the read filter -----------------------------------------------------

def test_a_manager_cannot_give_her_teams_rows_to_another_team(pg_team):
    """What the read filter hides cannot hide a wrong write rule: carol (manager, North)
    may not hand alice's contact or deal to dave (South), in raw SQL as her own login."""
    ids, engines, logins = pg_team
    _refused(engines["carol"], "UPDATE contact SET owner_id = :d WHERE id = :c",
             {"d": ids["dave"], "c": ids["contact_alice"]})
    _refused(engines["carol"], "UPDATE opportunity SET owner_id = :d WHERE id = :o",
             {"d": ids["dave"], "o": ids["opp_alice"]})
    # and her write rule does not reach South's rows though they exist
    with engines["carol"].begin() as conn:
        assert conn.execute(text("UPDATE contact SET notes = 'x' WHERE id = :c"),
                            {"c": ids["contact_dave"]}).rowcount == 0
    with engines["alice"].connect() as conn:
        owner = conn.scalar(text("SELECT owner_id FROM contact WHERE id = :c"), {"c": ids["contact_alice"]})
    assert owner == ids["alice"]


def test_sync_rows_survive_the_attacks_unchanged(pg_team, hub_url):
    """After a round of the attacks above, a colleague's pull sees no forged change."""
    ids, engines, logins = pg_team
    for target, field, value in (("contact_bob", "deleted", "true"), ("contact_dave", "deleted", "true")):
        row = _log_row(ids, "alice", row_id=ids[target], field=field, value=value, pushed_by=logins["alice"])
        with pytest.raises(DBAPIError):
            with engines["alice"].begin() as conn:
                conn.execute(text(INSERT_LOG), row)
    with engines["bob"].connect() as conn:
        forged = conn.execute(text("SELECT count(*) FROM change_log WHERE author = :a AND field = 'deleted'"),
                              {"a": ids["alice"]}).scalar()
    assert forged == 0


def test_no_name_a_definer_function_resolves_can_be_shadowed(pg_team):
    """Every table of the schema and the catalog views the functions read, shadowed by a
    temporary table of the same name (full of what would help the attacker): every
    function answers as before, and the search index trigger still writes the real index."""
    ids, engines, _ = pg_team
    probe = ("SELECT ld_me(), ld_role(), ARRAY(SELECT ld_team() ORDER BY 1), ld_max_seq(), ld_history_horizon(), "
             "ld_row_writable('contact', :bob), ld_row_writable('opportunity', :dave_opp), "
             "ld_row_writable('contact', :mine)")
    params = {"bob": ids["contact_bob"], "dave_opp": ids["opp_dave"], "mine": ids["contact_alice"]}
    with engines["alice"].connect() as conn:
        honest = tuple(conn.execute(text(probe), params).one())
        tables = conn.scalars(text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' AND has_table_privilege(c.oid, 'SELECT')")).all()
        for t in tables:
            conn.execute(text(f"CREATE TEMP TABLE {t} (LIKE public.{t})"))
        conn.execute(text("INSERT INTO pg_temp.app_user SELECT * FROM public.app_user"))
        conn.execute(text("UPDATE pg_temp.app_user SET role = 'admin', team_id = NULL"))
        conn.execute(text("INSERT INTO pg_temp.history_purge VALUES (1, 999999999, now(), now(), 'x', 0)"))
        for view in ("pg_roles", "pg_auth_members", "pg_proc", "pg_namespace"):
            conn.execute(text(f"CREATE TEMP TABLE {view} (LIKE pg_catalog.{view})"))
        assert tuple(conn.execute(text(probe), params).one()) == honest
        assert honest[1] == "rep" and honest[5] is False and honest[7] is True
        # a trigger function (search index) writes the real table, not the shadow
        conn.execute(text("UPDATE public.contact SET family_name = 'Shadowproof', display_name = 'Alice Shadowproof' WHERE id = :c"),
                     {"c": ids["contact_alice"]})
        assert conn.scalar(text("SELECT count(*) FROM pg_temp.search_doc")) == 0
        assert conn.scalar(text("SELECT count(*) FROM public.search_doc WHERE row_id = :c "
                                "AND text ILIKE '%shadowproof%'"), {"c": ids["contact_alice"]}) == 1
        conn.rollback()
