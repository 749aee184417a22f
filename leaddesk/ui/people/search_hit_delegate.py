"""Paints a search hit: title in bold, subtitle below, the kind of record as a chip; a contact
also gets its score and temperature as a pill before the chip and its persona after the subtitle."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.qualification.temperature import grade_colours, grade_label

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
        pill_text = f"{hit.score} {grade_label(hit.grade)}" if getattr(hit, "grade", None) else ""
        pill_w = fm.horizontalAdvance(pill_text) + 14 if pill_text else 0
        pill = QRect(chip.right() + 8 if rtl else chip.left() - 8 - pill_w, chip.top(), pill_w, chip.height())
        taken = chip_w + 8 + (pill_w + 8 if pill_w else 0)
        text_rect = r.adjusted(0 if not rtl else taken, 0, -taken if not rtl else 0, 0)
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
        persona = getattr(hit, "persona_name", None)
        second = "  ·  ".join(t for t in (hit.subtitle, persona) if t)
        painter.drawText(bottom, align | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(second, Qt.TextElideMode.ElideRight, bottom.width()))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(CHIP_COLOURS.get(hit.entity, QColor("#5f6368")))
        painter.drawRoundedRect(chip, chip.height() / 2, chip.height() / 2)
        painter.setPen(QColor("white"))
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, chip_text)
        if pill_text:
            bg, fg = grade_colours(hit.grade)
            painter.setPen(fg)
            painter.setBrush(bg)
            painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, pill_text)
        painter.restore()
