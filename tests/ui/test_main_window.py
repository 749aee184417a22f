"""The main window as a user meets it: navigation, shortcuts, search, account view."""

from __future__ import annotations

from PySide6.QtCore import Qt

from leaddesk.services import accounts, contacts, pipeline
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.widgets.main_window import MainWindow


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
