"""pytest-alembic on both engines: each test gets an EMPTY database of its engine."""

from __future__ import annotations

import uuid
from importlib import resources

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import ENGINES, IN_CI, PG_URL


@pytest.fixture
def alembic_config():
    return {"script_location": str(resources.files("leaddesk") / "migrations")}


@pytest.fixture(params=ENGINES)
def alembic_engine(request, tmp_path):
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'mig.sqlite3'}")
        yield engine
        engine.dispose()
        return
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        if IN_CI:
            pytest.fail(f"CI=true and PostgreSQL at {PG_URL} is unreachable: {exc}")
        pytest.skip(f"SKIPPED LOUDLY: PostgreSQL at {PG_URL} is unreachable: {exc}")
    name = f"leaddesk_mig_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(admin.url.set(database=name))
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
