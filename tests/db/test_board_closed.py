"""Closed deals on the board (services.board), on SQLite and PostgreSQL: with closed deals
included, won and lost cards carry when they were closed, belong to the Won and Lost
columns (never to the stage they were closed in) and count there with a settled
probability, so weighted totals and the forecast stay honest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from leaddesk.models.enums import OpportunityStatus
from leaddesk.services.people import accounts
from leaddesk.services.pipeline import board, lost_reasons, opportunities as pipeline, pipelines

WON, LOST, OPEN = OpportunityStatus.WON, OpportunityStatus.LOST, OpportunityStatus.OPEN


@pytest.fixture
def deals(db):
    pipe = pipelines.list_pipelines(db)[0]
    stages = pipelines.list_stages(db, pipe.id)
    acme = accounts.create_account(db, name="Acme plc")
    last = stages[-1]  # e.g. "Verbal commit": where a deal is usually won

    def opp(name, amount, stage, currency="EUR"):
        return pipeline.create_opportunity(db, acme.id, name, amount=amount, currency=currency, stage_id=stage.id)

    made = {
        "open": opp("Still open", "1000", last),
        "won": opp("Won big", "50000", last),
        "won_usd": opp("Won in dollars", "3000", stages[0], currency="USD"),
        "lost": opp("Lost one", "7000", stages[1]),
    }
    reason = lost_reasons.list_lost_reasons(db)[0]
    pipeline.close_won(db, made["won"].id)
    pipeline.close_won(db, made["won_usd"].id)
    pipeline.close_lost(db, made["lost"].id, reason.id, note="Budget frozen")
    return made, last


def test_closed_cards_are_left_out_unless_asked_for(db, deals):
    made, _last = deals
    assert [c.id for c in board.load_board(db).cards] == [made["open"].id]


def test_closed_cards_belong_to_the_won_and_lost_columns_with_when_they_closed(db, deals):
    made, last = deals
    cards = {c.id: c for c in board.load_board(db, board.BoardFilter(include_closed=True)).cards}
    assert set(cards) == {m.id for m in made.values()}
    won, lost, still = cards[made["won"].id], cards[made["lost"].id], cards[made["open"].id]
    assert won.stage_id == last.id                 # the stage it was won in is kept ...
    assert board.column_of(won) == WON             # ... but it shows in the Won column
    assert board.column_of(lost) == LOST
    assert board.column_of(still) == last.id
    now = dt.datetime.now(dt.timezone.utc)
    for card in (won, lost):
        assert card.closed_at is not None and card.closed_at.tzinfo is not None
        assert abs((now - card.closed_at).total_seconds()) < 300
    assert still.closed_at is None
    # Closing settled the probability: no weighted value hides in a stage's percentage.
    assert (won.probability, won.weighted) == (100, Decimal("50000.00"))
    assert (lost.probability, lost.weighted) == (0, Decimal("0.00"))
    assert not won.stalled and not won.needs_next_step


def test_closed_totals_count_and_sum_per_currency(db, deals):
    made, last = deals
    loaded = board.load_board(db, board.BoardFilter(include_closed=True))
    totals = board.closed_totals(loaded.cards)
    assert totals[WON].count == 2
    assert totals[WON].amount == {"EUR": Decimal("50000.00"), "USD": Decimal("3000.00")}
    assert totals[LOST].count == 1 and totals[LOST].amount == {"EUR": Decimal("7000.00")}
    # The stage column it was won in counts only what is still open there.
    in_last = [c for c in loaded.cards if board.column_of(c) == last.id]
    assert board.column_totals(in_last).amount == {"EUR": Decimal("1000.00")}
    # The forecast counts open deals only.
    assert sum(m.count for m in board.forecast_by_month(loaded.cards)) <= 1


def test_closed_totals_of_no_cards_are_empty_columns(db):
    totals = board.closed_totals([])
    assert totals[WON].count == 0 and totals[LOST].count == 0 and totals[WON].amount == {}


def test_a_reopened_deal_goes_back_to_its_stage_column(db, deals):
    made, last = deals
    pipeline.reopen(db, made["won"].id)
    card = next(c for c in board.load_board(db, board.BoardFilter(include_closed=True)).cards
                if c.id == made["won"].id)
    assert card.status == OPEN and card.closed_at is None and board.column_of(card) == last.id
    assert card.probability == last.probability
