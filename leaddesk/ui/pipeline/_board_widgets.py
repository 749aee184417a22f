"""The board's small widgets: a column (its header with count, sum and weighted sum over
the card list; tinted when it holds the Won or Lost deals), a label that elides instead of
growing, and the forecast strip of amounts by expected close month.

Apart from the board (:mod:`.board_view`), which lays them out and feeds them totals: they
only show what they are given. The open/won/lost shorthands the board's modules share are
here, beside the closed columns' tints.
"""

from __future__ import annotations

from PySide6.QtCore import QDate, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QStyle, QVBoxLayout

from leaddesk.models.enums import OpportunityStatus
from leaddesk.services.pipeline.board import BoardStage
from leaddesk.ui.formatting import display_locale, format_totals
from leaddesk.ui.pipeline._card_list_view import CardListView
from leaddesk.ui.pipeline.board_model import BoardModel
from leaddesk.ui.pipeline.card_delegate import _mix
from leaddesk.ui.pipeline.stage_column_proxy import StageColumnProxy

OPEN = OpportunityStatus.OPEN
WON, LOST = OpportunityStatus.WON, OpportunityStatus.LOST
#: Tints of the closed columns' background (mixed lightly into the window colour).
CLOSED_TINT = {WON: QColor("#2e7d32"), LOST: QColor("#8d6e63")}


class ElidedLabel(QLabel):
    """A one-line label that elides instead of growing (the full text is its tooltip)."""

    def __init__(self, text: str = "", parent=None):
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def minimumSizeHint(self) -> QSize:
        return QSize(10, super().minimumSizeHint().height())

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setLayoutDirection(Qt.LayoutDirection.LayoutDirectionAuto)  # the text's own direction
        painter.setFont(self.font())
        painter.setPen(self.palette().color(self.foregroundRole()))
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        align = QStyle.visualAlignment(self.layoutDirection(), self.alignment() & Qt.AlignmentFlag.AlignHorizontal_Mask)
        painter.drawText(rect, align | Qt.AlignmentFlag.AlignVCenter, text)


class BoardColumn(QFrame):
    """Header (stage, probability, count, sum, weighted sum) over the column's card list.
    A closed column (``closed`` = WON or LOST; ``stage.id`` is then that status) shows the
    count and the total of the deals closed that way."""

    def __init__(self, stage: BoardStage, model: BoardModel, delegate, width: int, parent=None, *,
                 closed: OpportunityStatus | None = None):
        super().__init__(parent)
        self.setObjectName("closedColumn" if closed else "boardColumn")
        self.closed = closed
        self.stage = stage
        self.proxy = StageColumnProxy(stage.id, self)
        self.proxy.setSourceModel(model)
        self.title = ElidedLabel()
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.08)
        self.title.setFont(font)
        self.count = QLabel()
        self.count.setObjectName("columnCount")
        self.count.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.count.setMinimumWidth(26)
        self.amount = ElidedLabel()
        self.weighted = ElidedLabel()
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.title, 1)
        top.addWidget(self.count)
        header = QVBoxLayout()
        header.setContentsMargins(10, 8, 10, 6)
        header.setSpacing(2)
        header.addLayout(top)
        header.addWidget(self.amount)
        header.addWidget(self.weighted)
        self.list = CardListView(stage.id)
        self.list.setModel(self.proxy)
        self.list.setItemDelegate(delegate)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.list, 1)
        self.setMinimumWidth(width)
        self.setMaximumWidth(int(width * 1.3))
        self.set_stage(stage)
        self.apply_palette()

    def set_stage(self, stage: BoardStage) -> None:
        self.stage = stage
        self.title.setText(stage.name)
        self.list.setAccessibleName(self.tr("{0} column").format(stage.name))

    def set_totals(self, totals, currency: str) -> None:
        self.count.setText(str(totals.count))
        if self.closed is not None:
            self.amount.setText(format_totals(totals.amount, currency, compact=True))
            self.weighted.setText(self.tr("Most recently closed first"))
            self.amount.setToolTip(format_totals(totals.amount, currency))
            self.weighted.setToolTip("")
            self.setAccessibleName(self.tr("{0}: {1} opportunities, {2}").format(
                self.stage.name, totals.count, format_totals(totals.amount, currency)))
            return
        self.amount.setText(self.tr("{0}% · {1}").format(self.stage.probability,
                                                          format_totals(totals.amount, currency, compact=True)))
        self.weighted.setText(self.tr("Weighted {0}").format(format_totals(totals.weighted, currency, compact=True)))
        self.amount.setToolTip(format_totals(totals.amount, currency))
        self.weighted.setToolTip(format_totals(totals.weighted, currency))
        self.setAccessibleName(self.tr("{0}: {1} opportunities, {2}").format(
            self.stage.name, totals.count, format_totals(totals.amount, currency)))

    def apply_palette(self) -> None:
        pal = self.palette()
        window, text = pal.color(QPalette.ColorRole.Window), pal.color(QPalette.ColorRole.Text)
        bg = _mix(window, text, 0.06)
        if self.closed is not None:
            bg = _mix(bg, CLOSED_TINT[self.closed], 0.10)
        badge = _mix(window, text, 0.16)
        muted = _mix(text, window, 0.4)
        self.setStyleSheet(
            f"QFrame#{self.objectName()} {{ background: {bg.name()}; border-radius: 8px; }}"
            f"QLabel#columnCount {{ background: {badge.name()}; border-radius: 9px; padding: 1px 7px; }}")
        # Cards paint in Base; the list shows the column colour around them.
        lp = self.list.palette()
        lp.setColor(QPalette.ColorRole.Window, bg)
        self.list.setPalette(lp)
        self.list.viewport().setBackgroundRole(QPalette.ColorRole.Window)
        self.list.viewport().setAutoFillBackground(True)
        for label in (self.amount, self.weighted):
            p = label.palette()
            p.setColor(QPalette.ColorRole.WindowText, text if label is self.amount else muted)
            label.setPalette(p)


class ForecastStrip(QFrame):
    """Weighted and total amounts by expected close month (services.board.forecast_by_month)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("forecastStrip")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(self.tr("<b>Forecast</b><br>weighted<br>of total"))
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 10, 6)
        self._layout.setSpacing(18)
        self._layout.addWidget(self.title)
        self.cells: list[QLabel] = []
        self.months = []

    def set_months(self, months, currency: str, undated: tuple[int, dict]) -> None:
        self.months = list(months)
        for cell in self.cells:
            self._layout.removeWidget(cell)
            cell.deleteLater()
        self.cells = []
        pal = self.palette()
        muted = _mix(pal.color(QPalette.ColorRole.WindowText), pal.color(QPalette.ColorRole.Window), 0.4).name()
        loc = display_locale()
        for i, month in enumerate(self.months):
            label = (self.tr("Later") if i == 6 else loc.toString(QDate(month.month.year, month.month.month, 1),
                                                                    "MMM yyyy"))
            self._add_cell(label, format_totals(month.weighted, currency, compact=True, most=1),
                           format_totals(month.amount, currency, compact=True, most=1), month.count, muted,
                           self.tr("{0}: weighted {1} of {2}").format(label, format_totals(month.weighted, currency),
                                                                     format_totals(month.amount, currency)))
        count, amounts = undated
        if count:
            self._add_cell(self.tr("No close date"), "–", format_totals(amounts, currency, compact=True, most=1), count,
                           muted, self.tr("No close date: {0}").format(format_totals(amounts, currency)))
        self._layout.addStretch(1) if not self.cells else None

    def _add_cell(self, title: str, weighted: str, total: str, count: int, muted: str, tooltip: str) -> None:
        cell = QLabel(f"<b>{title}</b><br>{weighted}<br><span style='color:{muted}'>"
                      + self.tr("of {0} · {1}").format(total, count) + "</span>")
        cell.setTextFormat(Qt.TextFormat.RichText)
        cell.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        cell.setMinimumWidth(70)  # narrow windows clip a cell instead of widening the page
        cell.setToolTip(tooltip)
        self._layout.addWidget(cell, 1)
        self.cells.append(cell)
