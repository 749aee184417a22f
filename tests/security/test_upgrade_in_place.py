"""A team database set up before issue #9 is upgraded in place by re-running
``leaddesk team init``: the reproduction works before and fails after, the existing logins
keep working in the database's own groups, the server-wide groups lose their privileges
here, and no row is lost."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from leaddesk import migrate
from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.services.team import admin as team_admin
from tests.conftest import PG_URL
from tests.sync.team import PASSWORD, population

pytestmark = pytest.mark.postgres

#: What revision 0005/0006 and the old ``team init`` left: definer functions whose search
#: path let pg_temp come first, owned by the superuser, and the server-wide groups.
LEGACY = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leaddesk_user') THEN
    CREATE ROLE leaddesk_user NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leaddesk_rep') THEN
    CREATE ROLE leaddesk_rep NOLOGIN IN ROLE leaddesk_user;
  END IF;
END $$;
ALTER FUNCTION ld_me() SET search_path = pg_catalog, public;
CREATE OR REPLACE FUNCTION ld_me() RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public AS
$$ SELECT id FROM app_user WHERE db_role = session_user AND active AND NOT deleted LIMIT 1 $$;
CREATE OR REPLACE FUNCTION ld_role() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public AS
$$ SELECT role FROM app_user WHERE id = ld_me() $$;
DROP POLICY ld_read ON app_user;
CREATE POLICY ld_read ON app_user FOR SELECT USING (true);
GRANT USAGE ON SCHEMA public TO leaddesk_user;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO leaddesk_user;
GRANT INSERT, UPDATE ON contact, app_user, change_log, hub_field_version, sync_conflict TO leaddesk_user;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO leaddesk_user;
"""

SHADOW = """
CREATE TEMP TABLE app_user (LIKE public.app_user);
INSERT INTO pg_temp.app_user SELECT * FROM public.app_user WHERE db_role = session_user;
UPDATE pg_temp.app_user SET role = 'admin', team_id = NULL;
"""


@pytest.fixture
def old_team_database():
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"leaddesk_old_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    cfg = migrate.alembic_config()
    with engine.begin() as conn:  # today's schema, for today's services to write the team
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    db = Database(engine, WriteContext(node=uuid.uuid4()))
    ids = population(db)
    with engine.begin() as conn:  # then the schema as it was before revision 0008
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
    login = f"ld_old_{uuid.uuid4().hex[:6]}"
    with engine.begin() as conn:
        conn.execute(text(LEGACY))
        conn.execute(text(f"CREATE ROLE {login} LOGIN IN ROLE leaddesk_rep PASSWORD '{PASSWORD}'"))
        conn.execute(text(f'GRANT CONNECT ON DATABASE "{name}" TO leaddesk_user'))
        conn.execute(text("UPDATE app_user SET db_role = :l WHERE id = :a"), {"l": login, "a": ids["alice"]})
    db.dispose()
    yield url, login, ids
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'DROP ROLE IF EXISTS "{login}"'))
    team_admin.drop_roles(admin, name)
    admin.dispose()


def _counts(engine) -> dict:
    with engine.connect() as conn:
        return {t: conn.scalar(text(f"SELECT count(*) FROM {t}"))
                for t in ("app_user", "contact", "contact_email", "account", "opportunity", "change_log")}


def test_team_init_upgrades_an_old_team_database_in_place(old_team_database):
    url, login, ids = old_team_database
    su = make_engine(url)
    rep = create_engine(su.url.set(username=login, password=PASSWORD), poolclass=NullPool)
    before = _counts(su)
    with rep.connect() as conn:  # the reproduction works on the old server ...
        conn.execute(text(SHADOW))
        assert conn.scalar(text("SELECT ld_role()")) == "admin"
        conn.rollback()

    future = (int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000) + 10 * 365 * 86400 * 1000) << 16
    with su.begin() as conn:  # what the attack left: a field clock ten years ahead
        conn.execute(text("INSERT INTO hub_field_version (entity, row_id, field, hlc, node, seq, change_id) "
                          "VALUES ('contact', :r, 'notes', :h, :n, 1, :c)"),
                     {"r": ids["contact_alice"], "h": future, "n": uuid.uuid4(), "c": uuid.uuid4()})

    result = team_admin.init_team_database(url)

    assert result.revision == migrate.head_revision()
    assert _counts(su) == before
    with rep.connect() as conn:  # ... and not after, while the login still works as before
        assert conn.scalar(text("SELECT ld_me()")) == ids["alice"]
        assert conn.scalar(text("SELECT count(*) FROM contact WHERE id = :c"), {"c": ids["contact_alice"]}) == 1
        assert conn.scalar(text("SELECT count(*) FROM contact WHERE id = :c"), {"c": ids["contact_dave"]}) == 0
        conn.execute(text(SHADOW))
        assert conn.scalar(text("SELECT ld_role()")) == "rep"
        assert conn.execute(text("UPDATE public.app_user SET role = 'admin' WHERE db_role = session_user")
                            ).rowcount == 0
        conn.rollback()
    with su.connect() as conn:
        g = team_admin.groups_of(conn)
        name = conn.scalar(text("SELECT current_database()"))
        assert conn.scalar(text("SELECT pg_has_role(:l, :g, 'MEMBER')"), {"l": login, "g": g.rep})
        for old in ("leaddesk_user", "leaddesk_rep"):
            assert not conn.scalar(text("SELECT has_database_privilege(:r, :d, 'CONNECT')"), {"r": old, "d": name})
            assert not conn.scalar(text("SELECT has_table_privilege(:r, 'public.contact', 'INSERT')"), {"r": old})
        assert not conn.scalar(text("SELECT has_database_privilege('public', :d, 'CONNECT')"), {"d": name})
        config = conn.scalar(text("SELECT proconfig FROM pg_proc WHERE oid = 'public.ld_me()'::regprocedure"))
        assert config == ["search_path=pg_catalog, pg_temp"]
    with su.connect() as conn:  # the planted clock is back at the upgrade's time
        hlc = conn.scalar(text("SELECT hlc FROM hub_field_version WHERE row_id = :r AND field = 'notes'"),
                          {"r": ids["contact_alice"]})
    now_ms = int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000)
    assert now_ms - 120_000 <= (hlc >> 16) <= now_ms
    # running it again changes nothing
    team_admin.init_team_database(url)
    assert _counts(su) == before
    with rep.connect() as conn:
        assert conn.scalar(text("SELECT ld_role()")) == "rep"
    rep.dispose()
    su.dispose()
