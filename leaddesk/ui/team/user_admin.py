"""Team ▸ Users…: the administrator's list of the team's users.

Add a user, edit one (name, e-mail, role, team), deactivate and reactivate (someone who
left keeps their records and stays in reports). On the team's PostgreSQL database, also
create a person's database login (the password is shown once) and disable or enable it:
offboarding is "deactivate + disable login" (sync notes 6.5).

Only administrators get the dialog: :func:`open_user_admin` checks the signed-in user
first. (That is the UI's courtesy; the database's own rules are what really protects
users, see models/access.py.) Login management goes through
``leaddesk.services.team.admin``, imported only when needed, so the dialog works (without
the login buttons) where that module or PostgreSQL is not available.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.errors import LeadDeskError
from leaddesk.services.team import users
from leaddesk.services.dto import UserInfo
from leaddesk.services.records import Changes
from leaddesk.ui.errors import show_error
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.jobs import run_read, run_write
from leaddesk.ui.team._user_admin_data import AdminData, UserRow, _team_admin, admin_problem, load_admin_data, role_label
from leaddesk.ui.team._user_dialogs import PasswordDialog, UserEditDialog
from leaddesk.ui.team.history_panel import restore_geometry, save_geometry


def _tr(text: str) -> str:
    return QCoreApplication.translate("UserAdmin", text)


# --- the list ----------------------------------------------------------------------------

class UserTableModel(QAbstractTableModel):
    """Name | E-mail | Role | Team | Active | Database login."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[UserRow] = []
        self.logins_supported = False
        self.logins_note: str | None = None
        self._titles = (_tr("Name"), _tr("E-mail"), _tr("Role"), _tr("Team"), _tr("Active"), _tr("Database login"))

    def set_data(self, data: AdminData) -> None:
        self.beginResetModel()
        self._rows = list(data.rows)
        self.logins_supported = data.logins_supported
        self.logins_note = data.logins_note
        self.endResetModel()

    def row_at(self, row: int) -> UserRow:
        return self._rows[row]

    def rows(self) -> list[UserRow]:
        return list(self._rows)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._titles)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self._titles):
            return self._titles[section]
        return None

    def _login_text(self, row: UserRow) -> str:
        return row.login or "—"

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        user = row.user
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (user.name, user.email, role_label(user.role), row.team_name or "—",
                    _tr("Yes") if user.active else _tr("No (deactivated)"), self._login_text(row))[column]
        if role == Qt.ItemDataRole.ForegroundRole and not user.active:
            return QBrush(QColor("#8a8a8a"))
        if role == Qt.ItemDataRole.ToolTipRole and column == 5 and self.logins_note:
            return self.logins_note
        if role == Roles.ROW:
            return row
        if role == Roles.ID:
            return user.id
        return None


@dataclass(frozen=True)
class _LoginMade:
    login: str | None
    password: str
    changes: Changes


# --- the dialog --------------------------------------------------------------------------

class UserAdminDialog(QDialog):
    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.db = db
        self.data: AdminData | None = None
        self.setWindowTitle(_tr("Users"))
        self.model = UserTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("usersTable")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        # A team has tens of users, not thousands: every column fits its longest text.
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _i: self.edit_user())

        self.add_button = QPushButton(_tr("&Add user…"))
        self.edit_button = QPushButton(_tr("&Edit…"))
        self.active_button = QPushButton(_tr("&Deactivate"))
        self.login_button = QPushButton(_tr("Create database &login…"))
        self.disable_login_button = QPushButton(_tr("D&isable login"))
        self.enable_login_button = QPushButton(_tr("E&nable login"))
        self.add_button.clicked.connect(self.add_user)
        self.edit_button.clicked.connect(self.edit_user)
        self.active_button.clicked.connect(self.toggle_active)
        self.login_button.clicked.connect(self.create_login)
        self.disable_login_button.clicked.connect(lambda: self.set_login_enabled(False))
        self.enable_login_button.clicked.connect(lambda: self.set_login_enabled(True))
        side = QVBoxLayout()
        for button in (self.add_button, self.edit_button, self.active_button):
            button.setAutoDefault(False)
            side.addWidget(button)
        self.login_box = QWidget()
        login_layout = QVBoxLayout(self.login_box)
        login_layout.setContentsMargins(0, 12, 0, 0)
        login_caption = QLabel(_tr("Team database:"))
        login_caption.setEnabled(False)
        login_layout.addWidget(login_caption)
        for button in (self.login_button, self.disable_login_button, self.enable_login_button):
            button.setAutoDefault(False)
            login_layout.addWidget(button)
        side.addWidget(self.login_box)
        side.addStretch(1)
        self.login_box.setVisible(db.dialect == "postgresql")
        row = QHBoxLayout()
        row.addWidget(self.table, 1)
        row.addLayout(side)

        self.note = QLabel()
        self.note.setObjectName("userAdminNote")
        self.note.setWordWrap(True)
        self.note.setEnabled(False)
        self.message = QLabel()
        self.message.setObjectName("userAdminMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("QLabel#userAdminMessage { color: #2e7d32; }")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        foot = QHBoxLayout()
        foot.addWidget(self.message, 1)
        foot.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(self.note)
        layout.addLayout(foot)
        self.resize(1080, 500)
        restore_geometry(self)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self._update_buttons()
        self.reload()

    # --- loading --------------------------------------------------------------------
    def reload(self, select: uuid.UUID | None = None) -> None:
        keep = select or (self.selected().id if self.selected() else None)
        run_read(self, lambda: load_admin_data(self.db)).success(lambda data: self._fill(data, keep)).run()

    def _fill(self, data: AdminData, select: uuid.UUID | None) -> None:
        self.data = data
        self.model.set_data(data)
        self.note.setText(data.logins_note or "")
        self.note.setVisible(bool(data.logins_note))
        self.login_box.setEnabled(data.logins_supported)
        target = next((i for i, r in enumerate(data.rows) if r.id == select), 0 if data.rows else -1)
        if target >= 0:
            self.table.selectRow(target)
        self._update_buttons()

    def selected(self) -> UserRow | None:
        if not self.table.selectionModel():
            return None
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(Roles.ROW) if rows else None

    def select_user(self, user_id) -> bool:
        for i, row in enumerate(self.model.rows()):
            if row.id == user_id:
                self.table.selectRow(i)
                return True
        return False

    def _update_buttons(self) -> None:
        row = self.selected()
        me = self.db.write.actor_id
        self.edit_button.setEnabled(row is not None)
        self.active_button.setEnabled(row is not None and row.id != me)
        self.active_button.setText(_tr("&Reactivate") if row is not None and not row.user.active
                                   else _tr("&Deactivate"))
        self.active_button.setToolTip(_tr("You cannot deactivate yourself.") if row is not None and row.id == me
                                      else "")
        logins = self.data is not None and self.data.logins_supported
        self.login_button.setEnabled(logins and row is not None and row.login is None and row.user.active)
        self.disable_login_button.setEnabled(logins and row is not None and row.login is not None)
        self.enable_login_button.setEnabled(logins and row is not None and row.login is not None
                                            and row.user.active)

    # --- actions --------------------------------------------------------------------
    def ask(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    def _teams(self):
        return self.data.teams if self.data is not None else ()

    def add_user(self) -> UserEditDialog:
        dialog = UserEditDialog(self.db, self._teams(), parent=self)
        dialog.accepted.connect(lambda: self._after_edit(dialog, _tr("Added {0}.")))
        dialog.open()
        return dialog

    def edit_user(self) -> UserEditDialog | None:
        row = self.selected()
        if row is None:
            return None
        dialog = UserEditDialog(self.db, self._teams(), row.user, me=self.db.write.actor_id, parent=self)
        dialog.accepted.connect(lambda: self._after_edit(dialog, _tr("Saved {0}.")))
        dialog.open()
        return dialog

    def _after_edit(self, dialog: UserEditDialog, message: str) -> None:
        saved = dialog.saved_user
        if saved is not None:
            self.message.setText(message.format(saved.name))
            self.reload(select=saved.id)

    def toggle_active(self) -> None:
        row = self.selected()
        if row is None or row.id == self.db.write.actor_id:
            return
        user, db = row.user, self.db
        activate = not user.active
        if not activate:
            text = _tr("Deactivate {0}? Their records stay (and keep them as owner), but they can no longer be "
                       "chosen for new work.").format(user.name)
            if row.login is not None:
                text += " " + _tr("Their database login {0} is disabled too.").format(row.login)
            if not self.ask(_tr("Deactivate user"), text):
                return
        disable_login = not activate and row.login is not None

        def work() -> UserInfo:
            info = users.update_user(db, user.id, expected_version=user.version, active=activate)
            if disable_login:
                admin = _team_admin()
                if admin is not None:
                    admin.set_login_enabled(db, user.id, False)
            return info

        done = _tr("Reactivated {0}.") if activate else _tr("Deactivated {0}.")
        run_write(self, work).success(lambda info: self._done(done.format(info.name), info.id)).run()

    def create_login(self) -> None:
        row = self.selected()
        admin = _team_admin()
        if row is None or admin is None or row.login is not None:
            return
        if not self.ask(_tr("Create database login"),
                        _tr("Create a login to the team database for {0}? A password is generated and shown "
                            "once.").format(row.user.name)):
            return
        db, ident = self.db, row.id

        def work() -> _LoginMade:
            password = admin.create_login(db, ident)
            return _LoginMade(admin.login_name(db, ident), password, Changes.of("app_user", ident))

        def made(result: _LoginMade) -> None:
            self._done(_tr("Created the database login of {0}.").format(row.user.name), ident)
            self.show_password(row.user.name, result.login, result.password)

        run_write(self, work).success(made).run()

    def show_password(self, person: str, login: str | None, password: str) -> PasswordDialog:
        dialog = PasswordDialog(person, login, password, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.password_dialog = dialog
        dialog.open()
        return dialog

    def set_login_enabled(self, enabled: bool) -> None:
        row = self.selected()
        admin = _team_admin()
        if row is None or admin is None or row.login is None:
            return
        db, ident = self.db, row.id

        def work() -> Changes:
            admin.set_login_enabled(db, ident, enabled)
            return Changes.of("app_user", ident)

        text = (_tr("Enabled the database login {0}.") if enabled else _tr("Disabled the database login {0}."))
        run_write(self, work).success(lambda _c: self._done(text.format(row.login), ident)).run()

    def _done(self, message: str, select: uuid.UUID) -> None:
        self.message.setText(message)
        self.reload(select=select)

    def done(self, result: int) -> None:
        save_geometry(self)
        super().done(result)


def open_user_admin(parent: QWidget | None, db: Database) -> None:
    """Open the user administration if the signed-in user is an administrator; otherwise
    say clearly why not. (The check reads the database, so it runs as a job.)"""

    def decided(problem: str | None) -> None:
        if problem:
            QMessageBox.information(parent, _tr("Users"), problem)
            return
        dialog = UserAdminDialog(db, parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    def failed(exc: BaseException) -> None:
        if isinstance(exc, LeadDeskError):
            QMessageBox.information(parent, _tr("Users"), str(exc))
        else:
            show_error(parent, exc)

    run_read(parent, lambda: admin_problem(db)).success(decided).failure(failed).run()
