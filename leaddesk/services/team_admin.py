"""Team setup on the shared PostgreSQL: roles, grants, per-user logins (issue #4, part 1).

The model (sync notes 6): one PostgreSQL LOGIN role per person, member of exactly one of
the group roles ``leaddesk_rep`` / ``leaddesk_manager`` / ``leaddesk_admin`` (all members of
``leaddesk_user``, which holds the table privileges). Row-level security (revision 0005,
FORCEd) decides which rows each person sees and changes, from ``session_user`` mapped to
``app_user.db_role``. Never a shared role with ``SET app.user``: a user could spoof it.

* :func:`init_team_database` (run once by whoever administers the server, as a
  PostgreSQL superuser; re-running it is harmless and is also how an upgrade is applied):
  migrates the schema, makes the group roles, grants SELECT/INSERT/UPDATE (never DELETE:
  synced rows are tombstoned), installs ``ld_create_login`` / ``ld_set_login``, and seeds
  the team (pipeline, definitions, first admin).
* :func:`create_login` / :func:`set_login_enabled` / :func:`login_name`: for LeadDesk
  admins (the user admin screen, ``leaddesk team add-user``). Admin LOGIN roles get no
  CREATEROLE (on PostgreSQL 15 that would let them grant themselves powerful built-in
  roles); they call the two SECURITY DEFINER functions instead, which refuse anybody who
  is not a LeadDesk admin and only ever touch LeadDesk logins.

Tables stay owned by the role that ran the migrations (the server's administrator): no
LeadDesk user owns a table, so none can alter or switch off its policies, and FORCE makes
the policies apply even to an owner that is not a superuser.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from leaddesk import migrate
from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.errors import NotFound, PermissionDenied, ValidationError
from leaddesk.models import HUB_TABLES, SYNCED_MODELS, User
from leaddesk.models.enums import Role

USER_GROUP = "leaddesk_user"
GROUPS = {Role.REP: "leaddesk_rep", Role.MANAGER: "leaddesk_manager", Role.ADMIN: "leaddesk_admin"}
_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{2,62}$")

_SETUP_SQL = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leaddesk_user') THEN
    CREATE ROLE leaddesk_user NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leaddesk_rep') THEN
    CREATE ROLE leaddesk_rep NOLOGIN IN ROLE leaddesk_user;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leaddesk_manager') THEN
    CREATE ROLE leaddesk_manager NOLOGIN IN ROLE leaddesk_user;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leaddesk_admin') THEN
    CREATE ROLE leaddesk_admin NOLOGIN IN ROLE leaddesk_user;
  END IF;
END $$;

CREATE OR REPLACE FUNCTION ld_require_admin() RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF (SELECT ld_role()) IS DISTINCT FROM 'admin'
     AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) THEN
    RAISE EXCEPTION 'Only LeadDesk admins manage logins.' USING ERRCODE = '42501';
  END IF;
END $$;

CREATE OR REPLACE FUNCTION ld_create_login(role_name text, pw text, grp text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM ld_require_admin();
  IF grp NOT IN ('leaddesk_rep', 'leaddesk_manager', 'leaddesk_admin') THEN
    RAISE EXCEPTION 'Unknown LeadDesk group %', grp USING ERRCODE = '22023';
  END IF;
  IF role_name !~ '^[a-z][a-z0-9_]{2,62}$' THEN
    RAISE EXCEPTION 'Invalid login name %', role_name USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
    IF NOT pg_has_role(role_name, 'leaddesk_user', 'MEMBER')
       OR (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = role_name) THEN
      RAISE EXCEPTION 'The database role % exists and is not a LeadDesk login', role_name USING ERRCODE = '42710';
    END IF;
    EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', role_name, pw);
  ELSE
    EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD %L',
                   role_name, pw);
  END IF;
  EXECUTE format('REVOKE leaddesk_rep, leaddesk_manager, leaddesk_admin FROM %I', role_name);
  EXECUTE format('GRANT %I TO %I', grp, role_name);
END $$;

CREATE OR REPLACE FUNCTION ld_set_login(role_name text, enabled boolean, grp text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM ld_require_admin();
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name)
     OR NOT pg_has_role(role_name, 'leaddesk_user', 'MEMBER') THEN
    RAISE EXCEPTION 'No LeadDesk login %', role_name USING ERRCODE = '42704';
  END IF;
  EXECUTE format('ALTER ROLE %I %s', role_name, CASE WHEN enabled THEN 'LOGIN' ELSE 'NOLOGIN' END);
  IF grp IS NOT NULL AND grp IN ('leaddesk_rep', 'leaddesk_manager', 'leaddesk_admin') THEN
    EXECUTE format('REVOKE leaddesk_rep, leaddesk_manager, leaddesk_admin FROM %I', role_name);
    EXECUTE format('GRANT %I TO %I', grp, role_name);
  END IF;
END $$;

REVOKE ALL ON FUNCTION ld_create_login(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ld_set_login(text, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ld_create_login(text, text, text) TO leaddesk_admin;
GRANT EXECUTE ON FUNCTION ld_set_login(text, boolean, text) TO leaddesk_admin;
"""


@dataclass(frozen=True)
class TeamInit:
    database: str
    revision: str | None
    admin_id: uuid.UUID | None


def _writable_tables() -> list[str]:
    synced = [m.__tablename__ for m in SYNCED_MODELS]
    return synced + [t for t in HUB_TABLES if t != "access_change"]


def _require_superuser(conn) -> None:
    if not conn.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")):
        raise PermissionDenied(
            "Team setup needs a PostgreSQL superuser (it creates roles and row-level security). "
            "Run it as the server's administrator, e.g. --url postgresql://postgres@HOST/DB.")


def install_roles(engine: Engine) -> None:
    """Group roles, grants and the login functions (idempotent; needs a superuser)."""
    with engine.begin() as conn:
        _require_superuser(conn)
        dbname = conn.scalar(text("SELECT current_database()"))
        conn.execute(text(_SETUP_SQL))
        conn.execute(text(f'GRANT CONNECT ON DATABASE "{dbname}" TO {USER_GROUP}'))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {USER_GROUP}"))
        conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {USER_GROUP}"))
        for table in ("outbox", "field_version", "sync_state", "outbox_base"):
            conn.execute(text(f"REVOKE ALL ON {table} FROM {USER_GROUP}"))
        conn.execute(text(f"GRANT INSERT, UPDATE ON {', '.join(_writable_tables())} TO {USER_GROUP}"))
        conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {USER_GROUP}"))


def init_team_database(url: str, *, admin_name: str | None = None, admin_email: str | None = None,
                       node: uuid.UUID | None = None) -> TeamInit:
    """Create or upgrade the team's database at ``url`` (a superuser's URL)."""
    from leaddesk.services import setup

    engine = make_engine(url)
    try:
        if engine.dialect.name != "postgresql":
            raise ValidationError("The team server must be a PostgreSQL database.", field="url")
        with engine.connect() as conn:  # before anything is written
            _require_superuser(conn)
        migrate.upgrade(engine)
        install_roles(engine)
        db = Database(engine, WriteContext(node=node or uuid.uuid4()))
        admin_id = None
        if admin_email:
            setup.initialize(db, admin_name=admin_name or admin_email.split("@")[0], admin_email=admin_email)
            with db.reader() as s:
                admin_id = s.scalar(text("SELECT id FROM app_user WHERE email_normalized = :e AND NOT deleted"),
                                    {"e": admin_email.strip().lower()})
        return TeamInit(engine.url.database, migrate.current_revision(engine), admin_id)
    finally:
        engine.dispose()


def suggest_login_name(email: str, taken: set[str] = frozenset()) -> str:
    """``ana.lopez@example.com`` -> ``ld_ana_lopez`` (lower-case ASCII, unique)."""
    local = email.split("@")[0].lower()
    base = "ld_" + (re.sub(r"[^a-z0-9]+", "_", local).strip("_") or "user")
    base = base[:55]
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def _require_pg(db: Database) -> None:
    if db.dialect != "postgresql":
        raise ValidationError("Database logins exist only on the team's PostgreSQL server; "
                              "open LeadDesk on it (as an admin) to manage them.", field="db")


def _db_error(exc: DBAPIError) -> Exception:
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    if code == "42501":
        return PermissionDenied(detail)
    return ValidationError(detail, field="login")


def login_name(db: Database, user_id: uuid.UUID) -> str | None:
    with db.reader() as s:
        user = s.get(User, user_id)
        if user is None:
            raise NotFound("user", user_id)
        return user.db_role


def create_login(db: Database, user_id: uuid.UUID, *, password: str | None = None,
                 name: str | None = None) -> str:
    """Give the user a PostgreSQL LOGIN role (or a new password); returns the password,
    to be shown once and then kept only in the user's keyring."""
    _require_pg(db)
    password = password or secrets.token_urlsafe(18)
    with db.unit_of_work() as s:
        user = s.get(User, user_id)
        if user is None or user.deleted:
            raise NotFound("user", user_id)
        taken = set(s.scalars(text("SELECT rolname FROM pg_roles")).all())
        role_name = user.db_role or name or suggest_login_name(user.email, taken)
        if not _ROLE_NAME.match(role_name):
            raise ValidationError(f"'{role_name}' cannot be a login name: use lower-case letters, digits and _.",
                                  field="login")
        try:
            s.execute(text("SELECT ld_create_login(:n, :p, :g)"),
                      {"n": role_name, "p": password, "g": GROUPS[Role(user.role)]})
        except DBAPIError as exc:
            raise _db_error(exc) from exc
        if user.db_role != role_name:
            user.db_role = role_name
    return password


def set_login_enabled(db: Database, user_id: uuid.UUID, enabled: bool) -> None:
    """Allow or stop the user's database login (offboarding: ``NOLOGIN``); also brings
    the login's group in line with the user's LeadDesk role."""
    _require_pg(db)
    with db.unit_of_work() as s:
        user = s.get(User, user_id)
        if user is None:
            raise NotFound("user", user_id)
        if not user.db_role:
            raise ValidationError(f"{user.name} has no database login yet.", field="login")
        try:
            s.execute(text("SELECT ld_set_login(:n, :e, :g)"),
                      {"n": user.db_role, "e": enabled, "g": GROUPS[Role(user.role)]})
        except DBAPIError as exc:
            raise _db_error(exc) from exc


# --- history horizon ---------------------------------------------------------------------

#: Keep a year of the change log by default: longer than any plausible time offline (a
#: laptop away longer re-downloads instead of pulling; sync notes 3.7).
HISTORY_KEEP_DAYS = 365


@dataclass(frozen=True)
class HistoryTrim:
    removed: int
    #: The newest seq no longer in the change log (0: never trimmed).
    horizon: int


def purge_history(db: Database, keep_days: int = HISTORY_KEEP_DAYS) -> HistoryTrim:
    """Remove the changes the hub received more than ``keep_days`` days ago (admins, or
    the server's superuser). Field history older than that goes with them; rows, their
    clocks and the conflict inbox stay. A replica that last pulled before the trim
    re-downloads what its user sees at its next sync, keeping its unsent edits."""
    _require_pg(db)
    if keep_days < 0:
        raise ValidationError("The number of days of history to keep cannot be negative.", field="keep_days")
    with db.engine.begin() as conn:
        try:
            removed = conn.scalar(text("SELECT ld_purge_history(make_interval(days => :d))"), {"d": keep_days})
        except DBAPIError as exc:
            raise _db_error(exc) from exc
        horizon = conn.scalar(text("SELECT ld_history_horizon()"))
    return HistoryTrim(int(removed or 0), int(horizon or 0))
