"""Pin: money is exact on both engines, including amounts whose cents have no exact binary
floating-point form (19.99 * 100 is 1998.9999... as a float). SQLite stores integer cents,
so the cents conversion must never pass through float."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from leaddesk.models import Account, Opportunity
from leaddesk.services.people import accounts
from leaddesk.services.pipeline import board, opportunities as pipeline

INEXACT = ["19.99", "0.29", "1.15", "1005.03", "0.07", "4.35", "0.57", "123456789.99"]


@pytest.mark.parametrize("amount", INEXACT)
def test_orm_money_reads_back_unchanged(db, amount):
    acme = accounts.create_account(db, name="Acme")
    opp = pipeline.create_opportunity(db, acme.id, "Fleet")
    with db.unit_of_work() as s:
        s.get(Account, acme.id).annual_revenue = Decimal(amount)
        s.get(Opportunity, opp.id).amount = Decimal(amount)
    with db.reader() as s:
        revenue = s.get(Account, acme.id).annual_revenue
        value = s.get(Opportunity, opp.id).amount
    assert isinstance(value, Decimal) and isinstance(revenue, Decimal)
    assert value == Decimal(amount) and revenue == Decimal(amount)
    assert str(value) == amount


def test_orm_money_stored_as_exact_cents_and_sums_exactly(db):
    acme = accounts.create_account(db, name="Acme")
    ids = []
    for i, amount in enumerate(INEXACT):
        opp = pipeline.create_opportunity(db, acme.id, f"Deal {i}")
        with db.unit_of_work() as s:
            s.get(Opportunity, opp.id).amount = Decimal(amount)
        ids.append(opp.id)
    with db.reader() as s:
        total = s.scalar(select(func.sum(Opportunity.amount)).where(Opportunity.id.in_(ids)))
    assert Decimal(total).quantize(Decimal("0.01")) == sum(Decimal(a) for a in INEXACT)
    if db.engine.dialect.name == "sqlite":  # integer cents: 19.99 is 1999, not 1998
        with db.engine.connect() as conn:
            raw = conn.execute(text(f"SELECT amount FROM {Opportunity.__tablename__} WHERE name LIKE 'Deal %'"))
            stored = sorted(r[0] for r in raw)
        assert stored == sorted(int(Decimal(a) * 100) for a in INEXACT)


@pytest.mark.parametrize("amount", INEXACT)
def test_service_amount_reads_back_unchanged_in_detail_and_board(db, amount):
    acme = accounts.create_account(db, name="Acme")
    made = pipeline.create_opportunity(db, acme.id, "Fleet", amount=amount)
    assert pipeline.get_opportunity(db, made.id).amount == Decimal(amount)
    card = {c.id: c for c in board.load_board(db).cards}[made.id]
    assert card.amount == Decimal(amount)
    # and after an edit through the service
    edited = pipeline.update_opportunity(db, made.id, made.version, amount=amount)
    assert edited.amount == Decimal(amount)
    assert pipeline.get_opportunity(db, made.id).amount == Decimal(amount)
    assert {c.id: c for c in board.load_board(db).cards}[made.id].amount == Decimal(amount)
