"""Background sync with the team server, and its state in the status bar.

Runs ``services.team_sync.sync_with_hub`` on the background pool every
``Settings.sync_interval_s`` seconds and on demand (File ▸ Sync now, F9). Never more than
one sync at a time. Being offline is not an error: the label says so, pending changes wait
in the outbox, and the next attempt retries.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel

from leaddesk.db import Database
from leaddesk.errors import LeadDeskError
from leaddesk.services import team_sync
from leaddesk.ui.jobs import app_signals, run_background, run_read


class SyncController(QObject):
    #: (SyncSummary) after each successful sync
    synced = Signal(object)
    #: (str) after a failed attempt: the reason
    sync_failed = Signal(str)

    def __init__(self, db: Database, hub_url: str | None, *, interval_s: int = 120, backup_dir=None,
                 parent=None):
        super().__init__(parent)
        self.db = db
        self.hub_url = hub_url
        self.backup_dir = backup_dir
        self.running = False
        self.label = QLabel()
        self.label.setObjectName("syncStatus")
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.sync_now)
        if hub_url and db.dialect == "sqlite" and interval_s > 0:
            self._timer.start(interval_s * 1000)
        self.refresh_label()

    @property
    def enabled(self) -> bool:
        return bool(self.hub_url) and self.db.dialect == "sqlite"

    def refresh_label(self, prefix: str | None = None) -> None:
        if not self.enabled:
            self.label.setText(self.tr("Shared database") if self.db.dialect != "sqlite" else self.tr("Standalone"))
            return
        run_read(self, lambda: team_sync.sync_status(self.db)).success(
            lambda st: self.label.setText(
                (prefix + " · " if prefix else "") + self.tr("%n pending", "", st.pending))).run()

    def sync_now(self) -> None:
        if not self.enabled or self.running:
            return
        self.running = True
        self.label.setText(self.tr("Syncing…"))
        db, hub, backup = self.db, self.hub_url, self.backup_dir
        run_background(self, lambda: team_sync.sync_with_hub(db, hub, backup_dir=backup)).success(
            self._done).failure(self._failed).finally_(self._finished).run()

    def _done(self, summary) -> None:
        when = dt.datetime.now().strftime("%H:%M")
        text = self.tr("Synced {0}").format(when)
        if summary.conflicts:
            text += " · " + self.tr("%n conflict(s)", "", summary.conflicts)
        self.label.setText(text + " · " + self.tr("%n pending", "", summary.pending_after))
        self.label.setToolTip(self.tr("Sent {0}, received {1}.").format(summary.sent, summary.received))
        if summary.received:
            app_signals.data_changed.emit(None, self)  # colleagues' changes arrived: refresh views
        self.synced.emit(summary)

    def _failed(self, exc: BaseException) -> None:
        reason = str(exc) if isinstance(exc, LeadDeskError) else repr(exc)
        self.label.setToolTip(reason)
        self.refresh_label(self.tr("Offline"))
        self.sync_failed.emit(reason)

    def _finished(self) -> None:
        self.running = False
