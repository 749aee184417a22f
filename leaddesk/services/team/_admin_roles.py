"""The roles of a team database, and the SQL that makes them: pure, no connection.

The per-database group roles (:class:`Groups`, named by :func:`group_names`), the
cluster-wide groups of before issue #9, the SECURITY DEFINER functions and the role
that owns each, the login functions' SQL (:func:`_setup_sql`), and which tables and
columns a login may write. Apart from :mod:`leaddesk.services.team.admin`, which runs
them against the server as its superuser and manages the logins.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from leaddesk.models import SYNCED_MODELS, access_sql
from leaddesk.models.enums import Role

#: The cluster-wide group roles of LeadDesk before issue #9. Roles belong to the whole
#: PostgreSQL server, so one set of groups shared by every team database let an admin of
#: one database reset the logins of another, and any login connect anywhere. ``team init``
#: now makes groups per database (:func:`group_names`) and takes every privilege on its
#: database away from these; memberships in them stay (another database on the same
#: server may not be upgraded yet) but grant nothing here.
LEGACY_GROUPS = ("leaddesk_user", "leaddesk_rep", "leaddesk_manager", "leaddesk_admin")


@dataclass(frozen=True)
class Groups:
    """The roles of one team database (names derived from the database's name)."""

    user: str
    rep: str
    manager: str
    admin: str
    #: Owns the SECURITY DEFINER functions that read and write past row-level security
    #: (BYPASSRLS, NOLOGIN, owns nothing else).
    definer: str
    #: Owns the two login functions (CREATEROLE, NOLOGIN, owns nothing else).
    logins: str

    def of(self, role: Role | str) -> str:
        return {Role.REP: self.rep, Role.MANAGER: self.manager, Role.ADMIN: self.admin}[Role(role)]

    @property
    def members(self) -> tuple[str, str, str]:
        return (self.rep, self.manager, self.admin)

    @property
    def all(self) -> tuple[str, ...]:
        return (self.user, self.rep, self.manager, self.admin, self.definer, self.logins)


def group_names(database: str) -> Groups:
    """``ldg_<database>_<hash>_rep`` and so on: readable, unique per database, within
    PostgreSQL's 63 characters whatever the database is called."""
    slug = re.sub(r"[^a-z0-9_]+", "_", database.lower()).strip("_")[:24] or "db"
    tag = hashlib.sha256(database.encode()).hexdigest()[:6]
    base = f"ldg_{slug}_{tag}"
    return Groups(*(f"{base}_{k}" for k in ("user", "rep", "manager", "admin", "definer", "logins")))


#: The SECURITY DEFINER functions and who owns each (issue #9: qualified names, pg_temp
#: last, owned by a role that owns nothing else). ``trigger``: the older trigger
#: functions of revisions 0002/0003/0005, whose bodies are left as they were (their search
#: path puts public, which no LeadDesk login may write, before pg_temp).
DEFINER_FUNCTIONS = {
    "ld_me()": "definer", "ld_role()": "definer", "ld_team()": "definer", "ld_max_seq()": "definer",
    "ld_history_horizon()": "definer", "ld_purge_history(interval)": "definer",
    "ld_row_writable(text, uuid)": "definer",
    "ld_conflict_side_ok(uuid, text, bigint, bigint, uuid, uuid, text)": "definer",
    "ld_pushed_now(uuid)": "definer", "ld_check_logged()": "definer",
    "ld_trg_search()": "trigger", "ld_search_contacts(uuid[])": "trigger", "ld_search_accounts(uuid[])": "trigger",
    "ld_search_opportunities(uuid[])": "trigger", "ld_notify_change()": "trigger", "ld_trg_access()": "trigger",
    "ld_require_admin()": "logins", "ld_create_login(text, text, text)": "logins",
    "ld_set_login(text, boolean, text)": "logins",
}


def _setup_sql(g: Groups) -> str:
    groups = ", ".join(f"'{x}'" for x in g.members)
    ours = ", ".join(f"'{x}'" for x in (*g.all, *LEGACY_GROUPS))
    path = access_sql.DEFINER_PATH
    return f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '{g.user}') THEN
    CREATE ROLE "{g.user}" NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '{g.rep}') THEN
    CREATE ROLE "{g.rep}" NOLOGIN IN ROLE "{g.user}";
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '{g.manager}') THEN
    CREATE ROLE "{g.manager}" NOLOGIN IN ROLE "{g.user}";
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '{g.admin}') THEN
    CREATE ROLE "{g.admin}" NOLOGIN IN ROLE "{g.user}";
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '{g.definer}') THEN
    CREATE ROLE "{g.definer}" NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '{g.logins}') THEN
    CREATE ROLE "{g.logins}" NOLOGIN;
  END IF;
END $$;
ALTER ROLE "{g.definer}" NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS;
ALTER ROLE "{g.logins}" NOLOGIN NOSUPERUSER NOCREATEDB CREATEROLE NOBYPASSRLS;
GRANT "{g.user}", "{g.rep}", "{g.manager}", "{g.admin}" TO "{g.logins}" WITH ADMIN OPTION;

CREATE OR REPLACE FUNCTION public.ld_require_admin() RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER {path} AS $$
BEGIN
  IF (SELECT public.ld_role()) IS DISTINCT FROM 'admin'
     AND NOT coalesce((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = session_user), false) THEN
    RAISE EXCEPTION 'Only LeadDesk admins manage logins.' USING ERRCODE = '42501';
  END IF;
END $$;

-- A login of THIS database: a member of its user group and of no other database's
-- LeadDesk groups (or any other role), never a superuser or a role that bypasses RLS.
CREATE OR REPLACE FUNCTION public.ld_is_our_login(role_name text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER {path} AS $$
  SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = role_name
                 AND NOT r.rolsuper AND NOT r.rolbypassrls AND NOT r.rolcreaterole)
     AND pg_catalog.pg_has_role(role_name, '{g.user}', 'MEMBER')
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
                     JOIN pg_catalog.pg_roles member ON member.oid = m.member
                     JOIN pg_catalog.pg_roles grp ON grp.oid = m.roleid
                     WHERE member.rolname = role_name AND grp.rolname NOT IN ({ours}))
$$;

CREATE OR REPLACE FUNCTION public.ld_create_login(role_name text, pw text, grp text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER {path} AS $$
BEGIN
  PERFORM public.ld_require_admin();
  IF grp IS NULL OR grp NOT IN ({groups}) THEN
    RAISE EXCEPTION 'Unknown LeadDesk group %', grp USING ERRCODE = '22023';
  END IF;
  IF role_name !~ '^[a-z][a-z0-9_]{{2,62}}$' THEN
    RAISE EXCEPTION 'Invalid login name %', role_name USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = role_name) THEN
    IF NOT public.ld_is_our_login(role_name) THEN
      RAISE EXCEPTION 'The database role % exists and is not a login of this team database', role_name
        USING ERRCODE = '42710';
    END IF;
    EXECUTE pg_catalog.format('ALTER ROLE %I LOGIN PASSWORD %L', role_name, pw);
  ELSE
    EXECUTE pg_catalog.format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD %L',
                              role_name, pw);
    EXECUTE pg_catalog.format('GRANT %I TO %I', '{g.user}', role_name);
  END IF;
  EXECUTE pg_catalog.format('REVOKE %I, %I, %I FROM %I', '{g.rep}', '{g.manager}', '{g.admin}', role_name);
  EXECUTE pg_catalog.format('GRANT %I TO %I', grp, role_name);
END $$;

CREATE OR REPLACE FUNCTION public.ld_set_login(role_name text, enabled boolean, grp text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER {path} AS $$
BEGIN
  PERFORM public.ld_require_admin();
  IF NOT public.ld_is_our_login(role_name) THEN
    RAISE EXCEPTION 'No LeadDesk login % in this team database', role_name USING ERRCODE = '42704';
  END IF;
  EXECUTE pg_catalog.format('ALTER ROLE %I %s', role_name, CASE WHEN enabled THEN 'LOGIN' ELSE 'NOLOGIN' END);
  IF grp IS NOT NULL AND grp IN ({groups}) THEN
    EXECUTE pg_catalog.format('REVOKE %I, %I, %I FROM %I', '{g.rep}', '{g.manager}', '{g.admin}', role_name);
    EXECUTE pg_catalog.format('GRANT %I TO %I', grp, role_name);
  END IF;
END $$;

REVOKE ALL ON FUNCTION public.ld_require_admin() FROM PUBLIC;
REVOKE ALL ON FUNCTION public.ld_is_our_login(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.ld_create_login(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.ld_set_login(text, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.ld_require_admin() TO "{g.logins}";
GRANT EXECUTE ON FUNCTION public.ld_is_our_login(text) TO "{g.logins}";
GRANT EXECUTE ON FUNCTION public.ld_create_login(text, text, text) TO "{g.admin}";
GRANT EXECUTE ON FUNCTION public.ld_set_login(text, boolean, text) TO "{g.admin}";
"""


#: Columns of ``sync_conflict`` a login may change: its resolution, nothing else.
CONFLICT_RESOLUTION_COLUMNS = ("resolved", "resolution", "resolved_by", "resolved_at", "resolved_pending")


def _writable_tables() -> list[str]:
    """Tables a login inserts into and updates (the policies say which rows)."""
    return [m.__tablename__ for m in SYNCED_MODELS] + ["hub_field_version"]
