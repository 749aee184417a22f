"""Paints a search hit: title in bold, subtitle below, the kind of record as a chip."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from leaddesk.ui.itemmodels.roles import Roles

CHIP_COLOURS = {"contact": QColor("#1a73e8"), "account": QColor("#188038"), "opportunity": QColor("#b06000")}


def _kind(entity: str) -> str:
    labels = {"contact": "Contact", "account": "Account", "opportunity": "Opportunity"}
    return QCoreApplication.translate("search", labels.get(entity, entity))


class SearchHitDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        return QSize(option.rect.width(), option.fontMetrics.height() * 2 + 14)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        hit = index.data(Roles.ROW)
        if hit is None:
            return super().paint(painter, option, index)
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        pal = option.palette
        text_colour = pal.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        dim = QColor(text_colour)
        dim.setAlphaF(0.7)
        rtl = option.direction == Qt.LayoutDirection.RightToLeft
        r = option.rect.adjusted(10, 5, -10, -5)
        fm = option.fontMetrics
        chip_text = _kind(hit.entity)
        chip_w = fm.horizontalAdvance(chip_text) + 14
        chip = QRect(r.left() if rtl else r.right() - chip_w, r.top() + 2, chip_w, fm.height() + 2)
        text_rect = r.adjusted(0 if not rtl else chip_w + 8, 0, -(chip_w + 8) if not rtl else 0, 0)
        painter.save()
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(text_colour)
        align = Qt.AlignmentFlag.AlignRight if rtl else Qt.AlignmentFlag.AlignLeft
        top = QRect(text_rect.left(), text_rect.top(), text_rect.width(), fm.height())
        painter.drawText(top, align | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(hit.title, Qt.TextElideMode.ElideRight, top.width()))
        painter.setFont(option.font)
        painter.setPen(dim)
        bottom = top.translated(0, fm.height() + 2)
        painter.drawText(bottom, align | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(hit.subtitle or "", Qt.TextElideMode.ElideRight, bottom.width()))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(CHIP_COLOURS.get(hit.entity, QColor("#5f6368")))
        painter.drawRoundedRect(chip, chip.height() / 2, chip.height() / 2)
        painter.setPen(QColor("white"))
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, chip_text)
        painter.restore()
