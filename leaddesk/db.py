"""Engines, sessions and the unit of work. No Qt.

``Database`` is what services receive: ``with db.unit_of_work() as s:`` opens one session
and one transaction for one use case, commits on success, rolls back on any error, and
turns driver errors into :mod:`leaddesk.errors`.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from leaddesk.errors import Conflict, DatabaseUnavailable
from leaddesk.redaction import describe_url, redact, url_password
from leaddesk.clock import HybridClock

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    # FULL, not NORMAL: a laptop whose battery dies at a trade show must not lose a save.
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
)


#: The drivers LeadDesk ships with and is tested on.
SUPPORTED_DRIVERS = {"sqlite": "sqlite", "sqlite+pysqlite": "sqlite", "postgresql": "postgresql",
                     "postgresql+psycopg": "postgresql"}
URL_FORMS = "sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DBNAME"


def check_url(url: str):
    """Parse ``url`` for LeadDesk: a :class:`sqlalchemy.URL` of a supported driver, else
    :class:`DatabaseUnavailable` with a sentence (and never the password)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(f"'{describe_url(str(url))}' is not a database URL. Use {URL_FORMS}.") from exc
    except ValueError as exc:  # SQLAlchemy's int() of the port
        raise DatabaseUnavailable(
            f"The port in '{describe_url(url)}' is not a number. Use {URL_FORMS} (PORT is usually 5432)."
        ) from exc
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseUnavailable(f"LeadDesk works with SQLite or PostgreSQL, not '{backend}'. Use {URL_FORMS}.")
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise DatabaseUnavailable(
            f"LeadDesk does not support the driver '{parsed.drivername}': it connects with sqlite (built into "
            f"Python) and postgresql+psycopg (psycopg 3). Use {URL_FORMS}.")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise DatabaseUnavailable(f"The port in '{describe_url(url)}' must be between 1 and 65535.")
    return parsed


def secure_sqlite_file(engine: Engine) -> None:
    """The engine's SQLite file and its -wal/-shm: 0600 on POSIX (leaddesk/files.py)."""
    path = engine.url.database
    if engine.dialect.name == "sqlite" and path and path != ":memory:" and not path.startswith("file:"):
        from pathlib import Path

        from leaddesk.files import tighten_sqlite

        tighten_sqlite(Path(path).expanduser())


class DatabaseDamaged(DatabaseUnavailable):
    """The SQLite file is damaged (or is not a database at all)."""

    @classmethod
    def about(cls, where: str | None, detail: str) -> "DatabaseDamaged":
        return cls(f"The SQLite database{f' {where}' if where else ''} is damaged ({detail}); nothing was changed. "
                   "Restore the newest copy from its backups folder (beside it, or in LeadDesk's data folder), "
                   "or, on a laptop that joined a team, move the file away and join again.")


def explain_db_error(exc: BaseException, where: str | None = None):
    """A driver error a person can act on, as a :class:`leaddesk.errors.LeadDeskError`
    (a damaged SQLite file, a login without the privilege); None for anything else (a bug)."""
    import sqlite3

    orig = getattr(exc, "orig", None) or exc
    detail = " ".join(str(orig).split()) or type(orig).__name__
    if isinstance(orig, sqlite3.DatabaseError) and any(
            k in detail for k in ("malformed", "not a database", "corrupt", "disk image")):
        return DatabaseDamaged.about(where, detail)
    if getattr(orig, "sqlstate", None) == "42501":  # insufficient_privilege, RLS refusals included
        from leaddesk.errors import PermissionDenied

        return PermissionDenied(f"The database refused this to your login: {redact(detail.split(' [SQL')[0])}.")
    return None


#: Session settings of every LeadDesk connection to PostgreSQL. JIT off: the row-level
#: security policies make plans look expensive (a CASE over every synced table), so the
#: planner compiles ~1,400 functions for a 2,000-row pull: 0.53 s of JIT for a query
#: that runs in 9 ms (EXPLAIN ANALYZE as a rep). Short OLTP queries never repay JIT.
PG_OPTIONS = "-c jit=off"


def make_engine(url: str, *, echo: bool = False, check: bool = True, must_exist: bool = False) -> Engine:
    """Create an engine for ``url`` and (with ``check``) prove it answers.

    A new SQLite file (and the folder made for it) is private to this user (0600/0700,
    leaddesk/files.py); an existing one is tightened by ``bootstrap.open_database`` once
    it is known to be LeadDesk's. ``must_exist``: a SQLite file that
    is not there is reported, not created (commands that only read).

    Raises :class:`DatabaseUnavailable` with a sentence that says what is wrong.
    """
    from pathlib import Path

    from leaddesk import files

    parsed = check_url(url)
    backend = parsed.get_backend_name()
    kwargs: dict = {"echo": echo}
    if backend == "sqlite":
        path = parsed.database
        if path and path != ":memory:" and not path.startswith("file:") and not parsed.query.get("uri"):
            file = Path(path).expanduser()
            if must_exist and not file.exists():
                raise DatabaseUnavailable(
                    f"There is no database at {file}; nothing was created. Create it with `leaddesk init` "
                    "(or `leaddesk db upgrade`).")
            if file.is_file():
                _refuse_foreign_sqlite(file)
            parent = file.resolve().parent
            if not parent.exists():
                files.private_dir(parent)
            if not file.exists():
                files.create_private_file(file)
    else:
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"connect_timeout": 5, "application_name": "leaddesk", "options": PG_OPTIONS}
    try:
        engine = create_engine(parsed, **kwargs)
    except NoSuchModuleError as exc:
        raise DatabaseUnavailable(f"Unknown database driver in '{describe_url(url)}'.") from exc
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    else:
        # Send bulk INSERTs as multi-row VALUES (1,000 rows a statement) instead of one
        # statement per row: the statement-level search/NOTIFY triggers then run once per
        # 1,000 rows, not per row (a 5,000-row insert: 4.0 s -> well under a second).
        engine.dialect.use_insertmanyvalues_wo_returning = True
    if check:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except (OperationalError, DBAPIError) as exc:
            engine.dispose()
            raise DatabaseUnavailable(_explain_connect_error(parsed, exc)) from exc
    return engine


def _refuse_foreign_sqlite(file) -> None:
    """Before LeadDesk's own connection touches an existing file (its WAL pragma alone
    rewrites the header): refuse another application's SQLite database, read-only."""
    import sqlite3
    from urllib.parse import quote

    from leaddesk import migrate

    try:
        conn = sqlite3.connect(f"file:{quote(str(file.resolve()))}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite~_%' ESCAPE '~'")}
        finally:
            conn.close()
    except sqlite3.Error:
        return  # not readable like this: the real connection says what is wrong
    tables.discard("alembic_version")
    if tables and not tables & migrate.LEADDESK_TABLES:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise migrate.NotLeadDeskDatabase(
            f"{file} is not a LeadDesk database (it holds another application's tables: {shown}); nothing was "
            "changed. Give LeadDesk a new file or an empty database.")


def _explain_connect_error(parsed, exc: Exception) -> str:
    where = redact(parsed.render_as_string(hide_password=True))
    secrets = [url_password(parsed.render_as_string(hide_password=False))]
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
    detail = redact(detail, secrets)
    if parsed.get_backend_name() == "sqlite":
        return f"Cannot open the SQLite database {parsed.database}: {detail}"
    full = str(getattr(exc, "orig", exc))
    hint = next((h for needle, h in _PG_HINTS if needle in full), "")
    return (
        f"Cannot connect to PostgreSQL at {parsed.host or 'localhost'}:{parsed.port or 5432}"
        f"/{parsed.database or ''} ({where}): {detail}{hint}"
    )


#: What to do about libpq's connection failures that a person can fix (TLS above all).
_PG_HINTS = (
    ("certificate verify failed",
     " — the server's TLS certificate is not signed by the certificate authority given (sslrootcert): "
     "ask the team's admin for the team's CA certificate."),
    ("does not match host name",
     " — the server's TLS certificate does not name the host used: connect with the host name the "
     "certificate was issued for (as the admin wrote it, not an IP address)."),
    ("no encryption",
     " — the server accepts only encrypted connections: use TLS mode require, verify-ca or verify-full."),
    ("root certificate file",
     " — for verify-ca and verify-full give the team's certificate authority file (sslrootcert), "
     "or 'system' to trust this computer's certificate store."),
    ("password authentication failed", " — check the login and its password."),
)


def _sqlite_on_connect(dbapi_conn, _record):
    # Let SQLAlchemy, not pysqlite, decide when transactions begin (so BEGIN is explicit).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    for pragma in SQLITE_PRAGMAS:
        cur.execute(pragma)
    cur.close()


def _sqlite_on_begin(conn):
    # IMMEDIATE takes the write lock up front: two writers wait (busy_timeout) instead of
    # failing half-way with "database is locked" on the upgrade from read to write.
    read_only = conn.get_execution_options().get("leaddesk_read_only", False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


#: What the layers above attach to the writing session factory of every Database, in
#: order (:func:`attach_to_write_sessions`). The journal (leaddesk/sync/journal.py) attaches
#: itself as it is imported: this module, the lowest room, imports nothing above it.
_write_session_hooks: list[Callable[[sessionmaker], None]] = []


def attach_to_write_sessions(hook: Callable[[sessionmaker], None]) -> None:
    """Have ``hook(factory)`` called on the writing session factory of every Database made
    from now on (once per hook, in the order attached)."""
    if hook not in _write_session_hooks:
        _write_session_hooks.append(hook)


@dataclass
class WriteContext:
    """Who writes, from which installation, with which clock (see sync/journal.py)."""

    node: uuid.UUID
    clock: HybridClock = field(default_factory=HybridClock)
    actor_id: uuid.UUID | None = None
    #: Who is acting, with role and team (models/access.py); None = no rules applied
    #: (a fresh database, tools, or the hub's superuser). Admins pass every rule.
    subject: object | None = None
    #: Journal writes straight into the hub's change log (a PostgreSQL team database
    #: opened directly); set by the Database, not by callers.
    hub: bool = False


class Database:
    """An engine, a session factory and this installation's write context."""

    def __init__(self, engine: Engine, write: WriteContext):
        if not _write_session_hooks:
            raise RuntimeError("No journal is attached to Database sessions (their saves would be neither stamped "
                               "nor recorded): import leaddesk.sync.journal before making a Database.")
        self.engine = engine
        self.write = write
        #: PostgreSQL backend pids of this app's own connections (their NOTIFYs are echoes).
        self.own_backend_pids: set[int] = set()
        #: time.monotonic() of this app's last committed write (SQLite echo filter).
        self.last_local_commit = 0.0
        self._hub_mode: bool | None = None
        if engine.dialect.name == "postgresql":
            event.listen(engine, "checkout", self._remember_pid)
        self.session_factory = sessionmaker(engine, expire_on_commit=False)
        self.read_session_factory = sessionmaker(
            engine.execution_options(leaddesk_read_only=True), expire_on_commit=False
        )
        for hook in _write_session_hooks:
            hook(self.session_factory)
        from leaddesk.models import access

        access.install_read_filter(self.session_factory)
        access.install_read_filter(self.read_session_factory)

    def _remember_pid(self, dbapi_conn, _record, _proxy=None) -> None:
        self.own_backend_pids.add(dbapi_conn.info.backend_pid)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def hub_mode(self) -> bool:
        """A PostgreSQL database with the sync tables is a team hub: writes made on it
        directly are stamped into its change log like pushed ones (sync notes, intro)."""
        if self._hub_mode is None:
            if self.dialect != "postgresql":
                self._hub_mode = False
            else:
                from sqlalchemy import inspect as sa_inspect

                with self.engine.connect() as conn:
                    # (revision 0005 on: the change log with its "rejected" column)
                    insp = sa_inspect(conn)
                    self._hub_mode = insp.has_table("change_log") and any(
                        c["name"] == "rejected" for c in insp.get_columns("change_log"))
        return self._hub_mode

    def secure_file(self) -> None:
        """A SQLite file and its -wal/-shm: 0600 on POSIX (leaddesk/files.py)."""
        secure_sqlite_file(self.engine)

    @property
    def url(self) -> str:
        return redact(self.engine.url.render_as_string(hide_password=True))

    @contextlib.contextmanager
    def unit_of_work(self, *, actor_id: uuid.UUID | None = None) -> Iterator[Session]:
        """One session, one transaction; commit on success, roll back on error."""
        session = self.session_factory()
        session.info["write"] = WriteContext(
            node=self.write.node,
            clock=self.write.clock,
            actor_id=actor_id if actor_id is not None else self.write.actor_id,
            subject=self.write.subject if actor_id is None else None,
            hub=self.hub_mode,
        )
        session.info["subject"] = session.info["write"].subject
        try:
            with session.begin():
                yield session
            self.last_local_commit = time.monotonic()
        except StaleDataError as exc:
            raise Conflict("record", None, None, None) from exc
        except DBAPIError as exc:
            self._raise_if_damaged(exc)
            if isinstance(exc, OperationalError):
                raise DatabaseUnavailable(f"The database stopped answering: {redact(str(exc.orig).strip())}") from exc
            raise
        finally:
            session.close()

    def _raise_if_damaged(self, exc: DBAPIError) -> None:
        """A damaged SQLite page met while working: a sentence with what to do, in the app
        as on the command line, instead of a driver error."""
        if self.dialect == "sqlite":
            damaged = explain_db_error(exc, self.engine.url.database)
            if isinstance(damaged, DatabaseDamaged):
                raise damaged from exc

    @contextlib.contextmanager
    def reader(self) -> Iterator[Session]:
        """A read-only session (no write lock on SQLite)."""
        session = self.read_session_factory()
        session.info["subject"] = self.write.subject
        try:
            yield session
        except DBAPIError as exc:
            self._raise_if_damaged(exc)
            raise
        finally:
            # close(), not rollback(): loaded objects stay readable (not expired); the
            # connection's transaction is rolled back as it returns to the pool.
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
