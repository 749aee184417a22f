"""Team ▸ Speed-to-lead & persistence…: the managers' per-rep SLA figures.

For a period (the last 7, 30 or 90 days) one row per rep: how fast the rep's new leads got
their first attempt (median and 90th percentile, share within the source's target), how
many attempts they got in their first days (persistence), the rep's open breaches now, and
meetings with no-shows (:mod:`leaddesk.services.followups.sla`). Read on a worker in two
steps: the rows with speed-to-lead first (the contacts alone), then persistence, breaches and
meetings (the activities), which show "…" until they arrive.

Whose rows: the service follows the signed-in user (a rep sees only her own row, a manager
her team's, an admin everyone's); the line above the table says which.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.models import access
from leaddesk.services import settings as team_settings
from leaddesk.services.followups import sla
from leaddesk.ui.errors import show_error
from leaddesk.ui.followups._sla_figures_model import SlaFiguresModel
from leaddesk.ui.jobs import run_read

PERIODS = (7, 30, 90)


def load_first_rows(db: Database, days: int, now: dt.datetime) -> tuple:
    """(rep figures: speed-to-lead only, the team's targets) for the last ``days``: the first rows."""
    figures = sla.rep_figures(db, since=now - dt.timedelta(days=days), until=now, meetings=False, attempts=False)
    return figures, team_settings.get_settings(db)


def load_rest(db: Database, days: int, now: dt.datetime) -> tuple:
    """(open breaches per owner, meetings and no-shows per owner, unassigned leads past the
    assignment SLA, persistence per owner): the slower reads, after the rows."""
    since = now - dt.timedelta(days=days)
    return (sla.breach_counts(db, now=now), sla.rep_meetings(db, since=since, until=now),
            sla.unassigned_overdue(db, now=now), sla.rep_persistence(db, since=since, until=now))


class SlaFiguresDialog(QDialog):
    """The table per rep with a period chooser; ``loaded`` state in ``model``."""

    def __init__(self, db: Database, parent=None, clock: Callable[[], dt.datetime] | None = None):
        super().__init__(parent)
        self.db = db
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self._generation = 0
        self.setWindowTitle(self.tr("Speed-to-lead & persistence"))
        self.period = QComboBox()
        self.period.setObjectName("slaPeriod")
        for days in PERIODS:
            self.period.addItem(self.tr("Last {0} days").format(days), days)
        self.period.setCurrentIndex(1)
        self.period.currentIndexChanged.connect(lambda _i: self.reload())
        self.targets = QLabel()
        self.targets.setObjectName("slaTargets")
        self.targets.setWordWrap(True)
        self.targets.setEnabled(False)  # the palette's quieter text
        self.model = SlaFiguresModel(self)
        self.table = QTableView()
        self.table.setObjectName("slaFiguresTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.empty = QLabel(self.tr("No rep has leads, attempts or meetings in this period."))
        self.empty.setObjectName("slaEmpty")
        self.empty.hide()
        self.scope = QLabel(self.scope_text())
        self.scope.setObjectName("slaScope")
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Period:")))
        top.addWidget(self.period)
        top.addSpacing(16)
        top.addWidget(self.scope)
        top.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.targets)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(buttons)
        self.unassigned = QLabel()
        self.unassigned.setObjectName("slaUnassigned")
        self.unassigned.hide()
        layout.insertWidget(layout.indexOf(self.empty), self.unassigned)
        self.resize(1080, 480)

    def scope_text(self) -> str:
        subject = self.db.write.subject
        if subject is None or subject.is_admin:
            return self.tr("Every rep's figures.")
        if subject.role == access.MANAGER:
            return self.tr("Your team's figures.")
        return self.tr("Your own figures (a manager sees the team's).")

    def days(self) -> int:
        return int(self.period.currentData())

    def reload(self) -> None:
        """Read the rows (speed-to-lead, persistence), show them, then the breaches and meetings."""
        self._generation += 1
        generation, db, days, now = self._generation, self.db, self.days(), self.clock()
        run_read(self, lambda: load_first_rows(db, days, now)).success(
            lambda result: self._first_rows(generation, result, days, now)).failure(
            lambda exc: show_error(self, exc)).run()

    def _first_rows(self, generation: int, result: tuple, days: int, now: dt.datetime) -> None:
        if generation != self._generation:
            return
        figures, settings = result
        self.model.set_figures(figures, None)
        self.empty.setVisible(not figures)
        self._show_targets(settings)
        db = self.db
        run_read(self, lambda: load_rest(db, days, now)).success(
            lambda rest: self._rest(generation, rest)).failure(lambda exc: show_error(self, exc)).run()

    def _rest(self, generation: int, rest: tuple) -> None:
        if generation != self._generation:
            return
        breaches, meetings, late_assignments, persistence = rest
        self.model.set_counts(breaches, meetings, persistence)
        waiting = breaches.get(None, 0)
        self.unassigned.setText(self.tr(
            "Unassigned: {0} lead(s) past their first-touch due time, {1} waiting for a rep longer than the "
            "assignment target. Assign them in Qualification ▸ Assignment & caps.").format(
            f"{waiting:,}", f"{late_assignments:,}"))
        self.unassigned.setVisible(bool(waiting or late_assignments))

    def _show_targets(self, settings: dict) -> None:
        by_source = ", ".join(f"{src.replace('_', ' ')} {minutes} min"
                              for src, minutes in sorted((settings["sla_first_touch_by_source"] or {}).items()))
        self.targets.setText(self.tr(
            "Targets: first touch within {0} min ({1}); at least {2} attempts in a lead's first {3} days. "
            "The clock starts at assignment, else at capture.").format(
            settings["sla_first_touch_minutes"], by_source or self.tr("every source alike"),
            settings["sla_first_week_calls"], settings["sla_attempt_days"]))


def open_sla_figures(window) -> SlaFiguresDialog:
    """Team ▸ Speed-to-lead & persistence… for ``window.db`` (one per window)."""
    parent = window if isinstance(window, QWidget) else None
    for dialog in (parent.findChildren(SlaFiguresDialog) if parent is not None else ()):
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog
    dialog = SlaFiguresDialog(window.db, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.reload()
    return dialog
