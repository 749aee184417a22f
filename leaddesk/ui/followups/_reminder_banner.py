"""The in-window reminder banner: one row per reminder with Snooze ▾, Open and Dismiss, or
a grouped header when many fire at once (those missed while the app was closed)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QDateTime, QTime, Signal
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from leaddesk.services.followups.reminders import Reminder

#: Rows shown at once; the rest are counted ("and 4 more").
VISIBLE_ROWS = 4
#: (choice, label) of the snooze menu; "custom" asks for a time.
SNOOZE_LABELS = (("10min", "10 minutes"), ("1h", "1 hour"), ("tomorrow", "Tomorrow morning (9:00)"),
                 ("custom", "Custom…"))
KIND_LABELS = {"call": "Call", "email": "E-mail", "meeting": "Meeting", "task": "Task", "note": "Note"}


def when_text(rem: Reminder, tz: dt.tzinfo, now: dt.datetime) -> str:
    """"due 10:00", "due yesterday 18:30", "due Mon 7 Dec 09:00" in the rep's zone."""
    local, today = rem.due_at.astimezone(tz), now.astimezone(tz).date()
    if local.date() == today:
        day = ""
    elif local.date() == today - dt.timedelta(days=1):
        day = "yesterday "
    else:
        day = f"{local:%a} {local.day} {local:%b} "
    text = f"due {day}{local:%H:%M}"
    if rem.snoozed:
        text += " · snoozed"
    elif rem.missed:
        text += " · missed while LeadDesk was closed"
    return text


def snooze_menu(parent: QWidget, on_choice) -> QMenu:
    menu = QMenu(parent)
    for choice, label in SNOOZE_LABELS:
        menu.addAction(parent.tr(label), lambda c=choice: on_choice(c))
    return menu


class CustomSnoozeDialog(QDialog):
    """Pick the time a reminder comes back, in the rep's zone."""

    def __init__(self, start: dt.datetime, tz: dt.tzinfo, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Snooze until"))
        self.tz = tz
        local = start.astimezone(tz)
        self.edit = QDateTimeEdit(QDateTime(QDate(local.year, local.month, local.day),
                                            QTime(local.hour, local.minute)))
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat("ddd d MMM yyyy HH:mm")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.setMinimumWidth(340)
        layout = QVBoxLayout(self)
        zone = getattr(tz, "key", None) or str(tz)
        layout.addWidget(QLabel(self.tr("Remind me again at (time in {0}):").format(zone)))
        layout.addWidget(self.edit)
        layout.addWidget(buttons)

    def until(self) -> dt.datetime:
        """The chosen wall time read in the rep's zone (aware)."""
        qdt = self.edit.dateTime()
        d, t = qdt.date(), qdt.time()
        return dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=self.tz)


class _Row(QFrame):
    def __init__(self, banner: "ReminderBanner", rem: Reminder):
        super().__init__(banner)
        self.reminder = rem
        self.setObjectName("reminderRow")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 2, 0, 2)
        kind = KIND_LABELS.get(getattr(rem.kind, "value", str(rem.kind)), str(rem.kind))
        about = f" — {rem.about}" if rem.about else ""
        self.title = QLabel(f"<b>{_esc(kind)}: {_esc(rem.subject)}</b>{_esc(about)}")
        self.when = QLabel(when_text(rem, banner.tz(), banner.clock()))
        self.when.setObjectName("reminderWhen")
        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(self.title)
        text.addWidget(self.when)
        row.addLayout(text, 1)
        self.snooze_button = QToolButton()
        self.snooze_button.setText(self.tr("Snooze"))
        self.snooze_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.snooze_button.setMenu(snooze_menu(self, lambda c: banner.snooze_requested.emit(rem.id, c)))
        self.open_button = QPushButton(self.tr("Open the record"))
        self.open_button.setEnabled(bool(rem.contact_id or rem.account_id or rem.opportunity_id))
        self.open_button.clicked.connect(lambda: banner.open_requested.emit(rem.id))
        self.dismiss_button = QToolButton()
        self.dismiss_button.setText("✕")
        self.dismiss_button.setToolTip(self.tr("Dismiss (it stays on your agenda)"))
        self.dismiss_button.clicked.connect(lambda: banner.dismiss(rem.id))
        for w in (self.snooze_button, self.open_button, self.dismiss_button):
            row.addWidget(w)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ReminderBanner(QFrame):
    """The reminders being shown, above the pages. Emits what the user asks; the controller
    (``reminders.ReminderCenter``) does the writes."""

    snooze_requested = Signal(object, object)   # (activity id, choice)
    open_requested = Signal(object)             # activity id
    changed = Signal()

    def __init__(self, clock, tz, parent=None):
        super().__init__(parent)
        self.clock, self.tz = clock, tz
        self.setObjectName("reminderBanner")
        self.setStyleSheet(
            "QFrame#reminderBanner { background: #fff6d6; border-bottom: 1px solid #e0c96b; }"
            "QFrame#reminderRow { background: transparent; }"
            "QLabel { color: #3b3000; } QLabel#reminderWhen { color: #6b5a1e; }")
        self.reminders: dict = {}
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(12, 6, 12, 6)
        self._layout.setSpacing(2)
        head = QHBoxLayout()
        self.header = QLabel()
        self.snooze_all = QToolButton()
        self.snooze_all.setText(self.tr("Snooze all"))
        self.snooze_all.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.snooze_all.setMenu(snooze_menu(self, self._snooze_all))
        self.dismiss_all = QPushButton(self.tr("Dismiss all"))
        self.dismiss_all.clicked.connect(self.clear)
        head.addWidget(self.header, 1)
        head.addWidget(self.snooze_all)
        head.addWidget(self.dismiss_all)
        self._layout.addLayout(head)
        self._rows = QVBoxLayout()
        self._rows.setSpacing(0)
        self._layout.addLayout(self._rows)
        self.more = QLabel()
        self._layout.addWidget(self.more)
        self.hide()

    # --- content ------------------------------------------------------------------------
    def add(self, items: list[Reminder]) -> None:
        for rem in items:
            self.reminders[rem.id] = rem
        self._rebuild()

    def dismiss(self, activity_id) -> None:
        if self.reminders.pop(activity_id, None) is not None:
            self._rebuild()

    def clear(self) -> None:
        self.reminders.clear()
        self._rebuild()

    def rows(self) -> list[_Row]:
        return [self._rows.itemAt(i).widget() for i in range(self._rows.count())]

    def _snooze_all(self, choice) -> None:
        for ident in list(self.reminders):
            self.snooze_requested.emit(ident, choice)

    def _rebuild(self) -> None:
        while self._rows.count():
            w = self._rows.takeAt(0).widget()
            w.deleteLater()
        items = sorted(self.reminders.values(), key=lambda r: (r.due_at, r.subject))
        for rem in items[-VISIBLE_ROWS:][::-1]:  # the latest first
            self._rows.addWidget(_Row(self, rem))
        n, missed = len(items), sum(r.missed for r in items)
        if n == 1:
            self.header.setText(self.tr("<b>Reminder</b>"))
        elif missed:
            self.header.setText(self.tr("<b>{0} reminders</b>, {1} missed while LeadDesk was closed")
                                .format(n, missed))
        else:
            self.header.setText(self.tr("<b>{0} reminders</b>").format(n))
        group = n > 1
        self.snooze_all.setVisible(group)
        self.dismiss_all.setVisible(group)
        hidden = n - min(n, VISIBLE_ROWS)
        self.more.setText(self.tr("… and {0} more (oldest: {1})").format(hidden, items[0].subject) if hidden else "")
        self.more.setVisible(hidden > 0)
        self.setVisible(n > 0)
        self.changed.emit()
