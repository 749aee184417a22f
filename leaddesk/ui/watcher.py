"""Refresh the views when someone else changes the data (shared PostgreSQL, or another
process on the SQLite file). Runs services.watch on a daemon thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from leaddesk.db import Database
from leaddesk.services.records import Changes
from leaddesk.services.watch import watch_changes
from leaddesk.ui.jobs import app_signals


class ChangeWatcher(QObject):
    #: tables changed elsewhere (frozenset[str]) or None when unknown
    changed_elsewhere = Signal(object)

    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.db = db
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.changed_elsewhere.connect(self._relay)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=watch_changes, args=(self.db, self.changed_elsewhere.emit, self._stop),
            name="leaddesk-watch", daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(3)
            self._thread = None

    def _relay(self, tables) -> None:
        changes = None if tables is None else Changes(frozenset(tables), frozenset())
        app_signals.data_changed.emit(changes, self)
