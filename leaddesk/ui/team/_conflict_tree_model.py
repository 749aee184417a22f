"""The conflict inbox's item model: records (top level) and their field conflicts
(children), with the columns, colours and short texts they show.

Apart from the dialog in :mod:`leaddesk.ui.team.conflict_inbox`: the model only turns
``list_conflicts`` results into rows (no database, no job); the dialog loads them, shows
the detail and runs the writes. The status bar's sync label reuses :func:`local_time`.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QStyle

from leaddesk.services.team import conflicts
from leaddesk.ui.formatting import format_moment
from leaddesk.ui.itemmodels.roles import Roles


COLUMNS = ("field", "kept", "other", "original", "who", "when", "kind")
FIELD, KEPT, OTHER, ORIGINAL, WHO, WHEN, KIND = range(len(COLUMNS))
#: internalId of top-level (record) rows; a field row carries its record's row + 1.
_RECORD = 0
REJECTED_COLOR = QColor(0xC6, 0x28, 0x28)
EDITED_DELETED_COLOR = QColor(0xB2, 0x6A, 0x00)


def local_time(when: dt.datetime, *, today: dt.date | None = None) -> str:
    """"14:02" today, "22 Nov 14:02" on another day (the user's time zone and locale)."""
    return format_moment(when, today=today)


class ConflictTreeModel(QAbstractItemModel):
    """Records (top level) and their field conflicts (children), from ``list_conflicts``."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.records: list[conflicts.RecordConflicts] = []
        self.headers = (self.tr("Field"), self.tr("Kept"), self.tr("Other"), self.tr("Original"),
                        self.tr("Who (kept / other)"), self.tr("When (kept / other)"), self.tr("Kind"))

    def set_records(self, records) -> None:
        self.beginResetModel()
        self.records = list(records)
        self.endResetModel()

    @property
    def open_count(self) -> int:
        """Open conflicts as shown: one per field line."""
        return sum(len(r.fields) for r in self.records)

    # --- structure ----------------------------------------------------------------------
    def index(self, row: int, column: int, parent=QModelIndex()) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, _RECORD)
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, index=QModelIndex()):  # noqa: D401 - Qt's name
        if not index.isValid() or index.internalId() == _RECORD:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, _RECORD)

    def rowCount(self, parent=QModelIndex()) -> int:
        if not parent.isValid():
            return len(self.records)
        if parent.internalId() == _RECORD and parent.column() == 0:
            return len(self.records[parent.row()].fields)
        return 0

    def columnCount(self, _parent=QModelIndex()) -> int:
        return len(COLUMNS)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(
                COLUMNS):
            return self.headers[section]
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # --- data ---------------------------------------------------------------------------
    def record_of(self, index: QModelIndex):
        if not index.isValid():
            return None
        row = index.row() if index.internalId() == _RECORD else index.internalId() - 1
        return self.records[row]

    def line_of(self, index: QModelIndex):
        if not index.isValid() or index.internalId() == _RECORD:
            return None
        return self.records[index.internalId() - 1].fields[index.row()]

    def ids_of(self, indexes) -> list[int]:
        """Conflict ids behind these indexes (a record row stands for all its fields)."""
        out: list[int] = []
        for index in indexes:
            line = self.line_of(index)
            ids = line.ids if line is not None else (self.record_of(index).ids if index.isValid() else ())
            out += [i for i in ids if i not in out]
        return out

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        line = self.line_of(index)
        if line is None:
            return self._record_data(self.records[index.row()], index.column(), role)
        return self._line_data(line, index.column(), role)

    def _record_data(self, record, column: int, role):
        if role == Qt.ItemDataRole.DisplayRole:
            if column != FIELD:
                return None
            text = f"{record.entity_label} · {record.title}"
            if not record.exists:
                text += "  " + self.tr("(not on the team server)")
            elif record.deleted:
                text += "  " + self.tr("(deleted)")
            count = len(record.fields)
            return text + "  —  " + (self.tr("1 field") if count == 1 else self.tr("{0} fields").format(count))
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and column == FIELD:
            return f"{record.entity_label}: {record.title}\n{record.row_id}"
        if role == Roles.ROW:
            return record
        if role == Roles.ID:
            return record.row_id
        return None

    def _line_data(self, line, column: int, role):
        if role == Qt.ItemDataRole.DisplayRole:
            return self._line_text(line, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(line)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == KIND and line.kind == "rejected":
                return REJECTED_COLOR
            if column == KIND and line.kind == "edit_deleted":
                return EDITED_DELETED_COLOR
            if column == ORIGINAL and line.original is None:
                return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
            return None
        if role == Qt.ItemDataRole.FontRole and column == ORIGINAL and line.original is None:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.DecorationRole and column == KIND and line.kind == "rejected":
            return QGuiApplication.instance().style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if role == Roles.ROW:
            return line
        if role == Roles.ID:
            return line.ids[0]
        return None

    def _line_text(self, line, column: int) -> str:
        if column == FIELD:
            return line.label
        if column == KEPT:
            return _one_line(line.kept)
        if column == OTHER:
            return _one_line(line.other)
        if column == ORIGINAL:
            return _one_line(line.original) if line.original is not None else self.tr("unknown")
        if column == WHO:
            return f"{line.kept_by} / {line.other_by}"
        if column == WHEN:
            return f"{local_time(line.kept_at)} / {local_time(line.other_at)}"
        if line.note and line.kind in ("rejected", "merged"):
            return f"{line.kind_label}: {line.note}"
        return line.kind_label

    def _tooltip(self, line) -> str:
        parts = [
            self.tr("Kept: {0} ({1}, {2})").format(line.kept, line.kept_by, local_time(line.kept_at)),
            self.tr("Other: {0} ({1}, {2})").format(line.other, line.other_by, local_time(line.other_at)),
            self.tr("Original: {0}").format(line.original if line.original is not None else self.tr("unknown")),
        ]
        if line.note:
            parts.append(line.note)
        return "\n".join(parts)


def _one_line(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"
