"""The conflict inbox (sync notes 3.10): every conflict sync decided, grouped by record,
per field Kept / Other / Original with who and when; "Keep" or "Use other" for the
selection, or for everything at once.

Conflicts are informational: sync already applied a winner and nothing is lost, so the
dialog is never in the way (non-modal, one per window). Database work runs in
``run_read``/``run_write`` jobs; writes announce themselves on ``app_signals.data_changed``
(views refresh, the status-bar badge recounts).
"""

from __future__ import annotations

import datetime as dt
from html import escape

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QStyle,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.services.team import conflicts
from leaddesk.ui import state
from leaddesk.ui.formatting import format_moment
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.jobs import run_read, run_write

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


class ConflictInboxDialog(QDialog):
    #: (open conflicts) after each load
    loaded = Signal(int)

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.busy = False
        self.setWindowTitle(self.tr("Sync conflicts"))
        self.setObjectName("conflictInbox")
        self.resize(1060, 560)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setObjectName("conflictStatus")
        self.status.hide()

        self.model = ConflictTreeModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in ((FIELD, 190), (KEPT, 170), (OTHER, 170), (ORIGINAL, 130), (WHO, 190), (WHEN, 120)):
            self.tree.setColumnWidth(column, width)
        state.restore_header(type(self).__name__, header)
        self.tree.selectionModel().selectionChanged.connect(self._update_buttons)
        self.tree.selectionModel().currentChanged.connect(self._show_detail)
        self.detail = QLabel()
        self.detail.setObjectName("conflictDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.detail.setStyleSheet("QLabel#conflictDetail { background: palette(base); border: 1px solid palette(mid);"
                                  " border-radius: 4px; padding: 6px 8px; }")
        self.detail.setMinimumHeight(self.detail.fontMetrics().lineSpacing() * 4 + 16)

        self.keep_button = QPushButton(self.tr("&Keep"))
        self.keep_button.setToolTip(self.tr("Close the selected conflicts; the kept value stays."))
        self.other_button = QPushButton(self.tr("&Use other"))
        self.other_button.setToolTip(self.tr("Apply the other value as a new edit; it syncs to everyone."))
        self.keep_all_button = QPushButton(self.tr("Keep &all"))
        self.other_all_button = QPushButton(self.tr("Use other for a&ll…"))
        self.keep_button.clicked.connect(self.keep_selected)
        self.other_button.clicked.connect(self.use_other_selected)
        self.keep_all_button.clicked.connect(self.keep_all)
        self.other_all_button.clicked.connect(self.use_other_all)
        actions = QHBoxLayout()
        for button in (self.keep_button, self.other_button):
            actions.addWidget(button)
        actions.addStretch(1)
        for button in (self.keep_all_button, self.other_all_button):
            actions.addWidget(button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.detail)
        layout.addWidget(self.status)
        layout.addLayout(actions)
        layout.addWidget(close)
        self._update_buttons()
        self.reload()

    # --- loading --------------------------------------------------------------------------
    def reload(self) -> None:
        run_read(self, lambda: conflicts.list_conflicts(self.db)).success(self._fill).run()

    def _fill(self, records) -> None:
        keep = {self.model.record_of(i).row_id for i in self.tree.selectionModel().selectedRows()}
        self.model.set_records(records)
        root = QModelIndex()
        for row in range(self.model.rowCount()):
            self.tree.setFirstColumnSpanned(row, root, True)
        self.tree.expandAll()
        for row, record in enumerate(self.model.records):
            if record.row_id in keep:
                self.tree.selectionModel().select(
                    self.model.index(row, 0), self.tree.selectionModel().SelectionFlag.Select
                    | self.tree.selectionModel().SelectionFlag.Rows)
        count, records_n = self.model.open_count, len(self.model.records)
        if count:
            what = (self.tr("1 open conflict") if count == 1 else self.tr("{0} open conflicts").format(count))
            where = (self.tr("on 1 record") if records_n == 1 else self.tr("on {0} records").format(records_n))
            self.summary.setText(what + " " + where + ". " + self.tr(
                "Sync has already applied the kept value everywhere and nothing is lost: "
                "“Use other” applies the other value as a new edit."))
        else:
            self.summary.setText(self.tr("No open conflicts. Everything you and your team changed is in place."))
        self._update_buttons()
        self._show_detail(self.tree.currentIndex())
        self.loaded.emit(count)

    def _show_detail(self, index: QModelIndex, _previous=None) -> None:
        line, record = self.model.line_of(index), self.model.record_of(index)
        if record is None:
            self.detail.setText(self.tr("Select a conflict to see both values in full, who made them and when."))
            return
        head = f"<b>{escape(record.entity_label)} · {escape(record.title)}</b>"
        if line is None:
            count = len(record.fields)
            self.detail.setText(head + "<br>" + (
                self.tr("1 field in conflict. “Keep” or “Use other” on this row answers it.") if count == 1 else
                self.tr("{0} fields in conflict. “Keep” or “Use other” on this row answers all of them.").format(
                    count)))
            return
        original = line.original if line.original is not None else self.tr("unknown")
        rows = [
            head + f" — {escape(line.label)} <span style='color:{self._kind_color(line)}'>"
                   f"({escape(line.kind_label)})</span>",
            self.tr("<b>Kept:</b> {0} <i>({1}, {2})</i>").format(
                escape(line.kept), escape(line.kept_by), local_time(line.kept_at)),
            self.tr("<b>Other:</b> {0} <i>({1}, {2})</i>").format(
                escape(line.other), escape(line.other_by), local_time(line.other_at)),
            self.tr("<b>Original:</b> {0}").format(escape(original)),
        ]
        if line.note:
            rows.append(escape(line.note))
        self.detail.setText("<br>".join(rows))

    def _kind_color(self, line) -> str:
        if line.kind == "rejected":
            return REJECTED_COLOR.name()
        if line.kind == "edit_deleted":
            return EDITED_DELETED_COLOR.name()
        return self.palette().color(QPalette.ColorRole.PlaceholderText).name()

    # --- actions ----------------------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        return self.model.ids_of(self.tree.selectionModel().selectedRows())

    def _update_buttons(self, *_args) -> None:
        has_selection = bool(self.tree.selectionModel().selectedRows())
        has_any = bool(self.model.records)
        self.keep_button.setEnabled(has_selection and not self.busy)
        self.other_button.setEnabled(has_selection and not self.busy)
        self.keep_all_button.setEnabled(has_any and not self.busy)
        self.other_all_button.setEnabled(has_any and not self.busy)

    def keep_selected(self) -> None:
        ids = self.selected_ids()
        if ids:
            self._write(lambda: conflicts.keep(self.db, ids))

    def use_other_selected(self) -> None:
        ids = self.selected_ids()
        if ids:
            self._write(lambda: conflicts.use_other(self.db, ids))

    def keep_all(self) -> None:
        ids = self.model.ids_of(self.model.index(r, 0) for r in range(self.model.rowCount()))
        if ids:
            self._write(lambda: conflicts.keep_all(self.db, ids))

    def use_other_all(self) -> None:
        ids = self.model.ids_of(self.model.index(r, 0) for r in range(self.model.rowCount()))
        if ids and self.confirm(self.tr(
                "Apply the other value of all {0} conflict(s) as new edits? They replace the values "
                "in use now, for everyone, at the next sync.").format(len(ids))):
            self._write(lambda: conflicts.use_other_all(self.db, ids))

    def confirm(self, text: str) -> bool:
        answer = QMessageBox.question(self, self.tr("Use other for all"), text,
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def _write(self, fn) -> None:
        self.busy = True
        self.status.hide()
        self._update_buttons()
        run_write(self, fn).success(self._written).finally_(self._done).run()

    def _written(self, result) -> None:
        if result.skipped:
            first = result.skipped[0][1]
            self.status.setText(self.tr("{0} conflict(s) could not be applied and stay open. {1}").format(
                len(result.skipped), first))
            self.status.setStyleSheet(f"color: {REJECTED_COLOR.name()};")
            self.status.show()

    def _done(self) -> None:
        self.busy = False
        self.reload()

    def closeEvent(self, event) -> None:
        state.save_header(type(self).__name__, self.tree.header())
        super().closeEvent(event)

    def done(self, result: int) -> None:
        state.save_header(type(self).__name__, self.tree.header())
        super().done(result)


def open_conflict_inbox(main_window) -> ConflictInboxDialog:
    """Show the inbox for ``main_window.db`` (one per window: an open one is raised and
    reloaded). Wire this to a menu entry and to the status-bar badge."""
    parent = main_window if isinstance(main_window, QWidget) else None
    for dialog in (parent.findChildren(ConflictInboxDialog) if parent is not None else ()):
        if dialog.db is main_window.db:
            dialog.reload()
            dialog.show()
            dialog.raise_()
            dialog.activateWindow()
            return dialog
    dialog = ConflictInboxDialog(main_window.db, parent)
    dialog.show()
    return dialog

