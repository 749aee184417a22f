"""Team ▸ Users…: administrators manage the team's users (and, on PostgreSQL, their logins)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from leaddesk.models.enums import Role
from leaddesk.services.team import admin as team_admin, users
from leaddesk.ui.team import _user_admin_data, user_admin
from leaddesk.ui.team._user_dialogs import PasswordDialog, UserEditDialog
from leaddesk.ui.team.user_admin import UserAdminDialog, UserTableModel


@pytest.fixture
def team(db):
    north = users.create_team(db, "North")
    bob = users.create_user(db, "Bob Berger", "bob@example.com", role=Role.REP, team_id=north.id)
    cem = users.create_user(db, "Cem Kaya", "cem@example.com", role=Role.MANAGER, team_id=north.id)
    return {"north": north, "bob": bob, "cem": cem}


@pytest.fixture
def dialog(qtbot, db, team):
    d = UserAdminDialog(db)
    qtbot.addWidget(d)
    d.show()
    return d


def _cells(model: UserTableModel) -> list[list[str]]:
    return [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]


@pytest.fixture
def informed(monkeypatch):
    shown = []
    monkeypatch.setattr(user_admin.QMessageBox, "information", lambda parent, title, text: shown.append(text))
    return shown


def test_user_model_passes_the_qt_model_tester(qtmodeltester, db, team):
    model = UserTableModel()
    model.set_data(_user_admin_data.load_admin_data(db))
    assert model.rowCount() == 3
    qtmodeltester.check(model)


def test_admin_opens_the_user_list(qtbot, db, team, informed):
    host = QWidget()
    qtbot.addWidget(host)
    user_admin.open_user_admin(host, db)
    dialog = host.findChild(UserAdminDialog)
    assert dialog is not None and dialog.isVisible() and informed == []
    qtbot.addWidget(dialog)
    rows = _cells(dialog.model)
    assert [r[:5] for r in rows] == [
        ["Ada Admin", "ada@example.com", "Administrator", "—", "Yes"],
        ["Bob Berger", "bob@example.com", "Sales rep", "North", "Yes"],
        ["Cem Kaya", "cem@example.com", "Manager", "North", "Yes"],
    ]
    assert all(r[5] == "—" for r in rows)  # nobody has a database login yet


def test_a_rep_cannot_open_user_admin(qtbot, db, make_db, team, informed):
    as_bob = make_db(actor_id=team["bob"].id)
    host = QWidget()
    qtbot.addWidget(host)
    user_admin.open_user_admin(host, as_bob)
    assert host.findChild(UserAdminDialog) is None
    assert len(informed) == 1
    assert "Only administrators can manage users" in informed[0] and "Bob Berger (sales rep)" in informed[0]
    assert _user_admin_data.admin_problem(make_db(actor_id=team["cem"].id))  # managers neither
    assert "No user is signed in" in _user_admin_data.admin_problem(make_db())


def test_admin_adds_and_edits_a_user(qtbot, db, dialog, team):
    add = dialog.add_user()
    qtbot.addWidget(add)
    qtbot.keyClicks(add.name, "Dana Demir")
    qtbot.keyClicks(add.email, "bob@example.com")  # taken
    add.role.setCurrentIndex(add.role.findData("manager"))
    add.team.setCurrentIndex(add.team.findText("North"))
    qtbot.mouseClick(add.ok_button, Qt.MouseButton.LeftButton)
    assert add.isVisible() and "already exists" in add.error.text()
    add.email.setText("dana@example.com")
    qtbot.mouseClick(add.ok_button, Qt.MouseButton.LeftButton)
    assert not add.isVisible()
    dana = next(u for u in users.list_users(db) if u.name == "Dana Demir")
    assert (dana.role, dana.team_id) == (Role.MANAGER, team["north"].id)
    assert dialog.selected().id == dana.id and "Added Dana Demir." == dialog.message.text()

    dialog.select_user(team["bob"].id)
    edit = dialog.edit_user()
    qtbot.addWidget(edit)
    edit.role.setCurrentIndex(edit.role.findData("manager"))
    edit.team.setCurrentIndex(edit.team.findData(""))
    assert edit.changed_values() == {"role": "manager", "team_id": None}
    qtbot.mouseClick(edit.ok_button, Qt.MouseButton.LeftButton)
    bob = users.get_user(db, team["bob"].id)
    assert (bob.role, bob.team_id) == (Role.MANAGER, None)
    assert _cells(dialog.model)[1][2:4] == ["Manager", "—"]


def test_admin_cannot_demote_or_deactivate_themselves(qtbot, db, dialog):
    dialog.select_user(db.write.actor_id)
    assert not dialog.active_button.isEnabled()
    edit = dialog.edit_user()
    qtbot.addWidget(edit)
    assert not edit.role.isEnabled()


def test_admin_deactivates_and_reactivates(qtbot, db, dialog, team, monkeypatch):
    asked = []
    monkeypatch.setattr(dialog, "ask", lambda title, text: asked.append(text) or True)
    dialog.select_user(team["bob"].id)
    assert dialog.active_button.text() == "&Deactivate"
    qtbot.mouseClick(dialog.active_button, Qt.MouseButton.LeftButton)
    assert asked and "Deactivate Bob Berger?" in asked[0]
    assert not users.get_user(db, team["bob"].id).active
    assert dialog.selected().id == team["bob"].id
    assert _cells(dialog.model)[1][4] == "No (deactivated)"
    assert dialog.active_button.text() == "&Reactivate"
    qtbot.mouseClick(dialog.active_button, Qt.MouseButton.LeftButton)
    assert users.get_user(db, team["bob"].id).active
    assert len(asked) == 1  # reactivating needs no confirmation


def test_login_buttons_only_on_postgresql(qtbot, db, dialog, team):
    assert dialog.login_box.isVisibleTo(dialog) == (db.dialect == "postgresql")
    if db.dialect == "sqlite":
        assert "PostgreSQL" in dialog.note.text() and dialog.note.isVisibleTo(dialog)


@pytest.mark.postgres_only  # database logins live on the team's PostgreSQL
def test_admin_creates_shows_once_and_disables_a_database_login(qtbot, db, dialog, team, monkeypatch):
    calls = []

    def create_login(db_, user_id, *, password=None):
        calls.append(("create", user_id))
        with db_.unit_of_work() as s:  # what the real one records: the user's login name
            from leaddesk.models import User

            s.get(User, user_id).db_role = "ld_bob"
        return "s3cret-Once"

    monkeypatch.setattr(team_admin, "create_login", create_login)
    monkeypatch.setattr(team_admin, "set_login_enabled", lambda db_, uid, on: calls.append(("enabled", uid, on)))
    monkeypatch.setattr(dialog, "ask", lambda title, text: True)
    dialog.select_user(team["bob"].id)
    assert dialog.login_button.isEnabled() and not dialog.disable_login_button.isEnabled()
    qtbot.mouseClick(dialog.login_button, Qt.MouseButton.LeftButton)
    shown: PasswordDialog = dialog.password_dialog  # (a child of the dialog, deleted on close)
    assert shown.isVisible() and shown.password.text() == "s3cret-Once" and shown.password.isReadOnly()
    qtbot.mouseClick(shown.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == "s3cret-Once"
    field = shown.password
    shown.done(0)
    assert field.text() == ""  # not kept
    assert _cells(dialog.model)[1][5] == "ld_bob"
    assert not dialog.login_button.isEnabled() and dialog.disable_login_button.isEnabled()
    qtbot.mouseClick(dialog.disable_login_button, Qt.MouseButton.LeftButton)
    assert calls == [("create", team["bob"].id), ("enabled", team["bob"].id, False)]
    assert "Disabled the database login ld_bob." == dialog.message.text()
    # Deactivating someone with a login disables the login too (offboarding).
    qtbot.mouseClick(dialog.active_button, Qt.MouseButton.LeftButton)
    assert calls[-1] == ("enabled", team["bob"].id, False) and len(calls) == 3


def test_edit_dialog_without_changes_just_closes(qtbot, db, team):
    edit = UserEditDialog(db, [], team["bob"])
    qtbot.addWidget(edit)
    edit.show()
    edit.submit()
    assert not edit.isVisible() and edit.saved_user is None
