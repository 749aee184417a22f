"""Dialogs around one opportunity: new, edit, close as lost, next step.

All open with ``open()`` (window-modal, not blocking). A ``ValidationError`` is shown inline
with its field highlighted and the dialog stays open; a ``Conflict`` says someone else changed
the opportunity and offers to reload it. Widgets never touch the database: reads and writes
go through ``run_read``/``run_write`` (or through the board's write queue, for the dialogs
that only collect values: ``LostDialog``, ``NextStepDialog``, ``EditOpportunityDialog``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import QDate, QLocale, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLineEdit,
    QMessageBox, QPlainTextEdit, QSpinBox, QVBoxLayout, QWidget,
)

from leaddesk.errors import Conflict, LeadDeskError, NotFound, ValidationError
from leaddesk.models.search import fold
from leaddesk.services.people import accounts, lists
from leaddesk.services.pipeline import lost_reasons, opportunities
from leaddesk.services.team import users
from leaddesk.services.pipeline.board import BoardCard, BoardStage
from leaddesk.services.dto import OpportunityDetail
from leaddesk.services.records import Changes
from leaddesk.ui import errors
from leaddesk.ui.formatting import display_locale
from leaddesk.ui.people.account_completer import AccountNameCompleter
from leaddesk.ui.jobs import run_read, run_write
from leaddesk.ui.widgets.form_errors import FormErrors
from leaddesk.ui.widgets.form_guard import DiscardGuard, fields_snapshot

COMMON_CURRENCIES = ("EUR", "USD", "GBP", "CHF", "TRY", "IRR", "SAR", "AED", "THB", "JPY")


def qdate(value: dt.date) -> QDate:
    return QDate(value.year, value.month, value.day)


def pydate(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


def combo_index(combo: QComboBox, value) -> int:
    """The row whose item data equals ``value`` (-1: none). ``QComboBox.findData`` compares
    Python objects such as ``uuid.UUID`` by identity, so equal ids would not match."""
    return next((i for i in range(combo.count()) if combo.itemData(i) == value), -1)


def amount_text(text: str, locale: QLocale | None = None) -> str:
    """What the user typed, as the service reads amounts ("12.500,50" in German -> "12500.50")."""
    locale = locale or display_locale()
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    group, point = locale.groupSeparator(), locale.decimalPoint()
    if group:
        text = text.replace(group, "")
    if point and point != ".":
        text = text.replace(point, ".")
    return text


class OptionalDate(QWidget):
    """A date that may be empty: a check box turns the date edit on and off."""

    changed = Signal()

    def __init__(self, label: str = "", default: dt.date | None = None, parent=None):
        super().__init__(parent)
        self.check = QCheckBox(label)
        self.check.setToolTip(self.tr("Clear when there is no date yet"))
        self.edit = QDateEdit()
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat(display_locale().dateFormat(QLocale.FormatType.ShortFormat))
        self.edit.setDate(qdate(default or dt.date.today()))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check)
        layout.addWidget(self.edit, 1)
        self.check.toggled.connect(self.edit.setEnabled)
        self.check.toggled.connect(lambda _=None: self.changed.emit())
        self.edit.dateChanged.connect(lambda _=None: self.changed.emit())
        self.set_value(default)
        self.setFocusProxy(self.edit)

    def value(self) -> dt.date | None:
        return pydate(self.edit.date()) if self.check.isChecked() else None

    def set_value(self, value: dt.date | None) -> None:
        self.check.setChecked(value is not None)
        self.edit.setEnabled(value is not None)
        if value is not None:
            self.edit.setDate(qdate(value))


class FormDialog(QDialog):
    """Common parts: the forms' error banner (form_errors.py: Reload for conflicts, the field
    highlighted until fixed), OK/Cancel, and a question before typed changes are discarded."""

    def __init__(self, title: str, parent=None, *, ok_text: str | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.fields: dict[str, QWidget] = {}
        self.errors = FormErrors(self, reload=self.reload)
        self.errors.fields = self.fields  # one map: fields set directly are found too
        self.error_label = self.errors.label
        self.reload_button = self.errors.reload_button
        self.form = QFormLayout()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok_text:
            self.ok_button.setText(ok_text)
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.buttons)
        self.errors.install(layout)
        #: Marks the form clean when first shown; dialogs that load call ``guard.mark_clean()``.
        self.guard = DiscardGuard(self, fields_snapshot(self.fields))
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.submit)

    @property
    def invalid_field(self) -> str | None:
        return self.errors.invalid_field

    def add_field(self, key: str, label: str, widget: QWidget) -> QWidget:
        self.fields[key] = widget
        widget.setObjectName(key)
        self.form.addRow(label, widget)
        self.errors.watch(widget)
        return widget

    def submit(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def reload(self) -> None:
        self.clear_error()

    def set_busy(self, busy: bool) -> None:
        self.ok_button.setEnabled(not busy)

    def showEvent(self, event) -> None:
        self.guard.mark_if_new()
        super().showEvent(event)

    def reject(self) -> None:
        """Esc, Cancel and the window's close button: ask first if something was typed."""
        if self.guard.confirm_discard():
            super().reject()

    # --- errors -------------------------------------------------------------------------------
    def show_error(self, exc: BaseException) -> None:
        """Inline for what the user can fix here; a dialog for anything else."""
        self.set_busy(False)
        if isinstance(exc, ValidationError):
            self.show_inline_error(str(exc), exc.field)
        elif isinstance(exc, Conflict):
            self.show_inline_error(self.tr(
                "Someone else changed this opportunity after you opened it, so nothing was saved (their change "
                "is kept). Reload to see their version, then apply your change again."), conflict=True)
        elif isinstance(exc, (NotFound, LeadDeskError)):
            self.show_inline_error(str(exc))
        else:
            errors.show_error(self, exc)

    def show_inline_error(self, message: str, field: str | None = None, *, conflict: bool = False) -> None:
        self.errors.show_message(message, field, conflict=conflict)

    def clear_error(self) -> None:
        self.errors.clear()

    def _clear_invalid(self, *_args) -> None:
        """The marked field was edited: its message no longer describes what is typed."""
        if self.errors.is_shown() and self.errors.invalid_field is not None:
            self.errors.clear()


# --- new opportunity --------------------------------------------------------------------------

@dataclass(frozen=True)
class Created:
    detail: OpportunityDetail
    account_name: str
    changes: Changes


class UnknownAccount(ValidationError):
    def __init__(self, name: str):
        super().__init__(f"There is no account called “{name}”.", field="account_id")
        self.name = name


def resolve_account(db, name: str, current: tuple[uuid.UUID, str] | None, *, create: bool
                    ) -> tuple[uuid.UUID, str, bool]:
    """(id, name, created) of the account the user means (runs in a job)."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError("An opportunity belongs to an account: choose one.", field="account_id")
    if current is not None and fold(current[1]) == fold(name):
        return current[0], current[1], False
    rows = accounts.list_accounts(db, name_prefix=name, limit=50).items
    match = next((r for r in rows if fold(r.name) == fold(name)), None)
    if match is not None:
        return match.id, match.name, False
    if not create:
        raise UnknownAccount(name)
    made = accounts.create_account(db, name=name)
    return made.id, made.name, True


class NewOpportunityDialog(FormDialog):
    """Account (with suggestions), name, amount, currency, close date, stage: Enter saves."""

    created = Signal(object)  # Created

    def __init__(self, db, *, pipeline_id, currency: str, stages: Sequence[BoardStage],
                 account: tuple[uuid.UUID, str] | None = None, parent=None):
        super().__init__(self.tr("New opportunity"), parent, ok_text=self.tr("Create"))
        self.db = db
        self.pipeline_id = pipeline_id
        self.result: Created | None = None
        self._account = account
        self.account = QLineEdit(account[1] if account else "")
        self.account.setPlaceholderText(self.tr("Start typing an account name"))
        self._suggestions = AccountNameCompleter(db, self.account, self)
        self._names = self._suggestions.model
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("e.g. 40 forklifts for the Izmir warehouse"))
        self.amount = QLineEdit()
        self.amount.setPlaceholderText(display_locale().toString(12500.0, "f", 2))
        self.currency = QComboBox()
        self.currency.setEditable(True)
        for code in dict.fromkeys((currency, *COMMON_CURRENCIES)):
            self.currency.addItem(code)
        self.currency.setCurrentIndex(0)
        self.close_date = OptionalDate(default=_month_end(dt.date.today() + dt.timedelta(days=30)))
        self.stage = QComboBox()
        for st in stages:
            self.stage.addItem(f"{st.name} ({st.probability}%)", st.id)
        self.contact = QComboBox()
        self.contact.addItem(self.tr("No contact"), "")
        self._contacts_of: uuid.UUID | None = None  # the account whose contacts the list holds
        self.notes = _notes_edit(self.tr("What you know about this deal (optional)"))
        self.account.editingFinished.connect(self.load_contacts)
        self.add_field("account_id", self.tr("&Account:"), self.account)
        self.add_field("name", self.tr("&Name:"), self.name)
        money = QWidget()
        row = QHBoxLayout(money)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.amount, 1)
        row.addWidget(self.currency)
        self.fields["amount"] = self.amount
        self.fields["currency"] = self.currency
        self.amount.textEdited.connect(self._clear_invalid)
        self.form.addRow(self.tr("A&mount:"), money)
        self.add_field("expected_close_date", self.tr("&Close date:"), self.close_date)
        self.add_field("stage_id", self.tr("&Stage:"), self.stage)
        self.add_field("primary_contact_id", self.tr("Con&tact:"), self.contact)
        self.add_field("notes", self.tr("Not&es:"), self.notes)
        self.setMinimumWidth(440)
        (self.name if account else self.account).setFocus()
        if account:
            self.load_contacts()

    def load_contacts(self) -> None:
        """The typed account's contacts as the contact choices (read off the UI thread)."""
        db, typed, current = self.db, self.account.text(), self._account

        def work():
            try:
                account_id = resolve_account(db, typed, current, create=False)[0]
            except ValidationError:
                return None, []
            return account_id, lists.account_contact_choices(db, account_id)

        run_read(self, work).success(lambda result: self._on_contacts(*result)).run()

    def _on_contacts(self, account_id, choices) -> None:
        if account_id == self._contacts_of:
            return
        self._contacts_of = account_id
        fill_contacts(self.contact, choices, self.tr("No contact"))

    def refresh_suggestions(self) -> None:
        self._suggestions.refresh()

    def values(self) -> dict:
        return {"name": self.name.text(), "amount": amount_text(self.amount.text()) or "0",
                "currency": self.currency.currentText().strip().upper(),
                "expected_close_date": self.close_date.value(), "stage_id": self.stage.currentData(),
                "primary_contact_id": self.contact.currentData() or None,
                "notes": self.notes.toPlainText().strip() or None}

    def submit(self, *, create_account: bool = False) -> None:
        if not self.ok_button.isEnabled():
            return
        self.clear_error()
        db, pipe, current, typed = self.db, self.pipeline_id, self._account, self.account.text()
        values, contacts_of = self.values(), self._contacts_of

        def work() -> Created:
            account_id, account_name, made = resolve_account(db, typed, current, create=create_account)
            if account_id != contacts_of:
                values["primary_contact_id"] = None  # chosen among another account's contacts
            detail = opportunities.create_opportunity(db, account_id, pipeline_id=pipe, **values)
            changes = Changes.of("opportunity", detail.id)
            if made:
                changes = changes | Changes.of("account", account_id)
            return Created(detail, account_name, changes)

        self.set_busy(True)
        run_write(self, work).success(self._on_created).failure(self._on_failed).run()

    def _on_created(self, result: Created) -> None:
        self.set_busy(False)
        self.result = result
        self.created.emit(result)
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        self.set_busy(False)
        if isinstance(exc, UnknownAccount) and self.ask_create_account(exc.name):
            self.submit(create_account=True)
            return
        self.show_error(exc)

    def ask_create_account(self, name: str) -> bool:
        answer = QMessageBox.question(
            self, self.tr("New account"), self.tr("There is no account called “{0}” yet. Create it?").format(name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
        return answer == QMessageBox.StandardButton.Yes


def _notes_edit(placeholder: str) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setTabChangesFocus(True)
    edit.setPlaceholderText(placeholder)
    edit.setFixedHeight(80)
    return edit


def fill_contacts(combo: QComboBox, choices, none_text: str, current: uuid.UUID | None = None,
                  other_text: str = "") -> None:
    """Fill a deal's contact choices ("no contact" first); a current contact who is not
    among them (moved to another account since) stays choosable."""
    combo.clear()
    combo.addItem(none_text, "")
    for ident, name in choices:
        combo.addItem(name, ident)
    if current is not None and combo_index(combo, current) < 0:
        combo.addItem(other_text, current)
    combo.setCurrentIndex(max(0, combo_index(combo, current or "")))


def _month_end(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


# --- dialogs that collect values for the board's write queue ---------------------------------

class ValuesDialog(FormDialog):
    """Emits ``submitted(values)``; the board runs the write and then calls ``finish()`` or
    ``show_error(exc)`` (the dialog stays open on errors the user can fix)."""

    submitted = Signal(dict)

    def values(self) -> dict:  # pragma: no cover - overridden
        raise NotImplementedError

    def submit(self) -> None:
        if not self.ok_button.isEnabled():
            return
        self.clear_error()
        self.set_busy(True)
        self.submitted.emit(self.values())

    def finish(self) -> None:
        self.set_busy(False)
        self.accept()


class LostDialog(ValuesDialog):
    """Close as lost: one of the active lost reasons (required) and a note."""

    def __init__(self, db, card: BoardCard, parent=None):
        super().__init__(self.tr("Close “{0}” as lost").format(card.name), parent, ok_text=self.tr("Close as lost"))
        self.card = card
        self.reason = QComboBox()
        self.reason.addItem(self.tr("Loading reasons…"), "")
        self.note = QPlainTextEdit()
        self.note.setTabChangesFocus(True)
        self.note.setPlaceholderText(self.tr("What happened? (optional)"))
        self.note.setFixedHeight(90)
        self.add_field("lost_reason_id", self.tr("&Reason:"), self.reason)
        self.add_field("note", self.tr("&Note:"), self.note)
        self.setMinimumWidth(420)
        self.reason.setFocus()
        run_read(self, lambda: lost_reasons.list_lost_reasons(db)).success(self._on_reasons).failure(
            self.show_error).run()

    def _on_reasons(self, reasons) -> None:
        self.reason.clear()
        self.reason.addItem(self.tr("Choose why it was lost…"), "")
        for r in reasons:
            self.reason.addItem(r.name, r.id)

    def select_reason(self, name: str) -> bool:
        index = self.reason.findText(name)
        if index >= 0:
            self.reason.setCurrentIndex(index)
        return index >= 0

    def values(self) -> dict:
        return {"lost_reason_id": self.reason.currentData() or None, "note": self.note.toPlainText().strip() or None}


class NextStepDialog(ValuesDialog):
    """What happens next on this deal, and by when."""

    def __init__(self, card: BoardCard, parent=None):
        super().__init__(self.tr("Next step for “{0}”").format(card.name), parent, ok_text=self.tr("Save"))
        self.card = card
        self.text = QLineEdit(card.next_step or "")
        self.text.setPlaceholderText(self.tr("e.g. Send the revised proposal to the CFO"))
        self.due = OptionalDate(default=card.next_step_due)
        if card.next_step_due is None:
            self.due.edit.setDate(qdate(dt.date.today() + dt.timedelta(days=2)))
        self.add_field("next_step", self.tr("&Next step:"), self.text)
        self.add_field("next_step_due", self.tr("&Due:"), self.due)
        self.setMinimumWidth(440)
        self.text.setFocus()

    def values(self) -> dict:
        return {"next_step": self.text.text().strip() or None, "next_step_due": self.due.value()}


EDIT_FIELDS = ("name", "amount", "currency", "probability", "expected_close_date", "owner_id", "next_step",
               "next_step_due", "primary_contact_id", "notes")


@dataclass(frozen=True)
class _EditData:
    detail: OpportunityDetail
    users: list
    contacts: list = ()


class EditOpportunityDialog(ValuesDialog):
    """The opportunity's fields. ``submitted`` carries only what changed; ``old_values`` the
    same fields as loaded (for undo); ``version`` is the version the user saw."""

    def __init__(self, db, card: BoardCard, parent=None):
        super().__init__(self.tr("Edit “{0}”").format(card.name), parent, ok_text=self.tr("Save"))
        self.db = db
        self.card = card
        self.detail: OpportunityDetail | None = None
        self.version: int | None = None
        self.owner_names: dict[uuid.UUID, str] = {}
        self.name = QLineEdit(card.name)
        self.amount = QLineEdit()
        self.currency = QComboBox()
        self.currency.setEditable(True)
        for code in dict.fromkeys((card.currency, *COMMON_CURRENCIES)):
            self.currency.addItem(code)
        self.probability = QSpinBox()
        self.probability.setRange(-1, 100)
        self.probability.setSpecialValueText(self.tr("Stage default"))
        self.probability.setSuffix(" %")
        self.close_date = OptionalDate(default=card.expected_close_date)
        self.owner = QComboBox()
        self.next_step = QLineEdit()
        self.next_step_due = OptionalDate()
        self.contact = QComboBox()
        self.notes = _notes_edit(self.tr("What you know about this deal"))
        self.add_field("name", self.tr("&Name:"), self.name)
        self.add_field("amount", self.tr("A&mount:"), self.amount)
        self.add_field("currency", self.tr("C&urrency:"), self.currency)
        self.add_field("probability", self.tr("&Probability:"), self.probability)
        self.add_field("expected_close_date", self.tr("&Close date:"), self.close_date)
        self.add_field("owner_id", self.tr("&Owner:"), self.owner)
        self.add_field("next_step", self.tr("Ne&xt step:"), self.next_step)
        self.add_field("next_step_due", self.tr("&Due:"), self.next_step_due)
        self.add_field("primary_contact_id", self.tr("Con&tact:"), self.contact)
        self.add_field("notes", self.tr("Not&es:"), self.notes)
        self.history_button = self.buttons.addButton(self.tr("Histor&y…"), QDialogButtonBox.ButtonRole.ActionRole)
        self.history_button.setAutoDefault(False)
        self.history_button.setToolTip(self.tr("Who changed what on this opportunity, and when"))
        self.history_button.clicked.connect(self.show_history)
        self.setMinimumWidth(460)
        self.set_busy(True)
        self.load()

    def show_history(self):
        """Open the opportunity's field history (its stage moves included) beside the dialog."""
        from leaddesk.ui.team.history_panel import open_history

        return open_history(self, self.db, "opportunity", self.card.id, self.card.name)

    def load(self) -> None:
        db, ident = self.db, self.card.id
        account_id = self.card.account_id
        run_read(self, lambda: _EditData(opportunities.get_opportunity(db, ident), users.list_users(db),
                                              lists.account_contact_choices(db, account_id))).success(
            self._on_loaded).failure(self.show_error).run()

    def reload(self) -> None:
        super().reload()
        self.set_busy(True)
        self.load()

    def _on_loaded(self, data: _EditData) -> None:
        d = data.detail
        self.detail, self.version = d, d.version
        self.name.setText(d.name)
        self.amount.setText(display_locale().toString(float(d.amount), "f", 2))
        index = self.currency.findText(d.currency)
        if index < 0:
            self.currency.addItem(d.currency)
            index = self.currency.count() - 1
        self.currency.setCurrentIndex(index)
        self.probability.setValue(-1 if d.probability is None else d.probability)
        self.close_date.set_value(d.expected_close_date)
        self.owner.clear()
        self.owner.addItem(self.tr("No owner"), "")
        self.owner_names = {u.id: u.name for u in data.users}
        if d.owner_id is not None and d.owner_id not in self.owner_names:
            self.owner_names[d.owner_id] = self.card.owner_name or self.tr("(inactive user)")
        for ident, name in self.owner_names.items():
            self.owner.addItem(name, ident)
        self.owner.setCurrentIndex(max(0, combo_index(self.owner, d.owner_id or "")))
        self.next_step.setText(d.next_step or "")
        self.next_step_due.set_value(d.next_step_due)
        fill_contacts(self.contact, data.contacts, self.tr("No contact"), d.primary_contact_id,
                      self.tr("(a contact of another account)"))
        self.notes.setPlainText(d.notes or "")
        self.set_busy(False)
        self.guard.mark_clean()
        self.name.setFocus()
        self.name.selectAll()

    def form_values(self) -> dict:
        prob = self.probability.value()
        return {"name": self.name.text(), "amount": amount_text(self.amount.text()),
                "currency": self.currency.currentText().strip().upper(), "probability": None if prob < 0 else prob,
                "expected_close_date": self.close_date.value(), "owner_id": self.owner.currentData() or None,
                "next_step": self.next_step.text().strip() or None, "next_step_due": self.next_step_due.value(),
                "primary_contact_id": self.contact.currentData() or None,
                "notes": self.notes.toPlainText().strip() or None}

    def old_values(self, keys) -> dict:
        return {k: getattr(self.detail, k) for k in keys}

    def values(self) -> dict:
        """Only the fields that changed (amounts compared as numbers)."""
        new = self.form_values()
        changed = {}
        for key, value in new.items():
            old = getattr(self.detail, key)
            if key == "amount":
                try:
                    if Decimal(value) == old:
                        continue
                except ArithmeticError:
                    pass  # not a number: let the service say so
            elif key == "name" and value.strip() == old:
                continue
            elif value == old:
                continue
            changed[key] = value
        return changed
