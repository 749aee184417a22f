""""Apply cadence…": start one of the team's cadences on a lead or a selection of leads.

The dialog lists the team's cadences (setting ``cadences``), and for the chosen one shows
every step with the day and time it will be due (in the rep's zone), from a start day and
optionally on working days only. Apply writes all runs in one unit of work in a worker; a
lead that already runs that cadence is refused with the service's sentence, shown in the
dialog (nothing is written then).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.services.followups import cadences
from leaddesk.services.followups.agenda import local_zone, zone_name
from leaddesk.ui.followups._log_defaults import kind_label
from leaddesk.ui.jobs import run_read, run_write

UTC = dt.timezone.utc


class ApplyCadenceDialog(QDialog):
    """Choose a cadence, see its steps and dates, apply. ``applied`` ({contact: run})."""

    applied = Signal(object)

    def __init__(self, db: Database, contact_ids, what: str, *, zone: dt.tzinfo | None = None,
                 now: dt.datetime | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.contact_ids = list(contact_ids)
        self.zone = zone or local_zone()
        self._now = now
        self.templates: list[cadences.Template] = []
        self.setWindowTitle(self.tr("Apply cadence"))
        self.about = QLabel(self.tr("Start a cadence for {0}.").format(what))
        self.about.setWordWrap(True)
        self.cadence = QComboBox()
        self.cadence.setObjectName("cadenceChoice")
        self.start = QDateEdit()
        self.start.setCalendarPopup(True)
        self.start.setDisplayFormat("ddd d MMM yyyy")
        today = self.now().astimezone(self.zone).date()
        self.start.setDate(QDate(today.year, today.month, today.day))
        self.working_days = QCheckBox(self.tr("Count &working days only (Monday to Friday)"))
        form = QFormLayout()
        form.addRow(self.tr("&Cadence:"), self.cadence)
        form.addRow(self.tr("&Start on:"), self.start)
        form.addRow("", self.working_days)
        self.steps = QTreeWidget()
        self.steps.setObjectName("cadenceSteps")
        self.steps.setRootIsDecorated(False)
        self.steps.setHeaderLabels([self.tr("Step"), self.tr("Due"), self.tr("Kind"), self.tr("Subject")])
        self.steps.setMinimumHeight(self.fontMetrics().lineSpacing() * 9)
        self.hint = QLabel(self.tr("Times in {0}. A reply from the lead, qualifying or disqualifying it stops "
                                   "the cadence; a step done late moves the later ones.").format(zone_name(self.zone)))
        self.hint.setWordWrap(True)
        self.hint.setEnabled(False)
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = self.buttons.addButton(self.tr("&Apply"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setEnabled(False)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.about)
        layout.addLayout(form)
        layout.addWidget(self.steps, 1)
        layout.addWidget(self.hint)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        for signal in (self.cadence.currentIndexChanged, self.start.dateChanged, self.working_days.toggled):
            signal.connect(lambda *_a: self.preview())
        db_ = db
        run_read(self, lambda: cadences.templates(db_)).success(self._loaded).run()

    def now(self) -> dt.datetime:
        return self._now or dt.datetime.now(UTC)

    def _loaded(self, templates: list[cadences.Template]) -> None:
        self.templates = templates
        self.cadence.blockSignals(True)
        for t in templates:
            self.cadence.addItem(self.tr("{0} ({1} steps)").format(t.name, len(t.steps)), t.key)
        self.cadence.blockSignals(False)
        self.apply_button.setEnabled(bool(templates))
        if not templates:
            self.show_error(self.tr("The team has no cadences: a manager sets them up in the team settings."))
        self.preview()

    def start_at(self) -> dt.datetime:
        """The start: now when the start day is today, else that day's midnight (zone)."""
        day = self.start.date().toPython()
        now = self.now()
        if day == now.astimezone(self.zone).date():
            return now
        return dt.datetime.combine(day, dt.time(), tzinfo=self.zone).astimezone(UTC)

    def chosen(self) -> cadences.Template | None:
        key = self.cadence.currentData()
        return next((t for t in self.templates if t.key == key), None)

    def planned(self) -> list[cadences.PlannedStep]:
        tpl = self.chosen()
        if tpl is None:
            return []
        return cadences.plan(tpl, self.start_at(), self.zone, working_days=self.working_days.isChecked())

    def preview(self) -> None:
        self.steps.clear()
        for step in self.planned():
            local = step.due_at.astimezone(self.zone)
            item = QTreeWidgetItem([str(step.number), local.strftime("%a %d %b %Y %H:%M"),
                                    kind_label(step.kind), step.subject])
            item.setData(0, Qt.ItemDataRole.UserRole, step)
            self.steps.addTopLevelItem(item)
        for col in range(3):
            self.steps.resizeColumnToContents(col)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def submit(self) -> None:
        tpl = self.chosen()
        if tpl is None:
            return
        db, ids, start, zone, working = (self.db, self.contact_ids, self.start_at(), self.zone,
                                         self.working_days.isChecked())
        self.apply_button.setEnabled(False)
        run_write(self, lambda: cadences.apply_cadence(db, tpl.key, ids, start=start, tz=zone,
                                                       working_days=working)).success(self._applied).failure(
            self._failed).run()

    def _applied(self, runs) -> None:
        self.applied.emit(runs)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.apply_button.setEnabled(True)
        self.show_error(str(exc))


def open_apply_cadence(parent: QWidget, db: Database, contact_ids, what: str) -> ApplyCadenceDialog:
    dialog = ApplyCadenceDialog(db, contact_ids, what, parent=parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
