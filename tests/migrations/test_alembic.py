"""The standard pytest-alembic checks, on SQLite and PostgreSQL, plus upgrades with data."""

from __future__ import annotations

import uuid

from pytest_alembic import tests as alembic_tests
from sqlalchemy import func, select

from leaddesk import migrate
from leaddesk.db import Database, WriteContext
from leaddesk.models import Account, Contact
from leaddesk.services.people import accounts, contacts
from leaddesk.services.team import setup


def test_single_head_revision(alembic_runner):
    alembic_tests.test_single_head_revision(alembic_runner)


def test_upgrade(alembic_runner):
    alembic_tests.test_upgrade(alembic_runner)


def test_model_definitions_match_ddl(alembic_runner):
    alembic_tests.test_model_definitions_match_ddl(alembic_runner)


def test_up_down_consistency(alembic_runner):
    alembic_tests.test_up_down_consistency(alembic_runner)


def test_every_revision_upgrades_a_database_holding_data(alembic_engine):
    """Walk the history one revision at a time; at each step write real rows through the
    services, then upgrade further: nothing may be lost on the way to head."""
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = migrate.alembic_config()
    revisions = list(reversed(list(ScriptDirectory.from_config(cfg).walk_revisions())))
    written = 0
    for rev in revisions:
        with alembic_engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, rev.revision)
        db = Database(alembic_engine, WriteContext(node=uuid.uuid4()))
        if rev is revisions[0]:
            setup.initialize(db, admin_name="Mig Rant", admin_email="mig@example.com")
        acct = accounts.create_account(db, name=f"Acme {rev.revision}", country="TR")
        contacts.create_contact(db, given_name="Ayşe", family_name=f"Yılmaz {rev.revision}",
                                emails=[f"ayse.{rev.revision}@example.com"], account_id=acct.id)
        written += 1
    migrate.upgrade(alembic_engine)
    with alembic_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Account)) == written
        assert conn.scalar(select(func.count()).select_from(Contact)) == written
    assert migrate.current_revision(alembic_engine) == migrate.head_revision()


def test_quick_head_matches_alembic():
    """The app checks "schema current?" without importing Alembic; it must agree."""
    migrate.quick_head.cache_clear()
    assert migrate.quick_head() == migrate.head_revision()
