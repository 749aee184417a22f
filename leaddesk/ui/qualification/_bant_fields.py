"""The BANT form's fields: the four part rows with their details, filled from the latest
BANT and read back as the keywords of ``record_bant``. A mixin of
:class:`~leaddesk.ui.qualification.bant_form.BantForm` (which owns the banner, the
re-qualify date, the buttons and the writes)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QVBoxLayout, QWidget

from leaddesk.models.enums import Authority, BantPartStatus, BantResult, BuyingRole
from leaddesk.services.qualification import bant
from leaddesk.services.qualification.dto import BantDetail
from leaddesk.ui.qualification._bant_rows import PartRow, line_edit

CURRENCIES = ("EUR", "USD", "GBP", "CHF", "TRY", "SEK", "PLN")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NEW_PERSON, THE_CONTACT = "new", "self"


def role_label(role: BuyingRole) -> str:
    return role.value.replace("_", " ").capitalize()


def qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


class BantFields:
    """The part rows and their details (mixed into the form)."""

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
        a.details.setRowVisible(self.new_person, False)  # no gap while hidden
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

    def _fill(self, b: BantDetail) -> None:
        """Start from the latest BANT: a re-qualification changes what moved since."""
        for edit, value in ((self.amount, b.budget_amount), (self.source, b.budget_source),
                            (self.rows["budget"].note, b.budget_note), (self.rows["authority"].note, b.authority_note),
                            (self.need, b.need), (self.offer, b.need_offer), (self.rows["need"].note, b.need_note),
                            (self.when, b.timing_date.isoformat() if b.timing_date else b.timing),
                            (self.driver, b.timing_driver), (self.rows["timing"].note, b.timing_note)):
            edit.setText("" if value is None else str(value))
        if b.budget_currency:
            self.currency.setCurrentText(b.budget_currency)
        if b.decision_maker_id:
            index = next((i for i in range(self.who.count()) if self.who.itemData(i) == b.decision_maker_id), 0)
        else:
            index = self.who.findData(THE_CONTACT) if b.authority is Authority.DECISION_MAKER else 0
        self.who.setCurrentIndex(max(index, 0))
        self.role.setCurrentIndex(next((i for i in range(self.role.count())
                                        if self.role.itemData(i) == b.decision_maker_role), 0))
        self.no_need.setChecked(b.no_need)
        if b.requalify_on is not None and b.requalify_on > self.data.today:
            self.requalify.setDate(qdate(b.requalify_on))
        for part, status in b.statuses().items():  # last: choosing a decision maker above says 'yes'
            self.rows[part].set_status(status)

    def statuses(self) -> dict:
        return {part: row.status() for part, row in self.rows.items()}

    def _amount(self) -> Decimal | None:
        try:
            return Decimal(self.amount.text().strip()) if self.amount.text().strip() else None
        except InvalidOperation:
            return None

    def _on_who(self) -> None:
        self.rows["authority"].details.setRowVisible(self.new_person, self.who.currentData() == NEW_PERSON)
        if self.who.currentData() is not None:
            self.rows["authority"].set_status(BantPartStatus.YES)

    def _on_no_need(self, checked: bool) -> None:
        if checked:
            self.rows["need"].set_status(BantPartStatus.NO)
        self.update_outcome()

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

