"""The New/Edit contact dialog.

The dialog loads the contact (and remembers its version), saves through one write job
and stays open on every error a user can fix: a bad field is outlined and explained in
the form's error banner (form_errors.py) until it is fixed, a duplicate asks what to do,
and a change made by someone else meanwhile is reported with an offer to reload, so
nothing is silently overwritten. Esc, Cancel or closing the window asks before a filled-in
form is thrown away (form_guard.py).
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.errors import Conflict, DuplicateContact, LeadDeskError, NotFound, ValidationError
from leaddesk.models.enums import EmailKind, LeadSource, PhoneKind, Seniority
from leaddesk.services.people import accounts, contacts, phones
from leaddesk.services.dto import ContactDetail, EmailInfo, PhoneInfo
from leaddesk.services.records import Changes
from leaddesk.ui.errors import show_error
from leaddesk.ui.people._contact_form_checks import ContactFormChecks
from leaddesk.ui.people._contact_jobs import SavedContact, UnknownCompany, _Loaded, resolve_account
from leaddesk.ui.people._list_rows import ListRows
from leaddesk.ui.widgets.account_completer import AccountNameCompleter
from leaddesk.ui.jobs import run_read, run_write
from leaddesk.ui.widgets.form_errors import FormErrors
from leaddesk.ui.widgets.form_guard import DiscardGuard
from leaddesk.ui.widgets.stage_badges import (
    NEEDS_REASON,
    STAGES,
    country_choice,
    country_input,
    email_kind_label,
    phone_kind_label,
    seniority_label,
    source_label,
    stage_long_label,
    territories,
)


class ContactEditorDialog(ContactFormChecks, QDialog):
    """Create (``contact_id=None``) or edit a contact. Open it with ``open()``; ``saved``
    carries the stored ``ContactDetail`` and the dialog then accepts."""

    saved = Signal(object)  # ContactDetail
    open_existing_requested = Signal(object)  # contact id (duplicate found, user chose "Open existing")

    def __init__(self, db: Database, contact_id=None, parent=None):
        super().__init__(parent)
        self.db = db
        self.contact_id = contact_id
        self.version: int | None = None
        self.loaded: ContactDetail | None = None
        self.result_detail: ContactDetail | None = None
        self._current_account: tuple[uuid.UUID, str] | None = None
        self._save_token = 0
        self._row_map: dict[str, list[int]] = {"emails": [], "phones": []}
        #: Where phone numbers typed without "+code" are read (the team's or the locale's).
        self.default_region: str | None = None
        self.setWindowTitle(self.tr("New contact") if contact_id is None else self.tr("Edit contact"))
        self._build()
        self.guard = DiscardGuard(self, self.snapshot, what=self.tr("this contact"))
        QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self, activated=self.save)
        run_read(self, lambda: phones.default_region(db)).success(self._on_region).failure(lambda _exc: None).run()
        if contact_id is not None:
            self.load()
        else:
            self.emails.add_row()
            self.phones.add_row()
            self.guard.mark_clean()

    # --- building ---------------------------------------------------------------------
    def _line(self, key: str, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(key)
        if placeholder:
            edit.setPlaceholderText(placeholder)
        self.fields[key] = edit
        return edit

    def _build(self) -> None:
        self.fields: dict[str, QWidget] = {}
        self.errors = FormErrors(self, resolve=self.widget_for, reload=self.reload, checks={
            "given_name": self._check_names, "family_name": self._check_names, "emails": self._check_email,
            "phones": self._check_phone, "country": self._check_country})
        self.error_label = self.errors.label
        self.reload_button = self.errors.reload_button

        person = QFormLayout()
        person.addRow(self.tr("&First name:"), self._line("given_name"))
        person.addRow(self.tr("&Last name:"), self._line("family_name"))
        person.addRow(self.tr("&Job title:"), self._line("job_title"))
        person.addRow(self.tr("&Department:"), self._line("department"))
        self.seniority = QComboBox()
        for value in Seniority:
            self.seniority.addItem(seniority_label(value), value)
        self.fields["seniority"] = self.seniority
        person.addRow(self.tr("Seniorit&y:"), self.seniority)
        company = self._line("account_id", self.tr("Start typing a company name"))
        self._company_completer = AccountNameCompleter(self.db, company, self)
        self._company_model = self._company_completer.model
        self.company = company
        person.addRow(self.tr("&Company:"), company)
        self.stage: QComboBox | None = None
        if self.contact_id is None:  # later changes go through "Change stage…" (with history)
            self.stage = QComboBox()
            for value in STAGES:
                if value not in NEEDS_REASON:
                    self.stage.addItem(stage_long_label(value), value)
            self.fields["lifecycle_stage"] = self.stage
            person.addRow(self.tr("S&tage:"), self.stage)
        self.source = QComboBox()
        self.source.addItem(source_label(None), None)
        for value in LeadSource:
            self.source.addItem(source_label(value), value)
        self.fields["source"] = self.source
        person.addRow(self.tr("So&urce:"), self.source)

        reach = QFormLayout()
        self.emails = ListRows([(k, email_kind_label(k)) for k in EmailKind], self.tr("name@example.com"),
                               self.tr("Add e-mail"))
        self.phones = ListRows([(k, phone_kind_label(k)) for k in PhoneKind], self.tr("+49 30 1234567"),
                               self.tr("Add phone"))
        reach.addRow(self.tr("&E-mails:"), self.emails)
        reach.addRow(self.tr("&Phones:"), self.phones)
        reach.addRow(self.tr("&Website:"), self._line("website", self.tr("www.example.com")))
        reach.addRow(self.tr("St&reet:"), self._line("street"))
        town = QHBoxLayout()
        postal = self._line("postal_code", self.tr("Postal code"))
        postal.setMaximumWidth(110)
        town.addWidget(postal)
        town.addWidget(self._line("city", self.tr("City")), 1)
        town_label = QLabel(self.tr("C&ity:"))
        town_label.setBuddy(self.fields["city"])
        reach.addRow(town_label, town)
        country = self._line("country", self.tr("Name or code, e.g. Germany or DE"))
        countries = QCompleter([country_choice(code) for _, code in territories()], self)
        countries.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        countries.setFilterMode(Qt.MatchFlag.MatchContains)
        country.setCompleter(countries)
        reach.addRow(self.tr("C&ountry:"), country)

        self.notes = QPlainTextEdit()
        self.notes.setObjectName("notes")
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(80)
        self.fields["notes"] = self.notes

        columns = QHBoxLayout()
        columns.addLayout(person, 1)
        columns.addSpacing(12)
        columns.addLayout(reach, 1)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)
        self.save_button.setToolTip(self.tr("Save (Ctrl+S)"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        notes_label = QLabel(self.tr("&Notes:"))
        notes_label.setBuddy(self.notes)
        layout.addWidget(notes_label)
        layout.addWidget(self.notes)
        layout.addWidget(self.buttons)
        self.errors.install(layout)
        for key, widget in self.fields.items():
            self.errors.add_field(key, widget)
        self.setMinimumWidth(760)
        self.fields["given_name"].setFocus()

    @property
    def invalid_field(self) -> str | None:
        return self.errors.invalid_field

    # --- loading ----------------------------------------------------------------------
    def load(self) -> None:
        """(Re)load the contact from the database into the form."""
        self._set_busy(True)
        db, ident = self.db, self.contact_id

        def work() -> _Loaded:
            detail = contacts.get_contact(db, ident)
            name = None
            if detail.account_id is not None:
                try:
                    name = accounts.get_account(db, detail.account_id, include_deleted=True).name
                except LeadDeskError:
                    name = None
            return _Loaded(detail, name)

        run_read(self, work).success(self._on_loaded).failure(self._on_load_failed).finally_(
            lambda: self._set_busy(False)).run()

    def reload(self) -> None:
        self.clear_error()
        self.load()

    def _on_loaded(self, loaded: _Loaded) -> None:
        d = loaded.detail
        self.loaded = d
        self.version = d.version
        self.setWindowTitle(self.tr("Edit contact — {0}").format(d.display_name))
        for key in ("given_name", "family_name", "job_title", "department", "street", "postal_code", "city",
                    "website"):
            self.fields[key].setText(getattr(d, key) or "")
        self.fields["country"].setText(country_choice(d.country))
        self.seniority.setCurrentIndex(max(0, self.seniority.findData(d.seniority)))
        self.source.setCurrentIndex(max(0, self.source.findData(d.source)))
        self._current_account = (d.account_id, loaded.account_name) if d.account_id and loaded.account_name else None
        self.company.setText(loaded.account_name or "")
        self.notes.setPlainText(d.notes or "")
        self.emails.set_items([(e.address, e.kind) for e in d.emails])
        self.phones.set_items([(p.number, p.kind) for p in d.phones])
        self.guard.mark_clean()

    def _on_region(self, region: str) -> None:
        self.default_region = region

    def _on_load_failed(self, exc: BaseException) -> None:
        if isinstance(exc, LeadDeskError):
            self.show_inline_error(str(exc))
            self.save_button.setEnabled(False)
        else:
            show_error(self, exc)

    # --- company suggestions ----------------------------------------------------------
    def refresh_company_suggestions(self) -> None:
        self._company_completer.refresh()

    # --- saving -----------------------------------------------------------------------
    def form_values(self) -> dict:
        """The scalar fields as the service takes them (empty text -> None)."""
        values = {key: (self.fields[key].text().strip() or None)
                  for key in ("given_name", "family_name", "job_title", "department", "street", "postal_code",
                              "city", "website")}
        values["country"] = country_input(self.fields["country"].text())
        values["seniority"] = self.seniority.currentData()
        values["source"] = self.source.currentData()
        values["notes"] = self.notes.toPlainText().strip() or None
        return values

    def save(self) -> None:
        """Validate and store the form (Save button, Enter, Ctrl+S)."""
        if not self.save_button.isEnabled():
            return  # a save is already running (or the contact could not be loaded)
        self._submit()

    def _submit(self, *, allow_duplicate: bool = False, create_company: bool = False) -> None:
        self.clear_error()
        db, ident, version = self.db, self.contact_id, self.version
        values = self.form_values()
        email_rows = self.emails.items()
        phone_rows = self.phones.items()
        emails = [EmailInfo(text, kind) for _, text, kind in email_rows]
        phones = [PhoneInfo(text, kind) for _, text, kind in phone_rows]
        self._row_map = {"emails": [i for i, _, _ in email_rows], "phones": [i for i, _, _ in phone_rows]}
        company, current = self.company.text(), self._current_account
        stage = self.stage.currentData() if self.stage is not None else None

        def work() -> SavedContact:
            account_id, created = resolve_account(db, company, current=current, create=create_company)
            new_company = company.strip() if created else None
            if ident is None:
                detail = contacts.create_contact(db, emails=emails, phones=phones, lifecycle_stage=stage,
                                                 allow_duplicate=allow_duplicate, account_id=account_id,
                                                 new_company=new_company, **values)
            else:
                detail = contacts.update_contact(db, ident, expected_version=version, emails=emails, phones=phones,
                                                 allow_duplicate=allow_duplicate, account_id=account_id,
                                                 new_company=new_company, **values)
            changes = contacts.changes_for(detail)
            if created:
                changes = changes | Changes.of("account", detail.account_id)
            return SavedContact(detail, changes)

        self._save_token += 1
        token = self._save_token
        self._set_busy(True)
        run_write(self, work).success(self._on_saved).failure(
            lambda exc: self._on_save_failed(exc, allow_duplicate)).finally_(
            lambda: token == self._save_token and self._set_busy(False)).run()

    def _on_saved(self, result: SavedContact) -> None:
        self.result_detail = result.detail
        self.contact_id = result.detail.id
        self.version = result.detail.version
        self.saved.emit(result.detail)
        self._requalify(result.detail.id)
        self.accept()

    def _requalify(self, contact_id) -> None:
        """Persona and score again, in a worker after the save (the lists refresh when done)."""
        from leaddesk.ui.qualification.rescoring import requalify_later

        requalify_later(self.db, [contact_id])

    def _on_save_failed(self, exc: BaseException, allow_duplicate: bool) -> None:
        if isinstance(exc, UnknownCompany):
            if self.ask_create_company(exc.name):
                self._submit(allow_duplicate=allow_duplicate, create_company=True)
            else:
                self.show_inline_error(self.tr("{0} Pick one from the list or leave the field empty.").format(exc),
                                       exc.field)
        elif isinstance(exc, ValidationError):
            self.show_inline_error(str(exc), exc.field)
        elif isinstance(exc, DuplicateContact):
            choice = self.ask_duplicate(exc)
            if choice == "save":
                self._submit(allow_duplicate=True)
            elif choice == "open" and exc.existing_ids:
                # The user chose "Discard this and open the existing one": no second question.
                self.open_existing_requested.emit(exc.existing_ids[0])
                self.done(QDialog.DialogCode.Rejected)
            else:
                self.show_inline_error(self.tr("Not saved: another contact has the same e-mail or phone. "
                                               "What you typed is kept: change it, or save anyway."))
        elif isinstance(exc, Conflict):
            self.show_inline_error(
                self.tr("Someone else changed this contact after you opened it, so nothing was saved "
                        "(their change is kept). Reload to see their version, then apply your change again."),
                conflict=True)
        elif isinstance(exc, NotFound):
            self.show_inline_error(str(exc))
        else:
            show_error(self, exc)

    # --- questions (tests replace these) ----------------------------------------------
    def ask_duplicate(self, exc: DuplicateContact) -> str:
        """"open" (the existing contact, discarding this form), "save" (anyway) or "cancel"
        (keep editing: the draft stays). The buttons say what happens to the draft."""
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Possible duplicate"),
                          self.tr("A contact with the same e-mail address or phone number already exists."),
                          QMessageBox.StandardButton.NoButton, self)
        box.setInformativeText(self.tr(
            "Save this one as well, keep editing it, or discard what you typed here and open the existing "
            "contact?"))
        save_button = box.addButton(self.tr("&Save anyway"), QMessageBox.ButtonRole.AcceptRole)
        keep_button = box.addButton(self.tr("&Keep editing"), QMessageBox.ButtonRole.RejectRole)
        open_button = box.addButton(self.tr("&Discard this, open existing"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(keep_button)
        box.setEscapeButton(keep_button)
        box.exec()
        clicked = box.clickedButton()
        return "open" if clicked is open_button else "save" if clicked is save_button else "cancel"

    def ask_create_company(self, name: str) -> bool:
        answer = QMessageBox.question(
            self, self.tr("New company"),
            self.tr("There is no company called “{0}” yet. Create it?").format(name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
        return answer == QMessageBox.StandardButton.Yes

    # --- closing ----------------------------------------------------------------------
    def snapshot(self) -> tuple:
        """What the form shows (to tell whether closing it would lose typing)."""
        texts = tuple((key, w.text() if isinstance(w, QLineEdit) else None) for key, w in sorted(self.fields.items()))
        return (texts, self.seniority.currentIndex(), self.source.currentIndex(),
                self.stage.currentIndex() if self.stage is not None else None, self.notes.toPlainText(),
                [(t, k) for _, t, k in self.emails.items()], [(t, k) for _, t, k in self.phones.items()])

    def reject(self) -> None:
        """Esc, Cancel and the window's close button: ask first if something was typed."""
        if self.guard.confirm_discard():
            super().reject()

    def _set_busy(self, busy: bool) -> None:
        self.save_button.setEnabled(not busy)
        if busy:
            self.setCursor(Qt.CursorShape.BusyCursor)
        else:
            self.unsetCursor()
