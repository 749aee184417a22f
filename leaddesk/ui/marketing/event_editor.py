"""Create or edit a campaign or event: name, kind, dates, place, cost and its currency,
notes. Errors show in the form's banner with the field outlined until it is fixed
(widgets/form_errors.py); a change someone else saved meanwhile offers Reload; Esc,
Cancel or closing the window asks before typed changes are thrown away (form_guard.py).
The save runs as a write job (ui/jobs.py), never on the UI thread."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtCore import QDate, QLocale, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.services import settings as team_settings
from leaddesk.services.marketing import campaigns
from leaddesk.services.marketing.dto import CampaignDetail
from leaddesk.services.records import Changes
from leaddesk.ui.formatting import display_locale
from leaddesk.ui.jobs import run_read, run_write
from leaddesk.ui.marketing._texts import kinds
from leaddesk.ui.widgets.form_errors import FormErrors
from leaddesk.ui.widgets.form_guard import DiscardGuard, fields_snapshot

CURRENCIES = ("EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "TRY", "AED", "JPY")


@dataclass(frozen=True)
class CampaignSaved:
    """A write job's result: the campaign as saved and what changed (for ``data_changed``)."""

    detail: CampaignDetail
    changes: Changes


def saved(detail: CampaignDetail) -> CampaignSaved:
    return CampaignSaved(detail, Changes.of("campaign", detail.id))


class OptionalDateEdit(QWidget):
    """A date that may be empty: the check box turns the date on and off."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.check = QCheckBox()
        self.edit = QDateEdit()
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat("d MMM yyyy")  # month names in the user's language; no 4/7 vs 7/4
        self.edit.setDate(QDate.currentDate())
        self.edit.setEnabled(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check)
        layout.addWidget(self.edit, 1)
        self.check.toggled.connect(self._on_toggled)
        self.edit.dateChanged.connect(lambda _d: self.changed.emit())
        self.setFocusProxy(self.check)

    def _on_toggled(self, on: bool) -> None:
        self.edit.setEnabled(on)
        self.setFocusProxy(self.edit if on else self.check)  # the label's shortcut reaches what can be typed in
        self.changed.emit()

    def value(self) -> dt.date | None:
        return self.edit.date().toPython() if self.check.isChecked() else None

    def set_value(self, value: dt.date | None) -> None:
        if value is not None:
            self.edit.setDate(QDate(value.year, value.month, value.day))
        self.check.setChecked(value is not None)
        self._on_toggled(value is not None)


def amount_text(text: str, locale: QLocale | None = None) -> str:
    """A typed amount as the service reads it ("12.500,50" in German -> "12500.50")."""
    locale = locale or display_locale()
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if locale.groupSeparator():
        text = text.replace(locale.groupSeparator(), "")
    if locale.decimalPoint() and locale.decimalPoint() != ".":
        text = text.replace(locale.decimalPoint(), ".")
    return text


class EventEditorDialog(QDialog):
    saved = Signal(object)  # CampaignDetail

    def __init__(self, db: Database, campaign: CampaignDetail | None = None, parent=None):
        super().__init__(parent)
        self.db = db
        self.campaign = campaign
        self.setWindowTitle(self.tr("Edit event") if campaign else self.tr("New event"))
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("e.g. LogiMAT 2026"))
        self.kind = QComboBox()
        for kind, label in kinds():
            self.kind.addItem(label, kind)
        self.starts_on = OptionalDateEdit()
        self.ends_on = OptionalDateEdit()
        self.location = QLineEdit()
        self.location.setPlaceholderText(self.tr("city, venue or online"))
        self.cost = QLineEdit()
        self.cost.setPlaceholderText(self.tr("stand, travel, fees"))
        self.currency = QComboBox()
        self.currency.setEditable(True)
        self.currency.addItems(CURRENCIES)
        self.currency.lineEdit().setMaxLength(3)
        self.currency.setCurrentIndex(0)
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(80)
        cost_row_widget = QWidget()
        cost_row = QHBoxLayout(cost_row_widget)
        cost_row.setContentsMargins(0, 0, 0, 0)
        cost_row.addWidget(self.cost, 1)
        cost_row.addWidget(self.currency)
        cost_row_widget.setFocusProxy(self.cost)
        form = QFormLayout()
        form.addRow(self.tr("&Name"), self.name)
        form.addRow(self.tr("&Kind"), self.kind)
        form.addRow(self.tr("S&tarts"), self.starts_on)
        form.addRow(self.tr("&Ends"), self.ends_on)
        form.addRow(self.tr("&Place"), self.location)
        form.addRow(self.tr("&Cost"), cost_row_widget)
        form.addRow(self.tr("N&otes"), self.notes)
        self.fields = {"name": self.name, "kind": self.kind, "starts_on": self.starts_on, "ends_on": self.ends_on,
                       "location": self.location, "cost": self.cost, "currency": self.currency, "notes": self.notes}
        checks = {key: (lambda k=key: self._check(k)) for key in self.fields}
        # a date's error outlines its date box (the check box beside it stays plain)
        marked = dict(self.fields, starts_on=self.starts_on.edit, ends_on=self.ends_on.edit)
        self.errors = FormErrors(self, marked, checks=checks, reload=self.reload)
        for date in (self.starts_on, self.ends_on):
            self.errors.watch(date)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.errors.install(layout)
        self.guard = DiscardGuard(self, fields_snapshot(self.fields), what=self.tr("this event"))
        if campaign is not None:
            self._fill(campaign)
        else:
            run_read(self, lambda: team_settings.get_settings(db)["default_currency"]).success(
                self._on_default_currency).failure(lambda _e: None).run()
        self.guard.mark_clean()
        self.resize(460, self.sizeHint().height())

    # --- filling --------------------------------------------------------------------------------
    def _fill(self, c: CampaignDetail) -> None:
        self.name.setText(c.name)
        self.kind.setCurrentIndex(max(0, self.kind.findData(c.kind)))
        self.starts_on.set_value(c.starts_on)
        self.ends_on.set_value(c.ends_on)
        self.location.setText(c.location or "")
        self.cost.setText("" if c.cost is None else display_locale().toString(float(c.cost), "f", 2))
        self._set_currency(c.currency)
        self.notes.setPlainText(c.notes or "")
        if hasattr(self, "guard"):
            self.guard.mark_clean()

    def _set_currency(self, code: str | None) -> None:
        if not code:
            return
        row = self.currency.findText(code)
        if row < 0:
            self.currency.addItem(code)
            row = self.currency.count() - 1
        self.currency.setCurrentIndex(row)

    def _on_default_currency(self, code) -> None:
        if not self.guard.is_dirty():
            self._set_currency(code)
            self.guard.mark_clean()

    def values(self) -> dict:
        cost = amount_text(self.cost.text())
        return {
            "name": self.name.text(),
            "kind": self.kind.currentData(),
            "starts_on": self.starts_on.value(),
            "ends_on": self.ends_on.value(),
            "location": self.location.text().strip() or None,
            "cost": cost or None,
            "currency": self.currency.currentText().strip().upper() or None,
            "notes": self.notes.toPlainText().strip() or None,
        }

    # --- checks while a field is marked (no database: they run on the UI thread) -------------
    def _check(self, key: str) -> None:
        values = self.values()
        campaigns.clean_campaign({key: values[key]}, partial=True)
        starts, ends = values["starts_on"], values["ends_on"]
        if key in ("starts_on", "ends_on") and starts and ends and ends < starts:
            raise ValidationError(self.tr("The event cannot end before it starts."), field="ends_on")
        if key in ("cost", "currency") and values["cost"] and not values["currency"]:
            raise ValidationError(self.tr("Give the currency of the cost."), field="currency")

    # --- saving ---------------------------------------------------------------------------------
    def save(self) -> None:
        self.errors.clear()
        values = self.values()
        if self.campaign is None:
            job = lambda: saved(campaigns.create_campaign(self.db, **values))  # noqa: E731
        else:
            c = self.campaign
            job = lambda: saved(campaigns.update_campaign(self.db, c.id, expected_version=c.version,  # noqa: E731
                                                          **values))
        self.buttons.setEnabled(False)
        run_write(self, job).success(self._saved).failure(self._failed).finally_(
            lambda: self.buttons.setEnabled(True)).run()

    def _saved(self, result: CampaignSaved) -> None:
        self.campaign = result.detail
        self.guard.mark_clean()
        self.saved.emit(result.detail)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        if not self.errors.show(exc):
            from leaddesk.ui.errors import show_error

            show_error(self, exc)

    def reload(self) -> None:
        """Load the version someone else saved (the banner's Reload): this form's typing is replaced."""
        if self.campaign is None:
            return
        ident = self.campaign.id
        run_read(self, lambda: campaigns.get_campaign(self.db, ident)).success(self._reloaded).run()

    def _reloaded(self, detail: CampaignDetail) -> None:
        self.campaign = detail
        self.errors.clear()
        self._fill(detail)

    def reject(self) -> None:
        """Esc, Cancel and the window's close button: ask first if something was changed."""
        if self.guard.confirm_discard():
            super().reject()
