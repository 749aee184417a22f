"""Account-name suggestions for a line edit, fetched off the UI thread as the user types."""

from __future__ import annotations

from PySide6.QtCore import QObject, QStringListModel, Qt, QTimer
from PySide6.QtWidgets import QCompleter, QLineEdit

from leaddesk.db import Database
from leaddesk.services.people import accounts
from leaddesk.ui.jobs import run_read


class AccountNameCompleter(QObject):
    """Attach to a QLineEdit: after a 150 ms pause in typing, the accounts whose name starts
    with the text (accent- and case-insensitively) are offered. Answers to older text are
    dropped."""

    def __init__(self, db: Database, edit: QLineEdit, parent: QObject | None = None, *, limit: int = 20):
        super().__init__(parent)
        self.db = db
        self.edit = edit
        self.limit = limit
        self.model = QStringListModel(self)
        completer = QCompleter(self.model, edit)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        # The service matches accent-insensitively ("ozd" finds "Özdemir"): show what it found.
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        edit.setCompleter(completer)
        self._generation = 0
        self._timer = QTimer(self, singleShot=True, interval=150)
        self._timer.timeout.connect(self.refresh)
        edit.textEdited.connect(lambda _text: self._timer.start())

    def refresh(self) -> None:
        text = self.edit.text().strip()
        self._generation += 1
        generation = self._generation
        if not text:
            self.model.setStringList([])
            return
        db, limit = self.db, self.limit
        run_read(self, lambda: accounts.list_accounts(db, name_prefix=text, limit=limit)).success(
            lambda page: self._show(generation, page)).failure(lambda _exc: None).run()

    def _show(self, generation: int, page) -> None:
        if generation != self._generation:
            return
        self.model.setStringList([row.name for row in page.items])
        if self.edit.hasFocus() and page.items:
            self.edit.completer().complete()
