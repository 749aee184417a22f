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
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QPushButton,
    QVBoxLayout, QWidget,
)

from leaddesk.errors import LeadDeskError, ValidationError
from leaddesk.models.enums import BantResult, LifecycleStage
from leaddesk.services.qualification import bant
from leaddesk.services.qualification.dto import BantOutcome
from leaddesk.services.records import Changes
from leaddesk.ui.errors import show_error
from leaddesk.ui.formatting import format_money
from leaddesk.ui.jobs import run_read, run_write
from leaddesk.ui.qualification._bant_fields import BantFields, qdate
from leaddesk.ui.qualification._bant_rows import PartRow
from leaddesk.ui.widgets.form_guard import DiscardGuard, widget_value
from leaddesk.ui.widgets.stage_badges import stage_long_label
BANNER = {BantResult.POSITIVE: "background: #e8f5e9; color: #1b5e20; border: 1px solid #2e7d32;",
          BantResult.INCOMPLETE: "background: #fff8e1; color: #6d4c00; border: 1px solid #b26a00;",
          BantResult.NEGATIVE: "background: #ffebee; color: #8e0000; border: 1px solid #c62828;"}


@dataclass(frozen=True)
class Saved:
    """A saved BANT, with what it changed (so views refresh)."""

    outcome: BantOutcome
    changes: Changes


class BantForm(BantFields, QDialog):
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
        self.guard = DiscardGuard(self, self._snapshot, what=self.tr("this BANT"))
        self.setEnabled(False)
        run_read(self, lambda: bant.form_data(db, contact_id, opportunity_id=opportunity_id)).success(
            self._on_loaded).failure(self._on_load_failed).run()

    # --- building ---------------------------------------------------------------------
    def _build(self) -> None:
        self.heading = QLabel()
        self.heading.setObjectName("bantHeading")
        heading_font = self.heading.font()
        heading_font.setBold(True)
        heading_font.setPointSizeF(heading_font.pointSizeF() * 1.15)
        self.heading.setFont(heading_font)
        self.legend = QLabel()
        self.legend.setObjectName("bantLegend")
        self.legend.setWordWrap(True)
        self.legend.setEnabled(False)
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
        layout.addWidget(self.legend)
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

    def _snapshot(self) -> tuple:
        fields = [w for kind in (QLineEdit, QComboBox, QCheckBox, QDateEdit) for w in self.findChildren(kind)]
        return tuple(self.statuses().values()) + tuple(widget_value(w) for w in fields)

    def reject(self) -> None:
        """Esc, Cancel or the close box: a filled-in, unsaved BANT asks first."""
        if self.outcome is not None or self.guard.confirm_discard():
            super().reject()

    # --- loading ----------------------------------------------------------------------
    def _on_loaded(self, d: bant.BantFormData) -> None:
        self.data = d
        where = self.tr(" for the opportunity “{0}”").format(d.opportunity_name) if d.opportunity_name else ""
        account = f" ({d.account_name})" if d.account_name else ""
        self.heading.setText(self.tr("BANT of {0}{1}{2}").format(d.contact_name, account, where))
        self.legend.setText(self.tr("* the team requires 'yes' for SQL. On a part: Y / P / N / U (or 1-4) sets "
                                    "its status, Tab moves on, Ctrl+Enter saves."))
        self._build_rows(d)
        self.requalify.setDate(qdate(d.today + dt.timedelta(days=d.requalify_days)))
        if d.latest is not None:
            self._fill(d.latest)
        self.setEnabled(True)
        self.update_outcome()
        self.guard.mark_clean()
        self.rows["budget"].setFocus()

    def _on_load_failed(self, exc: BaseException) -> None:
        show_error(self.parentWidget(), exc)
        self.reject()

    # --- live outcome -----------------------------------------------------------------
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

    # --- saving -----------------------------------------------------------------------
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
                 LifecycleStage.NURTURE: self.tr("in nurture")}.get(out.stage, stage_long_label(out.stage))
        text = self.tr("Saved: {0} is {1}. {2}").format(self.data.contact_name, stage, out.reason)
        if out.assigned_to is not None:
            text += " " + self.tr("Assigned round-robin to a rep of the team.")
        elif out.assignment_refused:
            text += " " + self.tr("Still unassigned: {0}").format(out.assignment_refused)
        self.banner.setText(text)
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


def open_bant_form(parent, db, contact_id, *, opportunity_id=None) -> BantForm:
    """Open the BANT form (window-modal, not blocking); deleted when closed."""
    form = BantForm(db, contact_id, opportunity_id=opportunity_id, parent=parent)
    form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    form.open()
    return form
