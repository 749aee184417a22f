"""Create or edit an account. Errors show in the form's banner until fixed (form_errors.py);
Esc, Cancel or closing the window asks before typed changes are thrown away (form_guard.py)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
)

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.services.people import accounts, phones
from leaddesk.services import validation as v
from leaddesk.services.dto import AccountDetail
from leaddesk.ui.jobs import run_read, run_write
from leaddesk.ui.widgets.form_errors import FormErrors
from leaddesk.ui.widgets.form_guard import DiscardGuard, fields_snapshot


class AccountEditorDialog(QDialog):
    saved = Signal(object)  # AccountDetail

    def __init__(self, db: Database, account: AccountDetail | None = None, parent=None):
        super().__init__(parent)
        self.db = db
        self.account = account
        self.setWindowTitle(self.tr("Edit account") if account else self.tr("New account"))
        self.name = QLineEdit()
        self.website = QLineEdit()
        self.industry = QLineEdit()
        self.employees = QSpinBox()
        self.employees.setRange(0, 10_000_000)
        self.employees.setSpecialValueText(self.tr("unknown"))
        self.revenue = QLineEdit()
        self.revenue.setPlaceholderText(self.tr("e.g. 2500000"))
        self.currency = QLineEdit()
        self.currency.setPlaceholderText("EUR")
        self.currency.setMaxLength(3)
        self.country = QLineEdit()
        self.country.setPlaceholderText(self.tr("name or ISO code"))
        self.city = QLineEdit()
        self.phone = QLineEdit()
        self.tags = QLineEdit()
        self.tags.setPlaceholderText(self.tr("comma-separated"))
        self.notes = QPlainTextEdit()
        self.notes.setFixedHeight(80)
        form = QFormLayout()
        for label, widget in (
            (self.tr("&Name"), self.name), (self.tr("&Website"), self.website), (self.tr("&Industry"), self.industry),
            (self.tr("&Employees"), self.employees), (self.tr("Annual &revenue"), self.revenue),
            (self.tr("Revenue c&urrency"), self.currency), (self.tr("&Country"), self.country),
            (self.tr("Ci&ty"), self.city), (self.tr("&Phone"), self.phone), (self.tr("T&ags"), self.tags),
            (self.tr("N&otes"), self.notes),
        ):
            form.addRow(label, widget)
        fields = {
            "name": self.name, "website": self.website, "domain": self.website, "industry": self.industry,
            "employees": self.employees, "annual_revenue": self.revenue, "revenue_currency": self.currency,
            "country": self.country, "city": self.city, "phone": self.phone, "tags": self.tags, "notes": self.notes,
        }
        checks = {key: (lambda k=key: self._check(k)) for key in fields if key not in ("domain", "employees")}
        checks["phone"] = self._check_phone
        self.errors = FormErrors(self, fields, checks=checks)
        self.error = self.errors.label
        self.default_region: str | None = None
        run_read(self, lambda: phones.default_region(db)).success(self._on_region).failure(lambda _e: None).run()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.errors.install(layout)
        self.guard = DiscardGuard(self, fields_snapshot(fields), what=self.tr("this account"))
        if account:
            self._fill(account)
        self.guard.mark_clean()

    def _fill(self, a: AccountDetail) -> None:
        self.name.setText(a.name)
        self.website.setText(a.website or a.domain or "")
        self.industry.setText(a.industry or "")
        self.employees.setValue(a.employees or 0)
        self.revenue.setText("" if a.annual_revenue is None else str(a.annual_revenue))
        self.currency.setText(a.revenue_currency or "")
        self.country.setText(a.country or "")
        self.city.setText(a.city or "")
        self.phone.setText(a.phone or "")
        self.tags.setText(", ".join(a.tags))
        self.notes.setPlainText(a.notes or "")
        if hasattr(self, "guard"):
            self.guard.mark_clean()

    def _on_region(self, region: str) -> None:
        self.default_region = region

    # --- checks while a field is marked (no database: they run on the UI thread) ---------
    def _check(self, key: str) -> None:
        values = self.values()
        data = {key: values[key]}
        if key in ("annual_revenue", "revenue_currency"):
            data = {"annual_revenue": values["annual_revenue"], "revenue_currency": values["revenue_currency"]}
        accounts.clean_account(data, partial=key != "name")

    def _check_phone(self) -> None:
        text = self.phone.text()
        if not text.strip():
            return
        try:
            region = v.country(self.country.text()) or self.default_region
        except ValidationError:
            region = self.default_region
        phones.parse_phone(text, region=region or v.DEFAULT_REGION, label=self.tr("Phone"), field="phone")

    def reject(self) -> None:
        """Esc, Cancel and the window's close button: ask first if something was changed."""
        if self.guard.confirm_discard():
            super().reject()

    def values(self) -> dict:
        return {
            "name": self.name.text(),
            "website": self.website.text() or None,
            "industry": self.industry.text() or None,
            "employees": self.employees.value() or None,
            "annual_revenue": self.revenue.text().strip() or None,
            "revenue_currency": self.currency.text().strip() or None,
            "country": self.country.text() or None,
            "city": self.city.text() or None,
            "phone": self.phone.text() or None,
            "tags": self.tags.text(),
            "notes": self.notes.toPlainText() or None,
        }

    def save(self) -> None:
        self.errors.clear()
        values = self.values()
        if self.account is None:
            job = lambda: accounts.create_account(self.db, **values)  # noqa: E731
        else:
            acct = self.account
            job = lambda: accounts.update_account(self.db, acct.id, expected_version=acct.version, **values)  # noqa: E731
        self.buttons.setEnabled(False)
        run_write(self, job).success(self._saved).failure(self._failed).finally_(
            lambda: self.buttons.setEnabled(True)).run()

    def _saved(self, detail: AccountDetail) -> None:
        self.account = detail
        self.guard.mark_clean()
        self.saved.emit(detail)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        if FormErrors.is_conflict(exc):
            answer = QMessageBox.question(
                self, self.tr("Changed by someone else"),
                str(exc) + "\n\n" + self.tr("Reload the account now? Your typing in this form will be replaced."),
            )
            if answer == QMessageBox.StandardButton.Yes and self.account is not None:
                run_read(self, lambda: accounts.get_account(self.db, self.account.id)).success(self._reloaded).run()
            self.errors.show(exc)
            return
        if not self.errors.show(exc):
            from leaddesk.ui.errors import show_error

            show_error(self, exc)

    def _reloaded(self, detail: AccountDetail) -> None:
        self.account = detail
        self._fill(detail)
