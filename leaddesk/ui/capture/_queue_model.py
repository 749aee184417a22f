"""The capture queue: one row per card image, with its status as the batch moves on.

A list model (checked with ``qtmodeltester``): the window's list shows it, and the review
form reads the current row's :class:`QueueItem`. Statuses go ``waiting`` -> ``reading`` ->
``read`` (or ``error``) -> ``saved`` / ``skipped``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractListModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import QApplication

from leaddesk.capture.fields import CardFields

WAITING, READING, READ, ERROR, SAVED, SKIPPED = "waiting", "reading", "read", "error", "saved", "skipped"
STATUSES = (WAITING, READING, READ, ERROR, SAVED, SKIPPED)
#: Statuses after which a card needs nothing more from the rep.
DONE = frozenset({ERROR, SAVED, SKIPPED})


def status_label(status: str) -> str:
    tr = lambda text: QCoreApplication.translate("capture", text)  # noqa: E731
    return {WAITING: tr("waiting"), READING: tr("reading…"), READ: tr("to review"), ERROR: tr("⚠ cannot be read"),
            SAVED: tr("✓ saved"), SKIPPED: tr("skipped")}[status]


class QueueRoles(IntEnum):
    ITEM = Qt.ItemDataRole.UserRole + 40  # the QueueItem
    STATUS = Qt.ItemDataRole.UserRole + 41  # its status string


@dataclass
class QueueItem:
    """One card of the batch: where it comes from and what became of it."""

    #: What the rep sees: the file name, or "Pasted image 2".
    name: str
    #: A path, or the bytes of a pasted or photographed image.
    source: Any
    status: str = WAITING
    #: leaddesk.capture.reader.CardRead once read.
    read: Any = None
    #: The form's values when the rep moved away without saving (Ctrl+Left/Right).
    edited: CardFields | None = None
    #: The error's sentence (status ``error``), or what happened on save.
    detail: str = ""
    contact_id: uuid.UUID | None = None
    key: uuid.UUID = field(default_factory=uuid.uuid4)

    @property
    def fields(self) -> CardFields | None:
        if self.edited is not None:
            return self.edited
        return self.read.fields if self.read is not None else None


class CaptureQueueModel(QAbstractListModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._items: list[QueueItem] = []

    # --- Qt model -----------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            who = item.fields.display_name if item.fields is not None and item.status != ERROR else ""
            head = f"{index.row() + 1}. {item.name}"
            return f"{head}\n{status_label(item.status)}" + (f" · {who}" if who else "")
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.detail or status_label(item.status)
        if role == Qt.ItemDataRole.ForegroundRole:
            palette = QApplication.palette()
            if item.status == ERROR:  # a red that reads on the list's own background
                dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
                return QBrush(QColor("#FF8A80" if dark else "#B3261E"))
            if item.status in (SAVED, SKIPPED):
                return QBrush(palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
            return None
        if role == QueueRoles.ITEM:
            return item
        if role == QueueRoles.STATUS:
            return item.status
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    # --- the queue ------------------------------------------------------------------------
    def add(self, items: list[QueueItem]) -> None:
        if not items:
            return
        start = len(self._items)
        self.beginInsertRows(QModelIndex(), start, start + len(items) - 1)
        self._items.extend(items)
        self.endInsertRows()

    def item(self, row: int) -> QueueItem | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def items(self) -> list[QueueItem]:
        return list(self._items)

    def row_of(self, item: QueueItem) -> int:
        for row, candidate in enumerate(self._items):
            if candidate.key == item.key:
                return row
        return -1

    def update(self, item: QueueItem, **values) -> None:
        """Change ``item`` (status, read, detail ...) and tell the views."""
        for name, value in values.items():
            setattr(item, name, value)
        row = self.row_of(item)
        if row >= 0:
            index = self.index(row, 0)
            self.dataChanged.emit(index, index)

    def next_waiting(self) -> QueueItem | None:
        return next((i for i in self._items if i.status == WAITING), None)

    def next_to_review(self, after: int) -> int:
        """The first row after ``after`` the rep still has to deal with (read, or still to
        be read), wrapping around; -1 when the batch is done."""
        n = len(self._items)
        for step in range(1, n + 1):
            row = (after + step) % n
            if self._items[row].status not in DONE:
                return row
        return -1

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for item in self._items:
            out[item.status] += 1
        return out

    def clear_done(self) -> None:
        kept = [i for i in self._items if i.status not in DONE]
        self.beginResetModel()
        self._items = kept
        self.endResetModel()
