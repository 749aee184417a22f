"""The New opportunity dialog: the account by name (suggested as you type, created on the
spot when there is none of that name, after asking), name, amount, currency, close date,
stage, contact and notes. It writes itself (``run_write``) and hands the board a
:class:`Created`.

Apart from the dialogs that only collect values for the board's write queue
(:mod:`.opportunity_dialogs`): this one finds or creates the account and the opportunity.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QMessageBox, QWidget

from leaddesk.errors import ValidationError
from leaddesk.models.search import fold
from leaddesk.services.people import accounts, lists
from leaddesk.services.pipeline import opportunities
from leaddesk.services.pipeline.board import BoardStage
from leaddesk.services.dto import OpportunityDetail
from leaddesk.services.records import Changes
from leaddesk.ui.formatting import display_locale
from leaddesk.ui.widgets.account_completer import AccountNameCompleter
from leaddesk.ui.jobs import run_read, run_write
from leaddesk.ui.pipeline._form_dialog import (
    COMMON_CURRENCIES, FormDialog, OptionalDate, _notes_edit, amount_text, fill_contacts,
)


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


def _month_end(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
