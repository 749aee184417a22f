"""The Accounts page: every account, paged from the database as the user scrolls."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from leaddesk.db import Database
from leaddesk.services import accounts
from leaddesk.ui import state
from leaddesk.ui.itemmodels.paged_table_model import Column, PagedTableModel
from leaddesk.ui.itemmodels.roles import Roles


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
        self.model = PagedTableModel(
            account_columns(self.tr), lambda after, limit: accounts.list_accounts(db, after=after, limit=limit),
            parent=self,
        )
        self.title = QLabel(self.tr("Accounts"))
        self.title.setObjectName("pageTitle")
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.activated.connect(lambda idx: self.account_activated.emit(idx.data(Roles.ID)))
        state.restore_header(type(self).__name__, self.table.horizontalHeader())
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.table)

    def load(self) -> None:
        self.model.reload()

    def save_state(self) -> None:
        state.save_header(type(self).__name__, self.table.horizontalHeader())
