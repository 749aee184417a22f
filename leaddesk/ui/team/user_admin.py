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
from PySide6.QtGui import QBrush, QColor, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.errors import LeadDeskError, NotFound
from leaddesk.models.enums import Role
from leaddesk.services.team import users
from leaddesk.services.dto import TeamInfo, UserInfo
from leaddesk.services.records import Changes
from leaddesk.ui.errors import show_error
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.jobs import run_read, run_write
from leaddesk.ui.widgets.form_errors import FormErrors
from leaddesk.ui.widgets.form_guard import DiscardGuard, fields_snapshot
from leaddesk.ui.team.history_panel import restore_geometry, save_geometry


def _tr(text: str) -> str:
    return QCoreApplication.translate("UserAdmin", text)


def role_label(role: Role | str) -> str:
    return {Role.REP: _tr("Sales rep"), Role.MANAGER: _tr("Manager"), Role.ADMIN: _tr("Administrator")}[Role(role)]


# --- reading ---------------------------------------------------------------------------

def admin_problem(db: Database) -> str | None:
    """Why the signed-in user may not manage users (None: an active admin). Runs in a job."""
    if db.write.actor_id is None:
        return _tr("No user is signed in on this database, so nobody can manage users here.")
    try:
        me = users.get_user(db, db.write.actor_id)
    except NotFound:
        return _tr("The user you are signed in as no longer exists.")
    if me.role != Role.ADMIN or not me.active:
        return _tr("Only administrators can manage users. You are signed in as {0} ({1}); ask an "
                   "administrator of your team.").format(me.name, role_label(me.role).lower())
    return None


@dataclass(frozen=True)
class UserRow:
    user: UserInfo
    team_name: str | None
    #: The PostgreSQL login, None: none (or unknown: see AdminData.logins_supported).
    login: str | None

    @property
    def id(self) -> uuid.UUID:
        return self.user.id


@dataclass(frozen=True)
class AdminData:
    rows: tuple[UserRow, ...]
    teams: tuple[TeamInfo, ...]
    #: Logins can be created/disabled here (PostgreSQL with team_admin available).
    logins_supported: bool
    #: Why not, for the tooltip and the line under the list.
    logins_note: str | None


def _team_admin():
    """The login service, or None while it is not part of this LeadDesk."""
    try:
        from leaddesk.services.team import admin as team_admin
    except ImportError:
        return None
    return team_admin


def load_admin_data(db: Database) -> AdminData:
    people = users.list_users(db, include_inactive=True)
    teams = tuple(users.list_teams(db))
    team_names = {t.id: t.name for t in teams}
    logins: dict[uuid.UUID, str | None] = {}
    admin = _team_admin()
    supported, note = False, None
    if admin is None:
        note = _tr("This version of LeadDesk cannot manage database logins yet.")
    else:
        # (A replica knows each user's login too: it syncs. It cannot change it.)
        logins = {u.id: admin.login_name(db, u.id) for u in people}
        if db.dialect == "postgresql":
            supported = True
        else:
            note = _tr("Database logins are created and disabled on the team's PostgreSQL database "
                       "(open LeadDesk on it as an administrator); this is a local file.")
    rows = tuple(UserRow(u, team_names.get(u.team_id) if u.team_id else None, logins.get(u.id)) for u in people)
    return AdminData(rows, teams, supported, note)


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
