"""The BANT form: qualify a lead (or an opportunity) during a call, by keyboard.

Four part rows (Budget, Authority, Need, Timing) each take their status by one key while
the row has focus (Y / P / N / U or 1-4, hinted on the row), then Tab walks the part's
details and note top-down. A banner shows the outcome live, by the team's rule ("Complete:
propose SQL", "Incomplete: authority partial, timing unknown — nurture until 2027-03-06",
"Negative: no need — nurture until …"). Ctrl+Enter saves through
:func:`leaddesk.services.qualification.bant.record_bant` on a worker. After a positive BANT
the form offers "Create the opportunity on <account>" and shows the opportunity made.

Opened with :func:`open_bant_form` from the lead panel ("Qualify (BANT)…", Ctrl+B in the
contact detail) and from an opportunity card's context menu on the board.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QLabel, QPushButton, QVBoxLayout, QWidget,
)

from leaddesk.errors import LeadDeskError, ValidationError
from leaddesk.models.enums import Authority, BantPartStatus, BantResult, BuyingRole, LifecycleStage
from leaddesk.services.qualification import bant
from leaddesk.services.qualification.dto import BantDetail, BantOutcome
from leaddesk.services.records import Changes
from leaddesk.ui.errors import show_error
from leaddesk.ui.formatting import format_money
from leaddesk.ui.jobs import run_read, run_write
from leaddesk.ui.qualification._bant_rows import PartRow, line_edit

CURRENCIES = ("EUR", "USD", "GBP", "CHF", "TRY", "SEK", "PLN")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
BANNER = {BantResult.POSITIVE: "background: #e8f5e9; color: #1b5e20; border: 1px solid #2e7d32;",
          BantResult.INCOMPLETE: "background: #fff8e1; color: #6d4c00; border: 1px solid #b26a00;",
          BantResult.NEGATIVE: "background: #ffebee; color: #8e0000; border: 1px solid #c62828;"}
NEW_PERSON, THE_CONTACT = "new", "self"


@dataclass(frozen=True)
class Saved:
    """A saved BANT, with what it changed (so views refresh)."""

    outcome: BantOutcome
    changes: Changes


def role_label(role: BuyingRole) -> str:
    return role.value.replace("_", " ").capitalize()


class BantForm(QDialog):
    """The BANT of one contact (optionally for one opportunity)."""

    saved = Signal(object)  # BantOutcome
    opportunity_created = Signal(object)  # OpportunityDetail

    def __init__(self, db, contact_id, *, opportunity_id=None, parent=None):
        super().__init__(parent)
        self.db, self.contact_id, self.opportunity_id = db, contact_id, opportunity_id
        self.data: bant.BantFormData | None = None
        self.outcome: BantOutcome | None = None
        self.setWindowTitle(self.tr("Qualify (BANT)"))
        self._build()
        self.setEnabled(False)
        run_read(self, lambda: bant.form_data(db, contact_id, opportunity_id=opportunity_id)).success(
            self._on_loaded).failure(self._on_load_failed).run()

    # --- building ---------------------------------------------------------------------
    def _build(self) -> None:
        self.heading = QLabel()
        self.heading.setObjectName("bantHeading")
        self.banner = QLabel()
        self.banner.setObjectName("bantOutcome")
        self.banner.setWordWrap(True)
        self.banner.setMargin(8)
        font = self.banner.font()
        font.setBold(True)
        self.banner.setFont(font)
        self.rows: dict[str, PartRow] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.banner)
        self._rows_at = layout.count()
        self.error = QLabel()
        self.error.setObjectName("bantError")
        self.error.setStyleSheet("color: #c62828;")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        self.requalify = QDateEdit()
        self.requalify.setObjectName("requalifyOn")
        self.requalify.setCalendarPopup(True)
        self.requalify.setDisplayFormat("yyyy-MM-dd")
        self.requalify.dateChanged.connect(self.update_outcome)
        bottom = QFormLayout()
        bottom.addRow(self.tr("&Re-qualify on:"), self.requalify)
        self.created = QLabel()
        self.created.setObjectName("bantCreated")
        self.created.setWordWrap(True)
        self.created.setVisible(False)
        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton(self.tr("Save"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setToolTip(QKeySequence("Ctrl+Return").toString(QKeySequence.SequenceFormat.NativeText))
        self.create_button = QPushButton()
        self.create_button.setObjectName("createOpportunity")
        self.buttons.addButton(self.create_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.create_button.setVisible(False)  # offered after a positive BANT (the box shows what it adds)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        for button in (self.save_button, self.create_button, self.close_button):
            button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.create_button.clicked.connect(self.create_opportunity)
        self.close_button.clicked.connect(self.reject)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.save)
        self.bottom = bottom
        layout.addLayout(bottom)
        layout.addWidget(self.error)
        layout.addWidget(self.created)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(640)

    def _build_rows(self, d: bant.BantFormData) -> None:
        layout: QVBoxLayout = self.layout()
        titles = {"budget": self.tr("Budget"), "authority": self.tr("Authority"), "need": self.tr("Need"),
                  "timing": self.tr("Timing")}
        for i, part in enumerate(bant.PARTS):
            row = PartRow(part, titles[part], part in d.required)
            row.changed.connect(self.update_outcome)
            self.rows[part] = row
            layout.insertWidget(self._rows_at + i, row)
        b, a, n, t = (self.rows[p] for p in bant.PARTS)
        self.amount = b.add_detail(self.tr("Amount:"), line_edit(self.tr("e.g. 48000"), "budget_amount", max_length=20))
        self.currency = QComboBox()
        self.currency.setObjectName("budget_currency")
        self.currency.setEditable(True)
        self.currency.addItems([d.default_currency] + [c for c in CURRENCIES if c != d.default_currency])
        b.add_detail(self.tr("Currency:"), self.currency)
        self.source = b.add_detail(self.tr("Source:"), line_edit(self.tr("Who said so, or which plan"),
                                                                 "budget_source", max_length=200))
        self.who = QComboBox()
        self.who.setObjectName("decision_maker")
        self.who.addItem(self.tr("Not named yet"), None)
        self.who.addItem(self.tr("{0} decides").format(d.contact_name), THE_CONTACT)
        for c in d.colleagues:
            self.who.addItem(f"{c.name} — {c.job_title}" if c.job_title else c.name, c.id)
        if d.account_id is not None:
            self.who.addItem(self.tr("New person on {0}…").format(d.account_name), NEW_PERSON)
        else:
            self.who.addItem(self.tr("New person…"), NEW_PERSON)
        a.add_detail(self.tr("Decision maker:"), self.who)
        self.new_given = line_edit(self.tr("First name"), "decision_maker_given_name", max_length=120)
        self.new_family = line_edit(self.tr("Last name"), "decision_maker_family_name", max_length=120)
        self.new_title = line_edit(self.tr("Job title"), "decision_maker_job_title", max_length=200)
        self.new_person = QWidget()
        person = QFormLayout(self.new_person)
        person.setContentsMargins(0, 0, 0, 0)
        for label, edit in ((self.tr("First name:"), self.new_given), (self.tr("Last name:"), self.new_family),
                            (self.tr("Job title:"), self.new_title)):
            person.addRow(label, edit)
        a.add_detail("", self.new_person)
        self.new_person.setVisible(False)
        self.who.currentIndexChanged.connect(self._on_who)
        self.role = QComboBox()
        self.role.setObjectName("decision_maker_role")
        for role in BuyingRole:
            self.role.addItem(role_label(role), role)
        a.add_detail(self.tr("Role:"), self.role)
        self.need = n.add_detail(self.tr("In their words:"), line_edit(self.tr("The pain, as the buyer says it"),
                                                                       "need", max_length=20000))
        self.offer = n.add_detail(self.tr("Our offer:"), line_edit(self.tr("Which offer fits"), "need_offer",
                                                                   max_length=200))
        self.no_need = QCheckBox(self.tr("No need (they do not need us)"))
        self.no_need.setObjectName("no_need")
        self.no_need.toggled.connect(self._on_no_need)
        n.add_detail("", self.no_need)
        self.when = t.add_detail(self.tr("When:"), line_edit(self.tr("2027-06-30 or Q2 2027"), "timing"))
        self.driver = t.add_detail(self.tr("Driven by:"), line_edit(self.tr("Contract end, budget year, go-live…"),
                                                                    "timing_driver"))
        self.amount.textChanged.connect(self.update_outcome)
        chain = [b, self.amount, self.currency, self.source, b.note, a, self.who, self.new_given, self.new_family,
                 self.new_title, self.role, a.note, n, self.need, self.offer, self.no_need, n.note, t, self.when,
                 self.driver, t.note, self.requalify, self.save_button]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    # --- loading ----------------------------------------------------------------------
    def _on_loaded(self, d: bant.BantFormData) -> None:
        self.data = d
        where = self.tr(" for the opportunity “{0}”").format(d.opportunity_name) if d.opportunity_name else ""
        account = f" ({d.account_name})" if d.account_name else ""
        self.heading.setText(self.tr("BANT of {0}{1}{2}").format(d.contact_name, account, where))
        self._build_rows(d)
        self.requalify.setDate(_qdate(d.today + dt.timedelta(days=d.requalify_days)))
        if d.latest is not None:
            self._fill(d.latest)
        self.setEnabled(True)
        self.update_outcome()
        self.rows["budget"].setFocus()

    def _on_load_failed(self, exc: BaseException) -> None:
        show_error(self.parentWidget(), exc)
        self.reject()

    def _fill(self, b: BantDetail) -> None:
        """Start from the latest BANT: a re-qualification changes what moved since."""
        for part, status in b.statuses().items():
            self.rows[part].set_status(status)
        for edit, value in ((self.amount, b.budget_amount), (self.source, b.budget_source),
                            (self.rows["budget"].note, b.budget_note), (self.rows["authority"].note, b.authority_note),
                            (self.need, b.need), (self.offer, b.need_offer), (self.rows["need"].note, b.need_note),
                            (self.when, b.timing_date.isoformat() if b.timing_date else b.timing),
                            (self.driver, b.timing_driver), (self.rows["timing"].note, b.timing_note)):
            edit.setText("" if value is None else str(value))
        if b.budget_currency:
            self.currency.setCurrentText(b.budget_currency)
        index = self.who.findData(b.decision_maker_id) if b.decision_maker_id else -1
        self.who.setCurrentIndex(max(index, 0))
        self.role.setCurrentIndex(max(self.role.findData(b.decision_maker_role), 0))
        self.no_need.setChecked(b.no_need)
        if b.requalify_on is not None and b.requalify_on > self.data.today:
            self.requalify.setDate(_qdate(b.requalify_on))

    # --- live outcome -----------------------------------------------------------------
    def statuses(self) -> dict:
        return {part: row.status() for part, row in self.rows.items()}

    def _amount(self) -> Decimal | None:
        try:
            return Decimal(self.amount.text().strip()) if self.amount.text().strip() else None
        except InvalidOperation:
            return None

    def live_outcome(self):
        return bant.bant_outcome(self.statuses(), required=self.data.required, no_need=self.no_need.isChecked(),
                                 budget_amount=self._amount())

    def banner_text(self, verdict) -> str:
        if verdict.result is BantResult.POSITIVE:
            return self.tr("Complete: propose SQL")
        until = self.requalify.date().toString("yyyy-MM-dd")
        head = self.tr("Negative") if verdict.result is BantResult.NEGATIVE else self.tr("Incomplete")
        return self.tr("{0}: {1} — nurture until {2}").format(head, ", ".join(verdict.problems), until)

    def update_outcome(self) -> None:
        if self.data is None or not self.rows or self.outcome is not None:
            return
        verdict = self.live_outcome()
        self.banner.setText(self.banner_text(verdict))
        self.banner.setStyleSheet(f"QLabel#bantOutcome {{ {BANNER[verdict.result]} border-radius: 4px; }}")
        self.requalify.setEnabled(verdict.result is not BantResult.POSITIVE)

    def _on_who(self) -> None:
        self.new_person.setVisible(self.who.currentData() == NEW_PERSON)
        if self.who.currentData() is not None:
            self.rows["authority"].set_status(BantPartStatus.YES)

    def _on_no_need(self, checked: bool) -> None:
        if checked:
            self.rows["need"].set_status(BantPartStatus.NO)
        self.update_outcome()

    # --- saving -----------------------------------------------------------------------
    def values(self) -> dict:
        who = self.who.currentData()
        when = self.when.text().strip()
        verdict = self.live_outcome()
        out = {f"{p}_status": s for p, s in self.statuses().items()}
        out.update(
            budget_amount=self.amount.text().strip() or None, budget_currency=self.currency.currentText().strip() or None,
            budget_source=self.source.text(), budget_note=self.rows["budget"].note.text(),
            authority=Authority.DECISION_MAKER if who == THE_CONTACT else Authority.UNKNOWN,
            decision_maker_id=who if who not in (None, THE_CONTACT, NEW_PERSON) else None,
            decision_maker_role=self.role.currentData(), authority_note=self.rows["authority"].note.text(),
            need=self.need.text(), need_offer=self.offer.text(), need_note=self.rows["need"].note.text(),
            no_need=self.no_need.isChecked(), timing=None if ISO_DATE.match(when) else when or None,
            timing_date=when if ISO_DATE.match(when) else None, timing_driver=self.driver.text(),
            timing_note=self.rows["timing"].note.text(), opportunity_id=self.opportunity_id,
            requalify_on=(None if verdict.result is BantResult.POSITIVE
                          else self.requalify.date().toPython()))
        if who == NEW_PERSON:
            out["new_decision_maker"] = {"given_name": self.new_given.text(), "family_name": self.new_family.text(),
                                         "job_title": self.new_title.text()}
        return out

    def save(self) -> None:
        if self.data is None or self.outcome is not None or not self.save_button.isEnabled():
            return
        values, db, cid = self.values(), self.db, self.data.contact_id
        self.error.setVisible(False)
        self.save_button.setEnabled(False)

        def write() -> Saved:
            out = bant.record_bant(db, cid, **values)
            ids = {cid, out.bant.id} | ({out.decision_maker_id} if out.decision_maker_id else set())
            return Saved(out, Changes(frozenset({"bant", "contact", "lifecycle_event"}), frozenset(ids)))

        run_write(self, write).success(self._on_saved).failure(self._on_save_failed).run()

    def _on_save_failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        if not isinstance(exc, LeadDeskError):
            show_error(self, exc)
            return
        self.error.setText(str(exc))
        self.error.setVisible(True)
        widget = self.findChild(QWidget, exc.field) if isinstance(exc, ValidationError) and exc.field else None
        if widget is None and isinstance(exc, ValidationError) and exc.field and exc.field.endswith("_status"):
            widget = self.rows.get(exc.field.removesuffix("_status"))
        if widget is not None:
            widget.setFocus()

    def _on_saved(self, saved: Saved) -> None:
        out = self.outcome = saved.outcome
        stage = {LifecycleStage.SQL: self.tr("sales-qualified (SQL)"),
                 LifecycleStage.NURTURE: self.tr("in nurture")}.get(out.stage, out.stage.value)
        self.banner.setText(self.tr("Saved: {0} is {1}. {2}").format(self.data.contact_name, stage, out.reason))
        for row in self.rows.values():
            row.setEnabled(False)
        self.requalify.setEnabled(False)
        self.save_button.setVisible(False)
        self.close_button.setText(self.tr("Close"))
        if (out.bant.result is BantResult.POSITIVE and self.data.account_id is not None
                and self.opportunity_id is None):
            self.create_button.setText(self.tr("Create the opportunity on {0}").format(self.data.account_name))
            self.create_button.setVisible(True)
            self.create_button.setFocus()
        else:
            self.close_button.setFocus()
        self.saved.emit(out)

    def create_opportunity(self) -> None:
        if self.outcome is None:
            return
        db, bant_id = self.db, self.outcome.bant.id
        self.create_button.setEnabled(False)
        run_write(self, lambda: bant.create_opportunity_from_bant(db, bant_id)).success(
            self._on_created).failure(self._on_create_failed).run()

    def _on_create_failed(self, exc: BaseException) -> None:
        self.create_button.setEnabled(True)
        show_error(self, exc)

    def _on_created(self, opp) -> None:
        self.create_button.setVisible(False)
        close = self.tr(", expected to close {0}").format(opp.expected_close_date.isoformat()) \
            if opp.expected_close_date else ""
        self.created.setText(self.tr("Opportunity created: “{0}”, {1}{2}. It is on the pipeline board.").format(
            opp.name, format_money(opp.amount, opp.currency), close))
        self.created.setVisible(True)
        self.close_button.setFocus()
        self.opportunity_created.emit(opp)


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def open_bant_form(parent, db, contact_id, *, opportunity_id=None) -> BantForm:
    """Open the BANT form (window-modal, not blocking); deleted when closed."""
    form = BantForm(db, contact_id, opportunity_id=opportunity_id, parent=parent)
    form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    form.open()
    return form
