"""The two small dialogs behind My day's "done" key: the outcome picker (a list the keys
1-6 or the arrows choose from, Enter takes it) and the next-step prompt (subject, kind and
when, two working days on by default; Esc skips it); and the custom reschedule picker.

They only collect values; the page writes them through the services in a worker.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
)

from leaddesk.models.enums import ActivityKind, ActivityOutcome

O = ActivityOutcome
#: What the rep says happened -> the stored outcome ("connected" and "meeting held" are both
#: a conversation that happened).
OUTCOMES = (("connected", O.COMPLETED), ("voicemail", O.LEFT_VOICEMAIL), ("no_answer", O.NO_ANSWER),
            ("meeting_held", O.COMPLETED), ("no_show", O.NO_SHOW), ("rescheduled", O.RESCHEDULED))
KINDS = (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING, ActivityKind.TASK)


def _qt_moment(at: dt.datetime, tz: dt.tzinfo) -> QDateTime:
    local = at.astimezone(tz)
    return QDateTime(local.date(), local.time().replace(tzinfo=None, microsecond=0))


def _py_moment(edit: QDateTimeEdit, tz: dt.tzinfo) -> dt.datetime:
    value = edit.dateTime()
    naive = dt.datetime.combine(value.date().toPython(), value.time().toPython())
    return naive.replace(tzinfo=tz).astimezone(dt.timezone.utc)


class OutcomePicker(QDialog):
    """How did it go? One of six outcomes; digits 1-6 pick and accept at once."""

    def __init__(self, subject: str, *, meeting: bool, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Mark done"))
        labels = {"connected": self.tr("Connected"), "voicemail": self.tr("Left a voicemail"),
                  "no_answer": self.tr("No answer"), "meeting_held": self.tr("Meeting held"),
                  "no_show": self.tr("No-show"), "rescheduled": self.tr("Rescheduled")}
        layout = QVBoxLayout(self)
        title = QLabel(self.tr("How did “{0}” go?").format(subject))
        title.setWordWrap(True)
        layout.addWidget(title)
        self.list = QListWidget()
        self.list.setObjectName("outcomes")
        for n, (key, outcome) in enumerate(OUTCOMES, start=1):
            item = QListWidgetItem(f"{n}  {labels[key]}")
            item.setData(Qt.ItemDataRole.UserRole, (key, outcome))
            self.list.addItem(item)
        self.list.setCurrentRow(3 if meeting else 0)
        self.list.itemActivated.connect(lambda _i: self.accept())
        rows = self.list.sizeHintForRow(0) * len(OUTCOMES) + 2 * self.list.frameWidth() + 4
        self.list.setFixedHeight(rows)
        self.setMinimumWidth(340)
        layout.addWidget(self.list)
        self.note = QLineEdit()
        self.note.setPlaceholderText(self.tr("Note (optional)"))
        self.note.returnPressed.connect(self.accept)
        layout.addWidget(self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.list.setFocus()

    def keyPressEvent(self, event) -> None:
        text = event.text()
        if text.isdigit() and 1 <= int(text) <= len(OUTCOMES):
            self.list.setCurrentRow(int(text) - 1)
            self.accept()
            return
        super().keyPressEvent(event)

    def choice(self) -> tuple[str, ActivityOutcome]:
        return self.list.currentItem().data(Qt.ItemDataRole.UserRole)

    def note_text(self) -> str:
        return self.note.text().strip()


class NextStepDialog(QDialog):
    """What comes next? Enter schedules it; Esc (or Skip) leaves the record without one."""

    def __init__(self, subject: str, kind: ActivityKind, due: dt.datetime, tz: dt.tzinfo, parent=None):
        super().__init__(parent)
        self.tz = tz
        self.setWindowTitle(self.tr("Next step"))
        self.setMinimumWidth(460)
        form = QFormLayout(self)
        self.subject = QLineEdit(subject)
        self.subject.selectAll()
        self.kind = QComboBox()
        names = {ActivityKind.CALL: self.tr("Call"), ActivityKind.EMAIL: self.tr("E-mail"),
                 ActivityKind.MEETING: self.tr("Meeting"), ActivityKind.TASK: self.tr("Task")}
        for k in KINDS:
            self.kind.addItem(names[k], k)
        self.kind.setCurrentIndex(KINDS.index(kind) if kind in KINDS else 0)
        self.when = QDateTimeEdit(_qt_moment(due, tz))
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("ddd d MMM yyyy  HH:mm")
        form.addRow(self.tr("Next step"), self.subject)
        form.addRow(self.tr("Kind"), self.kind)
        form.addRow(self.tr("Due"), self.when)
        buttons = QDialogButtonBox()
        buttons.addButton(self.tr("Schedule"), QDialogButtonBox.ButtonRole.AcceptRole).setDefault(True)
        buttons.addButton(self.tr("Skip"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.subject.setFocus()

    def values(self) -> tuple[str, ActivityKind, dt.datetime]:
        return self.subject.text().strip(), self.kind.currentData(), _py_moment(self.when, self.tz)


class CustomTimeDialog(QDialog):
    """Reschedule to a moment of the rep's choosing."""

    def __init__(self, due: dt.datetime, tz: dt.tzinfo, parent=None):
        super().__init__(parent)
        self.tz = tz
        self.setWindowTitle(self.tr("Reschedule"))
        self.setMinimumWidth(320)
        form = QFormLayout(self)
        self.when = QDateTimeEdit(_qt_moment(due, tz))
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("ddd d MMM yyyy  HH:mm")
        form.addRow(self.tr("New time"), self.when)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def value(self) -> dt.datetime:
        return _py_moment(self.when, self.tz)
