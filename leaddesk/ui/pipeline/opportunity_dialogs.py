"""Dialogs around one opportunity that collect values for the board's write queue: edit,
close as lost, next step.

All open with ``open()`` (window-modal, not blocking). A ``ValidationError`` is shown inline
with its field highlighted and the dialog stays open; a ``Conflict`` says someone else changed
the opportunity and offers to reload it. Widgets never touch the database: reads and writes
go through ``run_read``/``run_write`` (or through the board's write queue, for the dialogs
that only collect values: ``LostDialog``, ``NextStepDialog``, ``EditOpportunityDialog``).
The New opportunity dialog is in ``_new_opportunity_dialog``, the forms' common parts in
``_form_dialog``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QLineEdit, QPlainTextEdit, QSpinBox

from leaddesk.services.people import lists
from leaddesk.services.pipeline import lost_reasons, opportunities
from leaddesk.services.team import users
from leaddesk.services.pipeline.board import BoardCard
from leaddesk.services.dto import OpportunityDetail
from leaddesk.ui.followups.timeline import TimelineView
from leaddesk.ui.formatting import display_locale
from leaddesk.ui.jobs import run_read
from leaddesk.ui.pipeline._form_dialog import (
    COMMON_CURRENCIES, FormDialog, OptionalDate, _notes_edit, amount_text, combo_index, fill_contacts, qdate,
)


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
        self._add_timeline()
        self.set_busy(True)
        self.load()

    def _add_timeline(self) -> None:
        """The deal's activities (done and booked), under its fields."""
        self.timeline = TimelineView(self.db)
        self.timeline.setMinimumHeight(160)
        self.layout().insertWidget(1, self.timeline, 1)
        self.timeline.show_for(opportunity_id=self.card.id)

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
