"""The Accounts page: every account, paged from the database as the user scrolls.

The filter matches anywhere in the name, ignoring case and accents ("plc" finds "Acme
plc"), through the search index (services.lists), on a worker thread as the user types."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
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
from leaddesk.services.people import lists
from leaddesk.ui import state
from leaddesk.ui.itemmodels.paged_table_model import Column, PagedTableModel
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.jobs import app_signals
from leaddesk.ui.people.account_editor import AccountEditorDialog


def account_columns(tr) -> list[Column]:
    return [
        Column(tr("Name"), lambda r: r.name),
        Column(tr("Industry"), lambda r: r.industry),
        Column(tr("City"), lambda r: r.city),
        Column(tr("Country"), lambda r: r.country),
    ]


class AccountsPage(QWidget):
    account_activated = Signal(object)  # account id

    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.db = db
        self._prefix = ""
        self.model = PagedTableModel(
            account_columns(self.tr),
            self._make_fetch(""),
            parent=self,
        )
        self.title = QLabel(self.tr("Accounts"))
        self.title.setObjectName("pageTitle")
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("Filter by name"))
        self.filter.setObjectName("accountFilter")
        self.filter.setAccessibleName(self.tr("Filter accounts by name"))
        self.filter.setClearButtonEnabled(True)
        self._debounce = QTimer(self, singleShot=True, interval=200)
        self._debounce.timeout.connect(self._apply_filter)
        self.filter.textChanged.connect(lambda _t: self._debounce.start())
        self.new_button = QPushButton(self.tr("&New account…"))
        self.new_button.clicked.connect(self.new_account)
        self.count = QLabel()
        self.model.page_loaded.connect(lambda n: self.count.setText(
            self.tr("%n account(s) shown", "", n) + ("" if not self.model.canFetchMore() else "…")))
        self.model.loading_changed.connect(lambda busy: busy and self.count.setText(self.tr("Loading…")))
        bar = QHBoxLayout()
        bar.addWidget(self.title)
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.count)
        bar.addWidget(self.new_button)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, chars in ((1, 26), (2, 18), (3, 8)):
            header.resizeSection(column, self.table.fontMetrics().averageCharWidth() * chars)
        self.table.activated.connect(lambda idx: self.account_activated.emit(idx.data(Roles.ID)))
        state.restore_header(type(self).__name__, self.table.horizontalHeader())
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        app_signals.data_changed.connect(self._on_data_changed)

    def load(self) -> None:
        self.model.reload()

    def _make_fetch(self, name: str):
        """A page fetcher with the filter text fixed now (it runs on a worker thread)."""
        db = self.db
        return lambda after, limit: lists.list_account_rows(db, after=after, limit=limit, name=name or None)

    def _apply_filter(self) -> None:
        self._prefix = self.filter.text().strip()
        self.model.set_fetch(self._make_fetch(self._prefix))

    def _on_data_changed(self, changes, _initiator) -> None:
        if changes is None or "account" in changes.entities:
            self.model.reload()

    def new_account(self) -> None:
        dialog = AccountEditorDialog(self.db, None, self)
        dialog.saved.connect(lambda a: self.account_activated.emit(a.id))
        dialog.open()

    def save_state(self) -> None:
        state.save_header(type(self).__name__, self.table.horizontalHeader())
