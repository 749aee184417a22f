"""Paints one opportunity card of the board from its roles (no widgets, no I/O).

Layout (left-to-right; mirrored as a whole for right-to-left)::

    ▌Opportunity name (bold, elided)           €12,500
    ▌Account name
    ▌15 Dec 2026  [Stalled]                       (AR)
    ▌→ Next step · due date   |   + Set next step

A stalled card gets a red leading edge and a "Stalled" chip; an overdue close date is red;
an overdue next step gets an "Overdue 1 Dec" chip and bold red text (``CardText.step_overdue``).
Colours come from the palette (cards are ``Base`` on the column's ``Window``), so a dark
palette works; only the accents (red, green, blue, owner hues) are fixed.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from leaddesk.models.enums import OpportunityStatus
from leaddesk.services.pipeline.board import BoardCard
from leaddesk.ui.pipeline.board_model import CardText
from leaddesk.ui.itemmodels.roles import Roles

MARGIN_X, MARGIN_Y = 6, 4  # around the card, inside the item rect
PAD_X, PAD_Y, LINE_GAP = 12, 7, 2
EDGE = 4  # the stalled marker's width
RADIUS = 6.0


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` blended towards ``b`` by ``t`` (0..1)."""
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t, a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t, 1.0)


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


class Accents:
    """Fixed accent colours, one set for light and one for dark palettes."""

    def __init__(self, dark: bool):
        self.red = QColor("#ef5350" if dark else "#c62828")
        self.chip_red = QColor("#c62828")
        self.green = QColor("#2e7d32")
        self.grey = QColor("#616161")
        self.prompt = QColor("#64b5f6" if dark else "#1565c0")


class OpportunityCardDelegate(QStyledItemDelegate):
    """Draws ``Roles.CARD`` / ``Roles.CARD_TEXT``; every card has the same height."""

    def __init__(self, parent=None):
        super().__init__(parent)

    # --- geometry -------------------------------------------------------------------------
    @staticmethod
    def card_height(fm: QFontMetrics) -> int:
        return 2 * MARGIN_Y + 2 * PAD_Y + 4 * fm.height() + 3 * LINE_GAP

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return QSize(220, self.card_height(option.fontMetrics))

    # --- painting -------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        card: BoardCard | None = index.data(Roles.CARD)
        text: CardText | None = index.data(Roles.CARD_TEXT)
        if card is None or text is None:
            return
        painter.save()
        try:
            self._paint_card(painter, option, card, text)
        finally:
            painter.restore()

    def _paint_card(self, painter: QPainter, option: QStyleOptionViewItem, card: BoardCard, text: CardText) -> None:
        pal = option.palette
        direction = option.direction
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        # Geometry is mirrored by hand (visualRect/visualAlignment); each string keeps its own
        # direction, so "Acme A.Ş." stays as typed in a right-to-left UI and Persian reads right.
        painter.setLayoutDirection(Qt.LayoutDirection.LayoutDirectionAuto)
        accents = Accents(is_dark(pal))
        base = pal.color(QPalette.ColorRole.Base)
        fg = pal.color(QPalette.ColorRole.Text)
        muted = _mix(fg, base, 0.42)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        focused = bool(option.state & QStyle.StateFlag.State_HasFocus)
        highlight = pal.color(QPalette.ColorRole.Highlight)
        is_open = not text.status

        outer = option.rect.adjusted(MARGIN_X, MARGIN_Y, -MARGIN_X, -MARGIN_Y)
        shape = QPainterPath()
        shape.addRoundedRect(QRectF(outer).adjusted(0.5, 0.5, -0.5, -0.5), RADIUS, RADIUS)
        fill = _mix(base, highlight, 0.14) if selected else base
        if not is_open:
            fill = _mix(fill, pal.color(QPalette.ColorRole.Window), 0.5)
        painter.fillPath(shape, fill)
        if card.stalled:
            painter.save()
            painter.setClipPath(shape)
            edge = QStyle.visualRect(direction, outer, QRect(outer.left(), outer.top(), EDGE, outer.height()))
            painter.fillRect(edge, accents.red)
            painter.restore()
        if selected:
            border, width = highlight, 2.0 if focused else 1.5
        elif hovered:
            border, width = _mix(pal.color(QPalette.ColorRole.Mid), highlight, 0.6), 1.0
        else:
            border, width = _mix(base, fg, 0.18), 1.0
        painter.setPen(_pen(border, width))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(shape)

        fm = option.fontMetrics
        line_h = fm.height()
        inner = outer.adjusted(PAD_X, PAD_Y, -PAD_X, -PAD_Y)
        x, w = inner.left(), inner.width()
        ys = [inner.top() + i * (line_h + LINE_GAP) for i in range(4)]

        def place(left: int, top: int, width: int, height: int = line_h) -> QRect:
            return QStyle.visualRect(direction, outer, QRect(left, top, max(0, width), height))

        leading = QStyle.visualAlignment(direction, Qt.AlignmentFlag.AlignLeft) | Qt.AlignmentFlag.AlignVCenter
        trailing = QStyle.visualAlignment(direction, Qt.AlignmentFlag.AlignRight) | Qt.AlignmentFlag.AlignVCenter

        # 1: name (bold, elided) and amount
        bold = QFont(option.font)
        bold.setBold(True)
        bfm = QFontMetrics(bold)
        amount_w = bfm.horizontalAdvance(text.amount)
        painter.setFont(bold)
        painter.setPen(fg)
        painter.drawText(place(x + w - amount_w, ys[0], amount_w), trailing, text.amount)
        name_w = w - amount_w - 10
        painter.drawText(place(x, ys[0], name_w), leading, bfm.elidedText(card.name, Qt.TextElideMode.ElideRight, name_w))

        # 2: account
        painter.setFont(option.font)
        painter.setPen(muted)
        painter.drawText(place(x, ys[1], w), leading, fm.elidedText(card.account_name, Qt.TextElideMode.ElideRight, w))

        # 3: close date, chips, owner
        circle = line_h + 2
        owner_rect = place(x + w - circle, ys[2] - 1, circle, circle)
        cursor = x
        if text.close:
            painter.setPen(accents.red if text.overdue else muted)
            date_font = QFont(option.font)
            date_font.setBold(text.overdue)
            painter.setFont(date_font)
            label = text.close
            label_w = QFontMetrics(date_font).horizontalAdvance(label)
            label_w = min(label_w, w - circle - 8)
            painter.drawText(place(cursor, ys[2], label_w), leading, label)
            cursor += label_w + 8
            painter.setFont(option.font)
        if card.stalled:
            cursor += self._chip(painter, option, place, cursor, ys[2], line_h,
                                 self.tr("Stalled"), accents.chip_red) + 6
        if text.status:
            colour = accents.green if card.status == OpportunityStatus.WON else accents.grey
            cursor += self._chip(painter, option, place, cursor, ys[2], line_h, text.status, colour) + 6
        self._owner(painter, option, owner_rect, text)

        # 4: next step (or the prompt for one)
        step_rect = place(x, ys[3], w)
        if text.next_step and text.step_overdue:
            # A late next step: an "Overdue 1 Dec" chip first (word and date survive eliding), then
            # the step in bold red; the accents are tuned for light and dark palettes.
            chip_w = self._chip(painter, option, place, x, ys[3], line_h, self.tr("Overdue {0}").format(text.step_due).strip(), accents.chip_red) + 6
            late = QFont(option.font)
            late.setBold(True)
            painter.setFont(late)
            painter.setPen(accents.red)
            painter.drawText(place(x + chip_w, ys[3], w - chip_w), leading,
                             QFontMetrics(late).elidedText(text.next_step, Qt.TextElideMode.ElideRight, w - chip_w))
            painter.setFont(option.font)
        elif text.next_step:
            painter.setPen(fg)
            painter.drawText(step_rect, leading, fm.elidedText(text.next_step, Qt.TextElideMode.ElideRight, w))
        elif card.needs_next_step:
            prompt = QFont(option.font)
            prompt.setItalic(True)
            painter.setFont(prompt)
            painter.setPen(accents.prompt)
            painter.drawText(step_rect, leading, QFontMetrics(prompt).elidedText(
                self.tr("+ Set next step"), Qt.TextElideMode.ElideRight, w))

    def _chip(self, painter: QPainter, option, place, left: int, top: int, line_h: int, label: str,
              colour: QColor) -> int:
        small = QFont(option.font)
        small.setBold(True)
        small.setPointSizeF(max(6.0, option.font.pointSizeF() * 0.85))
        sfm = QFontMetrics(small)
        width = sfm.horizontalAdvance(label) + 12
        rect = place(left, top, width, line_h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(QRectF(rect), line_h / 2, line_h / 2)
        painter.setFont(small)
        painter.setPen(QColor("white"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
        painter.setFont(option.font)
        return width

    def _owner(self, painter: QPainter, option, rect: QRect, text: CardText) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor.fromHsl(text.owner_hue, 120, 100) if text.owner_initials != "?" else QColor("#9e9e9e"))
        painter.drawEllipse(QRectF(rect))
        small = QFont(option.font)
        small.setBold(True)
        small.setPointSizeF(max(6.0, option.font.pointSizeF() * 0.8))
        painter.setFont(small)
        painter.setPen(QColor("white"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text.owner_initials)
        painter.setFont(option.font)

    # --- drag image -----------------------------------------------------------------------
    def render_card(self, option: QStyleOptionViewItem, index: QModelIndex) -> QPixmap:
        """The card as a pixmap (drag image)."""
        size = QSize(option.rect.width(), option.rect.height())
        pixmap = QPixmap(size)
        pixmap.fill(Qt.GlobalColor.transparent)
        opt = QStyleOptionViewItem(option)
        opt.rect = QRect(0, 0, size.width(), size.height())
        opt.state = opt.state & ~QStyle.StateFlag.State_MouseOver
        painter = QPainter(pixmap)
        try:
            painter.setOpacity(0.9)
            self.paint(painter, opt, index)
        finally:
            painter.end()
        return pixmap


def _pen(colour: QColor, width: float) -> QPen:
    pen = QPen(colour)
    pen.setWidthF(width)
    return pen
