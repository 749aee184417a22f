"""The business card kept on a contact, shown small in the contact panel (the newest card
with an image); a click, Enter or Space opens it full size to check a field against it."""

from __future__ import annotations

import uuid

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QScrollArea, QToolButton, QVBoxLayout, QWidget

from leaddesk.db import Database
from leaddesk.ui.formatting import format_moment
from leaddesk.ui.jobs import run_read

THUMB = QSize(220, 130)


def _load(db: Database, contact_id):
    """(CardInfo, image bytes) of the newest card with an image, or None."""
    from leaddesk.services.capture import capture

    for card in capture.list_cards(db, contact_id):
        if card.image_mime:
            data, _mime = capture.card_image(db, card.id)
            return card, data
    return None


class CardImageDialog(QDialog):
    """The card at full size (scrolls when larger than the screen)."""

    def __init__(self, pixmap: QPixmap, title: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        label = QLabel()
        label.setPixmap(pixmap)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidget(label)
        scroll.setWidgetResizable(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        screen = self.screen().availableGeometry().size() * 0.85
        self.resize(min(pixmap.width() + 40, screen.width()), min(pixmap.height() + 80, screen.height()))


class CardThumbnail(QWidget):
    """``show_for(contact_id)``; hidden when the contact has no card image."""

    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.db = db
        self.contact_id: uuid.UUID | None = None
        self.pixmap = QPixmap()
        self.card = None
        self._generation = 0
        title = QLabel(self.tr("Business card"))
        bold = title.font()
        bold.setBold(True)
        title.setFont(bold)
        self.button = QToolButton()
        self.button.setObjectName("cardThumbnail")
        self.button.setIconSize(THUMB)
        self.button.setAutoRaise(True)
        self.button.clicked.connect(self.open_full)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)
        self.hide()

    def show_for(self, contact_id) -> None:
        self._generation += 1
        self.contact_id = contact_id
        if contact_id is None:
            self._show(self._generation, None)
            return
        generation, db = self._generation, self.db
        run_read(self, lambda: _load(db, contact_id)).success(lambda found: self._show(generation, found)).failure(
            lambda _exc: self._show(generation, None)).run()

    def _show(self, generation: int, found) -> None:
        if generation != self._generation:
            return  # another contact meanwhile
        pixmap = QPixmap()
        if found is not None and pixmap.loadFromData(found[1]):
            self.card, self.pixmap = found[0], pixmap
            self.button.setIcon(QIcon(pixmap))
            where = f" · {found[0].campaign_name}" if found[0].campaign_name else ""
            self.button.setToolTip(self.tr("Captured {0}{1}. Click to see it full size.").format(
                format_moment(found[0].captured_at), where))
            self.show()
        else:
            self.card, self.pixmap = None, QPixmap()
            self.hide()

    def open_full(self) -> CardImageDialog | None:
        if self.pixmap.isNull():
            return None
        dialog = CardImageDialog(self.pixmap, self.tr("Business card"), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog
