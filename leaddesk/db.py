"""Engines, sessions and the unit of work. No Qt.

``Database`` is what services receive: ``with db.unit_of_work() as s:`` opens one session
and one transaction for one use case, commits on success, rolls back on any error, and
turns driver errors into :mod:`leaddesk.errors`.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from leaddesk.errors import Conflict, DatabaseUnavailable
from leaddesk.sync.clock import HybridClock

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    # FULL, not NORMAL: a laptop whose battery dies at a trade show must not lose a save.
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
)


def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


#: Session settings of every LeadDesk connection to PostgreSQL. JIT off: the row-level
#: security policies make plans look expensive (a CASE over every synced table), so the
#: planner compiles ~1,400 functions for a 2,000-row pull: 0.53 s of JIT for a query
#: that runs in 9 ms (EXPLAIN ANALYZE as a rep). Short OLTP queries never repay JIT.
PG_OPTIONS = "-c jit=off"


def make_engine(url: str, *, echo: bool = False, check: bool = True) -> Engine:
    """Create an engine for ``url`` and (with ``check``) prove it answers.

    Raises :class:`DatabaseUnavailable` with a sentence that says what is wrong.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(
            f"'{url}' is not a database URL. Use sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST:PORT/DBNAME."
        ) from exc
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseUnavailable(f"LeadDesk works with SQLite or PostgreSQL, not '{backend}'.")
    kwargs: dict = {"echo": echo}
    if backend == "sqlite":
        path = parsed.database
        if path and path != ":memory:":
            from pathlib import Path

            parent = Path(path).expanduser().resolve().parent
            if not parent.exists():
                try:
                    parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise DatabaseUnavailable(f"Cannot create the folder {parent}: {exc.strerror}.") from exc
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


def _explain_connect_error(parsed, exc: Exception) -> str:
    where = parsed.render_as_string(hide_password=True)
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
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
        from leaddesk.sync import journal

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
        journal.install(self.session_factory)
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

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

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
        except OperationalError as exc:
            raise DatabaseUnavailable(f"The database stopped answering: {str(exc.orig).strip()}") from exc
        finally:
            session.close()

    @contextlib.contextmanager
    def reader(self) -> Iterator[Session]:
        """A read-only session (no write lock on SQLite)."""
        session = self.read_session_factory()
        session.info["subject"] = self.write.subject
        try:
            yield session
        finally:
            # close(), not rollback(): loaded objects stay readable (not expired); the
            # connection's transaction is rolled back as it returns to the pool.
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
