"""The pipeline board's data: cards, filters, stalled markers, totals and forecast."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from leaddesk.errors import ValidationError
from leaddesk.services.people import accounts
from leaddesk.services.followups import activities
from leaddesk.services.pipeline import board, lost_reasons, opportunities as pipeline, pipelines
from leaddesk.services.team import users
from leaddesk.services.pipeline.board import BoardFilter

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def deals(db):
    stages = pipelines.list_stages(db, pipelines.list_pipelines(db)[0].id)
    rep = users.create_user(db, "Rita Rep", "rita@example.com")
    acme = accounts.create_account(db, name="Acme")
    globex = accounts.create_account(db, name="Globex")
    old = NOW - dt.timedelta(days=40)
    made = {
        "a1": pipeline.create_opportunity(db, acme.id, "Acme fleet", amount="10000.00", currency="EUR",
                                          expected_close_date=dt.date(2026, 12, 15), now=old, next_step="Call CFO"),
        "a2": pipeline.create_opportunity(db, acme.id, "Acme spare parts", amount="2500.50", currency="EUR",
                                          stage_id=stages[2].id, expected_close_date=dt.date(2027, 1, 10), now=NOW),
        "g1": pipeline.create_opportunity(db, globex.id, "Globex pilot", amount="4000", currency="EUR",
                                          owner_id=rep.id, expected_close_date=dt.date(2026, 10, 1), now=old),
    }
    return {"stages": stages, "rep": rep, "acme": acme, "globex": globex, **made}


def test_board_cards_carry_account_owner_probability_and_weighted_amount(db, deals):
    b = board.load_board(db, now=NOW)
    assert [s.name for s in b.stages] == [s.name for s in deals["stages"]]
    cards = {c.id: c for c in b.cards}
    a2 = cards[deals["a2"].id]
    assert a2.account_name == "Acme" and a2.stage_id == deals["stages"][2].id
    assert a2.probability == deals["stages"][2].probability
    assert a2.weighted == (Decimal("2500.50") * a2.probability / 100).quantize(Decimal("0.01"))
    assert cards[deals["g1"].id].owner_name == "Rita Rep"


def test_board_stalled_needs_old_touch_and_nothing_scheduled(db, deals):
    cards = {c.id: c for c in board.load_board(db, now=NOW).cards}
    assert cards[deals["a1"].id].stalled  # 40 days in a 14-day stage, nothing scheduled
    assert not cards[deals["a2"].id].stalled  # entered today
    activities.schedule_activity(db, "call", "Chase Globex", due_at=NOW + dt.timedelta(days=2),
                                 opportunity_id=deals["g1"].id)
    cards = {c.id: c for c in board.load_board(db, now=NOW).cards}
    assert not cards[deals["g1"].id].stalled  # a follow-up is booked
    assert cards[deals["a2"].id].needs_next_step and not cards[deals["a1"].id].needs_next_step


def test_board_filters_combine(db, deals):
    ids = lambda f: {c.id for c in board.load_board(db, f, now=NOW).cards}  # noqa: E731
    assert ids(BoardFilter(owner_ids=(deals["rep"].id,))) == {deals["g1"].id}
    assert ids(BoardFilter(account_id=deals["acme"].id)) == {deals["a1"].id, deals["a2"].id}
    assert ids(BoardFilter(amount_min=Decimal("3000"))) == {deals["a1"].id, deals["g1"].id}
    assert ids(BoardFilter(amount_min=Decimal("3000"), amount_max=Decimal("5000"))) == {deals["g1"].id}
    assert ids(BoardFilter(close_from=dt.date(2026, 12, 1), close_to=dt.date(2026, 12, 31))) == {deals["a1"].id}
    assert ids(BoardFilter(text="spare")) == {deals["a2"].id}
    assert ids(BoardFilter(text="globex")) == {deals["g1"].id}  # by account name
    assert ids(BoardFilter(text="100%")) == set()
    with pytest.raises(ValidationError):
        board.load_board(db, BoardFilter(amount_min=Decimal("9"), amount_max=Decimal("1")))


def test_board_closed_cards_leave_the_board_and_totals_follow(db, deals):
    b = board.load_board(db, now=NOW)
    before = board.column_totals(b.cards)
    assert before.count == 3 and before.amount == {"EUR": Decimal("16500.50")}
    reason = lost_reasons.list_lost_reasons(db)[0]
    pipeline.close_lost(db, deals["g1"].id, reason.id, note="Went with a competitor")
    after = board.column_totals(board.load_board(db, now=NOW).cards)
    assert after.count == 2 and after.amount == {"EUR": Decimal("12500.50")}


def test_board_forecast_by_close_month_puts_overdue_in_this_month(db, deals):
    cards = board.load_board(db, now=NOW).cards
    months = board.forecast_by_month(cards, months=3, today=NOW.date())
    assert [m.month for m in months] == [dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1)]
    assert [m.count for m in months] == [1, 1, 1]  # Globex (overdue) counts in November
    total_weighted = sum((m.weighted.get("EUR", Decimal(0)) for m in months), Decimal(0))
    assert total_weighted == sum((c.weighted for c in cards), Decimal(0))
