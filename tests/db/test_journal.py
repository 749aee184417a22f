"""The one write path: every change to a synced row is stamped and journaled atomically."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from leaddesk.models import ROW_CREATED, Account, ChangeLog, FieldVersion, HubFieldVersion, Outbox
from leaddesk.services.people import accounts
from leaddesk.sync.journal import HardDeleteRefused, bulk_insert


def _outbox(db, row_id):
    """The journal of a row: the outbox on a SQLite replica; on PostgreSQL (a team hub)
    the change log itself, where direct writes go with a seq, as pushed changes do."""
    with db.reader() as s:
        if db.hub_mode:
            return s.execute(select(ChangeLog.field, ChangeLog.value, ChangeLog.hlc, ChangeLog.node,
                                    ChangeLog.author.label("actor_id"))
                             .where(ChangeLog.row_id == row_id).order_by(ChangeLog.hlc, ChangeLog.field)).all()
        return s.execute(select(Outbox.field, Outbox.value, Outbox.hlc, Outbox.node, Outbox.actor_id)
                         .where(Outbox.row_id == row_id).order_by(Outbox.hlc, Outbox.field)).all()


def _journal_table(db):
    return ChangeLog if db.hub_mode else Outbox


def test_journal_create_then_edit_records_row_and_changed_fields_only(db):
    a = accounts.create_account(db, name="Acme", city="Izmir")
    accounts.update_account(db, a.id, expected_version=a.version, city="Ankara", name="Acme")
    rows = _outbox(db, a.id)
    assert [r.field for r in rows] == [ROW_CREATED, "city"]
    snapshot = json.loads(rows[0].value)
    assert snapshot["name"] == "Acme" and snapshot["city"] == "Izmir"
    assert json.loads(rows[1].value) == "Ankara"
    assert rows[1].hlc > rows[0].hlc
    assert {r.node for r in rows} == {db.write.node}
    assert {r.actor_id for r in rows} == {db.write.actor_id}
    clocks = HubFieldVersion if db.hub_mode else FieldVersion
    with db.reader() as s:
        fv = s.execute(select(clocks.field, clocks.hlc).where(clocks.row_id == a.id, clocks.field != ROW_CREATED)).all()
    assert fv == [("city", rows[1].hlc)]


def test_journal_stamps_who_and_when_and_bumps_version(db, make_db):
    a = accounts.create_account(db, name="Acme")
    assert a.version == 1
    other_user = db.write.actor_id
    other = make_db(actor_id=other_user)
    b = accounts.update_account(other, a.id, expected_version=1, industry="Retail")
    assert b.version == 2
    assert b.updated_at >= a.updated_at
    assert b.created_at == a.created_at


def test_journal_money_is_exact_in_the_outbox(db):
    a = accounts.create_account(db, name="Acme", annual_revenue="12345678901234.56", revenue_currency="EUR")
    assert str(a.annual_revenue) == "12345678901234.56"
    snapshot = json.loads(_outbox(db, a.id)[0].value)
    assert snapshot["annual_revenue"] == "12345678901234.56"
    assert str(accounts.get_account(db, a.id).annual_revenue) == "12345678901234.56"


def test_journal_refuses_hard_delete_and_rolls_back(db):
    a = accounts.create_account(db, name="Acme")
    with pytest.raises(HardDeleteRefused):
        with db.unit_of_work() as s:
            s.delete(s.get(Account, a.id))
    assert accounts.get_account(db, a.id).name == "Acme"


def test_journal_failed_use_case_leaves_no_outbox_rows(db):
    Outbox = _journal_table(db)  # noqa: N806 - the journal of this engine
    with db.reader() as s:
        before = s.scalar(select(func.count()).select_from(Outbox))
    with pytest.raises(RuntimeError):
        with db.unit_of_work() as s:
            s.add(Account(name="Ghost", name_key="ghost"))
            s.flush()
            raise RuntimeError("crash after the flush, before commit")
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Outbox)) == before
        assert s.scalar(select(func.count()).select_from(Account).where(Account.name == "Ghost")) == 0


def test_journal_bulk_insert_matches_orm_stamping(db):
    with db.unit_of_work() as s:
        n = bulk_insert(s, Account, [{"name": f"Bulk {i}", "name_key": f"bulk {i}"} for i in range(50)])
    assert n == 50
    Outbox = _journal_table(db)  # noqa: N806 - the journal of this engine
    with db.reader() as s:
        rows = s.scalars(select(Account).where(Account.name.like("Bulk %"))).all()
        outbox = s.scalar(select(func.count()).select_from(Outbox).where(
            Outbox.row_id.in_([r.id for r in rows]), Outbox.field == ROW_CREATED))
    assert len(rows) == 50 and outbox == 50
    assert all(r.version == 1 and not r.deleted and r.created_by == db.write.actor_id and r.tags == [] for r in rows)


def test_journal_hlc_is_monotonic_even_if_wall_clock_goes_back(db):
    clock = db.write.clock
    first = clock.tick()
    clock._wall = lambda: 0  # the machine's clock jumps back to 1970
    assert clock.tick() > first


def test_services_never_bypass_the_journal():
    """Core update()/delete() on tables skip the ORM events that journal changes."""
    root = Path(__file__).resolve().parents[2] / "leaddesk" / "services"
    offenders = []
    for path in root.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"\b(update|delete)\(\s*[A-Z]\w*\s*\)", text):
            offenders.append(f"{path.name}: {match.group(0)}")
        if "bulk_update_mappings" in text or re.search(r"text\(\s*f?[\"']{1,3}\s*(UPDATE|DELETE)\b", text, re.I):
            offenders.append(f"{path.name}: raw bulk update")
    assert offenders == []

