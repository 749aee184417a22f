"""Ctrl+K: search accounts, contacts and opportunities as you type.

Each keystroke restarts a short debounce timer; the query runs in a read job; a result
that arrives after a newer query was started is dropped, so the list never flickers back
to an older answer.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListView, QVBoxLayout

from leaddesk.db import Database
from leaddesk.services.people import search
from leaddesk.ui.followups.log_dialog import LogActivityDialog, open_log_dialog
from leaddesk.ui.people.search_hit_delegate import SearchHitDelegate
from leaddesk.ui.people.search_results_model import SearchResultsModel
from leaddesk.ui.jobs import run_read

DEBOUNCE_MS = 150


class SearchDialog(QDialog):
    #: (SearchHit) the user picked a hit
    hit_chosen = Signal(object)
    #: emitted after each result list is shown (tests and the busy label use it)
    results_shown = Signal(int)

    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.db = db
        self.setWindowTitle(self.tr("Search"))
        self.setModal(True)
        self.resize(640, 420)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(self.tr("Search names, companies, e-mails, phones…"))
        self.edit.setClearButtonEnabled(True)
        self.status = QLabel()
        self.status.setObjectName("searchStatus")
        self.model = SearchResultsModel(self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setUniformItemSizes(True)
        self.list.setItemDelegate(SearchHitDelegate(self.list))
        self.list.activated.connect(self._choose)
        layout = QVBoxLayout(self)
        layout.addWidget(self.edit)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_query)
        self.edit.textChanged.connect(lambda _t: self._timer.start())
        self.edit.installEventFilter(self)
        self._serial = 0
        self._add_log_shortcut()

    def _add_log_shortcut(self) -> None:
        """Ctrl+L on a hit: log an activity on that contact, account or opportunity."""
        QShortcut(QKeySequence("Ctrl+L"), self, activated=self.log_activity)
        self.log_dialog: LogActivityDialog | None = None

    def log_activity(self) -> LogActivityDialog | None:
        index = self.list.currentIndex()
        if not index.isValid():
            return None
        hit = self.model.hit(index.row())
        parent = self.parentWidget() or self
        self.log_dialog = open_log_dialog(parent, self.db, **{f"{hit.entity}_id": hit.id},
                                          about=" · ".join(p for p in (hit.title, hit.subtitle) if p))
        self.accept()
        return self.log_dialog

    def run_query(self) -> None:
        self._timer.stop()
        self._serial += 1
        serial = self._serial
        query = self.edit.text()
        if not query.strip():
            self._show(serial, [])
            return
        self.status.setText(self.tr("Searching…"))
        run_read(self, lambda: search.search(self.db, query)).success(lambda hits: self._show(serial, hits)).run()

    def _show(self, serial: int, hits) -> None:
        if serial != self._serial:
            return  # an answer to an older query
        self.model.set_hits(hits)
        if hits:
            self.list.setCurrentIndex(self.model.index(0, 0))
            self.status.setText(self.tr("%n result(s). Enter opens, ↑↓ choose.", "", len(hits)))
        elif self.edit.text().strip():
            self.status.setText(self.tr("Nothing found."))
        else:
            self.status.setText("")
        self.results_shown.emit(len(hits))

    def eventFilter(self, obj, event) -> bool:
        if obj is self.edit and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
                self.list.keyPressEvent(event)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self._timer.isActive():
                    self.run_query()
                self._choose(self.list.currentIndex())
                return True
        return super().eventFilter(obj, event)

    def _choose(self, index) -> None:
        if index.isValid():
            self.hit_chosen.emit(self.model.hit(index.row()))
            self.accept()

    def open_with(self, text: str = "") -> None:
        self.edit.setText(text)
        self.edit.selectAll()
        self.edit.setFocus()
        self.show()
