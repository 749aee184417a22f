"""The standard pytest-alembic checks, on SQLite and PostgreSQL, plus upgrades with data."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from pytest_alembic import tests as alembic_tests
from sqlalchemy import func, select

from leaddesk import migrate
from leaddesk.db import Database, WriteContext
from leaddesk.models import Account, Contact
from leaddesk.services.people import contacts
from leaddesk.services.team import setup


def test_single_head_revision(alembic_runner):
    alembic_tests.test_single_head_revision(alembic_runner)


def test_upgrade(alembic_runner):
    alembic_tests.test_upgrade(alembic_runner)


def test_model_definitions_match_ddl(alembic_runner):
    alembic_tests.test_model_definitions_match_ddl(alembic_runner)


def test_up_down_consistency(alembic_runner):
    alembic_tests.test_up_down_consistency(alembic_runner)


def _insert_as_of(conn, table: str, **values) -> uuid.UUID:
    """Insert one row with the columns the table has *at this revision* (the services speak
    the head schema, which an older revision lacks): the given values plus the bookkeeping
    every synced row carries."""
    import datetime as dt

    have = {c["name"] for c in sa.inspect(conn).get_columns(table)}
    now = dt.datetime.now(dt.timezone.utc)
    row = {"id": uuid.uuid4(), "created_at": now, "updated_at": now, "version": 1, "deleted": False,
           "hlc": 1 << 16, "node": uuid.uuid4(), **values}
    from leaddesk.models import Base

    model = Base.metadata.tables[table]
    for col in model.columns:  # NOT NULL columns the model fills from a Python default
        if col.name in have and col.name not in row and not col.nullable and col.default is not None:
            arg = col.default.arg
            row[col.name] = arg(None) if callable(arg) else arg
    tbl = sa.Table(table, sa.MetaData(), *(sa.Column(k, model.c[k].type) for k in row if k in have))
    conn.execute(tbl.insert().values({k: v for k, v in row.items() if k in have}))
    return row["id"]


def test_every_revision_upgrades_a_database_holding_data(alembic_engine):
    """Walk the history one revision at a time; at each step write real rows in the schema
    of that revision, then upgrade further: nothing may be lost on the way to head, and
    the rows work through today's services at the end."""
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = migrate.alembic_config()
    revisions = list(reversed(list(ScriptDirectory.from_config(cfg).walk_revisions())))
    written = []
    for rev in revisions:
        with alembic_engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, rev.revision)
        with alembic_engine.begin() as conn:
            acct = _insert_as_of(conn, "account", name=f"Acme {rev.revision}", name_key=f"acme {rev.revision}",
                                 country="TR")
            written.append(_insert_as_of(
                conn, "contact", given_name="Ayşe", family_name=f"Yılmaz {rev.revision}",
                display_name=f"Ayşe Yılmaz {rev.revision}", name_key=f"ayşe yılmaz {rev.revision}",
                seniority="unknown", lifecycle_stage="lead", fit_score=0, interest_score=0, account_id=acct))
    migrate.upgrade(alembic_engine)
    with alembic_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Account)) == len(revisions)
        assert conn.scalar(select(func.count()).select_from(Contact)) == len(revisions)
    assert migrate.current_revision(alembic_engine) == migrate.head_revision()
    db = Database(alembic_engine, WriteContext(node=uuid.uuid4()))
    setup.initialize(db, admin_name="Mig Rant", admin_email="mig@example.com")
    for contact_id in written:  # every old row reads and edits through today's services
        c = contacts.get_contact(db, contact_id)
        contacts.update_contact(db, contact_id, expected_version=c.version, job_title="Depo Müdürü")


def test_quick_head_matches_alembic():
    """The app checks "schema current?" without importing Alembic; it must agree."""
    migrate.quick_head.cache_clear()
    assert migrate.quick_head() == migrate.head_revision()


def test_0009_fills_each_bant_part_from_what_old_rows_hold(alembic_engine):
    """Revision 0009 derives the per-part statuses and the explicit "no need" from the
    BANT rows written before it, and leaves the rest of the row alone."""
    from alembic import command

    cfg = migrate.alembic_config()
    with alembic_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0008")
    with alembic_engine.begin() as conn:
        contact = _insert_as_of(conn, "contact", display_name="Old Bant", name_key="old bant", seniority="unknown",
                                lifecycle_stage="nurture", fit_score=0, interest_score=0)
        rows = {
            "full": dict(budget_amount=500000, budget_currency="EUR", budget_confirmed=True,
                         authority="decision_maker", need="Stock counts are wrong", timing="Q3",
                         result="positive"),
            "influencer": dict(budget_confirmed=False, authority="influencer", result="incomplete"),
            "zero budget": dict(budget_amount=0, budget_currency="EUR", budget_confirmed=False,
                                authority="unknown", result="negative"),
            "no need": dict(budget_confirmed=False, authority="no_authority", need=" ", result="negative"),
        }
        ids = {k: _insert_as_of(conn, "bant", contact_id=contact, **v) for k, v in rows.items()}
    migrate.upgrade(alembic_engine)
    with alembic_engine.connect() as conn:
        got = {r.id: r for r in conn.execute(sa.text(
            "SELECT id, budget_status, authority_status, need_status, timing_status, no_need, need, "
            "decision_maker_role, budget_amount FROM bant"))}

    def parts(key):
        r = got[ids[key]] if ids[key] in got else got[ids[key].hex]
        return (r.budget_status, r.authority_status, r.need_status, r.timing_status, bool(r.no_need))

    assert parts("full") == ("yes", "yes", "yes", "yes", False)
    assert parts("influencer") == ("unknown", "partial", "unknown", "unknown", False)
    assert parts("zero budget") == ("no", "unknown", "unknown", "unknown", False)
    assert parts("no need") == ("unknown", "no", "no", "unknown", True)
    assert {r.decision_maker_role for r in got.values()} == {"unknown"}


def test_0010_upgrades_a_database_holding_activities(alembic_engine):
    """Revision 0010 adds the reminder columns and the pending-reminder index to a table
    that holds activities: old rows keep everything, read as never reminded, so an open
    overdue one fires once (missed while closed) through today's services."""
    import datetime as dt

    from alembic import command

    from leaddesk.services.followups import activities, reminders

    cfg = migrate.alembic_config()
    with alembic_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0009")
    due = dt.datetime(2026, 6, 10, 8, 0, tzinfo=dt.timezone.utc)
    with alembic_engine.begin() as conn:
        acct = _insert_as_of(conn, "account", name="Old GmbH", name_key="old gmbh", country="DE")
        open_id = _insert_as_of(conn, "activity", kind="call", subject="Old open call", due_at=due, account_id=acct)
        done_id = _insert_as_of(conn, "activity", kind="call", subject="Old done call", due_at=due,
                                done_at=due, outcome="completed", account_id=acct)
    migrate.upgrade(alembic_engine)
    indexes = {ix["name"] for ix in sa.inspect(alembic_engine).get_indexes("activity")}
    assert "ix_activity_reminder_pending" in indexes
    db = Database(alembic_engine, WriteContext(node=uuid.uuid4()))
    setup.initialize(db, admin_name="Mig Rant", admin_email="mig@example.com")
    me = db.write.actor_id
    for ident in (open_id, done_id):
        act = activities.get_activity(db, ident)
        assert (act.subject, act.due_at) in {("Old open call", due), ("Old done call", due)}
        activities.update_activity(db, ident, owner_id=me)
    now = due + dt.timedelta(days=1)
    [rem] = reminders.due_reminders(db, me, now)
    assert (rem.id, rem.missed, rem.account) == (open_id, True, "Old GmbH")
    reminders.mark_shown(db, [rem.id], now)
    assert reminders.due_reminders(db, me, now) == []


def test_0011_upgrades_a_database_holding_activities(alembic_engine):
    """Revision 0011 adds the cadence and repeat columns to a table holding activities: old
    rows read as no cadence and not recurring, and a cadence applies next to them."""
    import datetime as dt

    from alembic import command

    from leaddesk.services.followups import activities, cadences

    cfg = migrate.alembic_config()
    with alembic_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0010")
    due = dt.datetime(2026, 6, 10, 8, 0, tzinfo=dt.timezone.utc)
    with alembic_engine.begin() as conn:
        contact = _insert_as_of(conn, "contact", display_name="Old Lead", name_key="old lead", seniority="unknown",
                                lifecycle_stage="lead", fit_score=0, interest_score=0)
        old = _insert_as_of(conn, "activity", kind="call", subject="Old open call", due_at=due, contact_id=contact)
    migrate.upgrade(alembic_engine)
    assert "ix_activity_cadence_run" in {ix["name"] for ix in sa.inspect(alembic_engine).get_indexes("activity")}
    db = Database(alembic_engine, WriteContext(node=uuid.uuid4()))
    setup.initialize(db, admin_name="Mig Rant", admin_email="mig@example.com")
    act = activities.get_activity(db, old)
    assert (act.subject, act.cadence_key, act.cadence_run, act.cadence_step, act.rrule) == (
        "Old open call", None, None, None, None)
    cadences.apply_cadence(db, "trade-show", [contact], start=due)
    assert sorted(x.cadence_step or 0 for x in activities.list_activities(db, contact_id=contact)) == [0, 1, 2, 3, 4]
