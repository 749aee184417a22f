"""The main window: navigation, pages, menus and status bar."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
)

from leaddesk import __version__
from leaddesk.db import Database
from leaddesk.ui import state
from leaddesk.ui.widgets.accounts_page import AccountsPage


class MainWindow(QMainWindow):
    def __init__(self, db: Database, *, user_label: str | None = None, parent=None):
        super().__init__(parent)
        self.db = db
        self.setWindowTitle(self.tr("LeadDesk"))
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setMaximumWidth(200)
        self.pages = QStackedWidget()
        self.accounts_page = AccountsPage(db)
        self._add_page(self.tr("Accounts"), self.accounts_page)
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.nav)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(1, 1)
        self.setCentralWidget(splitter)
        self._build_menus()
        self.db_label = QLabel(self.tr("Database: {0}").format(self._db_text()))
        self.user_label = QLabel(self.tr("User: {0}").format(user_label or self.tr("(none)")))
        self.statusBar().addPermanentWidget(self.db_label)
        self.statusBar().addPermanentWidget(self.user_label)
        self.nav.setCurrentRow(0)
        if not state.restore_window(self):
            self.resize(1200, 760)

    def _db_text(self) -> str:
        if self.db.dialect == "sqlite":
            return self.tr("SQLite {0}").format(self.db.engine.url.database)
        return self.tr("PostgreSQL {0}").format(self.db.url)

    def _add_page(self, title: str, page) -> None:
        self.nav.addItem(QListWidgetItem(title))
        self.pages.addWidget(page)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        about = QAction(self.tr("&About LeadDesk"), self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)

    def load(self) -> None:
        self.accounts_page.load()

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            self.tr("About LeadDesk"),
            self.tr("LeadDesk {0}\nAn offline-first CRM for small sales teams.\n\nDatabase: {1}").format(
                __version__, self._db_text()
            ),
        )

    def closeEvent(self, event) -> None:
        state.save_window(self)
        self.accounts_page.save_state()
        super().closeEvent(event)
