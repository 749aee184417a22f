"""Qualification ▸ Learn from won/lost…: how each scoring rule did on the leads we won and
lost, the points the evidence proposes, and (for managers and admins) applying them.

The analysis (``services.qualification.learning.learn``) runs in a background job with a
progress bar; the table is :class:`~leaddesk.ui.qualification._learning_model.LearningTableModel`.
Applying writes the ticked points in one unit of work, then rescores every lead
(``scoring.rescore_all``) in another job and computes the table again. A panel says in
plain words how the numbers are made and what they cannot tell.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.errors import Conflict
from leaddesk.services.qualification import learning, scoring
from leaddesk.services.qualification.learning import LearningReport
from leaddesk.ui.jobs import run_background, run_write
from leaddesk.ui import errors as ui_errors
from leaddesk.ui.qualification._learning_model import POINT_LIMIT, PROPOSED, RULE, LearningTableModel
from leaddesk.ui.team.history_panel import restore_geometry, save_geometry


def _tr(text: str) -> str:
    return QCoreApplication.translate("LearningDialog", text)


def method_html(min_outcomes: int, min_hits: int) -> str:
    """The plain-language panel: how the numbers are made, and their limits."""
    return _tr(
        "<p><b>How this works.</b> Every closed lead counts: <i>won</i> when it is the main contact of a won deal "
        "or became a customer; <i>lost</i> when it is the main contact of a lost deal or was disqualified. "
        "Each rule is checked on each of them. <b>Lift</b> is the win rate when the rule holds divided by the "
        "win rate of all closed leads: above 1 the rule goes with wins, below 1 with losses. The range in "
        "brackets is where the true lift lies with 95% confidence; a range that spans 1 is not clear evidence. "
        "<b>Proposed points</b> follow how much the odds of winning change when the rule holds (the log of the "
        "odds ratio, with half a lead added to each count so that one empty count does not decide), scaled so "
        "the proposals spend as many points in total as those rules do now. Edit any proposal, tick the ones "
        "you accept and apply them: the leads are then scored again.</p>"
        "<p><b>What it cannot tell.</b> <b>Small samples:</b> with fewer than {0} closed leads, or fewer than "
        "{1} on which a rule holds (or does not), nothing is proposed, and ranges stay wide. <b>Correlation, "
        "not cause:</b> a rule may go with wins because of something else (a region, a rep, a campaign). "
        "<b>Only closed deals:</b> open leads and leads nobody worked are not in it, so rules about leads we "
        "never chased cannot be judged. <b>Facts as they are now:</b> LeadDesk does not keep a lead's facts "
        "from when the deal was decided; titles and companies change, and an engagement rule (\"in the last 30 "
        "days\") looks at the last days from today, not before the decision. <b>Each rule alone:</b> two rules "
        "that say the same thing both get the credit.</p>"
    ).format(min_outcomes, min_hits)


class _Progress(QObject):
    step = Signal(int, int)


class _PointsDelegate(QStyledItemDelegate):
    """Proposed points are edited in a spin box of the rules' range."""

    def createEditor(self, parent, option, index):
        editor = QSpinBox(parent)
        editor.setRange(-POINT_LIMIT, POINT_LIMIT)
        editor.setFrame(False)
        return editor


class LearningDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.setWindowTitle(_tr("Learn from won/lost"))
        self.summary = QLabel(_tr("Looking at the closed leads…"))
        self.summary.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.progress.hide()
        self._signals = _Progress(self)
        self._signals.step.connect(self._on_step, Qt.ConnectionType.QueuedConnection)

        self.model = LearningTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.table.setItemDelegateForColumn(PROPOSED, _PointsDelegate(self.table))
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(RULE, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)

        self.method = QLabel(method_html(learning.MIN_OUTCOMES, learning.MIN_HITS))
        self.method.setTextFormat(Qt.TextFormat.RichText)
        self.method.setWordWrap(True)
        self.method.setFrameShape(QFrame.Shape.StyledPanel)
        self.method.setMargin(8)
        self.method.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.tick = QPushButton(_tr("&Tick all proposals"))
        self.tick.clicked.connect(self.model.check_proposals)
        self.apply = QPushButton(_tr("&Apply ticked and rescore"))
        self.apply.clicked.connect(self.accept_ticked)
        self.recompute = QPushButton(_tr("&Recompute"))
        self.recompute.clicked.connect(self.compute)
        self.may_accept = learning.may_accept(db)
        if not self.may_accept:
            self.apply.setToolTip(_tr("Only managers and admins can change the scoring rules."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        for b in (self.tick, self.apply, self.recompute):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(buttons)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.progress)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.method)
        layout.addLayout(row)
        self.model.dataChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        self._busy = False
        self._closing = threading.Event()  # a computation still running when closed stops
        self._update_buttons()
        if not restore_geometry(self):
            self.resize(1180, 640)

    # --- computing ------------------------------------------------------------------------
    def compute(self) -> None:
        self._set_busy(True, _tr("Looking at the closed leads…"))
        emit = self._signals.step.emit
        db = self.db
        closing = self._closing
        run_background(self, lambda: learning.learn(db, progress=emit, cancel=closing)).success(self._show).finally_(
            lambda: self._set_busy(False)).run()

    def _on_step(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _show(self, report: LearningReport) -> None:
        self.model.set_report(report)
        self.table.setColumnWidth(RULE, min(320, max(180, self.table.sizeHintForColumn(RULE) + 12)))
        if report.rows:
            self.table.setCurrentIndex(self.model.index(0, RULE))
        if report.closed < report.min_outcomes:
            tail = _tr("Too few to propose anything: {0} are needed.").format(report.min_outcomes)
        else:
            tail = _tr("Proposals are in bold where they differ from today's points.")
        rate = "–" if report.win_rate is None else f"{report.win_rate:.0%}"
        self.summary.setText(_tr("{0} closed leads: {1} won, {2} lost (win rate {3}). {4}")
                             .format(report.closed, report.won, report.lost, rate, tail))

    # --- applying -------------------------------------------------------------------------
    def accept_ticked(self) -> None:
        changes = self.model.accepted()
        if not changes:
            return
        self._set_busy(True, _tr("Saving the new points…"))
        db = self.db
        run_write(self, lambda: learning.accept(db, changes)).success(self._rescore).failure(
            self._failed).run()

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        ui_errors.show_error(self, exc)
        if isinstance(exc, Conflict):  # a rule changed meanwhile: show it as it is now
            self.compute()

    def _rescore(self, changed) -> None:
        self.summary.setText(_tr("{0} rules changed. Scoring every lead again…").format(len(changed)))
        emit = self._signals.step.emit
        db = self.db
        run_background(self, lambda: scoring.rescore_all(db, progress=emit)).success(self._rescored).failure(
            self._failed).run()

    def _rescored(self, result) -> None:
        self._set_busy(False)
        self.rescored = result
        self.compute()

    # --- state ----------------------------------------------------------------------------
    def _set_busy(self, busy: bool, text: str | None = None) -> None:
        self._busy = busy
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)
        if text:
            self.summary.setText(text)
        self._update_buttons()

    def _update_buttons(self, *_args) -> None:
        self.recompute.setEnabled(not self._busy)
        self.tick.setEnabled(not self._busy and self.may_accept and self.model.rowCount() > 0)
        self.apply.setEnabled(not self._busy and self.may_accept and bool(self.model.accepted()))

    def done(self, result: int) -> None:
        self._closing.set()  # not the rescore: the new points are saved, the scores must follow
        save_geometry(self)
        super().done(result)


def open_learning(window) -> LearningDialog:
    """Qualification ▸ Learn from won/lost… for ``window.db`` (one per window)."""
    parent = window if isinstance(window, QWidget) else None
    for dialog in (parent.findChildren(LearningDialog) if parent is not None else ()):
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog
    dialog = LearningDialog(window.db, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.compute()
    return dialog
