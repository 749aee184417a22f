"""Team ▸ Trash: deleted contacts, accounts, opportunities and activities, with Restore.

Nothing is ever purged from here (synced rows keep their tombstones). A record that
cannot come back from the trash (merged into another one; a child whose parent is in the
trash) is greyed out and the line under the list says why, before anyone clicks.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.services.team import trash
from leaddesk.services.team.trash import TrashItem
from leaddesk.ui.itemmodels.paged_table_model import Column, PagedTableModel
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.jobs import app_signals, run_write
from leaddesk.ui.team.history_panel import open_history, restore_geometry, save_geometry, when_text

SEARCH_DELAY_MS = 250


def _tr(text: str) -> str:
    return QCoreApplication.translate("Trash", text)


def kind_label(entity: str) -> str:
    return {"contact": _tr("Contact"), "account": _tr("Account"), "opportunity": _tr("Opportunity"),
            "activity": _tr("Activity")}.get(entity, entity)


def status_text(item: TrashItem) -> str:
    if item.merged_into is not None:
        return _tr("Merged into {0}").format(item.merged_into_title or _tr("another record"))
    if not item.restorable:
        return _tr("Parent in the trash")
    if item.reason:
        return _tr("Restorable (see note)")
    return ""


class TrashTableModel(PagedTableModel):
    """The trash, a page at a time (keyset paging in the service), newest deletion first."""

    def __init__(self, db: Database, parent=None):
        columns = [
            Column(_tr("Kind"), lambda r: kind_label(r.entity)),
            Column(_tr("Name"), lambda r: r.title),
            Column(_tr("Details"), lambda r: r.detail),
            Column(_tr("Deleted"), lambda r: when_text(r.deleted_at)),
            Column(_tr("Deleted by"), lambda r: r.deleted_by_name or _tr("(unknown)")),
            Column(_tr("Owner"), lambda r: r.owner_name),
            Column(_tr("Status"), status_text),
        ]
        super().__init__(columns, self._page, page_size=100, parent=parent)
        self.db = db
        self.kind: str | None = None
        self.text: str = ""

    def _page(self, after, limit):
        return trash.list_trash(self.db, kind=self.kind, text=self.text or None, after=after, limit=limit)

    def set_filter(self, kind: str | None, text: str) -> None:
        self.kind, self.text = kind, text.strip()
        self.reload()

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= self.rowCount():
            return None
        item: TrashItem = self.row_at(index.row())
        if role == Qt.ItemDataRole.ForegroundRole and not item.restorable:
            return QBrush(QColor("#757575"))
        if role == Qt.ItemDataRole.FontRole and index.column() == 6 and not item.restorable:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.reason
        return super().data(index, role)


class TrashView(QWidget):
    """Kind filter, search box, the list, and Restore / History… for the selected record."""

    #: (trash.Restored) after a restore succeeded
    restored = Signal(object)
    status_message = Signal(str)

    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.db = db
        self.kind = QComboBox()
        self.kind.setObjectName("trashKind")
        self.kind.addItem(_tr("Everything"), None)
        for entity, label in (("contact", _tr("Contacts")), ("account", _tr("Accounts")),
                              ("opportunity", _tr("Opportunities")), ("activity", _tr("Activities"))):
            self.kind.addItem(label, entity)
        self.search = QLineEdit()
        self.search.setObjectName("trashSearch")
        self.search.setPlaceholderText(_tr("Search the trash by name"))
        self.search.setClearButtonEnabled(True)
        kind_label_widget = QLabel(_tr("&Show:"))
        kind_label_widget.setBuddy(self.kind)
        top = QHBoxLayout()
        top.addWidget(kind_label_widget)
        top.addWidget(self.kind)
        top.addWidget(self.search, 1)

        self.model = TrashTableModel(db, self)
        self.table = QTableView()
        self.table.setObjectName("trashTable")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 96), (2, 170), (3, 130), (4, 120), (5, 120), (6, 190)):
            self.table.setColumnWidth(column, width)

        self.reason = QLabel()
        self.reason.setObjectName("trashReason")
        self.reason.setWordWrap(True)
        self.reason.setTextFormat(Qt.TextFormat.PlainText)
        self.reason.setMinimumHeight(self.reason.fontMetrics().lineSpacing() * 2 + 4)
        self.reason.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.count = QLabel()
        self.count.setEnabled(False)
        self.history_button = QPushButton(_tr("&History…"))
        self.restore_button = QPushButton(_tr("&Restore"))
        self.restore_button.setObjectName("restoreButton")
        self.history_button.clicked.connect(self.show_history)
        self.restore_button.clicked.connect(self.restore_selected)
        for button in (self.history_button, self.restore_button):
            button.setAutoDefault(False)
        #: The row under the list (a window may add its own buttons at the end).
        self.bottom = bottom = QHBoxLayout()
        bottom.addWidget(self.count)
        bottom.addStretch(1)
        bottom.addWidget(self.history_button)
        bottom.addWidget(self.restore_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.reason)
        layout.addLayout(bottom)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.kind.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_actions())
        self.model.modelReset.connect(self._update_actions)
        self.model.page_loaded.connect(self._on_page_loaded)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self, activated=self.search.setFocus)
        app_signals.data_changed.connect(self.on_data_changed)
        self._update_actions()

    # --- loading ----------------------------------------------------------------------
    def load(self) -> None:
        self.apply_filter()

    def apply_filter(self) -> None:
        self._debounce.stop()
        self.model.set_filter(self.kind.currentData(), self.search.text())

    def _on_page_loaded(self, rows: int) -> None:
        more = self.model.canFetchMore()
        if rows == 0:
            filtered = self.kind.currentData() is not None or self.search.text().strip()
            self.count.setText(_tr("Nothing matches.") if filtered else _tr("The trash is empty."))
        else:
            text = _tr("{0} deleted record") if rows == 1 else _tr("{0} deleted records")
            self.count.setText(text.format(f"{rows}+" if more else rows))
        if self.table.currentIndex().row() < 0 and rows:
            self.table.selectRow(0)
        self._update_actions()

    def on_data_changed(self, changes, initiator) -> None:
        if initiator is self or not self.isVisible():
            return
        if changes is None or changes.entities & set(trash.KINDS):
            self.model.reload()

    # --- selection and actions --------------------------------------------------------
    def selected_item(self) -> TrashItem | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return rows[0].data(Roles.ROW)

    def select_id(self, ident) -> bool:
        for row in range(self.model.rowCount()):
            if self.model.row_at(row).id == ident:
                self.table.selectRow(row)
                return True
        return False

    def _update_actions(self) -> None:
        item = self.selected_item()
        self.restore_button.setEnabled(item is not None and item.restorable)
        self.history_button.setEnabled(item is not None)
        if item is None:
            self.reason.setText("")
            self.reason.setStyleSheet("")
            return
        if item.restorable:
            self.reason.setText(item.reason or _tr("“{0}” can be restored: it comes back with everything it "
                                                   "had, for the whole team.").format(item.title))
            self.reason.setStyleSheet("")
        else:
            self.reason.setText(item.reason or "")
            self.reason.setStyleSheet("QLabel#trashReason { color: #8a1c1c; }")

    def restore_selected(self) -> None:
        item = self.selected_item()
        if item is None or not item.restorable:
            return
        db = self.db
        self.restore_button.setEnabled(False)
        run_write(self, lambda: trash.restore(db, item.entity, item.id, expected_version=item.version)) \
            .success(self._on_restored).finally_(self._update_actions).run()

    def _on_restored(self, result: trash.Restored) -> None:
        self.status_message.emit(_tr("Restored {0} “{1}”.").format(kind_label(result.entity).lower(),
                                                                   result.title))
        self.restored.emit(result)
        self.model.reload()

    def show_history(self):
        item = self.selected_item()
        if item is None:
            return None
        return open_history(self, self.db, item.entity, item.id, item.title)


class TrashDialog(QDialog):
    """The trash in its own window (Team ▸ Trash)."""

    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.setWindowTitle(_tr("Trash"))
        self.view = TrashView(db, self)
        intro = QLabel(_tr("Deleted records stay here (for the whole team) until someone restores them."))
        intro.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.view.bottom.addSpacing(12)
        self.view.bottom.addWidget(buttons)
        self.message = QLabel()
        self.message.setObjectName("trashMessage")
        self.message.setStyleSheet("QLabel#trashMessage { color: #2e7d32; }")
        self.message.hide()
        self.view.status_message.connect(self._say)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.message)
        self.resize(980, 560)
        restore_geometry(self)
        self.view.load()

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def done(self, result: int) -> None:
        save_geometry(self)
        super().done(result)


def open_trash(parent: QWidget | None, db: Database) -> TrashDialog:
    dialog = TrashDialog(db, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
