"""Upgrades of a local SQLite file are preceded by a backup; newer schemas are refused."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from leaddesk import migrate
from leaddesk.db import make_engine
from leaddesk.errors import SchemaOutOfDate


@pytest.mark.sqlite_only
def test_migrate_backs_up_a_sqlite_file_before_upgrading(tmp_path, monkeypatch):
    path = tmp_path / "old.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    # pretend head moved on: the file is "behind" and must be copied first
    monkeypatch.setattr(migrate, "head_revision", lambda: "9999")
    monkeypatch.setattr(migrate, "_run_alembic_upgrade", lambda engine: None)
    before, after = migrate.upgrade(engine, backup_dir=tmp_path / "backups", keep_backups=2)
    assert (before, after) == ("0001", "9999")
    backups = list((tmp_path / "backups").glob("old-*-pre-migration.sqlite3"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as copy:
        assert copy.execute("select version_num from alembic_version").fetchone() == ("0001",)
    engine.dispose()


@pytest.mark.sqlite_only
def test_migrate_keeps_only_the_newest_backups(tmp_path):
    path = tmp_path / "f.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    for _ in range(4):
        migrate.backup_sqlite(engine, tmp_path / "b", keep=2, reason="pre-migration")
    assert len(list((tmp_path / "b").iterdir())) == 2
    engine.dispose()


def test_migrate_refuses_a_schema_from_a_newer_leaddesk(db_url):
    engine = make_engine(db_url)
    with engine.begin() as conn:
        real = conn.scalar(text("SELECT version_num FROM alembic_version"))
        conn.execute(text("UPDATE alembic_version SET version_num = 'fffffffffff'"))
    try:
        with pytest.raises(SchemaOutOfDate, match="newer version"):
            migrate.upgrade(engine)
    finally:  # the PostgreSQL database is shared by the run's later tests
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": real})
        engine.dispose()
