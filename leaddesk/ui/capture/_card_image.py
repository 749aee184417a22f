"""The card image, scaled to fit whatever room the splitter gives it (aspect kept, never
enlarged past twice its size), with a line saying what is shown when there is no image."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget


class CardImageView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._pixmap = QPixmap()
        self._message = self.tr("Open card photos (Ctrl+O), drop them here or paste them (Ctrl+V).")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 160)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.Dark)

    def sizeHint(self) -> QSize:
        return QSize(560, 380)

    def set_image(self, data: bytes | None) -> bool:
        """Show the image in ``data`` (JPEG/PNG bytes); False if it does not load."""
        pixmap = QPixmap()
        ok = bool(data) and pixmap.loadFromData(data)
        self._pixmap = pixmap if ok else QPixmap()
        self.update()
        return ok

    def set_message(self, text: str) -> None:
        """What is written in place of an image (no card, an error, still reading)."""
        self._message = text
        self._pixmap = QPixmap()
        self.update()

    def has_image(self) -> bool:
        return not self._pixmap.isNull()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        room = self.rect().adjusted(8, 8, -8, -8)
        if self._pixmap.isNull():
            painter.setPen(self.palette().color(QPalette.ColorRole.Light))
            painter.drawText(room, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._message)
            return
        size = self._pixmap.size().scaled(room.size(), Qt.AspectRatioMode.KeepAspectRatio)
        if size.width() > self._pixmap.width() * 2:
            size = self._pixmap.size() * 2
        target = QRect(0, 0, size.width(), size.height())
        target.moveCenter(room.center())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(target, self._pixmap)
