"""History of one record: who changed which field to what, when, and whether the team has it.

``open_history(parent, db, entity, row_id, title)`` opens a :class:`HistoryDialog` (not
modal); the contact detail, the account view and the opportunity dialog have a
"History…" button for it. The list is read off the UI thread
(:func:`leaddesk.services.team.history.record_history`) and reloads when the record changes.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QCoreApplication,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.models.enums import EmailKind, LeadSource, LifecycleStage, PhoneKind, Seniority
from leaddesk.services.team import history
from leaddesk.services.team.history import HistoryEntry, RecordHistory
from leaddesk.services.team.history_text import CREATED
from leaddesk.ui import state
from leaddesk.ui.formatting import display_locale, format_moment
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.jobs import app_signals, run_read
from leaddesk.ui.widgets import stage_badges

#: (text colour) per entry state; the text says the state too, colour is only a hint.
STATE_COLOURS = {history.SYNCED: "#2e7d32", history.PENDING: "#b26a00", history.REJECTED: "#c62828",
                 history.RECORDED: "#757575"}
#: Children whose change is part of a record's history.
CHILDREN = {"contact": {"contact_email", "contact_phone", "lifecycle_event"}, "opportunity": {"opportunity_event"}}


def _tr(text: str) -> str:
    return QCoreApplication.translate("History", text)


def when_text(at: dt.datetime | None) -> str:
    """An aware UTC time in the user's zone and locale (short format)."""
    return format_moment(at)


def state_text(state: str) -> str:
    return {history.SYNCED: _tr("Synced"), history.PENDING: _tr("Not yet synced"),
            history.REJECTED: _tr("Rejected by the server"), history.RECORDED: _tr("Record stamp")}.get(state, state)


def state_tooltip(entry: HistoryEntry) -> str:
    if entry.state == history.REJECTED:
        why = entry.note or _tr("no reason was given")
        return _tr("The team server refused this change ({0}). It is kept here and in the conflict inbox; "
                   "the field keeps the value the server holds.").format(why)
    if entry.state == history.PENDING:
        return _tr("Saved on this computer; it goes to the team server with the next sync.")
    if entry.state == history.RECORDED:
        return _tr("Taken from the record's own created/changed stamps: no change log covers this.")
    return _tr("The team server has this change.")


def value_display(entry: HistoryEntry) -> str:
    """The new value as this user reads it: local times, translated vocabularies."""
    value = entry.value
    if entry.child:
        return entry.text  # carries its context ("added ann@example.com (work)")
    if isinstance(value, dt.datetime):
        return when_text(value)
    if isinstance(value, dt.date):
        return display_locale().toString(value, QLocale.FormatType.ShortFormat)
    if isinstance(value, enum.Enum) and entry.field not in (CREATED,):
        labels = {LifecycleStage: stage_badges.stage_long_label, Seniority: stage_badges.seniority_label,
                  LeadSource: stage_badges.source_label, EmailKind: stage_badges.email_kind_label,
                  PhoneKind: stage_badges.phone_kind_label}
        label = labels.get(type(value))
        if label is not None:
            return label(value)
    if entry.field == "country" and isinstance(value, str) and len(value) == 2:
        return stage_badges.country_choice(value)
    return entry.text


class HistoryTableModel(QAbstractTableModel):
    """Rows of :class:`HistoryEntry`, newest first: When | Who | Field | New value | State."""

    COLUMNS = ("when", "who", "field", "value", "state")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._entries: list[HistoryEntry] = []
        self._titles = (_tr("When"), _tr("Who"), _tr("Field"), _tr("New value"), _tr("State"))

    def set_entries(self, entries) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.endResetModel()

    def entry(self, row: int) -> HistoryEntry:
        return self._entries[row]

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self._titles):
            return self._titles[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        column = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if column == "when":
                return when_text(entry.at)
            if column == "who":
                return entry.author or _tr("(unknown)")
            if column == "field":
                return _tr(entry.label)
            if column == "value":
                return " ".join(value_display(entry).split())  # one line: notes wrap in the tooltip
            return state_text(entry.state)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == "state":
                return state_tooltip(entry)
            if column == "value":
                return value_display(entry)
            if column == "when":
                return entry.at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == "state":
                return QBrush(QColor(STATE_COLOURS.get(entry.state, "#757575")))
            if entry.state == history.REJECTED and column == "value":
                return QBrush(QColor(STATE_COLOURS[history.REJECTED]))
            return None
        if role == Qt.ItemDataRole.FontRole:
            if entry.state == history.REJECTED and column == "value":
                font = QFont()
                font.setStrikeOut(True)
                return font
            if column == "field" and entry.field == CREATED and not entry.child:
                font = QFont()
                font.setBold(True)
                return font
            return None
        if role == Roles.ROW:
            return entry
        if role == Roles.ID:
            return entry.change_id
        return None


class HistoryPanel(QWidget):
    """The history of one record (``show_record``), with a notice when it is partial."""

    loaded = Signal(object)  # RecordHistory

    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.db = db
        self.entity: str | None = None
        self.row_id: uuid.UUID | None = None
        self.record: RecordHistory | None = None
        self._generation = 0
        self.title = QLabel()
        self.title.setObjectName("historyTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.summary = QLabel()
        self.summary.setEnabled(False)
        self.notice = QLabel()
        self.notice.setObjectName("historyNotice")
        self.notice.setWordWrap(True)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setStyleSheet("QLabel#historyNotice { background: #fff8e1; color: #5d4200;"
                                  " border: 1px solid #f0d58c; border-radius: 4px; padding: 6px 8px; }")
        self.notice.hide()
        self.model = HistoryTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("historyTable")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.empty = QLabel(_tr("No changes are recorded for this record."))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setEnabled(False)
        self.empty.hide()
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.summary)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.notice)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        app_signals.data_changed.connect(self.on_data_changed)

    def show_record(self, entity: str, row_id, title: str | None = None) -> None:
        self.entity, self.row_id = entity, row_id
        if title:
            self.title.setText(title)
        self.reload()

    def reload(self) -> None:
        if self.entity is None or self.row_id is None:
            return
        self._generation += 1
        generation, db, entity, ident = self._generation, self.db, self.entity, self.row_id
        run_read(self, lambda: history.record_history(db, entity, ident)).success(
            lambda record: self._on_loaded(generation, record)).run()

    def _on_loaded(self, generation: int, record: RecordHistory) -> None:
        if generation != self._generation:
            return
        self.record = record
        if record.title:
            self.title.setText(record.title)
        self.model.set_entries(record.entries)
        pending = sum(e.state == history.PENDING for e in record.entries)
        rejected = sum(e.state == history.REJECTED for e in record.entries)
        count = len(record.entries)
        parts = [(_tr("{0} change") if count == 1 else _tr("{0} changes")).format(count)]
        if pending:
            parts.append(_tr("{0} not yet synced").format(pending))
        if rejected:
            parts.append(_tr("{0} rejected").format(rejected))
        self.summary.setText(" · ".join(parts))
        self.notice.setText(_tr(record.notice) if record.notice else "")
        self.notice.setVisible(bool(record.notice))
        self.empty.setVisible(not record.entries)
        self.table.setVisible(bool(record.entries))
        self._size_columns()
        self.loaded.emit(record)

    def _size_columns(self) -> None:
        metrics = self.table.fontMetrics()
        pad = 24
        for column in (0, 1, 2, 4):
            widest = max((metrics.horizontalAdvance(str(self.model.index(r, column).data() or ""))
                          for r in range(min(self.model.rowCount(), 200))), default=0)
            title = metrics.horizontalAdvance(str(self.model.headerData(column, Qt.Orientation.Horizontal)))
            self.table.setColumnWidth(column, min(260, max(widest, title) + pad))

    def on_data_changed(self, changes, _initiator) -> None:
        if self.row_id is None or not self.isVisible():
            return
        if changes is not None:
            entities = getattr(changes, "entities", frozenset())
            ids = getattr(changes, "ids", frozenset())
            if self.row_id not in ids and not (entities & CHILDREN.get(self.entity or "", set())):
                return
        self.reload()


class HistoryDialog(QDialog):
    def __init__(self, db: Database, entity: str, row_id, title: str | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle(_tr("History — {0}").format(title) if title else _tr("History"))
        self.panel = HistoryPanel(db, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel, 1)
        layout.addWidget(buttons)
        self.resize(820, 480)
        restore_geometry(self)
        self.panel.show_record(entity, row_id, title)

    def done(self, result: int) -> None:
        save_geometry(self)
        super().done(result)


def save_geometry(dialog: QWidget) -> None:
    """Remember a dialog's size and place (ui/state.py keys by class name)."""
    state.set_value(f"{type(dialog).__name__}/geometry", dialog.saveGeometry())


def restore_geometry(dialog: QWidget) -> bool:
    geometry = state.value(f"{type(dialog).__name__}/geometry")
    if isinstance(geometry, QByteArray) and not geometry.isEmpty():
        return dialog.restoreGeometry(geometry)
    return False


def open_history(parent: QWidget | None, db: Database, entity: str, row_id, title: str | None = None
                 ) -> HistoryDialog:
    """Open (not modal) the history of one record; returns the dialog."""
    dialog = HistoryDialog(db, entity, row_id, title, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
