"""Pin: a deal past its stage's rotting days with no activity booked is stalled unless its
next step is due today or later. Today counts as scheduled; yesterday does not.

Held on the board load (both engines) and on the card the board rebuilds after a write
(``card_from_detail``)."""

from __future__ import annotations

import datetime as dt

import pytest

from leaddesk.services.people import accounts
from leaddesk.services.pipeline import board, opportunities as pipeline, pipelines
from leaddesk.ui.pipeline.board_model import card_from_detail

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone.utc)
TODAY = NOW.date()


@pytest.fixture
def rotting(db):
    """Deals created 40 days ago in a stage that rots after 14, no activity booked, differing
    only in the next step's due date."""
    stages = pipelines.list_stages(db, pipelines.list_pipelines(db)[0].id)
    stage = next(s for s in stages if s.rotting_days is not None)
    assert stage.rotting_days < 40
    acme = accounts.create_account(db, name="Acme")
    old = NOW - dt.timedelta(days=40)

    def deal(name, due):
        return pipeline.create_opportunity(db, acme.id, name, amount="100", stage_id=stage.id, now=old,
                                           next_step="Call back", next_step_due=due)

    return {
        "none": deal("No due date", None),
        "yesterday": deal("Due yesterday", TODAY - dt.timedelta(days=1)),
        "today": deal("Due today", TODAY),
        "tomorrow": deal("Due tomorrow", TODAY + dt.timedelta(days=1)),
    }


EXPECTED = {"none": True, "yesterday": True, "today": False, "tomorrow": False}


def test_board_load_next_step_due_today_or_later_is_scheduled(db, rotting):
    cards = {c.id: c for c in board.load_board(db, now=NOW).cards}
    got = {key: cards[d.id].stalled for key, d in rotting.items()}
    assert got == EXPECTED


@pytest.mark.parametrize("due_offset, stalled", [(-1, True), (0, False), (1, False)])
def test_card_from_detail_next_step_due_today_or_later_is_scheduled(db, rotting, due_offset, stalled):
    # The board read the deal as stalled (no due date, nothing booked); then the rep sets
    # a next-step date in the form and the card is rebuilt from the saved detail.
    base = {c.id: c for c in board.load_board(db, now=NOW).cards}[rotting["none"].id]
    assert base.stalled
    detail = pipeline.update_opportunity(db, base.id, base.version,
                                         next_step_due=TODAY + dt.timedelta(days=due_offset))
    assert detail.stage_entered_at == base.stage_entered_at
    card = card_from_detail(detail, base, today=TODAY)
    assert card.next_step_due == TODAY + dt.timedelta(days=due_offset)
    assert card.stalled is stalled
    # and the board, read again, agrees with the rebuilt card
    again = {c.id: c for c in board.load_board(db, now=NOW).cards}[base.id]
    assert again.stalled is stalled
