"""Log activity (Ctrl+L): record a call, e-mail, meeting, task or note that just happened,
with its outcome, and book the next step in the same dialog.

Keyboard-fast: the dialog opens on the subject with kind *call*, outcome *connected* and a
next step two working days out at 10:00 (the user's time zone) already filled in; Ctrl+Enter
(or Enter in a one-line field) saves. Both writes run in one write job: the done activity
first (which moves the card's last touch through the service's touch rule), then the next
step, stored in UTC by the service. The dialog is linked to the contact, opportunity and/or
account it was opened from; opened from an opportunity, it also links the opportunity's
primary contact so the contact's timeline shows the call too.

"The lead replied / reached out" (a call, an e-mail or a meeting with a contact) records,
in the same write job, an ``email_reply`` engagement at the activity's time (rescored, so
the lead's interest moves) and stops the lead's cadence runs it ends; the status bar says
which ("Cadence 'New inbound lead' stopped: the lead replied"). An activity does not say by
itself who reached out to whom, so the rep says it here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QDateTime, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models.enums import ActivityKind
from leaddesk.services.dto import ActivityDetail
from leaddesk.services.followups import logbook
from leaddesk.services.followups.agenda import local_zone
from leaddesk.services.pipeline import opportunities
from leaddesk.services.records import Changes
from leaddesk.ui.followups._cadence_stops import Replied, named_runs, show_status
from leaddesk.ui.followups._log_defaults import default_next_step, kinds, outcomes
from leaddesk.ui.followups._repeat_field import RepeatField
from leaddesk.ui.jobs import run_read, run_write

#: the kinds in which the lead can have replied or reached out (not a task, not a note)
REPLY_KINDS = (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING)


@dataclass(frozen=True)
class Logged:
    """What one save wrote: the done activity and the booked next step (if any)."""

    done: ActivityDetail
    next_step: ActivityDetail | None
    changes: Changes
    #: "the lead replied" was ticked: the engagement and the cadence runs it ended
    replied: Replied | None = None

    def message(self) -> str:
        """What the status bar says after the save ("" when there is nothing to say)."""
        if self.replied is None:
            return ""
        if self.replied.ended:
            return "; ".join(e.message() for e in self.replied.ended)
        return QCoreApplication.translate("LogActivityDialog", "Logged; the lead's reply is recorded.")


def log_and_book(db: Database, links: dict, done: dict, next_step: dict | None) -> Logged:
    """Log ``done``, record the reply, book ``next_step`` (``services/followups/logbook.py``:
    one unit of work, so a failed save wrote nothing; runs in a worker); the stopped
    cadences named for the status bar."""
    out = logbook.log_and_book(db, links, done, next_step)
    replied = None
    if out.reply is not None:
        replied = Replied(out.reply.result, named_runs(db, out.reply.stopped), out.reply.changes)
    return Logged(out.done, out.next_step, out.changes, replied)


class LogActivityDialog(QDialog):
    #: (Logged) after both writes succeeded
    logged = Signal(object)

    def __init__(self, db: Database, *, contact_id=None, opportunity_id=None, account_id=None,
                 about: str = "", zone: dt.tzinfo | None = None, now: dt.datetime | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.links = {"contact_id": contact_id, "opportunity_id": opportunity_id, "account_id": account_id}
        self.zone = zone or local_zone()
        self._now = now
        self.setWindowTitle(self.tr("Log activity"))
        self.setModal(True)
        self.status_text = ""
        self._build(about)

    # --- building -----------------------------------------------------------------------
    def _build(self, about: str) -> None:
        self.about = QLabel(about)
        self.about.setObjectName("logAbout")
        self.about.setWordWrap(True)
        self.about.setVisible(bool(about))
        self.kind = QComboBox()
        for label, kind in kinds():
            self.kind.addItem(label, kind)
        self.subject = QLineEdit()
        self.subject.setPlaceholderText(self.tr("What was it about? (empty: the kind)"))
        self.outcome = QComboBox()
        for label, outcome in outcomes():
            self.outcome.addItem(label, outcome)
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText(self.tr("Notes (optional)"))
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.replied = QCheckBox(self.tr("The lead re&plied / reached out"))
        self.replied.setObjectName("leadReplied")
        self._reply_contact = self.links["contact_id"] is not None
        self._set_reply_enabled(self._reply_contact)
        done_form = QFormLayout()
        done_form.addRow(self.tr("&Kind:"), self.kind)
        done_form.addRow(self.tr("S&ubject:"), self.subject)
        done_form.addRow(self.tr("&Outcome:"), self.outcome)
        done_form.addRow(self.tr("No&tes:"), self.notes)
        done_form.addRow("", self.replied)

        self.book = QGroupBox(self.tr("&Book the next step"))
        self.book.setCheckable(True)
        self.book.setChecked(True)
        self.next_kind = QComboBox()
        for label, kind in kinds()[:4]:  # a note is written, not scheduled
            self.next_kind.addItem(label, kind)
        self.next_subject = QLineEdit(self.tr("Follow up"))
        self.next_due = QDateTimeEdit()
        self.next_due.setCalendarPopup(True)
        self.next_due.setDisplayFormat("ddd d MMM yyyy HH:mm")
        local_now = (self._now or dt.datetime.now(dt.timezone.utc)).astimezone(self.zone)
        self.set_next_due(default_next_step(local_now))
        book_form = QFormLayout(self.book)
        book_form.addRow(self.tr("K&ind:"), self.next_kind)
        book_form.addRow(self.tr("Subj&ect:"), self.next_subject)
        book_form.addRow(self.tr("&Due:"), self.next_due)
        self.repeat = RepeatField()
        self.repeat.set_due(self.next_due.dateTime().toPython())
        self.next_due.dateTimeChanged.connect(lambda q: self.repeat.set_due(q.toPython()))
        book_form.addRow(self.tr("&Repeat:"), self.repeat)

        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setToolTip(QKeySequence("Ctrl+Return").toString(QKeySequence.SequenceFormat.NativeText))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self.submit)

        layout = QVBoxLayout(self)
        layout.addWidget(self.about)
        layout.addLayout(done_form)
        layout.addWidget(self.book)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.subject.setFocus()
        self.setMinimumWidth(440)
        if not self._reply_contact and self.links["opportunity_id"] is not None:
            self._find_deal_contact()

    def _kind_changed(self) -> None:
        is_note = self.kind.currentData() == ActivityKind.NOTE
        self.outcome.setEnabled(not is_note)
        if self.kind.currentData() == ActivityKind.MEETING and self.outcome.currentIndex() == 0:
            self.outcome.setCurrentIndex(3)  # meeting held
        elif self.kind.currentData() != ActivityKind.MEETING and self.outcome.currentIndex() == 3:
            self.outcome.setCurrentIndex(0)
        self.replied.setVisible(self.kind.currentData() in REPLY_KINDS)

    def _set_reply_enabled(self, has_contact: bool) -> None:
        self.replied.setEnabled(has_contact)
        if not has_contact:
            self.replied.setChecked(False)
        self.replied.setToolTip(
            self.tr("Records the lead's reply (it counts in the interest score) and stops the lead's "
                    "running cadences.") if has_contact else
            self.tr("Only a contact replies: log this on a contact, or give the deal a primary contact."))

    def _find_deal_contact(self) -> None:
        """Opened from a deal: the reply is its primary contact's (read in a job)."""
        db, opp = self.db, self.links["opportunity_id"]
        run_read(self, lambda: opportunities.get_opportunity(db, opp).primary_contact_id).success(
            lambda cid: self._set_reply_enabled(cid is not None)).run()

    # --- values ---------------------------------------------------------------------------
    def set_next_due(self, local: dt.datetime) -> None:
        local = local.astimezone(self.zone)
        self.next_due.setDateTime(QDateTime(local.date(), local.time().replace(tzinfo=None)))

    def next_due_at(self) -> dt.datetime:
        """The due time as entered, in the user's zone (the service stores it in UTC)."""
        q = self.next_due.dateTime()
        naive = dt.datetime.combine(q.date().toPython(), q.time().toPython())
        return naive.replace(tzinfo=self.zone)

    def values(self) -> tuple[dict, dict | None]:
        kind = self.kind.currentData()
        done = {"kind": kind, "subject": self.subject.text().strip() or self.kind.currentText(),
                "body": self.notes.toPlainText().strip() or None,
                "outcome": None if kind == ActivityKind.NOTE else self.outcome.currentData(),
                "replied": kind in REPLY_KINDS and self.replied.isEnabled() and self.replied.isChecked()}
        if not self.book.isChecked():
            return done, None
        due = self.next_due_at()
        return done, {"kind": self.next_kind.currentData(), "subject": self.next_subject.text(),
                      "due_at": due, "rrule": self.repeat.rrule(due)}

    # --- saving ---------------------------------------------------------------------------
    def submit(self) -> None:
        if not self.save_button.isEnabled():
            return
        try:
            done, next_step = self.values()
        except ValidationError as exc:  # a custom repeat rule that does not read
            self.show_error(exc)
            return
        now = self._now or dt.datetime.now(dt.timezone.utc)
        if next_step is not None and next_step["due_at"] <= now:
            self.show_error(ValidationError(self.tr("The next step is in the past: pick a later time."),
                                            field="due_at"))
            return
        self.save_button.setEnabled(False)
        db, links = self.db, dict(self.links)
        run_write(self, lambda: log_and_book(db, links, done, next_step)).success(self._saved).failure(
            self._failed).run()

    def _saved(self, result: Logged) -> None:
        self.status_text = result.message()
        if self.status_text:
            show_status(self, self.status_text)
        self.logged.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(exc, ValidationError):
            self.show_error(exc)
            return
        from leaddesk.ui.errors import show_error

        show_error(self, exc)

    def show_error(self, exc: ValidationError) -> None:
        self.error.setText(str(exc))
        self.error.show()
        field = {"subject": self.subject, "due_at": self.next_due, "kind": self.kind,
                 "outcome": self.outcome, "rrule": self.repeat.custom,
                 "replied": self.replied}.get(getattr(exc, "field", None) or "")
        if field is not None:
            field.setFocus()


def open_log_dialog(parent: QWidget, db: Database, *, contact_id=None, opportunity_id=None, account_id=None,
                    about: str = "") -> LogActivityDialog:
    """Open the dialog (window-modal, not blocking) for the given record(s) and return it."""
    dialog = LogActivityDialog(db, contact_id=_id(contact_id), opportunity_id=_id(opportunity_id),
                               account_id=_id(account_id), about=about, parent=parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def _id(value) -> uuid.UUID | None:
    return value if value is None or isinstance(value, uuid.UUID) else uuid.UUID(str(value))
