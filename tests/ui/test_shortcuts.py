"""One key, one action, asked of Qt itself (issue #10, point 3).

For every page of the main window and every dialog a user can reach, the walk presses
every key that something claims there (menu and page actions, QShortcuts, and the
Alt+letter mnemonics of labels, buttons and menus) from every focusable widget, and lets
Qt's own shortcut map decide. An application event filter records each shortcut event
and swallows it, so nothing runs; an event Qt marks ambiguous (what makes it print
"Ambiguous shortcut overload" and run nothing) fails the test with the key, the place
and the claimants. Disabled actions are enabled for the walk: Undo or Delete must not
clash once they become available either.
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QLabel,
    QMenuBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from leaddesk.config import Settings
from leaddesk.models.enums import LifecycleStage
from leaddesk.services.people import accounts, contacts
from leaddesk.services.pipeline import board, opportunities as pipeline
from leaddesk.services.team import users
from leaddesk.ui.people.account_editor import AccountEditorDialog
from leaddesk.ui.people._stage_dialog import StageDialog
from leaddesk.ui.people.contact_editor import ContactEditorDialog
from leaddesk.ui.shell._window_layout import PAGES
from leaddesk.ui.shell.main_window import MainWindow
from leaddesk.ui.pipeline._new_opportunity_dialog import NewOpportunityDialog
from leaddesk.ui.pipeline.opportunity_dialogs import EditOpportunityDialog, LostDialog, NextStepDialog


class ShortcutSpy(QObject):
    """Records (and swallows) every shortcut event Qt dispatches."""

    def __init__(self):
        super().__init__()
        self.events: list[tuple[QObject, str, bool]] = []

    def eventFilter(self, watched, event):  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Shortcut:
            self.events.append((watched, event.key().toString(), event.isAmbiguous()))
            return True
        return False


def _mnemonic(text: str) -> QKeySequence | None:
    key = QKeySequence.mnemonic(text)
    return None if key.isEmpty() else key


def claims(window: QWidget) -> dict[str, list[str]]:
    """Key -> what claims it in this window (actions, QShortcuts, mnemonics)."""
    found: dict[str, list[str]] = {}

    def add(key: QKeySequence, what: str) -> None:
        if not key.isEmpty():
            found.setdefault(key.toString(), []).append(what)

    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            add(key, f"action {action.text()!r}")
    for shortcut in window.findChildren(QShortcut):
        for key in shortcut.keys():
            add(key, f"QShortcut on {type(shortcut.parent()).__name__}")
    for label in window.findChildren(QLabel):
        if label.buddy() is not None and (key := _mnemonic(label.text())):
            add(key, f"label {label.text()!r}")
    for button in window.findChildren(QAbstractButton):
        if key := _mnemonic(button.text()):
            add(key, f"button {button.text()!r}")
    for bar in window.findChildren(QMenuBar):
        for action in bar.actions():
            if key := _mnemonic(action.text()):
                add(key, f"menu {action.text()!r}")
    return found


def _focus_targets(area: QWidget) -> list[QWidget]:
    widgets = [area] + area.findChildren(QWidget)
    return [w for w in widgets if w.isVisible() and w.isEnabled()
            and w.focusPolicy() & Qt.FocusPolicy.TabFocus and not isinstance(w, QMenuBar)]


def ambiguous_presses(qtbot, window: QWidget, area: QWidget | None = None, place: str = "") -> list[str]:
    """Press every claimed key from every focusable widget of ``area``; the ambiguous ones."""
    area = area or window
    claimed = claims(window)
    disabled = [a for a in window.findChildren(QAction) if not a.isEnabled()]
    disabled += [s for s in window.findChildren(QShortcut) if not s.isEnabled()]
    for obj in disabled:
        obj.setEnabled(True)
    spy = ShortcutSpy()
    app = QApplication.instance()
    app.installEventFilter(spy)
    problems: list[str] = []
    try:
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=2000)
        for target in _focus_targets(area):
            target.setFocus(Qt.FocusReason.OtherFocusReason)
            for text in claimed:
                combo = QKeySequence(text)[0]
                spy.events.clear()
                qtbot.keyClick(target, combo.key(), combo.keyboardModifiers())
                for receiver, key, ambiguous in spy.events:
                    if ambiguous:
                        problems.append(f"{place or window.windowTitle()}: {key} is ambiguous with the focus on "
                                        f"{type(target).__name__} {target.objectName()!r}: {claimed[text]}")
    finally:
        app.removeEventFilter(spy)
        for obj in disabled:
            obj.setEnabled(False)
    return sorted(set(problems))


def show(qtbot, widget: QWidget) -> QWidget:
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def data(db):
    acme = accounts.create_account(db, name="Acme", country="DE")
    ana = contacts.create_contact(db, given_name="Ana", family_name="Ruiz", account_id=acme.id,
                                  emails=["ana@acme.example"], phones=["+49 30 1234567"])
    deal = pipeline.create_opportunity(db, acme.id, "Forklifts", amount="1000", currency="EUR",
                                       expected_close_date=dt.date.today() + dt.timedelta(days=30))
    return {"account": acme, "contact": ana, "deal": deal}


def test_shortcuts_walk_every_page_of_the_main_window(qtbot, db, data):
    window = show(qtbot, MainWindow(db, user_label="Ada"))
    window.load()
    problems = []
    for name in PAGES:
        window.show_page(name)
        if name == "contacts":  # a selected contact shows the detail panel's buttons too
            window.contacts_page.select_contact(data["contact"].id)
            qtbot.waitUntil(lambda: window.contacts_page.detail.contact is not None, timeout=2000)
        QApplication.processEvents()
        problems += ambiguous_presses(qtbot, window, window.pages.currentWidget(), name)
    window.open_account(data["account"].id)
    QApplication.processEvents()
    problems += ambiguous_presses(qtbot, window, window.account_view, "account view")
    assert problems == [], "\n".join(problems)


def test_shortcuts_walk_the_first_start_window(qtbot, empty_db):
    """An empty database: the window with its first-start hints."""
    window = show(qtbot, MainWindow(empty_db))
    window.load()
    QApplication.processEvents()
    problems = ambiguous_presses(qtbot, window, place="first start")
    assert problems == [], "\n".join(problems)


def _dialogs(qtbot, db, data, tmp_path) -> list[QDialog]:
    """Every dialog a user can open, opened the way the app opens it where that is not modal."""
    window = show(qtbot, MainWindow(db, user_label="Ada"))
    window.load()
    the_board = board.load_board(db)
    card = next(c for c in the_board.cards if c.id == data["deal"].id)
    team = users.list_teams(db)
    me = users.list_users(db)[0]
    from leaddesk.ui.team.conflict_inbox import ConflictInboxDialog
    from leaddesk.ui.followups.log_dialog import LogActivityDialog
    from leaddesk.ui.people.duplicate_review import DuplicateReviewDialog
    from leaddesk.ui.shell.help_dialog import open_shortcuts
    from leaddesk.ui.team.history_panel import HistoryDialog
    from leaddesk.ui.team.join_dialog import JoinDialog
    from leaddesk.ui.pipeline.lost_reasons_dialog import LostReasonsDialog
    from leaddesk.ui.team.trash_view import TrashDialog
    from leaddesk.ui.team._user_dialogs import PasswordDialog, UserEditDialog
    from leaddesk.ui.team.user_admin import UserAdminDialog

    dialogs = [
        ContactEditorDialog(db, None, window),
        ContactEditorDialog(db, data["contact"].id, window),
        AccountEditorDialog(db, None, window),
        AccountEditorDialog(db, accounts.get_account(db, data["account"].id), window),
        NewOpportunityDialog(db, pipeline_id=the_board.pipeline_id, currency=the_board.currency,
                             stages=the_board.stages, parent=window),
        EditOpportunityDialog(db, card, window),
        LostDialog(db, card, window),
        NextStepDialog(card, window),
        StageDialog(LifecycleStage.LEAD, "Ana Ruiz", window),
        LostReasonsDialog(db, window),
        UserAdminDialog(db, window),
        UserEditDialog(db, team, None, parent=window),
        UserEditDialog(db, team, me, me=me.id, parent=window),
        PasswordDialog("Ana", "ana", "secret", window),
        JoinDialog(Settings(data_dir=tmp_path / "join"), window),
        ConflictInboxDialog(db, window),
        DuplicateReviewDialog(db, window),
        TrashDialog(db, window),
        HistoryDialog(db, "contact", data["contact"].id, "Ana Ruiz", window),
        window.search_dialog,
        LogActivityDialog(db, contact_id=data["contact"].id, about="Ana Ruiz", parent=window),
        open_shortcuts(window),
    ]
    return dialogs


def test_shortcuts_walk_every_dialog(qtbot, db, data, tmp_path):
    problems = []
    names = []
    for dialog in _dialogs(qtbot, db, data, tmp_path):
        dialog.show()
        qtbot.waitExposed(dialog)
        names.append(type(dialog).__name__)
        problems += ambiguous_presses(qtbot, dialog, place=f"{type(dialog).__name__} “{dialog.windowTitle()}”")
        dialog.done(QDialog.DialogCode.Rejected)  # closes without asking (nothing typed anyway)
    assert len(names) >= 20
    assert problems == [], "\n".join(problems)


def test_shortcuts_ctrl_s_saves_in_the_contact_editor_without_ambiguity(qtbot, db, qtlog):
    dialog = show(qtbot, ContactEditorDialog(db))
    qtbot.keyClicks(dialog.fields["given_name"], "Mina")
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.keyClick(dialog.fields["given_name"], Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert [c.display_name for c in contacts.list_contacts(db).items] == ["Mina"]
    assert not [r for r in qtlog.records if "Ambiguous" in r.message]


class _Clashing(QDialog):
    def __init__(self):
        super().__init__()
        self.setWindowTitle("Clash")
        layout = QVBoxLayout(self)
        self.first = QPushButton("&Save draft")
        self.second = QPushButton("&Send")  # the same Alt+S
        layout.addWidget(self.first)
        layout.addWidget(self.second)
        QShortcut(QKeySequence("Ctrl+D"), self)
        QShortcut(QKeySequence("Ctrl+D"), self.first)


def test_shortcuts_walk_catches_a_clash(qtbot):
    """The walk can fail: two QShortcuts on one key, and two buttons on one Alt+letter."""
    dialog = show(qtbot, _Clashing())
    found = ambiguous_presses(qtbot, dialog)
    assert any(": Ctrl+D is ambiguous" in p for p in found), found
    assert any(": Alt+S is ambiguous" in p for p in found), found


def test_shortcuts_walk_finds_the_contact_pages_ctrl_n_without_the_windows_routing(qtbot, db, monkeypatch):
    """Issue #10's bug, put back: with the page's own Ctrl+N and F5 left beside the menu's,
    the walk reports both keys on the Contacts page."""
    monkeypatch.setattr(MainWindow, "_route_page_shortcuts", lambda self: None)
    window = show(qtbot, MainWindow(db, user_label="Ada"))
    window.load()
    window.show_page("contacts")
    QApplication.processEvents()
    found = ambiguous_presses(qtbot, window, window.contacts_page, "contacts")
    assert any("Ctrl+N is ambiguous" in p for p in found), found
    assert any("F5 is ambiguous" in p for p in found), found
