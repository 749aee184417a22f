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
from leaddesk.models import User, access_sql
from leaddesk.models.enums import Role
from leaddesk.services.team._admin_roles import (
    CONFLICT_RESOLUTION_COLUMNS,
    DEFINER_FUNCTIONS,
    LEGACY_GROUPS,
    Groups,
    _setup_sql,
    _writable_tables,
    group_names,
)
from leaddesk.sync import journal  # noqa: F401 - attaches itself to every Database (db.py cannot import it)

_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{2,62}$")


@dataclass(frozen=True)
class TeamInit:
    database: str
    revision: str | None
    admin_id: uuid.UUID | None


def _require_superuser(conn) -> None:
    if not conn.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")):
        raise PermissionDenied(
            "Team setup needs a PostgreSQL superuser (it creates roles and row-level security). "
            "Run it as the server's administrator, e.g. --url postgresql://postgres@HOST/DB.")


def groups_of(conn) -> Groups:
    return group_names(conn.scalar(text("SELECT current_database()")))


def install_roles(engine: Engine) -> Groups:
    """This database's group roles, grants, function owners and the login functions
    (idempotent; needs a superuser). Also the upgrade of a team database made before
    issue #9: its logins join the per-database groups and the cluster-wide
    ``leaddesk_*`` groups lose every privilege here."""
    with engine.begin() as conn:
        _require_superuser(conn)
        g = groups_of(conn)
        dbname = conn.scalar(text("SELECT current_database()"))
        q = conn.dialect.identifier_preparer.quote
        conn.execute(text(_setup_sql(g)))
        # The database: only this team's logins connect; TEMP (the push's COPY goes
        # through temporary tables) for them alone; nobody but the owner creates in public.
        conn.execute(text(f"REVOKE ALL ON DATABASE {q(dbname)} FROM PUBLIC"))
        conn.execute(text(f'GRANT CONNECT, TEMPORARY ON DATABASE {q(dbname)} TO "{g.user}"'))
        conn.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
        legacy = set(conn.scalars(text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:n)"),
                                  {"n": list(LEGACY_GROUPS)}))
        for old in sorted(legacy):
            conn.execute(text(f'REVOKE ALL ON DATABASE {q(dbname)} FROM "{old}"'))
            conn.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{old}"'))
            conn.execute(text(f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM "{old}"'))
            conn.execute(text(f'REVOKE ALL ON SCHEMA public FROM "{old}"'))
            for fn in ("ld_create_login(text, text, text)", "ld_set_login(text, boolean, text)"):
                conn.execute(text(f'REVOKE ALL ON FUNCTION public.{fn} FROM "{old}"'))
        # Tables: read what the policies let through; write data rows and the hub's
        # field clocks; append to the change log and the batch list; resolve conflicts.
        conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{g.user}", "{g.definer}"'))
        conn.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{g.user}"'))
        conn.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{g.user}"'))
        for table in ("outbox", "field_version", "sync_state", "outbox_base", "alembic_version"):
            conn.execute(text(f'REVOKE ALL ON {table} FROM "{g.user}"'))
        conn.execute(text(f'GRANT SELECT ON alembic_version TO "{g.user}"'))
        conn.execute(text(f"GRANT INSERT, UPDATE ON {', '.join(_writable_tables())} TO \"{g.user}\""))
        conn.execute(text(f'GRANT INSERT ON change_log, sync_batch, sync_conflict TO "{g.user}"'))
        conn.execute(text(f"GRANT UPDATE ({', '.join(CONFLICT_RESOLUTION_COLUMNS)}) ON sync_conflict "
                          f'TO "{g.user}"'))
        conn.execute(text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{g.user}"'))
        # The definer role: what the definer functions read and write, past RLS.
        conn.execute(text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{g.definer}"'))
        conn.execute(text(f'GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO "{g.definer}"'))
        for fn, owner in DEFINER_FUNCTIONS.items():
            exists = conn.scalar(text("SELECT to_regprocedure(:f) IS NOT NULL"), {"f": f"public.{fn}"})
            if not exists:
                continue
            role = g.logins if owner == "logins" else g.definer
            path = access_sql.TRIGGER_PATH if owner == "trigger" else access_sql.DEFINER_PATH
            conn.execute(text(f'ALTER FUNCTION public.{fn} OWNER TO "{role}"'))
            conn.execute(text(f"ALTER FUNCTION public.{fn} SECURITY DEFINER {path}"))
        conn.execute(text(f'ALTER FUNCTION public.ld_is_our_login(text) OWNER TO "{g.logins}"'))
        # The logins of this database (made before the groups were per database) join them.
        for db_role, role in conn.execute(text(
                "SELECT u.db_role, u.role FROM app_user u JOIN pg_roles r ON r.rolname = u.db_role "
                "WHERE NOT r.rolsuper AND NOT r.rolbypassrls")).all():
            if role in {r.value for r in Role}:
                others = [x for x in g.members if x != g.of(role)]
                conn.execute(text(f'REVOKE "{others[0]}", "{others[1]}" FROM {q(db_role)}'))
                conn.execute(text(f'GRANT "{g.user}", "{g.of(role)}" TO {q(db_role)}'))
        return g


def drop_roles(engine: Engine, database: str) -> None:
    """Remove the group roles of a dropped team database (test clean-up, decommissioning;
    a superuser's connection to another database of the server)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in reversed(group_names(database).all):
            conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))


def init_team_database(url: str, *, admin_name: str | None = None, admin_email: str | None = None,
                       node: uuid.UUID | None = None) -> TeamInit:
    """Create or upgrade the team's database at ``url`` (a superuser's URL)."""
    from leaddesk.services.team import setup

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
                      {"n": role_name, "p": password, "g": groups_of(s).of(user.role)})
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
                      {"n": user.db_role, "e": enabled, "g": groups_of(s).of(user.role)})
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
