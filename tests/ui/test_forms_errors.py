"""Form errors (issue #10, point 5): one style in every dialog (a banner at the top, the
field outlined), the field's label as the form shows it, phones checked with
libphonenumber (the typed text kept), the error gone as soon as the field is fixed, and a
duplicate warning that never drops the draft silently. Both engines (the ``db`` fixture)."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from leaddesk.config import Settings
from leaddesk.errors import ValidationError
from leaddesk.services.people import accounts, contacts
from leaddesk.services.pipeline import board, lost_reasons, opportunities as pipeline
from leaddesk.services import settings as team_settings
from leaddesk.services.team import users
from leaddesk.ui.people.account_editor import AccountEditorDialog
from leaddesk.ui.people.contact_editor import ContactEditorDialog
from leaddesk.ui.widgets.form_errors import STYLE
from leaddesk.ui.widgets.form_guard import DiscardGuard
from leaddesk.ui.team.join_dialog import JoinDialog
from leaddesk.ui.pipeline.lost_reasons_dialog import LostReasonsDialog
from leaddesk.ui.pipeline._new_opportunity_dialog import NewOpportunityDialog
from leaddesk.ui.pipeline.opportunity_dialogs import EditOpportunityDialog, LostDialog, NextStepDialog
from leaddesk.ui.team._user_dialogs import UserEditDialog


@pytest.fixture(autouse=True)
def discard_without_asking(monkeypatch):
    """The dialogs left with typed text close at the end of a test without a question."""
    monkeypatch.setattr(DiscardGuard, "ask", lambda self: True)


def _open(qtbot, dialog: QDialog) -> QDialog:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def click_save(qtbot, dialog) -> None:
    button = getattr(dialog, "save_button", None) or getattr(dialog, "ok_button", None)
    if button is None:  # the account and user editors: the button box's accept button
        dialog.buttons.accepted.emit()
        return
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def names(db) -> list[str]:
    return [c.display_name for c in contacts.list_contacts(db).items]


@pytest.fixture
def card(db):
    acme = accounts.create_account(db, name="Acme")
    made = pipeline.create_opportunity(db, acme.id, "Forklifts", amount="1000", currency="EUR",
                                       expected_close_date=dt.date.today() + dt.timedelta(days=20))
    return next(c for c in board.load_board(db).cards if c.id == made.id)


def _board_dialog(db):
    b = board.load_board(db)
    return NewOpportunityDialog(db, pipeline_id=b.pipeline_id, currency=b.currency, stages=b.stages)


# (name, the dialog, make it show an error the way the app does, the field that must be marked)
def _contact(qtbot, db, card, tmp_path):
    d = _open(qtbot, ContactEditorDialog(db))
    click_save(qtbot, d)  # no name
    return d, d.fields["given_name"]


def _account(qtbot, db, card, tmp_path):
    d = _open(qtbot, AccountEditorDialog(db))
    d.save()  # no name
    return d, d.name


def _new_opportunity(qtbot, db, card, tmp_path):
    d = _open(qtbot, _board_dialog(db))
    qtbot.keyClicks(d.account, "Acme")
    click_save(qtbot, d)  # no deal name
    return d, d.name


def _edit_opportunity(qtbot, db, card, tmp_path):
    d = _open(qtbot, EditOpportunityDialog(db, card))
    d.amount.setText("lots")
    d.show_error(ValidationError("Amount 'lots' is not an amount.", field="amount"))  # what the board does
    return d, d.amount


def _lost(qtbot, db, card, tmp_path):
    d = _open(qtbot, LostDialog(db, card))
    d.show_error(ValidationError("Say why the deal was lost.", field="lost_reason_id"))
    return d, d.reason


def _next_step(qtbot, db, card, tmp_path):
    d = _open(qtbot, NextStepDialog(card))
    d.show_error(ValidationError("Next step is too long.", field="next_step"))
    return d, d.text


def _user(qtbot, db, card, tmp_path):
    d = _open(qtbot, UserEditDialog(db, users.list_teams(db)))
    qtbot.keyClicks(d.name, "Rita")
    d.submit()  # no e-mail
    return d, d.email


def _lost_reasons(qtbot, db, card, tmp_path):
    d = _open(qtbot, LostReasonsDialog(db))
    taken = lost_reasons.list_lost_reasons(db)[0].name
    d.ask_name = lambda *_a, **_k: taken
    d.add_reason()
    return d, d.list


def _join(qtbot, db, card, tmp_path):
    d = _open(qtbot, JoinDialog(Settings(data_dir=tmp_path / "laptop")))
    d.join_button.click()  # no host
    return d, d.host


FORMS = [_contact, _account, _new_opportunity, _edit_opportunity, _lost, _next_step, _user, _lost_reasons, _join]


@pytest.mark.parametrize("make", FORMS, ids=[f.__name__.strip("_") for f in FORMS])
def test_forms_one_error_style_in_every_dialog(qtbot, db, card, make, tmp_path):
    dialog, field = make(qtbot, db, card, tmp_path)
    errors = dialog.errors
    assert errors.is_shown() and errors.banner.isVisible() and errors.label.text()
    # the same place: the first thing in the dialog, above the fields ...
    assert dialog.layout().itemAt(0).widget() is errors.banner
    assert errors.banner.objectName() == "formErrorBanner" and errors.label.objectName() == "formError"
    # ... the same look, and the field outlined
    assert STYLE in dialog.styleSheet()
    assert field.property("invalid") is True
    assert errors.banner.geometry().bottom() < field.mapTo(dialog, field.rect().topLeft()).y()


def test_forms_phone_error_names_the_field_keeps_the_text_and_goes_when_fixed(qtbot, db):
    dialog = _open(qtbot, ContactEditorDialog(db))
    qtbot.keyClicks(dialog.fields["given_name"], "Ana")
    phone = dialog.phones.editor(0)
    qtbot.keyClicks(phone, "abc123")
    click_save(qtbot, dialog)
    assert dialog.isVisible() and names(db) == []
    assert dialog.error_label.text().startswith("Phone: “abc123” is not a phone number")
    assert dialog.invalid_field == "phones[0]" and phone.property("invalid") is True
    assert phone.text() == "abc123"  # what was typed stays, to be corrected
    qtbot.keyClicks(phone, "4")  # still not a number: still marked, the sentence follows the text
    assert dialog.errors.is_shown() and "“abc1234”" in dialog.error_label.text()
    phone.selectAll()
    qtbot.keyClicks(phone, "+49 30 1234567")
    assert not dialog.errors.is_shown() and phone.property("invalid") is False  # gone before saving
    click_save(qtbot, dialog)
    assert names(db) == ["Ana"]


def test_forms_a_possible_number_libphonenumber_calls_invalid_is_saved(qtbot, db):
    dialog = _open(qtbot, ContactEditorDialog(db))
    qtbot.keyClicks(dialog.fields["given_name"], "Ana")
    qtbot.keyClicks(dialog.phones.editor(0), "+49 199 1234567")
    click_save(qtbot, dialog)
    assert not dialog.isVisible(), dialog.error_label.text()
    assert [p.e164 for p in dialog.result_detail.phones] == ["+491991234567"]


def test_forms_local_numbers_are_read_in_the_teams_region(qtbot, db):
    team_settings.set_setting(db, "default_region", "GB")
    dialog = _open(qtbot, ContactEditorDialog(db))
    assert dialog.default_region == "GB"
    qtbot.keyClicks(dialog.fields["given_name"], "Oliver")
    qtbot.keyClicks(dialog.phones.editor(0), "020 7946 0958")
    click_save(qtbot, dialog)
    assert [(p.number, p.e164) for p in dialog.result_detail.phones] == [("020 7946 0958", "+442079460958")]


def test_forms_error_uses_the_label_the_form_shows_and_goes_when_fixed(qtbot, db):
    dialog = _open(qtbot, ContactEditorDialog(db))
    first = dialog.fields["given_name"]
    qtbot.keyClicks(first, "x" * 121)
    click_save(qtbot, dialog)
    assert dialog.error_label.text().startswith("First name is too long")  # not "Given name"
    qtbot.keyClick(first, Qt.Key.Key_Backspace)
    assert not dialog.errors.is_shown() and first.property("invalid") is False


def test_forms_no_name_error_goes_when_a_last_name_is_typed(qtbot, db):
    dialog = _open(qtbot, ContactEditorDialog(db))
    click_save(qtbot, dialog)
    assert dialog.invalid_field == "given_name"
    qtbot.keyClicks(dialog.fields["family_name"], "Karimi")
    assert not dialog.errors.is_shown() and dialog.fields["given_name"].property("invalid") is False


def test_forms_account_phone_error_and_fix(qtbot, db):
    dialog = _open(qtbot, AccountEditorDialog(db))
    qtbot.keyClicks(dialog.name, "Initech")
    qtbot.keyClicks(dialog.phone, "abc123")
    dialog.save()
    assert dialog.isVisible() and accounts.list_accounts(db).items == ()
    assert dialog.errors.invalid_field == "phone" and dialog.phone.text() == "abc123"
    assert dialog.error.text().startswith("Phone: “abc123” is not a phone number")
    dialog.phone.selectAll()
    qtbot.keyClicks(dialog.phone, "+44 20 7946 0958")
    assert not dialog.errors.is_shown() and dialog.phone.property("invalid") is False
    dialog.save()
    assert accounts.list_accounts(db).items[0].name == "Initech"


def test_forms_an_unchecked_field_loses_its_error_when_edited(qtbot, db, card, tmp_path):
    dialog, field = _next_step(qtbot, db, card, tmp_path)
    qtbot.keyClicks(field, "Call")
    assert not dialog.errors.is_shown() and field.property("invalid") is False


@pytest.mark.parametrize("button", ["&Keep editing", "&Discard this, open existing", "&Save anyway"])
def test_forms_duplicate_warning_says_what_happens_to_the_draft(qtbot, db, monkeypatch, button):
    first = contacts.create_contact(db, given_name="Fatemeh", emails=["f.karimi@example.ir"])
    seen = {}

    def exec_(box):
        seen["buttons"] = [b.text() for b in box.buttons()]
        seen["default"] = box.defaultButton().text()
        seen["escape"] = box.escapeButton().text()
        chosen = next(b for b in box.buttons() if b.text() == button)
        chosen.click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    opened = []
    dialog = _open(qtbot, ContactEditorDialog(db))
    dialog.open_existing_requested.connect(opened.append)
    qtbot.keyClicks(dialog.fields["given_name"], "Fatemeh K.")
    qtbot.keyClicks(dialog.emails.editor(0), "F.Karimi@example.ir")
    click_save(qtbot, dialog)
    assert sorted(seen["buttons"]) == sorted(["&Keep editing", "&Discard this, open existing", "&Save anyway"])
    assert seen["default"] == seen["escape"] == "&Keep editing"  # Enter or Esc keeps the draft
    if button == "&Keep editing":
        assert dialog.isVisible() and dialog.fields["given_name"].text() == "Fatemeh K."
        assert "What you typed is kept" in dialog.error_label.text()
        assert names(db) == ["Fatemeh"]
    elif button == "&Save anyway":
        assert not dialog.isVisible() and sorted(names(db)) == ["Fatemeh", "Fatemeh K."]
    else:
        assert not dialog.isVisible() and opened == [first.id] and names(db) == ["Fatemeh"]


def test_forms_stage_dialog_uses_the_same_banner(qtbot):
    from leaddesk.models.enums import LifecycleStage
    from leaddesk.ui.people._stage_dialog import StageDialog

    dialog = _open(qtbot, StageDialog(LifecycleStage.LEAD, "Ana Ruiz"))
    dialog.show_error("Reason is too long (2,001 characters, at most 2,000).")
    assert dialog.errors.is_shown() and dialog.layout().itemAt(0).widget() is dialog.errors.banner
    dialog.select_stage(LifecycleStage.NURTURE)  # changing the choice clears it
    assert not dialog.errors.is_shown()


def test_forms_user_editor_says_e_mail_as_its_label_does(qtbot, db, card, tmp_path):
    dialog, field = _user(qtbot, db, card, tmp_path)
    assert dialog.error.text() == "E-mail is required." and field is dialog.email
