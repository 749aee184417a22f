"""Schema upgrades with Alembic, and a backup of a local SQLite file before each one.

Alembic is imported only when a database actually needs upgrading: checking that a
schema is current reads the revision files' headers (cheap) and ``alembic_version``, so
the app's cold start does not pay ~0.2 s to import Alembic for nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from functools import lru_cache
from importlib import resources
from pathlib import Path

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text
from sqlalchemy.engine import Engine

from leaddesk.errors import SchemaOutOfDate

VERSIONS = Path(str(resources.files("leaddesk") / "migrations" / "versions"))
_REV = re.compile(r"^revision\b[^=]*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision\b[^=]*=\s*(.+)$", re.M)


def alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("leaddesk") / "migrations"))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@lru_cache(maxsize=1)
def quick_head() -> str | None:
    """The head revision read from the version files' headers, without Alembic; None if
    the history branches (then ask Alembic). tests/migrations checks it equals Alembic's."""
    revisions, parents = set(), set()
    for path in VERSIONS.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        rev, down = _REV.search(source), _DOWN.search(source)
        if rev is None or down is None:
            return None
        revisions.add(rev.group(1))
        parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not sa_inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


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
    if before is not None and before == quick_head():
        return before, before
    from alembic.script import ScriptDirectory

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
    _run_alembic_upgrade(engine)
    return before, head


def _run_alembic_upgrade(engine: Engine) -> None:
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def check_current(engine: Engine) -> None:
    rev = current_revision(engine)
    if rev is not None and rev == quick_head():
        return
    if rev != head_revision():
        raise SchemaOutOfDate(
            "The database schema is not initialised or is out of date "
            f"(at {rev or 'nothing'}, need {head_revision()}). Run `leaddesk db upgrade`."
        )
