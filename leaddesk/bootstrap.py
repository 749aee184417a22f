"""Composition root: Settings -> engine -> schema check/upgrade -> Database with its writer."""

from __future__ import annotations

import uuid

from sqlalchemy import select, text

from leaddesk import migrate
from leaddesk.config import Settings, node_id
from leaddesk.db import Database, WriteContext, explain_db_error, make_engine
from leaddesk.models import User, access
from leaddesk.redaction import redact
from leaddesk.sync.client import restore_clock
from leaddesk.sync import journal  # noqa: F401 - attaches itself to every Database (db.py cannot import it)
from leaddesk.clock import HybridClock


def open_database(settings: Settings, *, upgrade: bool = True, echo: bool = False,
                  read_only: bool = False) -> Database:
    """Open (and by default upgrade) the configured database, ready for services.

    A local SQLite file is backed up before a migration touches it. The data folder and
    the files in it are made private to this user (leaddesk/files.py). ``read_only``
    (``info``): nothing is created (a missing SQLite file is reported, not made; no
    node id is written) and nothing is upgraded.

    Errors a person can act on come out as :class:`leaddesk.errors.LeadDeskError`s (a
    damaged SQLite file, a login without a privilege), never as driver tracebacks.
    """
    from leaddesk.redaction import install_log_redaction
    from leaddesk.files import secure_data_dir

    install_log_redaction()
    secure_data_dir(settings.data_dir)
    upgrade = upgrade and not read_only
    engine = make_engine(settings.database_url, echo=echo, must_exist=read_only)
    try:
        return _open(engine, settings, upgrade=upgrade, read_only=read_only)
    except Exception as exc:
        engine.dispose()
        explained = explain_db_error(exc, _where(engine))
        if explained is None:
            raise
        raise explained from exc


def _where(engine) -> str:
    return engine.url.database if engine.dialect.name == "sqlite" else redact(engine.url.render_as_string(hide_password=True))


def _open(engine, settings: Settings, *, upgrade: bool, read_only: bool) -> Database:
    if upgrade:
        migrate.upgrade(engine, backup_dir=settings.backup_dir, keep_backups=settings.keep_backups)
    else:
        migrate.check_current(engine)
    node = node_id(settings, create=not read_only)
    clock = HybridClock()
    db = Database(engine, WriteContext(node=node, clock=clock))
    db.secure_file()  # LeadDesk's own file now (migrate refuses another application's)
    # Never hand out a clock older than one this installation used or saw (the wall clock
    # may have gone back, or be behind a colleague's whose changes were pulled).
    # (A team hub needs no stored clock: each direct write is moved past the clocks of the
    # rows it changes, journal.py.)
    if db.dialect == "sqlite":
        restore_clock(db)
    with db.reader() as s:
        email = settings.user_email or _joined_email(settings)
        db.write.actor_id = database_user(s) or resolve_actor(s, email)
        db.write.subject = access.load_subject(s, db.write.actor_id)
    return db


def _joined_email(settings: Settings) -> str | None:
    """A laptop that joined a team acts as the user of its login (team.json)."""
    from leaddesk.config import load_profile

    try:
        profile = load_profile(settings.data_dir)
    except Exception:  # noqa: BLE001 - a broken profile is reported by the sync that uses it
        return None
    return profile.user_email if profile else None


def database_user(session) -> uuid.UUID | None:
    """On a team server opened with a personal login: the LeadDesk user of that login
    (``ld_me()``, from ``session_user``: it cannot be configured to be someone else)."""
    if session.bind.dialect.name != "postgresql":
        return None
    if not session.scalar(text("SELECT to_regprocedure('ld_me()') IS NOT NULL")):
        return None
    return session.scalar(text("SELECT ld_me()"))


def resolve_actor(session, email: str | None) -> uuid.UUID | None:
    """The user this installation acts as: by e-mail if configured, else the first active
    admin, else the user named like the OS login, else None (fresh database)."""
    live = select(User).where(User.deleted.is_(False), User.active.is_(True))
    if email:
        user = session.scalars(live.where(User.email_normalized == email.strip().lower())).first()
        if user:
            return user.id
    user = session.scalars(live.where(User.role == "admin").order_by(User.created_at)).first()
    if user:
        return user.id
    from leaddesk.services.team.setup import os_login

    login = os_login()
    user = session.scalars(live.where(User.name == login)).first() if login else None
    return user.id if user else None
