"""How a lead's temperature and its fit x interest quadrant read: words, badge colours, the
recommended action, and the list's temperature pill.

Hot, warm and cold come from the score and the team's thresholds (``score_hot``,
``score_warm``); the quadrant's actions are the domain brief's: high fit and high interest
go to sales now, high fit and low interest are nurtured, low fit and high interest are
qualified carefully, low and low are disqualified or ignored.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QModelIndex
from PySide6.QtGui import QColor

from leaddesk.services.qualification.dto import Grade, Quadrant
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.widgets.stage_badges import StageBadgeDelegate

#: (background, text): the stage badges' light tints with dark text, readable in both themes.
_COLOURS: dict[Grade, tuple[str, str]] = {
    Grade.HOT: ("#ffebee", "#b71c1c"),
    Grade.WARM: ("#fff3e0", "#9a4a00"),
    Grade.COLD: ("#e3f2fd", "#1a4f8b"),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("Temperature", text)


def grade_label(grade: Grade | str) -> str:
    return {Grade.HOT: _tr("Hot"), Grade.WARM: _tr("Warm"), Grade.COLD: _tr("Cold")}[Grade(grade)]


def grade_colours(grade: Grade | str) -> tuple[QColor, QColor]:
    bg, fg = _COLOURS[Grade(grade)]
    return QColor(bg), QColor(fg)


def grade_badge_style_sheet(grade: Grade | str) -> str:
    """Style sheet that turns a QLabel into the temperature's pill (the lead panel)."""
    bg, fg = _COLOURS[Grade(grade)]
    return (f"QLabel {{ background: {bg}; color: {fg}; border: 1px solid {fg}; border-radius: 9px;"
            " padding: 1px 8px; font-weight: 600; }")


def quadrant_label(quadrant: Quadrant | str) -> str:
    """Where the lead sits on fit vs interest."""
    return {
        Quadrant.SALES_NOW: _tr("High fit, high interest"),
        Quadrant.NURTURE: _tr("High fit, low interest"),
        Quadrant.QUALIFY_CAREFULLY: _tr("Low fit, high interest"),
        Quadrant.DISQUALIFY: _tr("Low fit, low interest"),
    }[Quadrant(quadrant)]


def quadrant_action(quadrant: Quadrant | str) -> str:
    """What to do with a lead in the quadrant."""
    return {
        Quadrant.SALES_NOW: _tr("Sales now: call while the interest is fresh."),
        Quadrant.NURTURE: _tr("Nurture: keep in touch with content until they are ready."),
        Quadrant.QUALIFY_CAREFULLY: _tr("Qualify carefully: interested, but check they can buy."),
        Quadrant.DISQUALIFY: _tr("Disqualify or ignore: spend the time on better leads."),
    }[Quadrant(quadrant)]


class TemperatureBadgeDelegate(StageBadgeDelegate):
    """Paints the row's temperature (``ContactListRow.temperature``) as a coloured pill."""

    def colours(self, index: QModelIndex):
        grade = getattr(index.data(Roles.ROW), "temperature", None)
        return grade_colours(grade) if grade else None
