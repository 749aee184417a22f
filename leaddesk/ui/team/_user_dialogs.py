"""The user administration's own dialogs: add or edit one user (name, e-mail, role, team;
saves itself in a write job) and the new database password shown once.

Apart from :mod:`leaddesk.ui.team.user_admin`, the list that opens them: each is a form
of its own, used (and tested) without the list.
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from leaddesk.db import Database
from leaddesk.models.enums import Role
from leaddesk.services.team import users
from leaddesk.services.dto import UserInfo
from leaddesk.ui.errors import show_error
from leaddesk.ui.jobs import run_write
from leaddesk.ui.widgets.form_errors import FormErrors
from leaddesk.ui.widgets.form_guard import DiscardGuard, fields_snapshot
from leaddesk.ui.team._user_admin_data import role_label


def _tr(text: str) -> str:
    return QCoreApplication.translate("UserAdmin", text)


# --- add / edit --------------------------------------------------------------------------

class UserEditDialog(QDialog):
    """Name, e-mail, role and team of a new or existing user; saves itself (write job)."""

    def __init__(self, db: Database, teams, user: UserInfo | None = None, *, me: uuid.UUID | None = None,
                 parent=None):
        super().__init__(parent)
        self.db = db
        self.user = user
        self.saved_user: UserInfo | None = None
        self.setWindowTitle(_tr("Edit user — {0}").format(user.name) if user else _tr("Add user"))
        self.name = QLineEdit(user.name if user else "")
        self.email = QLineEdit(user.email if user else "")
        self.email.setPlaceholderText(_tr("name@company.com"))
        self.role = QComboBox()
        for role in Role:
            self.role.addItem(role_label(role), role.value)
        self.role.setCurrentIndex(self.role.findData((user.role if user else Role.REP).value))
        self.team = QComboBox()
        self.team.addItem(_tr("No team"), "")
        for team in teams:
            self.team.addItem(team.name, team.id)
        if user and user.team_id:
            index = next((i for i in range(self.team.count()) if self.team.itemData(i) == user.team_id), -1)
            if index < 0:  # a team since deleted: keep it unless the admin picks another
                self.team.addItem(_tr("(a deleted team)"), user.team_id)
                index = self.team.count() - 1
            self.team.setCurrentIndex(index)
        if user is not None and me is not None and user.id == me:
            self.role.setEnabled(False)  # an admin cannot demote themselves and lock everyone out
            self.role.setToolTip(_tr("You cannot change your own role."))
        form = QFormLayout()
        form.addRow(_tr("&Name:"), self.name)
        form.addRow(_tr("&E-mail:"), self.email)
        form.addRow(_tr("&Role:"), self.role)
        form.addRow(_tr("&Team:"), self.team)
        fields = {"name": self.name, "email": self.email, "role": self.role, "team_id": self.team}
        self.errors = FormErrors(self, fields)
        self.error = self.errors.label
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_tr("Save") if user else _tr("Add user"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.errors.install(layout)
        self.guard = DiscardGuard(self, fields_snapshot(fields), what=_tr("this user"))
        self.guard.mark_clean()
        self.setMinimumWidth(420)
        self.name.setFocus()

    def reject(self) -> None:
        """Esc, Cancel and the window's close button: ask first if something was changed."""
        if self.guard.confirm_discard():
            super().reject()

    def values(self) -> dict:
        return {"name": self.name.text(), "email": self.email.text(), "role": self.role.currentData(),
                "team_id": self.team.currentData() or None}

    def changed_values(self) -> dict:
        values = self.values()
        if self.user is None:
            return values
        old = {"name": self.user.name, "email": self.user.email, "role": Role(self.user.role).value,
               "team_id": self.user.team_id}
        return {k: v for k, v in values.items() if v != old[k]}

    def submit(self) -> None:
        self.errors.clear()
        db, user, values = self.db, self.user, self.changed_values()
        if user is not None and not values:
            self.accept()
            return
        if user is None:
            work = lambda: users.create_user(db, values["name"], values["email"], role=values["role"],  # noqa: E731
                                             team_id=values["team_id"])
        else:
            work = lambda: users.update_user(db, user.id, expected_version=user.version, **values)  # noqa: E731
        self.ok_button.setEnabled(False)
        run_write(self, work).success(self._on_saved).failure(self._on_failed).run()

    def _on_saved(self, info: UserInfo) -> None:
        self.saved_user = info
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        if not self.errors.show(exc):
            show_error(self, exc)


class PasswordDialog(QDialog):
    """Shows a new database password once, with a Copy button."""

    def __init__(self, person: str, login: str | None, password: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(_tr("Database login created"))
        text = QLabel(_tr("{0} can now sign in to the team database as <b>{1}</b> with this password.<br>"
                          "It is shown only this once: give it to {0} in person or through your password "
                          "manager. LeadDesk does not keep it.").format(person, login or _tr("their login")))
        text.setWordWrap(True)
        self.password = QLineEdit(password)
        self.password.setObjectName("newPassword")
        self.password.setReadOnly(True)
        self.password.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy_button = QPushButton(_tr("&Copy"))
        self.copy_button.clicked.connect(self.copy)
        self.copied = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.password, 1)
        row.addWidget(self.copy_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(row)
        layout.addWidget(self.copied)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.password.text())
        self.copied.setText(_tr("Copied to the clipboard."))

    def done(self, result: int) -> None:
        self.password.clear()  # do not keep it in memory longer than needed
        super().done(result)
