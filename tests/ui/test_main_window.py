"""The main window as a user meets it: navigation, shortcuts, search, account view."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from leaddesk.services.people import accounts, contacts
from leaddesk.services.pipeline import opportunities as pipeline
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.shell.main_window import MainWindow


def make_window(qtbot, db) -> MainWindow:
    window = MainWindow(db, user_label="Ada")
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)  # menu shortcuts need an active window
    window.load()
    return window


def test_main_window_pages_switch_with_ctrl_number(qtbot, db):
    window = make_window(qtbot, db)
    assert window.current_page_name() == "accounts"
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page_name() == "contacts"
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page_name() == "pipeline"
    assert window.pipeline_page.board is not None  # loaded when first shown


def test_main_window_opening_an_account_shows_its_contacts_and_own_board(qtbot, db):
    acme = accounts.create_account(db, name="Acme", city="Izmir")
    contacts.create_contact(db, given_name="Ayşe", family_name="Yılmaz", account_id=acme.id)
    first = pipeline.create_opportunity(db, acme.id, "Fleet", amount="1000", currency="EUR")
    second = pipeline.create_opportunity(db, acme.id, "Parts", amount="200", currency="EUR")
    other = accounts.create_account(db, name="Other")
    pipeline.create_opportunity(db, other.id, "Elsewhere", amount="5", currency="EUR")
    window = make_window(qtbot, db)
    table = window.accounts_page.table
    table.setCurrentIndex(window.accounts_page.model.index(0, 0))
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert window.current_page_name() == "account"
    view = window.account_view
    assert view.title.text() == "Acme"
    assert view.contacts_model.rowCount() == 1
    ids = {view.board.model.index(r, 0).data(Roles.ID) for r in range(view.board.model.rowCount())}
    assert {first.id, second.id} <= ids and len(ids) == 2
    qtbot.mouseClick(view.back, Qt.MouseButton.LeftButton)
    assert window.current_page_name() == "accounts"


def test_main_window_ctrl_k_search_opens_the_contact(qtbot, db):
    contacts.create_contact(db, given_name="Jörg", family_name="Müller", emails=["jm@example.de"])
    window = make_window(qtbot, db)
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    dialog = window.search_dialog
    assert dialog.isVisible()
    with qtbot.waitSignal(dialog.results_shown, timeout=2000):
        qtbot.keyClicks(dialog.edit, "mull")  # QTest types ASCII only; folding finds Müller
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    assert window.current_page_name() == "contacts"
    assert window.contacts_page.current_contact_id() is not None


def test_main_window_remembers_its_geometry(qtbot, db):
    """(The offscreen screen is 800x800, so widths are clamped: the height tells.)"""
    window = make_window(qtbot, db)
    assert window.height() != 480  # no saved state yet: the default size
    window.resize(760, 480)
    window.close()
    again = MainWindow(db, user_label="Ada")
    qtbot.addWidget(again)
    assert again.height() == 480


def test_main_window_right_to_left_layout(qtbot, db):
    from PySide6.QtWidgets import QApplication

    QApplication.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    try:
        window = make_window(qtbot, db)
        window.resize(1000, 600)
        assert window.nav.mapTo(window, window.nav.rect().topLeft()).x() > window.width() // 2
    finally:
        QApplication.setLayoutDirection(Qt.LayoutDirection.LeftToRight)


# --- Team menu ------------------------------------------------------------------------------

def test_main_window_team_menu_holds_sync_conflicts_duplicates_trash_and_users(qtbot, db):
    window = make_window(qtbot, db)
    titles = [a.text() for a in window.team_menu.actions()]
    assert titles == ["&Sync now", "&Conflicts…", "&Duplicates…", "S&peed-to-lead && persistence…", "",
                      "&Join team…", "", "&Trash", "&Users…"]
    assert window.sync_action.shortcut().toString() == "F9"
    assert not window.sync_action.isEnabled()  # no team server configured


def test_main_window_trash_opens_once_and_a_restore_refreshes_the_pages(qtbot, db):
    from leaddesk.ui.team.trash_view import TrashDialog

    acme = accounts.create_account(db, name="Acme")
    accounts.create_account(db, name="Beta")
    accounts.delete_account(db, acme.id)
    window = make_window(qtbot, db)
    model = window.accounts_page.model
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["Beta"]
    dialog = window.open_trash()
    assert isinstance(dialog, TrashDialog) and dialog.isVisible()
    assert window.open_trash() is dialog
    dialog.view.select_id(acme.id)
    dialog.view.restore_selected()
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["Acme", "Beta"]
    assert "Restored account “Acme”." in (dialog.message.text(), window.statusBar().currentMessage())
    dialog.close()
    assert window.open_trash() is not None


def test_main_window_conflicts_and_duplicates_are_loaded_when_asked(qtbot, db, monkeypatch):
    import sys
    import types

    from leaddesk.ui.shell import _team_menu as mw

    window = make_window(qtbot, db)
    opened = []
    for path, func in (("team.conflict_inbox", "open_conflict_inbox"), ("people.duplicate_review", "open_duplicate_review")):
        name = path.split(".")[1]
        module = types.ModuleType(f"leaddesk.ui.{path}")
        setattr(module, func, lambda parent, n=name: opened.append((n, parent)) or n)
        monkeypatch.setitem(sys.modules, module.__name__, module)
    assert window.open_conflicts() == "conflict_inbox"
    assert window.open_duplicates() == "duplicate_review"
    assert opened == [("conflict_inbox", window), ("duplicate_review", window)]

    # Before those modules exist, the window still works and says so.
    def missing(name):
        raise ModuleNotFoundError(f"No module named '{name}'", name=name)

    told = []
    monkeypatch.setattr(mw.importlib, "import_module", missing)
    monkeypatch.setattr(mw.QMessageBox, "information", lambda parent, title, text: told.append(text))
    assert window.open_conflicts() is None and window.open_duplicates() is None
    assert told == ["The conflict inbox is not part of this version of LeadDesk yet.",
                    "The duplicate review is not part of this version of LeadDesk yet."]


def test_main_window_users_opens_for_an_admin(qtbot, db):
    from leaddesk.ui.team.user_admin import UserAdminDialog

    window = make_window(qtbot, db)
    window.open_users()
    dialog = window.findChild(UserAdminDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.model.rowCount() == 1


def test_main_window_conflicts_badge_opens_the_inbox(qtbot, db, monkeypatch):
    opened = []
    monkeypatch.setattr(MainWindow, "open_conflicts", lambda self: opened.append(self))
    window = make_window(qtbot, db)
    if not hasattr(window.sync.label, "conflicts_clicked"):
        pytest.skip("this status bar has no conflicts badge")
    window.sync.label.conflicts_clicked.emit()
    assert opened == [window]
