"""Sync fixtures: a fresh PostgreSQL hub database for the run (emptied before each test)
and SQLite replicas made from the migrated template, each with its own node and clock."""

from __future__ import annotations

import shutil
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from leaddesk import migrate
from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.models import Base
from leaddesk.services.team import setup
from leaddesk.services.team import admin as team_admin
from leaddesk.clock import HybridClock
from leaddesk.sync.server import Hub
from tests.conftest import IN_CI, PG_URL
from tests.sync.support import World, node_of


@pytest.fixture(scope="session")
def hub_url():
    """A PostgreSQL database made for this run's hub, migrated to head, dropped at the end."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server"
        admin.dispose()
        if IN_CI:
            pytest.fail(f"CI=true and PostgreSQL at {PG_URL} is unreachable: {exc}")
        pytest.skip(f"SKIPPED LOUDLY: PostgreSQL at {PG_URL} is unreachable: {exc}")
    name = f"leaddesk_hub_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    team_admin.drop_roles(admin, name)  # the database's group roles (cluster-wide)
    admin.dispose()


_engines: dict[str, object] = {}


def empty_hub(url: str) -> None:
    """Empty every table (DELETE, children first: much faster than TRUNCATE for the few
    rows a test leaves; seqs keep counting, which no test depends on)."""
    engine = _engines.get(url) or _engines.setdefault(url, create_engine(url, poolclass=NullPool))
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def hub(hub_url):
    empty_hub(hub_url)
    h = Hub(hub_url)
    yield h
    h.dispose()


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def make_replica(tmp_path, sqlite_template, world):
    """``make_replica(name, skew_ms=0)``: a new laptop (empty migrated SQLite file)."""
    opened: list[Database] = []

    def factory(name: str, *, skew_ms: int = 0, real_clock: bool = False) -> Database:
        path = tmp_path / f"{name}.sqlite3"
        shutil.copyfile(sqlite_template, path)
        clock = HybridClock() if real_clock else HybridClock(wall_millis=world.wall(skew_ms))
        db = Database(make_engine(f"sqlite:///{path}"), WriteContext(node=node_of(name), clock=clock))
        opened.append(db)
        return db

    yield factory
    for db in opened:
        db.dispose()


@pytest.fixture
def seeded(make_replica, hub):
    """Replica ``a`` initialised like ``leaddesk init`` and synced; ``b`` a second laptop
    bootstrapped from the hub, acting as its own user."""
    from leaddesk.services.team import users
    from leaddesk.sync import client

    a = make_replica("a")
    setup.initialize(a, admin_name="Ada Admin", admin_email="ada@example.com")
    client.sync(a, hub, backup=False)
    b = make_replica("b")
    client.sync(b, hub, backup=False)
    b.write.actor_id = users.create_user(b, "Bob Rep", "bob@example.com").id
    client.sync(b, hub, backup=False)
    client.sync(a, hub, backup=False)
    return a, b


from tests.sync.team import pg_team, team_hub  # noqa: E402,F401 - fixtures of the team tests
