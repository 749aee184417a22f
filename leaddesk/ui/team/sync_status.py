"""Background sync with the team server, and its state in the status bar.

Runs ``services.team_sync.sync_with_hub`` on the background pool every
``Settings.sync_interval_s`` seconds and on demand (File ▸ Sync now, F9). Never more than
one sync at a time. Being offline is not an error: a grey "Offline" badge says so (the
reason in its tooltip), pending changes wait in the outbox, and the next attempt retries.

The status bar shows, left to right: the "Offline" (or "Sync failed") badge after a failed
attempt; "Synced 14:02 · 3 pending" (while syncing: the phase and a small progress bar);
and an amber "2 conflicts" badge that opens the conflict inbox. Counts follow every write
(``app_signals.data_changed``), so the pending number moves as the user works.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from leaddesk.db import Database
from leaddesk.errors import DatabaseUnavailable, LeadDeskError
from leaddesk.services.team import sync as team_sync
from leaddesk.sync.protocol import HubUnavailable
from leaddesk.ui.jobs import app_signals, run_background, run_read
from leaddesk.ui.team._conflict_tree_model import local_time

BADGE_CSS = ("QLabel#syncOffline {{ background: {bg}; color: white; border-radius: 8px; padding: 1px 8px;"
             " font-weight: 600; }}")
OFFLINE_BG, FAILED_BG = "#6b7280", "#c62828"
CONFLICT_CSS = (
    "QToolButton#syncConflicts { background: #f59e0b; color: #231400; border: none; border-radius: 8px;"
    " padding: 1px 8px; font-weight: 600; }"
    "QToolButton#syncConflicts:hover { background: #d97706; color: white; }"
    "QToolButton#syncConflicts:focus { outline: none; border: 1px solid palette(highlight); }"
)


class SyncStatusWidget(QWidget):
    """The status-bar piece: offline badge, sync text (or progress), conflicts badge."""

    conflicts_clicked = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("syncStatusWidget")
        self.offline_badge = QLabel(self.tr("Offline"))
        self.offline_badge.setObjectName("syncOffline")
        self.text_label = QLabel()
        self.text_label.setObjectName("syncStatus")
        self.busy = QProgressBar()
        self.busy.setObjectName("syncProgress")
        self.busy.setTextVisible(False)
        self.busy.setFixedSize(64, 10)
        self.conflict_badge = QToolButton()
        self.conflict_badge.setObjectName("syncConflicts")
        self.conflict_badge.setCursor(Qt.CursorShape.PointingHandCursor)
        self.conflict_badge.setToolTip(self.tr("Open the conflict inbox"))
        self.conflict_badge.setStyleSheet(CONFLICT_CSS)
        self.conflict_badge.clicked.connect(self.conflicts_clicked)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 4, 0)
        row.setSpacing(6)
        for w in (self.offline_badge, self.text_label, self.busy, self.conflict_badge):
            row.addWidget(w, 0, Qt.AlignmentFlag.AlignVCenter)
        self.offline_badge.hide()
        self.busy.hide()
        self.conflict_badge.hide()

    def text(self) -> str:
        """What the widget says, as one line (for tests and accessibility)."""
        parts = [w.text() for w in (self.offline_badge, self.text_label, self.conflict_badge)
                 if not w.isHidden() and w.text()]
        return " · ".join(parts)

    def set_offline(self, reason: str | None, *, label: str | None = None, failed: bool = False) -> None:
        if reason is None:
            self.offline_badge.hide()
            return
        self.offline_badge.setText(label or self.tr("Offline"))
        self.offline_badge.setStyleSheet(BADGE_CSS.format(bg=FAILED_BG if failed else OFFLINE_BG))
        self.offline_badge.setToolTip(reason)
        self.offline_badge.show()

    def set_progress(self, done: int | None, total: int = 0) -> None:
        """None: not syncing; otherwise a bar at done/total (busy when total is 0)."""
        if done is None:
            self.busy.hide()
            return
        self.busy.setRange(0, max(total, 0))
        self.busy.setValue(min(done, total) if total else 0)
        self.busy.show()

    def set_conflicts(self, count: int) -> None:
        self.conflict_badge.setText(self.tr("1 conflict") if count == 1 else self.tr("{0} conflicts").format(count))
        self.conflict_badge.setVisible(count > 0)

    def setToolTip(self, text: str) -> None:  # noqa: N802 - Qt's name
        self.text_label.setToolTip(text)

    def toolTip(self) -> str:  # noqa: N802 - Qt's name
        """The reason of the last failure when offline, else the sync details."""
        if not self.offline_badge.isHidden():
            return self.offline_badge.toolTip()
        return self.text_label.toolTip()


class SyncController(QObject):
    #: (SyncSummary) after each successful sync
    synced = Signal(object)
    #: (str) after a failed attempt: the reason
    sync_failed = Signal(str)
    #: (phase, done, total) while a sync runs (emitted from the sync thread: queued)
    progress_changed = Signal(str, int, int)

    PHASE_TEXT = {"backup": "Backing up…", "push": "Sending changes…", "pull": "Receiving changes…",
                  "conflicts": "Checking conflicts…", "check": "Comparing with the server…",
                  "duplicates": "Looking for duplicates…"}

    def __init__(self, db: Database, hub_url: str | None, *, interval_s: int = 120, backup_dir=None,
                 parent=None):
        super().__init__(parent)
        self.db = db
        self.hub_url = hub_url
        self.backup_dir = backup_dir
        self.running = False
        self.pending = 0
        self.open_conflicts = 0
        self.last_synced: dt.datetime | None = None
        self.widget = SyncStatusWidget()
        #: The main window puts this in its status bar (the whole widget; name kept).
        self.label = self.widget
        if not hasattr(parent, "open_conflicts"):  # the main window wires the badge to its own action
            self.widget.conflicts_clicked.connect(self.open_inbox)
        self.progress_changed.connect(self._on_progress)
        self.interval_s = interval_s
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.sync_now)
        if hub_url and db.dialect == "sqlite" and interval_s > 0:
            self._timer.start(interval_s * 1000)
        app_signals.data_changed.connect(self._on_data_changed)
        self.refresh_label()

    @property
    def enabled(self) -> bool:
        return bool(self.hub_url) and self.db.dialect == "sqlite"

    # --- status ---------------------------------------------------------------------------
    def refresh_label(self, prefix: str | None = None) -> None:
        """Re-read pending changes, open conflicts and the last sync time."""
        if not self.enabled:
            shared = self.db.dialect != "sqlite"
            self.widget.text_label.setText(self.tr("Shared database") if shared else self.tr("Standalone"))
            if shared:  # the app works on the hub itself: its conflicts are the team's
                run_read(self, lambda: team_sync.sync_status(self.db)).success(self._on_status).run()
            return
        run_read(self, lambda: team_sync.sync_status(self.db)).success(self._on_status).run()

    def _on_status(self, status) -> None:
        self.pending = status.pending
        self.open_conflicts = status.open_conflicts
        self.last_synced = status.last_synced_at or self.last_synced
        self._render()

    def _render(self) -> None:
        self.widget.set_conflicts(self.open_conflicts)
        if not self.enabled or self.running:
            return
        offline = not self.widget.offline_badge.isHidden()
        if self.last_synced is None:
            when = self.tr("Not synced yet")
        elif offline:
            when = self.tr("Last synced {0}").format(local_time(self.last_synced))
        else:
            when = self.tr("Synced {0}").format(local_time(self.last_synced))
        self.widget.text_label.setText(when + " · " + self.tr("%n pending", "", self.pending))

    def _on_data_changed(self, _changes, _initiator) -> None:
        if self.enabled or self.db.dialect != "sqlite":
            self.refresh_label()

    # --- syncing --------------------------------------------------------------------------
    def set_hub(self, hub_url) -> None:
        """Start syncing with ``hub_url`` (a URL, or a callable that makes one at each sync:
        the joined team's profile with the password from the keyring)."""
        self.hub_url = hub_url
        if hub_url and self.db.dialect == "sqlite" and self.interval_s > 0:
            self._timer.start(self.interval_s * 1000)
        self.refresh_label()

    def sync_now(self) -> None:
        if not self.enabled or self.running:
            return
        self.running = True
        self.widget.text_label.setText(self.tr("Syncing…"))
        self.widget.set_progress(0, 0)
        db, hub, backup = self.db, self.hub_url, self.backup_dir
        report = self.progress_changed.emit
        run_background(self, lambda: team_sync.sync_with_hub(db, hub() if callable(hub) else hub, backup_dir=backup,
                                                             progress=report)).success(
            self._done).failure(self._failed).finally_(self._finished).run()

    def _on_progress(self, phase: str, done: int, total: int) -> None:
        if not self.running:
            return
        text = self.PHASE_TEXT.get(phase)
        if text:
            self.widget.text_label.setText(self.tr(text))
        self.widget.set_progress(done, total)

    def _done(self, summary) -> None:
        self.widget.set_offline(None)
        self.pending = summary.pending_after
        self.open_conflicts = summary.open_conflicts
        self.last_synced = summary.synced_at or dt.datetime.now(dt.timezone.utc)
        details = self.tr("Last sync: sent {0}, received {1}.").format(summary.sent, summary.received)
        if summary.conflicts:
            details += " " + self.tr("%n new conflict(s) on the team server.", "", summary.conflicts)
        if getattr(summary, "resynced", False):
            details += " " + self.tr("This laptop had been away longer than the team server keeps its history, "
                                     "so it downloaded a fresh copy; your unsent changes were kept and sent.")
        self.widget.setToolTip(details)
        self.running = False
        self._render()
        if summary.received or summary.open_conflicts:
            app_signals.data_changed.emit(None, self)  # colleagues' changes arrived: refresh views
        self.synced.emit(summary)

    def _failed(self, exc: BaseException) -> None:
        reason = str(exc) if isinstance(exc, LeadDeskError) else repr(exc)
        unreachable = isinstance(exc, (HubUnavailable, DatabaseUnavailable))
        self.widget.set_offline(reason, label=self.tr("Offline") if unreachable else self.tr("Sync failed"),
                                failed=not unreachable)
        self.running = False
        self.refresh_label()
        self.sync_failed.emit(reason)

    def _finished(self) -> None:
        self.running = False
        self.widget.set_progress(None)
        self._render()

    # --- conflicts --------------------------------------------------------------------------
    def open_inbox(self):
        """Open the conflict inbox over the main window (the badge's click)."""
        from leaddesk.ui.team.conflict_inbox import ConflictInboxDialog, open_conflict_inbox

        host = self.parent()
        if isinstance(host, QWidget) and getattr(host, "db", None) is self.db:
            return open_conflict_inbox(host)
        dialog = ConflictInboxDialog(self.db, self.widget.window())
        dialog.show()
        return dialog
