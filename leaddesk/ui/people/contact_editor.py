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
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt, Signal
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
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.errors import Conflict, DuplicateContact, LeadDeskError, NotFound, ValidationError
from leaddesk.models.enums import EmailKind, LeadSource, PhoneKind, Seniority
from leaddesk.services.people import accounts, contacts, phones
from leaddesk.services import validation as v
from leaddesk.services.dto import ContactDetail, EmailInfo, PhoneInfo
from leaddesk.services.records import Changes
from leaddesk.services.validation import sort_key
from leaddesk.ui.errors import show_error
from leaddesk.ui.people.account_completer import AccountNameCompleter
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


def _tr(text: str) -> str:
    return QCoreApplication.translate("ContactLabels", text)


class UnknownCompany(ValidationError):
    """The company typed in the form is not an account yet (the dialog offers to create it)."""

    def __init__(self, name: str):
        super().__init__(_tr("There is no company called “{0}” yet.").format(name), field="account_id")
        self.name = name


@dataclass(frozen=True)
class SavedContact:
    """A write job's result: the contact plus what changed (for ``app_signals.data_changed``)."""

    detail: ContactDetail
    changes: Changes


@dataclass(frozen=True)
class _Loaded:
    detail: ContactDetail
    account_name: str | None


def resolve_account(db: Database, name: str, *, current: tuple[uuid.UUID, str] | None,
                    create: bool) -> tuple[uuid.UUID | None, bool]:
    """The account called ``name`` (accent- and case-insensitive): (id, created?).
    Runs inside the write job."""
    name = name.strip()
    if not name:
        return None, False
    key = sort_key(name)
    if current is not None and sort_key(current[1]) == key:
        return current[0], False
    for row in accounts.list_accounts(db, name_prefix=name, limit=50).items:
        if sort_key(row.name) == key:
            return row.id, False
    if create:
        return None, True  # the contact service creates it in the contact's transaction
    raise UnknownCompany(name)


class ListRows(QWidget):
    """A few editable rows (value, kind, remove) plus an "Add" button: e-mails or phones."""

    edited = Signal()

    def __init__(self, kinds: list[tuple[object, str]], placeholder: str, add_text: str, parent=None):
        super().__init__(parent)
        self._kinds = kinds
        self._placeholder = placeholder
        self.rows: list[tuple[QWidget, QLineEdit, QComboBox]] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self.add_button = QPushButton(add_text)
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(lambda: self.add_row().setFocus())
        bar = QHBoxLayout()
        bar.addWidget(self.add_button)
        bar.addStretch(1)
        self._layout.addLayout(bar)

    def add_row(self, value: str = "", kind=None) -> QLineEdit:
        box = QWidget(self)
        line = QHBoxLayout(box)
        line.setContentsMargins(0, 0, 0, 0)
        edit = QLineEdit(value)
        edit.setPlaceholderText(self._placeholder)
        edit.textEdited.connect(self.edited)
        combo = QComboBox()
        for data, label in self._kinds:
            combo.addItem(label, data)
        if kind is not None:
            combo.setCurrentIndex(max(0, combo.findData(kind)))
        remove = QToolButton()
        remove.setText("✕")
        remove.setToolTip(self.tr("Remove"))
        remove.setAutoRaise(True)
        remove.clicked.connect(lambda: self.remove_row(box))
        line.addWidget(edit, 1)
        line.addWidget(combo)
        line.addWidget(remove)
        self._layout.insertWidget(len(self.rows), box)
        self.rows.append((box, edit, combo))
        self.setFocusProxy(self.rows[0][1])  # the label's mnemonic lands in the first row
        return edit

    def remove_row(self, box: QWidget) -> None:
        self.rows = [r for r in self.rows if r[0] is not box]
        box.hide()
        box.deleteLater()
        if not self.rows:
            self.add_row()
        self.setFocusProxy(self.rows[0][1])

    def set_items(self, items: list[tuple[str, object]]) -> None:
        for box, _, _ in self.rows:
            box.hide()
            box.deleteLater()
        self.rows = []
        self.setFocusProxy(None)
        for value, kind in items:
            self.add_row(value, kind)
        if not self.rows:
            self.add_row()

    def items(self) -> list[tuple[int, str, object]]:
        """(row number, text, kind) of every non-empty row, in order."""
        return [(i, edit.text().strip(), combo.currentData()) for i, (_, edit, combo) in enumerate(self.rows)
                if edit.text().strip()]

    def editor(self, row: int) -> QLineEdit | None:
        return self.rows[row][1] if 0 <= row < len(self.rows) else None


class ContactEditorDialog(QDialog):
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
        for key in ("given_name", "family_name", "job_title", "department", "street", "postal_code", "city"):
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
                              "city")}
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
        self.accept()

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

    # --- inline errors ----------------------------------------------------------------
    def widget_for(self, field: str | None) -> QWidget | None:
        if not field:
            return None
        for kind, rows in (("emails", self.emails), ("phones", self.phones)):
            if field.startswith(f"{kind}["):
                try:
                    index = int(field[len(kind) + 1:-1])
                    return rows.editor(self._row_map[kind][index])
                except (ValueError, IndexError, KeyError, AttributeError):
                    return None
        return self.fields.get(field)

    def show_inline_error(self, message: str, field: str | None = None, *, conflict: bool = False) -> None:
        widget = self.errors.widget_for(field)
        if widget is not None:
            self.errors.watch(widget)  # an e-mail or phone row made after the form was built
        self.errors.show_message(message, field, conflict=conflict and self.contact_id is not None)

    def clear_error(self) -> None:
        self.errors.clear()

    # --- checks while a field is marked (no database: they run on the UI thread) ---------
    def _check_names(self) -> None:
        contacts.clean_contact({"given_name": self.fields["given_name"].text(),
                                "family_name": self.fields["family_name"].text()}, partial=True)
        if not (self.fields["given_name"].text().strip() or self.fields["family_name"].text().strip()):
            raise ValidationError(self.tr("Give at least a first or a last name."), field="given_name")

    def _marked_text(self) -> str:
        widget = self.errors.widget_for(self.errors.invalid_field)
        return widget.text() if isinstance(widget, QLineEdit) else ""

    def _check_email(self) -> None:
        v.normalize_email(self._marked_text(), field=self.errors.invalid_field or "emails")

    def _check_phone(self) -> None:
        field = self.errors.invalid_field or "phones[0]"
        try:
            index = int(field[len("phones["):-1])
        except ValueError:
            index = 0
        label = self.tr("Phone") if len(self._row_map["phones"]) <= 1 else self.tr("Phone {0}").format(index + 1)
        try:
            region = country_input(self.fields["country"].text())
            region = v.country(region) if region else self.default_region
        except ValidationError:
            region = self.default_region
        phones.parse_phone(self._marked_text(), region=region or v.DEFAULT_REGION, label=label, field=field)

    def _check_country(self) -> None:
        v.country(country_input(self.fields["country"].text()))

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
