"""The Contacts/Leads page, driven as a user would: keys, clicks, dialogs (both engines)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from leaddesk.models.enums import EmailKind, LifecycleStage, PhoneKind
from leaddesk.services.people import accounts, contacts
from leaddesk.services.team import users
from leaddesk.services.dto import EmailInfo, PhoneInfo
from leaddesk.ui.people import contacts_page as contacts_page_module
from leaddesk.ui.people.contact_editor import ContactEditorDialog
from leaddesk.ui.people.contacts_page import ContactsPage

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def page(qtbot, db):
    widget = ContactsPage(db)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    widget.load()
    return widget


def type_text(qtbot, widget, text: str) -> None:
    """Type like a user: QTest only knows ASCII keys, so other letters (ı, ş, ع, ก) are
    sent as key events carrying the text, as a keyboard layout would."""
    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(widget, ch)
        else:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))


def plain(text: str) -> str:
    """Text without the invisible bidi isolates the page puts around phones, e-mails, dates."""
    return text.translate({0x2066: None, 0x2067: None, 0x2068: None, 0x2069: None})


def names_in(page) -> list[str]:
    return [page.model.index(r, 0).data() for r in range(page.model.rowCount())]


def column_of(page, name: str, column: int) -> str:
    row = names_in(page).index(name)
    return plain(page.model.index(row, column).data())


def select_row(qtbot, page, name: str) -> None:
    row = names_in(page).index(name)
    rect = page.table.visualRect(page.model.index(row, 0))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.current_contact_id() == page.model.row_at(row).id


def open_new_dialog(qtbot, page) -> ContactEditorDialog:
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_N, CTRL)
    dialog = page.editor
    assert dialog is not None and dialog.isVisible()
    assert dialog.windowTitle() == "New contact"
    return dialog


def live_names(db, **filters) -> list[str]:
    return [r.display_name for r in contacts.list_contacts(db, **filters).items]


def test_contacts_page_creates_a_contact_through_the_editor(qtbot, db, page):
    accounts.create_account(db, name="Özdemir Lojistik A.Ş.", country="TR")
    assert page.count_label.text() == "No contacts yet: press Ctrl+N to add one."
    dialog = open_new_dialog(qtbot, page)
    qtbot.keyClicks(dialog.fields["given_name"], "Elif")
    type_text(qtbot, dialog.fields["family_name"], "Yılmaz")
    type_text(qtbot, dialog.fields["job_title"], "Satın Alma Müdürü")
    qtbot.keyClicks(dialog.company, "ozdemir lojistik a.s.")  # accent- and case-insensitive match
    qtbot.keyClicks(dialog.emails.editor(0), "elif@ozdemir.com.tr")
    qtbot.mouseClick(dialog.phones.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.phones.editor(0), "+90 212 555 0101")
    qtbot.keyClicks(dialog.phones.editor(1), "+90 532 555 0102")
    dialog.phones.rows[1][2].setCurrentIndex(dialog.phones.rows[1][2].findData(PhoneKind.MOBILE))
    type_text(qtbot, dialog.fields["city"], "İstanbul")
    type_text(qtbot, dialog.fields["country"], "Türkiye")
    qtbot.keyClick(dialog.fields["city"], Qt.Key.Key_Return)  # Enter saves

    assert page.editor is None, dialog.error_label.text()
    assert names_in(page) == ["Elif Yılmaz"]
    assert column_of(page, "Elif Yılmaz", 2) == "Özdemir Lojistik A.Ş."
    assert column_of(page, "Elif Yılmaz", 3) == "elif@ozdemir.com.tr"
    assert column_of(page, "Elif Yılmaz", 5) == "Lead"
    assert page.count_label.text() == "1 contact(s)"
    # The new contact is selected and shown in the detail panel with all its numbers.
    detail = page.detail
    assert detail.contact is not None and detail.contact.display_name == "Elif Yılmaz"
    assert detail.contact.country == "TR"
    assert plain(detail.values["phones"].text()) == "+90 212 555 0101 (Work)\n+90 532 555 0102 (Mobile)"
    assert detail.history.count() == 1 and "Created as Lead" in detail.history.item(0).text()
    assert "Saved Elif Yılmaz." in page.message_label.text()


def test_contacts_page_edits_a_contact_with_enter(qtbot, db, page):
    created = contacts.create_contact(db, given_name="Somchai", family_name="Prasert", job_title="Engineer",
                                      emails=["somchai@example.co.th"])
    page.load()
    select_row(qtbot, page, "Somchai Prasert")
    qtbot.keyClick(page.table, Qt.Key.Key_Return)  # Enter opens the editor
    dialog = page.editor
    assert dialog is not None and dialog.version == created.version
    assert dialog.fields["job_title"].text() == "Engineer"
    assert dialog.emails.editor(0).text() == "somchai@example.co.th"
    dialog.fields["job_title"].selectAll()
    qtbot.keyClicks(dialog.fields["job_title"], "Head of Operations")
    dialog.activateWindow()  # as a window manager does for a new dialog
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.keyClick(dialog.fields["job_title"], Qt.Key.Key_S, CTRL)  # Ctrl+S saves
    assert page.editor is None
    assert column_of(page, "Somchai Prasert", 1) == "Head of Operations"
    assert contacts.get_contact(db, created.id).job_title == "Head of Operations"
    assert page.detail.subtitle_label.text() == "Head of Operations"


def test_contact_editor_shows_validation_errors_inline_and_writes_nothing(qtbot, db, page):
    dialog = open_new_dialog(qtbot, page)
    qtbot.keyClicks(dialog.fields["given_name"], "Reza")
    qtbot.keyClicks(dialog.emails.editor(0), "reza@@example")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    assert dialog.isVisible() and page.editor is dialog
    assert dialog.error_label.isVisible() and "not a valid e-mail address" in dialog.error_label.text()
    assert dialog.invalid_field == "emails[0]"
    assert dialog.emails.editor(0).property("invalid") is True
    assert dialog.focusWidget() is dialog.emails.editor(0)  # the cursor goes to the bad field
    assert live_names(db) == []
    # Fixing the field clears the mark; saving then works.
    dialog.emails.editor(0).selectAll()
    qtbot.keyClicks(dialog.emails.editor(0), "reza@example.ir")
    assert dialog.emails.editor(0).property("invalid") is False
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert live_names(db) == ["Reza"]


def test_contact_editor_requires_a_name(qtbot, db, page, monkeypatch):
    from leaddesk.ui.widgets.form_guard import DiscardGuard

    asked = []
    monkeypatch.setattr(DiscardGuard, "ask", lambda self: asked.append(self.dialog) or True)
    dialog = open_new_dialog(qtbot, page)
    qtbot.keyClicks(dialog.emails.editor(0), "someone@example.com")
    qtbot.keyClick(dialog.emails.editor(0), Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.invalid_field == "given_name"
    assert dialog.fields["given_name"].property("invalid") is True
    assert live_names(db) == []
    qtbot.keyClick(dialog.fields["given_name"], Qt.Key.Key_Escape)  # Esc cancels (after asking: typed text)
    assert asked == [dialog] and page.editor is None and live_names(db) == []


@pytest.mark.parametrize("choice", ["save", "open", "cancel"])
def test_contact_editor_duplicate_flow(qtbot, db, page, monkeypatch, choice):
    first = contacts.create_contact(db, given_name="Fatemeh", family_name="Karimi", emails=["f.karimi@example.ir"])
    page.load()
    asked = []
    monkeypatch.setattr(ContactEditorDialog, "ask_duplicate", lambda self, exc: asked.append(exc) or choice)
    dialog = open_new_dialog(qtbot, page)
    qtbot.keyClicks(dialog.fields["given_name"], "Fatemeh")
    qtbot.keyClicks(dialog.fields["family_name"], "Karimi")
    qtbot.keyClicks(dialog.emails.editor(0), "F.Karimi@Example.IR")  # same address, other spelling
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    assert len(asked) == 1 and asked[0].existing_ids == [first.id]
    if choice == "save":
        assert page.editor is None
        assert names_in(page) == ["Fatemeh Karimi", "Fatemeh Karimi"]
        assert page.current_contact_id() != first.id
    elif choice == "open":
        assert page.editor is None
        assert names_in(page) == ["Fatemeh Karimi"]
        assert page.current_contact_id() == first.id and page.detail.contact.id == first.id
    else:
        assert dialog.isVisible() and "same e-mail or phone" in dialog.error_label.text()
        assert live_names(db) == ["Fatemeh Karimi"]


@pytest.mark.parametrize("create", [True, False])
def test_contact_editor_unknown_company(qtbot, db, page, monkeypatch, create):
    accounts.create_account(db, name="Siam Food Co")
    asked = []
    monkeypatch.setattr(ContactEditorDialog, "ask_create_company", lambda self, name: asked.append(name) or create)
    dialog = open_new_dialog(qtbot, page)
    qtbot.keyClicks(dialog.fields["given_name"], "Niran")
    qtbot.keyClicks(dialog.company, "Si")
    dialog.refresh_company_suggestions()  # what the typing pause triggers
    assert dialog.company.completer().model().stringList() == ["Siam Food Co"]
    qtbot.keyClicks(dialog.company, "am Seafood")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert asked == ["Siam Seafood"]
    if create:
        assert page.editor is None
        assert column_of(page, "Niran", 2) == "Siam Seafood"
        assert [a.name for a in accounts.list_accounts(db).items] == ["Siam Food Co", "Siam Seafood"]
    else:
        assert dialog.isVisible() and dialog.invalid_field == "account_id"
        assert "no company called “Siam Seafood”" in dialog.error_label.text()
        assert live_names(db) == [] and len(accounts.list_accounts(db).items) == 1


def test_contact_editor_reports_a_conflict_and_keeps_the_other_change(qtbot, db, make_db, page):
    created = contacts.create_contact(db, given_name="Ahmed", family_name="Al-Mansouri", job_title="Buyer",
                                      phones=[PhoneInfo("+971 4 555 0100", PhoneKind.WORK)])
    page.load()
    select_row(qtbot, page, "Ahmed Al-Mansouri")
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    dialog = page.editor
    assert dialog.version == created.version

    other = make_db(actor_id=db.write.actor_id)  # another laptop on the same database
    contacts.update_contact(other, created.id, expected_version=created.version, job_title="Procurement Director")

    dialog.fields["job_title"].selectAll()
    qtbot.keyClicks(dialog.fields["job_title"], "Chief Buyer")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    assert dialog.isVisible()
    assert "Someone else changed this contact" in dialog.error_label.text()
    assert dialog.reload_button.isVisible()
    assert contacts.get_contact(db, created.id).job_title == "Procurement Director"  # nothing overwritten
    # Reload shows their version; applying the change again then works.
    qtbot.mouseClick(dialog.reload_button, Qt.MouseButton.LeftButton)
    assert not dialog.error_label.isVisible()
    assert dialog.fields["job_title"].text() == "Procurement Director"
    dialog.fields["department"].setFocus()
    qtbot.keyClicks(dialog.fields["department"], "Purchasing")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert page.editor is None
    saved = contacts.get_contact(db, created.id)
    assert (saved.job_title, saved.department) == ("Procurement Director", "Purchasing")


def test_contacts_page_stage_filter_and_mine_only(qtbot, db, page):
    rep = users.create_user(db, "Rita Rep", "rita@example.com")
    contacts.create_contact(db, given_name="Ana", lifecycle_stage="mql")
    contacts.create_contact(db, given_name="Bora", lifecycle_stage="lead")
    contacts.create_contact(db, given_name="Chen", lifecycle_stage="mql", owner_id=rep.id)
    contacts.create_contact(db, given_name="Dara", lifecycle_stage="sql")
    page.load()
    assert names_in(page) == ["Ana", "Bora", "Chen", "Dara"]

    page.stage_filter.setFocus()
    qtbot.keyClicks(page.stage_filter, "Marketing")  # keyboard search in the combo
    assert page.stage_filter.currentData() == LifecycleStage.MQL
    assert names_in(page) == ["Ana", "Chen"]
    assert {column_of(page, n, 5) for n in names_in(page)} == {"MQL"}

    qtbot.mouseClick(page.mine_only, Qt.MouseButton.LeftButton)
    assert page.mine_only.isChecked()
    assert names_in(page) == ["Ana"]

    page.stage_filter.setCurrentIndex(0)  # All stages
    assert names_in(page) == ["Ana", "Bora", "Dara"]
    page.stage_filter.setCurrentIndex(page.stage_filter.findData(LifecycleStage.CUSTOMER))
    assert names_in(page) == [] and page.count_label.text() == "No contacts match these filters."


def test_contacts_page_change_stage_to_nurture_requires_a_reason(qtbot, db, page):
    created = contacts.create_contact(db, given_name="Kanya", family_name="Srisuk", lifecycle_stage="sql")
    page.load()
    select_row(qtbot, page, "Kanya Srisuk")
    qtbot.mouseClick(page.detail.stage_button, Qt.MouseButton.LeftButton)
    dialog = page.detail.stage_dialog
    assert dialog is not None and dialog.isVisible()
    assert not dialog.ok_button.isEnabled()  # the current stage is selected

    nurture = dialog.stages.item(dialog.stages.count() - 2)
    assert nurture.text() == "Nurture"
    qtbot.mouseClick(dialog.stages.viewport(), Qt.MouseButton.LeftButton,
                     pos=dialog.stages.visualItemRect(nurture).center())
    assert dialog.chosen_stage() == LifecycleStage.NURTURE
    assert not dialog.ok_button.isEnabled() and "A reason is required" in dialog.hint.text()
    qtbot.keyClicks(dialog.reason, "BANT: no budget until Q3")
    assert dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    assert not dialog.isVisible()
    stored = contacts.get_contact(db, created.id)
    assert stored.lifecycle_stage == LifecycleStage.NURTURE and stored.stage_reason == "BANT: no budget until Q3"
    assert column_of(page, "Kanya Srisuk", 5) == "Nurture"
    assert page.detail.stage_badge.text() == "Nurture"
    assert page.detail.history.count() == 2
    assert plain(page.detail.history.item(0).text()).endswith("SQL → Nurture · by Ada Admin\nBANT: no budget until Q3")


def test_stage_dialog_shows_the_service_error_and_stays_open(qtbot, db, page):
    contacts.create_contact(db, given_name="Oğuz")
    page.load()
    select_row(qtbot, page, "Oğuz")
    dialog = page.detail.change_stage()
    dialog.select_stage(LifecycleStage.DISQUALIFIED)
    QApplication.clipboard().setText("x" * 2001)  # longer than the service allows
    qtbot.keyClick(dialog.reason, Qt.Key.Key_V, CTRL)
    assert len(dialog.reason.toPlainText()) == 2001
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "too long" in dialog.error_label.text()
    assert column_of(page, "Oğuz", 5) == "Lead"


def test_contacts_page_deletes_with_the_delete_key_after_confirmation(qtbot, db, page, monkeypatch):
    for name in ("Aylin", "Behrouz", "Chalerm"):
        contacts.create_contact(db, given_name=name)
    page.load()
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kw: asked.append(args[2]) or answers.pop(0))
    select_row(qtbot, page, "Behrouz")
    page.table.setFocus()

    qtbot.keyClick(page.table, Qt.Key.Key_Delete)  # answered No
    assert names_in(page) == ["Aylin", "Behrouz", "Chalerm"]
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)  # answered Yes
    assert len(asked) == 2 and "Behrouz" in asked[0]
    assert names_in(page) == ["Aylin", "Chalerm"]
    assert live_names(db) == ["Aylin", "Chalerm"]
    assert "Deleted Behrouz" in page.message_label.text()
    assert page.detail.contact.display_name == "Chalerm"  # the next row is selected
    assert page.current_contact_id() == page.detail.contact.id


def test_contacts_page_delete_button_in_the_detail_panel(qtbot, db, page, monkeypatch):
    contacts.create_contact(db, given_name="Tolga")
    page.load()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    select_row(qtbot, page, "Tolga")
    qtbot.mouseClick(page.detail.delete_button, Qt.MouseButton.LeftButton)
    assert names_in(page) == []
    assert page.detail.contact is None and page.detail.stack.currentIndex() == 0


def test_contacts_page_refreshes_on_data_changed_and_keeps_the_selection(qtbot, db, page):
    from leaddesk.services.records import Changes
    from leaddesk.ui.jobs import app_signals

    contacts.create_contact(db, given_name="Mina")
    page.load()
    select_row(qtbot, page, "Mina")
    contacts.create_contact(db, given_name="Arash")
    app_signals.data_changed.emit(Changes.of("opportunity"), None)  # not ours: no reload
    assert names_in(page) == ["Mina"]
    app_signals.data_changed.emit(Changes.of("contact"), None)
    assert names_in(page) == ["Arash", "Mina"]
    assert page.detail.contact.display_name == "Mina" and page.current_contact_id() == page.detail.contact_id


def test_contacts_page_select_contact_reads_further_pages(qtbot, db, monkeypatch):
    monkeypatch.setattr(contacts_page_module, "PAGE_SIZE", 3)
    for i in range(8):
        contacts.create_contact(db, given_name=f"Person {i}")
    target = contacts.create_contact(db, given_name="Zeynep")
    page = ContactsPage(db)
    qtbot.addWidget(page)
    page.show()
    page.load()
    page.select_contact(target.id)
    assert page.current_contact_id() == target.id
    assert page.detail.contact.display_name == "Zeynep"


def test_contact_columns_pass_the_model_tester(qtbot, qtmodeltester, db, page):
    account = accounts.create_account(db, name="Sadeghi & Co")
    contacts.create_contact(db, given_name="Parisa", family_name="Sadeghi", account_id=account.id,
                            emails=[EmailInfo("parisa@sadeghi.ir", EmailKind.WORK)], lifecycle_stage="customer")
    contacts.create_contact(db, given_name="Lee", phones=["+66 2 555 0100"])
    page.load()
    assert page.model.columnCount() == 11
    assert [page.model.headerData(c, Qt.Orientation.Horizontal) for c in range(11)] == [
        "Name", "Job title", "Company", "E-mail", "Phone", "Stage", "Score", "Temperature", "Persona", "Owner",
        "First touch"]
    qtmodeltester.check(page.model)


@pytest.mark.parametrize("direction", [Qt.LayoutDirection.LeftToRight, Qt.LayoutDirection.RightToLeft])
def test_contacts_page_paints_in_both_directions(qtbot, db, tmp_path, direction):
    QApplication.setLayoutDirection(direction)
    try:
        for name, stage in [("Nazanin Rahimi", "mql"), ("Somsak Wongsa", "customer"), ("Emre Kaya", "nurture")]:
            given, family = name.split()
            contacts.create_contact(db, given_name=given, family_name=family, lifecycle_stage=stage)
        page = ContactsPage(db)
        qtbot.addWidget(page)
        page.resize(1200, 700)
        page.show()
        page.load()
        page.select_contact(page.model.row_at(0).id)
        assert page.grab().save(str(tmp_path / "page.png"))
        assert page.layoutDirection() == direction
    finally:
        QApplication.setLayoutDirection(Qt.LayoutDirection.LeftToRight)


@pytest.mark.real_pools
def test_contacts_page_loads_on_worker_threads(qtbot, db):
    created = contacts.create_contact(db, given_name="Threaded", emails=["t@example.com"])
    page = ContactsPage(db)
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.model.page_loaded, timeout=5000):
        page.load()
    with qtbot.waitSignal(page.detail.contact_loaded, timeout=5000):
        page.select_contact(created.id)
    assert page.current_contact_id() == created.id
    assert plain(page.detail.values["emails"].text()) == "t@example.com (Work)"
