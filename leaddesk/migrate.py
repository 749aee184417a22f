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
from leaddesk.files import create_private_file, private_dir, storage_error, tighten_file

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
def _headers() -> tuple[frozenset[str], frozenset[str]] | None:
    """(revisions, their parents) from the version files' headers; None if one cannot be read."""
    revisions, parents = set(), set()
    for path in VERSIONS.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        rev, down = _REV.search(source), _DOWN.search(source)
        if rev is None or down is None:
            return None
        revisions.add(rev.group(1))
        parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    return frozenset(revisions), frozenset(parents)


@lru_cache(maxsize=1)
def quick_head() -> str | None:
    """The head revision read from the version files' headers, without Alembic; None if
    the history branches (then ask Alembic). tests/migrations checks it equals Alembic's."""
    found = _headers()
    if found is None:
        return None
    heads = found[0] - found[1]
    return next(iter(heads)) if len(heads) == 1 else None


def known_revision(revision: str) -> bool:
    """Whether this LeadDesk's history holds ``revision`` (else a newer LeadDesk, or
    another application, wrote the database)."""
    found = _headers()
    if found is not None:
        return revision in found[0]
    from alembic.script import ScriptDirectory

    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except Exception:  # noqa: BLE001 - alembic raises several kinds for unknown revisions
        return False
    return True


#: Tables every LeadDesk schema has had since the first revision.
LEADDESK_TABLES = frozenset({"app_user", "contact", "pipeline"})


class NotLeadDeskDatabase(SchemaOutOfDate):
    """The database holds another application's tables: LeadDesk adds nothing to it."""


def _tables(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(sa_inspect(conn).get_table_names()) - {"alembic_version"}


def _where(engine: Engine) -> str:
    from leaddesk.redaction import describe_url

    return engine.url.database if engine.dialect.name == "sqlite" else describe_url(engine.url.render_as_string(hide_password=True))


def _refuse_foreign(engine: Engine, revision: str | None) -> None:
    """Raise :class:`NotLeadDeskDatabase` for another application's database: tables but
    no LeadDesk revision, or an unknown revision and none of LeadDesk's tables."""
    tables = _tables(engine)
    if revision is None and tables or revision is not None and not tables & LEADDESK_TABLES:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise NotLeadDeskDatabase(
            f"{_where(engine)} is not a LeadDesk database (it holds another application's tables: "
            f"{shown or 'none'}{'' if revision is None else f'; schema revision {revision}'}); nothing was "
            "changed. Give LeadDesk a new file or an empty database.")


def check_integrity(engine: Engine) -> None:
    """``PRAGMA quick_check`` of a SQLite file; :class:`leaddesk.db.DatabaseDamaged` if it fails."""
    from leaddesk.db import DatabaseDamaged, explain_db_error

    if engine.dialect.name != "sqlite":
        return
    try:
        with engine.connect() as conn:
            problems = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check(3)")]
    except Exception as exc:
        explained = explain_db_error(exc, _where(engine))
        if explained is None:
            raise
        raise explained from exc
    if problems != ["ok"]:
        raise DatabaseDamaged.about(_where(engine), "; ".join(problems))


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
    private_dir(backup_dir)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = backup_dir / f"{Path(path).stem}-{stamp}-{reason}.sqlite3"
    create_private_file(target)  # 0600 before a byte is copied (leaddesk/files.py)
    try:
        src = sqlite3.connect(path)
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        from leaddesk.db import explain_db_error

        target.unlink(missing_ok=True)
        explained = explain_db_error(exc, path)
        if explained is None:
            raise storage_error("write the backup", target, OSError(str(exc))) from exc
        raise explained from exc
    for suffix in ("-wal", "-shm", "-journal"):
        tighten_file(Path(f"{target}{suffix}"))
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
    head = head_revision()
    if before == head:
        return before, head
    if before is None or not known_revision(before):
        _refuse_foreign(engine, before)
    if before is not None:
        if not known_revision(before):
            raise SchemaOutOfDate(
                f"This database has schema revision {before}, which this LeadDesk does not know: "
                "it was made by a newer version. Update LeadDesk."
            )
        check_integrity(engine)  # never migrate (nor back up over good copies) a damaged file
        if backup_dir is not None:
            backup_sqlite(engine, backup_dir, keep_backups, "pre-migration")
    try:
        _run_alembic_upgrade(engine)
    except Exception as exc:
        if getattr(getattr(exc, "orig", None), "sqlstate", None) == "42501":  # insufficient_privilege
            raise SchemaOutOfDate(
                f"{_where(engine)} is at schema revision {before or 'nothing'} and this LeadDesk needs {head}, "
                "but this login may not change the schema: the team's admin upgrades the server with "
                "`leaddesk team init --url SUPERUSER_URL`.") from exc
        raise
    return before, head


def _run_alembic_upgrade(engine: Engine) -> None:
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def check_current(engine: Engine) -> None:
    """Raise :class:`SchemaOutOfDate` with what to do unless the schema is at head."""
    rev = current_revision(engine)
    if rev is not None and rev == quick_head():
        return
    head = head_revision()
    if rev == head:
        return
    if rev is None or not known_revision(rev):
        _refuse_foreign(engine, rev)
    if rev is not None and not known_revision(rev):
        raise SchemaOutOfDate(
            f"This database was made by a newer LeadDesk (schema revision {rev}; this version knows up to "
            f"{head}): update LeadDesk to open it."
        )
    raise SchemaOutOfDate(
        "The database schema is not initialised or is out of date "
        f"(at {rev or 'nothing'}, need {head}). Run `leaddesk db upgrade`."
    )
