"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``LEADDESK_TEST_PG_URL`` (default: the local server). Each test run
creates its own database and drops it at the end; tables are emptied before each test.
Without a reachable server the PostgreSQL half is skipped with a loud notice, except under
``CI=true``, where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
import warnings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from sqlalchemy import create_engine, text

from leaddesk import migrate
from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.models import Base
from leaddesk.services.team import setup
from leaddesk.sync import journal  # noqa: F401 - attaches itself to every Database (db.py cannot import it)
from leaddesk.clock import HybridClock

PG_URL = os.environ.get("LEADDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _pg_admin_engine():
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


@pytest.fixture(scope="session")
def pg_url():
    """URL of a fresh, migrated PostgreSQL database for this test run."""
    admin = _pg_admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server"
        admin.dispose()
        message = f"PostgreSQL at {PG_URL} is unreachable: {exc}"
        if IN_CI:
            pytest.fail(f"CI=true and {message}")
        warnings.warn(f"\n\n*** SKIPPING POSTGRESQL TESTS: {message} ***\n", stacklevel=1)
        pytest.skip(f"SKIPPED LOUDLY: {message}")
    name = f"leaddesk_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A SQLite file migrated to head once; each test gets a copy (Anki's master copy)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} CASCADE"))
    engine.dispose()


@pytest.fixture
def db_url(request, tmp_path, sqlite_template):
    """URL of an empty, migrated database of the engine the test is parametrized with."""
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        path = tmp_path / "leaddesk.sqlite3"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_url")
    _truncate_all(url)
    return url


@pytest.fixture
def make_db(db_url):
    """Open another Database (another installation: its own node and clock) on db_url."""
    opened: list[Database] = []

    def factory(actor_id=None) -> Database:
        database = Database(make_engine(db_url), WriteContext(node=uuid.uuid4(), clock=HybridClock(),
                                                                actor_id=actor_id))
        opened.append(database)
        return database

    yield factory
    for database in opened:
        database.dispose()


@pytest.fixture
def empty_db(make_db) -> Database:
    """A migrated database with nothing in it."""
    return make_db()


@pytest.fixture
def db(empty_db) -> Database:
    """A migrated database seeded like ``leaddesk init`` (pipeline, definitions, an admin)."""
    setup.initialize(empty_db, admin_name="Ada Admin", admin_email="ada@example.com")
    return empty_db


def pytest_generate_tests(metafunc):
    """Run every test that uses a database on both engines (``@pytest.mark.sqlite_only``
    opts out, for tests of SQLite-specific behaviour such as file backups;
    ``@pytest.mark.postgres_only`` for what exists only on the team's server, such as
    database logins)."""
    if "db_url" in metafunc.fixturenames:
        if metafunc.definition.get_closest_marker("sqlite_only"):
            metafunc.parametrize("db_url", ["sqlite"], indirect=True)
        elif metafunc.definition.get_closest_marker("postgres_only"):
            metafunc.parametrize("db_url", [ENGINES[1]], indirect=True)
        else:
            metafunc.parametrize("db_url", ENGINES, indirect=True)


@pytest.fixture(autouse=True)
def _discard_question_answered(monkeypatch):
    """A form a test leaves with typed text is closed by pytest-qt at teardown; its real
    "Discard changes?" box would wait for a click forever (offscreen nobody clicks). Here
    the answer is Discard, as a user closing the app would give; tests about the question
    patch ``DiscardGuard.ask`` themselves (their patch comes after this one)."""
    guard = sys.modules.get("leaddesk.ui.widgets.form_guard")
    if guard is not None:
        monkeypatch.setattr(guard.DiscardGuard, "ask", lambda self: True)
