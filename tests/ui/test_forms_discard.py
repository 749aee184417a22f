"""Esc, Cancel and the window's close button on a form (issue #10, point 5): a clean form
closes at once; a form with typed changes asks first, "Keep editing" keeps every letter,
"Discard" closes and writes nothing. Both engines (the ``db`` fixture)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLineEdit

from leaddesk.services.people import accounts, contacts
from leaddesk.services.pipeline import board, opportunities as pipeline
from leaddesk.services.team import users
from leaddesk.ui.people.account_editor import AccountEditorDialog
from leaddesk.ui.people.contact_editor import ContactEditorDialog
from leaddesk.ui.widgets.form_guard import DiscardGuard
from leaddesk.ui.pipeline._new_opportunity_dialog import NewOpportunityDialog
from leaddesk.ui.pipeline.opportunity_dialogs import EditOpportunityDialog, LostDialog, NextStepDialog
from leaddesk.ui.team._user_dialogs import UserEditDialog


@pytest.fixture
def answers(monkeypatch):
    """The discard question, answered by the test: ``answers.reply`` (True: discard)."""

    class Answers:
        reply = False
        asked: list = []

    Answers.asked = []

    def ask(guard):
        Answers.asked.append(guard.dialog)
        return Answers.reply

    monkeypatch.setattr(DiscardGuard, "ask", ask)
    return Answers


@pytest.fixture
def deal(db):
    acme = accounts.create_account(db, name="Acme")
    made = pipeline.create_opportunity(db, acme.id, "Forklifts", amount="1000", currency="EUR",
                                       expected_close_date=dt.date.today() + dt.timedelta(days=20))
    return next(c for c in board.load_board(db).cards if c.id == made.id)


def _type(qtbot, widget, text: str) -> None:
    widget.setFocus()
    if isinstance(widget, QLineEdit):
        widget.selectAll()
    qtbot.keyClicks(widget, text)


# (name, make the dialog, the widget to type into)
FORMS: list[tuple[str, Callable, Callable]] = [
    ("new contact", lambda db, deal: ContactEditorDialog(db), lambda d: d.fields["given_name"]),
    ("edit contact", lambda db, deal: ContactEditorDialog(db, contacts.create_contact(db, given_name="Ana").id),
     lambda d: d.fields["job_title"]),
    ("new account", lambda db, deal: AccountEditorDialog(db), lambda d: d.name),
    ("edit account", lambda db, deal: AccountEditorDialog(db, accounts.get_account(db, deal.account_id)),
     lambda d: d.city),
    ("new opportunity", lambda db, deal: _new_opportunity(db), lambda d: d.name),
    ("edit opportunity", lambda db, deal: EditOpportunityDialog(db, deal), lambda d: d.next_step),
    ("lost", lambda db, deal: LostDialog(db, deal), lambda d: d.note),
    ("next step", lambda db, deal: NextStepDialog(deal), lambda d: d.text),
    ("new user", lambda db, deal: UserEditDialog(db, users.list_teams(db)), lambda d: d.name),
]


def _new_opportunity(db) -> NewOpportunityDialog:
    b = board.load_board(db)
    return NewOpportunityDialog(db, pipeline_id=b.pipeline_id, currency=b.currency, stages=b.stages)


def _open(qtbot, dialog: QDialog) -> QDialog:
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    return dialog


def _cancel_button(dialog: QDialog):
    box = dialog.findChild(QDialogButtonBox)
    return box.button(QDialogButtonBox.StandardButton.Cancel)


@pytest.mark.parametrize("name,make,field", FORMS, ids=[f[0] for f in FORMS])
def test_forms_clean_form_closes_at_once(qtbot, db, deal, answers, name, make, field):
    dialog = _open(qtbot, make(db, deal))
    qtbot.keyClick(field(dialog), Qt.Key.Key_Escape)
    assert not dialog.isVisible() and QDialog.result(dialog) == QDialog.DialogCode.Rejected
    assert answers.asked == []


@pytest.mark.parametrize("how", ["escape", "cancel", "close"])
@pytest.mark.parametrize("name,make,field", FORMS, ids=[f[0] for f in FORMS])
def test_forms_dirty_form_asks_before_discarding(qtbot, db, deal, answers, name, make, field, how):
    dialog = _open(qtbot, make(db, deal))
    widget = field(dialog)
    _type(qtbot, widget, "Typed by hand")
    typed = widget.text() if isinstance(widget, QLineEdit) else widget.toPlainText()

    def leave():
        if how == "escape":
            qtbot.keyClick(widget, Qt.Key.Key_Escape)
        elif how == "cancel":
            qtbot.mouseClick(_cancel_button(dialog), Qt.MouseButton.LeftButton)
        else:
            dialog.close()  # what the window's close button does

    answers.reply = False  # "Keep editing"
    leave()
    assert answers.asked == [dialog] and dialog.isVisible()
    assert (widget.text() if isinstance(widget, QLineEdit) else widget.toPlainText()) == typed
    answers.reply = True  # "Discard"
    leave()
    assert len(answers.asked) == 2 and not dialog.isVisible()
    assert QDialog.result(dialog) == QDialog.DialogCode.Rejected


def test_forms_undoing_the_typing_makes_the_form_clean_again(qtbot, db, deal, answers):
    dialog = _open(qtbot, ContactEditorDialog(db))
    qtbot.keyClicks(dialog.fields["given_name"], "Mo")
    qtbot.keyClick(dialog.fields["given_name"], Qt.Key.Key_Backspace)
    qtbot.keyClick(dialog.fields["given_name"], Qt.Key.Key_Backspace)
    qtbot.keyClick(dialog.fields["given_name"], Qt.Key.Key_Escape)
    assert answers.asked == [] and not dialog.isVisible()


def test_forms_a_loaded_contact_is_clean_and_a_new_phone_row_is_a_change(qtbot, db, deal, answers):
    made = contacts.create_contact(db, given_name="Ana", emails=["ana@example.com"], phones=["+49 30 1234567"])
    dialog = _open(qtbot, ContactEditorDialog(db, made.id))
    assert not dialog.guard.is_dirty()
    qtbot.mouseClick(dialog.phones.add_button, Qt.MouseButton.LeftButton)
    assert not dialog.guard.is_dirty()  # an empty row is nothing typed
    qtbot.keyClicks(dialog.phones.editor(1), "+49 40 7654321")
    assert dialog.guard.is_dirty()
    qtbot.keyClick(dialog.phones.editor(1), Qt.Key.Key_Escape)
    assert answers.asked == [dialog] and dialog.isVisible()


def test_forms_saving_closes_without_asking(qtbot, db, deal, answers):
    dialog = _open(qtbot, AccountEditorDialog(db))
    qtbot.keyClicks(dialog.name, "Initech")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    assert answers.asked == [] and not dialog.isVisible() and QDialog.result(dialog) == QDialog.DialogCode.Accepted
    assert [a.name for a in accounts.list_accounts(db).items] == ["Acme", "Initech"]


def test_forms_discarding_writes_nothing(qtbot, db, deal, answers):
    dialog = _open(qtbot, ContactEditorDialog(db))
    qtbot.keyClicks(dialog.fields["given_name"], "Nobody")
    qtbot.keyClicks(dialog.emails.editor(0), "nobody@example.com")
    answers.reply = True
    qtbot.keyClick(dialog.fields["given_name"], Qt.Key.Key_Escape)
    assert answers.asked == [dialog] and contacts.list_contacts(db).items == ()


def test_forms_stage_dialog_asks_only_when_a_reason_was_typed(qtbot, answers):
    from leaddesk.models.enums import LifecycleStage
    from leaddesk.ui.people._stage_dialog import StageDialog

    dialog = _open(qtbot, StageDialog(LifecycleStage.LEAD, "Ana Ruiz"))
    dialog.select_stage(LifecycleStage.NURTURE)
    qtbot.keyClicks(dialog.reason, "No budget until Q3")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Escape)
    assert answers.asked == [dialog] and dialog.isVisible()
    dialog.reason.clear()
    qtbot.keyClick(dialog.stages, Qt.Key.Key_Escape)  # only a stage picked: nothing typed to lose
    assert answers.asked == [dialog] and not dialog.isVisible()
