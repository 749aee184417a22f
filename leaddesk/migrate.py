"""Schema upgrades with Alembic, and a backup of a local SQLite file before each one."""

from __future__ import annotations

import datetime as dt
import sqlite3
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from leaddesk.errors import SchemaOutOfDate


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("leaddesk") / "migrations"))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def backup_sqlite(engine: Engine, backup_dir: Path, keep: int, reason: str) -> Path | None:
    """Copy a SQLite file with the online backup API; keep the newest ``keep`` copies."""
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:" or not Path(path).exists():
        return None
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = backup_dir / f"{Path(path).stem}-{stamp}-{reason}.sqlite3"
    src = sqlite3.connect(path)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    olds = sorted(backup_dir.glob(f"{Path(path).stem}-*-{reason}.sqlite3"))
    for old in olds[:-keep] if keep > 0 else []:
        old.unlink(missing_ok=True)
    return target


def upgrade(engine: Engine, *, backup_dir: Path | None = None, keep_backups: int = 5) -> tuple[str | None, str]:
    """Upgrade the schema to head. Returns (revision before, revision after).

    A SQLite file that already holds a schema is backed up first. A database from a newer
    LeadDesk (unknown revision) is refused rather than touched.
    """
    before = current_revision(engine)
    head = head_revision()
    if before == head:
        return before, head
    script = ScriptDirectory.from_config(alembic_config())
    if before is not None:
        try:
            script.get_revision(before)
        except Exception as exc:  # alembic raises several kinds for unknown revisions
            raise SchemaOutOfDate(
                f"This database has schema revision {before}, which this LeadDesk does not know: "
                "it was made by a newer version. Update LeadDesk."
            ) from exc
        if backup_dir is not None:
            backup_sqlite(engine, backup_dir, keep_backups, "pre-migration")
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return before, head


def check_current(engine: Engine) -> None:
    rev = current_revision(engine)
    if rev != head_revision():
        raise SchemaOutOfDate(
            "The database schema is not initialised or is out of date "
            f"(at {rev or 'nothing'}, need {head_revision()}). Run `leaddesk db upgrade`."
        )
