"""The "Reassign…" dialog: give one or more contacts to a rep, with the reason why.

The rep chooser lists every active user with their open leads against their cap ("Ben
Rep — 498 / 500 open leads"); a full rep is marked and greyed, but stays choosable, since
a manager may assign past a cap with the explicit "Assign even past the cap" box (reps do
not get the box). The reason is required: the contact's history keeps it, with who and
when. Loading and writing run on workers; a refusal (the access rules, a cap) is shown in
the dialog and nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
)

from leaddesk.db import Database
from leaddesk.models import access
from leaddesk.models.enums import Role
from leaddesk.services.qualification import assignment
from leaddesk.ui.errors import show_error
from leaddesk.ui.jobs import run_read, run_write
from leaddesk.ui.widgets.form_errors import FormErrors


def load_text(load: assignment.RepLoad) -> str:
    return f"{load.open_leads} / {load.cap} open leads"


class ReassignDialog(QDialog):
    """Choose the new owner of ``contact_ids`` and say why; ``reassigned(result)`` when stored."""

    reassigned = Signal(object)  # assignment.ReassignResult

    def __init__(self, db: Database, contact_ids: Sequence[uuid.UUID], what: str, parent=None):
        super().__init__(parent)
        self.db = db
        self.contact_ids = list(contact_ids)
        self.loads: list[assignment.RepLoad] = []
        self.setWindowTitle(self.tr("Reassign — {0}").format(what))
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("&Give {0} to:").format(what.replace("&", "&&")))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.reps = QListWidget()
        self.reps.setObjectName("reps")
        self.reps.setMinimumHeight(150)
        layout.addWidget(self.reps, 1)
        intro.setBuddy(self.reps)
        why = QLabel(self.tr("&Why (required; the contact's history keeps it):"))
        layout.addWidget(why)
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        why.setBuddy(self.reason)
        self.reason.setObjectName("reason")
        self.reason.setPlaceholderText(self.tr("e.g. Ana is on leave until June; Ben covers her territory"))
        self.reason.setFixedHeight(70)
        layout.addWidget(self.reason)
        self.override = QCheckBox(self.tr("Assign even past the rep's cap (managers only)"))
        self.override.setObjectName("override")
        self.override.setToolTip(self.tr("The rep will hold more open leads than the team allows; "
                                         "the history shows that you decided so."))
        subject = db.write.subject
        self.override.setVisible(subject is None or subject.is_admin or subject.role == access.MANAGER)
        layout.addWidget(self.override)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Reassign"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.errors = FormErrors(self, {"reason": self.reason, "to_user_id": self.reps})
        self.errors.install(layout)
        self.load()

    def load(self) -> None:
        db, subject = self.db, self.db.write.subject
        # a rep or manager may only give leads within her team: only its people are offered
        team = None if subject is None or subject.is_admin else list(subject.team)
        run_read(self, lambda: assignment.rep_loads(db, team)).success(self._fill).run()

    def _fill(self, loads: list[assignment.RepLoad]) -> None:
        self.loads = loads
        self.reps.clear()
        for load in loads:
            who = self.tr("{0} ({1})").format(load.name, load.team_name) if load.team_name else load.name
            if load.role != Role.REP:
                who += " · " + str(load.role).capitalize()
            text = self.tr("{0} — {1}").format(who, load_text(load))
            if load.full:
                text += self.tr(" (full)")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, load.user_id)
            item.setToolTip(self.tr("Cap from: {0}").format(
                {assignment.CAP_REP: self.tr("this rep's own cap"), assignment.CAP_TEAM: self.tr("her team's cap"),
                 assignment.CAP_SETTING: self.tr("the team setting lead_cap")}[load.cap_source]))
            if load.full:
                item.setForeground(QColor("#8a8a8a"))
            self.reps.addItem(item)

    def choose(self, user_id) -> None:
        for row in range(self.reps.count()):
            if self.reps.item(row).data(Qt.ItemDataRole.UserRole) == user_id:
                self.reps.setCurrentRow(row)
                return

    def chosen(self) -> uuid.UUID | None:
        item = self.reps.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def submit(self) -> None:
        target = self.chosen()
        if target is None:
            self.errors.show_message(self.tr("Choose who gets the leads."), "to_user_id")
            return
        reason = self.reason.toPlainText().strip()
        if not reason:
            self.errors.show_message(self.tr("Say why these leads change hands (the history keeps the reason)."),
                                     "reason")
            return
        db, ids, override = self.db, self.contact_ids, self.override.isChecked() and self.override.isVisible()
        self.buttons.setEnabled(False)

        def done(result) -> None:
            self.reassigned.emit(result)
            self.accept()

        def failed(exc: BaseException) -> None:
            if not self.errors.show(exc):
                show_error(self, exc)

        run_write(self, lambda: assignment.reassign(db, ids, target, reason, override_cap=override)).success(
            done).failure(failed).finally_(lambda: self.buttons.setEnabled(True)).run()


def open_reassign(parent, db: Database, contact_ids: Sequence[uuid.UUID], what: str) -> ReassignDialog:
    """Open the dialog (non-blocking) for ``contact_ids``, named ``what`` in its title."""
    dialog = ReassignDialog(db, contact_ids, what, parent)
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    return dialog
