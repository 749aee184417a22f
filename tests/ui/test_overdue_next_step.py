"""An overdue next step stands out on a board card (issue #13, point 3): an "Overdue" chip
and red text, in words for screen readers and the tooltip, in light and dark palettes; a
step due today or later, or on a closed deal, looks as before."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QStyleOptionViewItem, QWidget

from leaddesk.models.enums import OpportunityStatus
from leaddesk.services.pipeline.board import BoardCard
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.pipeline.board_model import BoardModel
from leaddesk.ui.pipeline.card_delegate import OpportunityCardDelegate

TODAY = dt.date(2026, 12, 9)
NOW = dt.datetime(2026, 12, 9, 9, 0, tzinfo=dt.timezone.utc)


def card(name: str, due: dt.date | None, status=OpportunityStatus.OPEN) -> BoardCard:
    return BoardCard(uuid.uuid4(), name, uuid.uuid4(), "Acme", uuid.uuid4(), status, Decimal("1000"), "EUR", 20,
                     None, None, "Rita Rep", "Prepare the contract", due, NOW, None, 1.0, 1, False, False,
                     closed_at=None if status == OpportunityStatus.OPEN else NOW)


@pytest.fixture
def model(qtbot):
    m = BoardModel()
    m.set_cards([card("late", dt.date(2026, 12, 1)), card("today", TODAY), card("later", dt.date(2026, 12, 20)),
                 card("won late", dt.date(2026, 12, 1), OpportunityStatus.WON)], today=TODAY)
    return m


def text_of(model, row):
    return model.index(row, 0).data(Roles.CARD_TEXT)


def test_only_an_open_deal_with_a_step_due_before_today_is_overdue(model):
    late, today, later, won = (text_of(model, r) for r in range(4))
    assert late.step_overdue and late.next_step == "Prepare the contract" and late.step_due == "1 Dec"
    assert not today.step_overdue and not later.step_overdue and not won.step_overdue
    assert "next step overdue since 1 Dec: Prepare the contract" in late.accessible
    assert today.next_step == "→ Prepare the contract · 9 Dec"
    assert "overdue" not in later.accessible
    assert "<b>overdue</b> since 1 Dec" in model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)


def _paint(model, row, palette: QPalette) -> QImage:
    delegate = OpportunityCardDelegate()
    host = QWidget()
    host.setPalette(palette)
    option = QStyleOptionViewItem()
    option.initFrom(host)
    option.palette = palette
    option.rect = QRect(0, 0, 260, delegate.card_height(option.fontMetrics))
    image = QImage(option.rect.size(), QImage.Format.Format_ARGB32)
    image.fill(palette.color(QPalette.ColorRole.Window))
    painter = QPainter(image)
    delegate.paint(painter, option, model.index(row, 0))
    painter.end()
    return image


def _reds(image: QImage) -> int:
    """Pixels in the last quarter (the next-step line) that are clearly red."""
    count = 0
    for y in range(image.height() * 3 // 4, image.height()):
        for x in range(image.width()):
            c = QColor(image.pixel(x, y))
            count += c.red() > 150 and c.green() < 110 and c.blue() < 110
    return count


@pytest.mark.parametrize("look", ["light", "dark"])
def test_the_overdue_step_is_painted_red_in_both_themes(qtbot, model, look):
    from leaddesk.ui.theme import _dark_palette
    from PySide6.QtWidgets import QApplication

    palette = _dark_palette() if look == "dark" else QApplication.style().standardPalette()
    late, later = _paint(model, 0, palette), _paint(model, 2, palette)
    assert _reds(late) > 150  # the chip and the text
    assert _reds(later) == 0
    late.save(f"/tmp/h/card_overdue_{look}.png")


def test_a_step_moved_to_today_loses_the_mark(model):
    row = 0
    moved = dataclasses.replace(model.index(row, 0).data(Roles.CARD), next_step_due=TODAY)
    model.set_cards([moved], today=TODAY)
    assert not text_of(model, 0).step_overdue
