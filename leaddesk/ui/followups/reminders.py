"""Reminders in the app: a check once a minute (and at start) in a worker, notifications
through the system tray when there is one, and the in-window banner with the actions.

* The check (``services.followups.reminders.due_reminders``) runs in the read pool and the
  "shown" mark (``mark_shown``) in the write pool: the UI thread never waits for the
  database. One check at a time: the next tick is skipped while one (with its mark) runs,
  so a slow disk cannot show a reminder twice.
* Reminders missed while the app was closed come with the first check at start; many at
  once are grouped ("5 reminders, 3 missed while LeadDesk was closed").
* With a system tray (``QSystemTrayIcon.isSystemTrayAvailable()``) each check that finds
  reminders also shows a tray message (clicking it raises the window) and the tray icon's
  menu holds the actions per reminder. A tray message cannot carry buttons on every
  platform, so the actions live in the banner above the pages too, which is the whole
  notification where there is no tray.
* Snooze 10 minutes, 1 hour, tomorrow morning (9:00 in the zone the laptop has *now*) or a
  custom time; Open the record opens the contact, else the account (a deal's account).
* ``clock`` and ``tz`` are callables (tests pass a controlled clock and zone); by default
  the real UTC clock and this machine's current zone, read at every check.
"""

from __future__ import annotations

import datetime as dt
import logging

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDialog, QMenu, QStyle, QSystemTrayIcon

from leaddesk.db import Database
from leaddesk.services.followups import reminders
from leaddesk.services.followups.agenda import local_zone
from leaddesk.ui.followups._reminder_banner import (
    KIND_LABELS,
    SNOOZE_LABELS,
    CustomSnoozeDialog,
    ReminderBanner,
    when_text,
)
from leaddesk.ui.jobs import run_read, run_write

log = logging.getLogger(__name__)
CHECK_INTERVAL_MS = 60_000
#: Reminders listed in the tray icon's menu (the banner has them all).
TRAY_MENU_ROWS = 8


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class ReminderCenter(QObject):
    #: the reminders a check just notified (list of services' ``Reminder``)
    notified = Signal(list)
    #: ("contact" | "account", id): open that record
    open_record = Signal(str, object)
    #: the user clicked a tray message: bring the window forward
    raise_requested = Signal()

    def __init__(self, db: Database, owner_id, *, clock=None, tz=None, interval_ms: int = CHECK_INTERVAL_MS,
                 use_tray: bool | None = None, parent=None):
        super().__init__(parent)
        self.db, self.owner_id = db, owner_id
        self.clock = clock or _utc_now
        self.tz = tz or local_zone
        self.banner = ReminderBanner(self.clock, self.tz)
        self.banner.snooze_requested.connect(self.snooze)
        self.banner.open_requested.connect(self.open)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)
        self._busy = self._marking = False
        self.checks = 0
        if use_tray is None:
            use_tray = QSystemTrayIcon.isSystemTrayAvailable()
        self.tray: QSystemTrayIcon | None = None
        if use_tray:
            self._make_tray()

    # --- the check ----------------------------------------------------------------------
    def start(self) -> None:
        """Check now (reminders missed while the app was closed) and then once a minute."""
        self.timer.start()
        self.check()

    def stop(self) -> None:
        self.timer.stop()
        if self.tray is not None:
            self.tray.hide()

    def check(self) -> None:
        if self._busy or self.owner_id is None:
            return
        self._busy = True
        now, owner = self.clock(), self.owner_id
        run_read(self, lambda: reminders.due_reminders(self.db, owner, now)).success(
            lambda items: self._on_due(items, now)).failure(self._on_failed).finally_(self._read_done).run()

    def _read_done(self) -> None:
        if not self._marking:
            self._busy = False

    def _on_failed(self, exc: BaseException) -> None:
        # A background check must not open a dialog every minute; the next one tries again.
        log.warning("reminder check failed: %s", exc)

    def _on_due(self, items: list, now: dt.datetime) -> None:
        self.checks += 1
        fresh = [r for r in items if r.id not in self.banner.reminders or r.snoozed]
        if not fresh:
            return
        self.banner.add(fresh)
        self._notify_tray(fresh)
        self.notified.emit(fresh)
        self._marking = True

        def done() -> None:
            self._marking = False
            self._busy = False

        ids = [r.id for r in fresh]
        run_write(self, lambda: reminders.mark_shown(self.db, ids, now)).failure(self._on_failed).finally_(done).run()

    # --- actions --------------------------------------------------------------------------
    def snooze(self, activity_id, choice) -> None:
        """Snooze one reminder: a choice of ``SNOOZE_LABELS``, "custom" (asks) or an aware time."""
        if choice == "custom":
            dialog = CustomSnoozeDialog(self.clock() + dt.timedelta(hours=1), self.tz(), self.banner.window())
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            choice = dialog.until()
        now, tz = self.clock(), self.tz()
        run_write(self, lambda: reminders.snooze(self.db, activity_id, choice, now=now, tz=tz)).success(
            lambda _changes: self.banner.dismiss(activity_id)).run()

    def open(self, activity_id) -> None:
        rem = self.banner.reminders.get(activity_id)
        if rem is None:
            return
        if rem.contact_id is not None:
            self.open_record.emit("contact", rem.contact_id)
        elif rem.account_id is not None:
            self.open_record.emit("account", rem.account_id)
        self.banner.dismiss(activity_id)

    # --- tray -------------------------------------------------------------------------------
    def _make_tray(self) -> None:
        app = QApplication.instance()
        icon = app.windowIcon() if app is not None else None
        if icon is None or icon.isNull():
            icon = app.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
        self.tray = QSystemTrayIcon(icon, self)
        self.tray.setToolTip(self.tr("LeadDesk reminders"))
        self.tray.setContextMenu(QMenu())
        self.tray.messageClicked.connect(self.raise_requested)
        self.banner.changed.connect(self._rebuild_tray_menu)
        self._rebuild_tray_menu()
        self.tray.show()

    def _rebuild_tray_menu(self) -> None:
        menu = self.tray.contextMenu()
        menu.clear()
        items = sorted(self.banner.reminders.values(), key=lambda r: r.due_at, reverse=True)
        for rem in items[:TRAY_MENU_ROWS]:
            sub = menu.addMenu(rem.subject)
            for choice, label in SNOOZE_LABELS:
                sub.addAction(self.tr("Snooze: {0}").format(self.tr(label)),
                              lambda i=rem.id, c=choice: self.snooze(i, c))
            sub.addAction(self.tr("Open the record"), lambda i=rem.id: (self.raise_requested.emit(), self.open(i)))
        if items:
            menu.addSeparator()
        menu.addAction(self.tr("Show LeadDesk"), self.raise_requested.emit)

    def _notify_tray(self, fresh: list) -> None:
        if self.tray is None:
            return
        now, tz = self.clock(), self.tz()
        if len(fresh) == 1:
            rem = fresh[0]
            kind = KIND_LABELS.get(getattr(rem.kind, "value", str(rem.kind)), str(rem.kind))
            title = f"{kind}: {rem.subject}"
            body = " · ".join(p for p in (rem.about, when_text(rem, tz, now)) if p)
        else:
            missed = sum(r.missed for r in fresh)
            title = self.tr("{0} reminders").format(len(fresh))
            body = (self.tr("{0} missed while LeadDesk was closed. ").format(missed) if missed else "")
            body += ", ".join(r.subject for r in fresh[-3:])
        self.tray.showMessage(title, body, QSystemTrayIcon.MessageIcon.Information, 15_000)
