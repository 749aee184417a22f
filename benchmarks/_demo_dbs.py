"""Demo databases for the benchmarks, built once and kept under bench-out/ (SQLite) or as
the PostgreSQL database ``leaddesk_bench_<scale>``, so each benchmark does not pay for the
demo generation again. ``--fresh`` rebuilds them."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from leaddesk import migrate
from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.services.demo import generate as demo
from leaddesk.services import info
from leaddesk.services.team import setup

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench-out"
PG_ADMIN = os.environ.get("LEADDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def sqlite_url(scale: str) -> str:
    return f"sqlite:///{OUT / f'demo-{scale}.sqlite3'}"


def pg_url(scale: str) -> str:
    return create_engine(PG_ADMIN).url.set(database=f"leaddesk_bench_{scale}").render_as_string(hide_password=False)


def open_db(url: str) -> Database:
    return Database(make_engine(url), WriteContext(node=uuid.uuid4()))


def ensure(engine_kind: str, scale: str, *, fresh: bool = False) -> str:
    """URL of a migrated database holding the demo at ``scale`` (built if missing)."""
    OUT.mkdir(exist_ok=True)
    if engine_kind == "sqlite":
        url = sqlite_url(scale)
        path = OUT / f"demo-{scale}.sqlite3"
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        url = pg_url(scale)
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        name = f"leaddesk_bench_{scale}"
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if exists and fresh:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                exists = False
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    db = open_db(url)
    try:
        if info.database_info(db).counts["contact"] == 0:
            print(f"  building the {scale} demo on {engine_kind} (once) ...", flush=True)
            setup.initialize(db, admin_name="Bench Admin", admin_email="bench@example.com")
            demo.generate(db, scale=scale)
    finally:
        db.dispose()
    return url
