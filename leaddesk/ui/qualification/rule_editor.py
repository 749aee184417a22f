"""Qualification ▸ Scoring rules…: the manager's rule editor and the score thresholds.

The list shows every rule (name, fit or interest, the criterion and its parameters in
words, points with their sign, active); the form edits one, with a parameter form that fits
its criterion (``rule_forms``). While a rule is edited, a preview computed in a worker
(``rule_preview.preview_rule``) says how many leads it hits and how many would change
temperature. Saving, deleting or restoring a rule rescores every lead in the background
(progress at the bottom). The thresholds (warm below hot) are saved on their own.

Rules and thresholds are configuration: reps see all of it read-only (the services refuse
their writes too).
"""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
)

from leaddesk.db import Database
from leaddesk.models.enums import ScoreFamily
from leaddesk.services.qualification import indicators, personas, rule_forms, rule_preview, scoring
from leaddesk.services.qualification.scoring_criteria import CRITERIA, MAX_POINTS
from leaddesk.ui.jobs import run_read
from leaddesk.ui.qualification._param_form import ParamForm
from leaddesk.ui.qualification._rule_editor_text import RescoreStatus, preview_text
from leaddesk.ui.qualification._rule_editor_writes import RuleWrites
from leaddesk.ui.qualification._rule_model import RulesModel, family_label
from leaddesk.ui.qualification.rescoring import rescorer
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.widgets.form_errors import FormErrors
from leaddesk.ui.widgets.form_guard import DiscardGuard

PREVIEW_DELAY_MS = 350


class RuleEditorDialog(RuleWrites, RescoreStatus, QDialog):
    #: (preview token, contacts done, total): emitted on the worker, shown on the UI thread
    preview_progress = Signal(int, int, int)

    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.db = db
        self.editable = rule_preview.may_configure(db)
        self.rule = None  # the RuleInfo being edited (None: a new rule)
        self.persona_choices: list[tuple[str, str]] = []
        self.preview = None
        self._preview_cancel: threading.Event | None = None
        self._preview_token = 0
        self.setWindowTitle(self.tr("Scoring rules"))
        self.resize(1180, 720)
        self._build()
        self.preview_timer = QTimer(self, singleShot=True, interval=PREVIEW_DELAY_MS)
        self.preview_timer.timeout.connect(self.preview_now)
        self.preview_progress.connect(self._on_preview_progress)
        rescorer.started.connect(self._on_rescore_started)
        rescorer.progress.connect(self._on_rescore_progress)
        rescorer.finished.connect(self._on_rescore_finished)
        self._set_editable()
        self.reload()

    # --- building ---------------------------------------------------------------------
    def _build(self) -> None:
        self.model = RulesModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._row_chosen)
        self.new_button = QPushButton(self.tr("&New rule"))
        self.delete_button = QPushButton(self.tr("&Delete"))
        self.restore_button = QPushButton(self.tr("&Restore"))
        self.show_deleted = QCheckBox(self.tr("Show deleted rules"))
        self.new_button.clicked.connect(self.new_rule)
        self.delete_button.clicked.connect(self.delete_rule)
        self.restore_button.clicked.connect(self.restore_rule)
        self.show_deleted.toggled.connect(lambda _on: self.reload())
        list_buttons = QHBoxLayout()
        for w in (self.new_button, self.delete_button, self.restore_button):
            list_buttons.addWidget(w)
        list_buttons.addStretch(1)
        list_buttons.addWidget(self.show_deleted)
        left = QVBoxLayout()
        left.addWidget(self.table, 1)
        left.addLayout(list_buttons)

        self.name = QLineEdit()
        self.family = QComboBox()
        for fam in ScoreFamily:
            self.family.addItem(family_label(fam), fam.value)
        self.criterion = QComboBox()
        for key in CRITERIA:
            self.criterion.addItem(rule_forms.criterion_label(key), key)
        self.criterion_help = QLabel()
        self.criterion_help.setWordWrap(True)
        self.criterion_help.setStyleSheet("color: palette(placeholder-text);")
        self.params = ParamForm()
        self.points = QSpinBox()
        self.points.setRange(-MAX_POINTS, MAX_POINTS)
        self.points.setMaximumWidth(120)
        self.points.setToolTip(self.tr("Negative points are normal: a student address, a careers-page visit …"))
        self.active = QCheckBox(self.tr("Active (counts in every score)"))
        form = QFormLayout()
        form.addRow(self.tr("&Name:"), self.name)
        form.addRow(self.tr("Fa&mily:"), self.family)
        form.addRow(self.tr("&Criterion:"), self.criterion)
        form.addRow("", self.criterion_help)
        form.addRow(self.params)
        form.addRow(self.tr("&Points:"), self.points)
        form.addRow("", self.active)
        self.preview_label = QLabel(self.tr("Preview: edit the rule to see how many leads it hits."))
        self.preview_label.setObjectName("rulePreview")
        self.preview_label.setWordWrap(True)
        self.preview_label.setStyleSheet("QLabel#rulePreview { background: palette(alternate-base); padding: 8px;"
                                         " border-radius: 4px; }")
        self.save_button = QPushButton(self.tr("&Save rule"))
        self.save_button.setDefault(True)
        self.revert_button = QPushButton(self.tr("Re&vert"))
        self.save_button.clicked.connect(self.save_rule)
        self.save_button.setToolTip(self.tr("Save the rule (Ctrl+S); then every lead is rescored"))
        QShortcut(QKeySequence.StandardKey.Save, self, activated=lambda: self.editable and self.save_rule())
        self.revert_button.clicked.connect(lambda: self._show_rule(self.rule))
        rule_buttons = QHBoxLayout()
        rule_buttons.addStretch(1)
        rule_buttons.addWidget(self.revert_button)
        rule_buttons.addWidget(self.save_button)
        box = QGroupBox(self.tr("Rule"))
        right = QVBoxLayout(box)
        right.addLayout(form)
        right.addWidget(self.preview_label)
        right.addStretch(1)
        right.addLayout(rule_buttons)
        box.setMinimumWidth(430)
        for signal in (self.name.textEdited, self.family.currentIndexChanged, self.points.valueChanged,
                       self.active.toggled, self.params.changed):
            signal.connect(self._edited)
        self.criterion.currentIndexChanged.connect(self._criterion_changed)

        self.warm = QSpinBox()
        self.hot = QSpinBox()
        for spin in (self.warm, self.hot):
            spin.setRange(0, 10 * MAX_POINTS)
        self.thresholds_button = QPushButton(self.tr("Save &thresholds"))
        self.thresholds_button.clicked.connect(self.save_thresholds)
        limits = QHBoxLayout()
        limits.addWidget(QLabel(self.tr("A lead is &warm from")))
        limits.itemAt(0).widget().setBuddy(self.warm)
        limits.addWidget(self.warm)
        limits.addWidget(QLabel(self.tr("points and &hot from")))
        limits.itemAt(2).widget().setBuddy(self.hot)
        limits.addWidget(self.hot)
        limits.addWidget(QLabel(self.tr("points (fit + interest).")))
        limits.addStretch(1)
        limits.addWidget(self.thresholds_button)
        thresholds = QGroupBox(self.tr("Thresholds"))
        thresholds.setLayout(limits)

        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        self.progress.hide()
        self.status = QLabel()
        self.notice = QLabel(self.tr("Scoring rules and thresholds are the team's configuration: only managers and "
                                     "admins change them. You can read them here."))
        self.notice.setWordWrap(True)
        self.notice.hide()
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(close)

        main = QHBoxLayout()
        main.addLayout(left, 3)
        main.addWidget(box, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addLayout(main, 1)
        layout.addWidget(thresholds)
        layout.addLayout(bottom)
        self.errors = FormErrors(self, {"name": self.name, "criterion": self.criterion, "points": self.points,
                                        "family": self.family, "score_hot": self.hot, "score_warm": self.warm},
                                 resolve=lambda f: self.params.widget_for(f.split(".", 1)[-1]))
        self.errors.install(layout)
        self.guard = DiscardGuard(self, lambda: self.rule_data(), what=self.tr("the scoring rule"))

    def _set_editable(self) -> None:
        ro = not self.editable
        self.notice.setVisible(ro)
        for w in (self.new_button, self.delete_button, self.restore_button, self.save_button, self.revert_button,
                  self.thresholds_button):
            w.setVisible(not ro)
        self.name.setReadOnly(ro)
        for w in (self.family, self.criterion, self.points, self.active, self.warm, self.hot):
            w.setEnabled(not ro)
        self.params.set_read_only(ro)

    # --- loading ----------------------------------------------------------------------
    def reload(self, select=None) -> None:
        deleted = self.show_deleted.isChecked()

        def work():
            return (scoring.list_rules(self.db, deleted=deleted), personas.list_personas(self.db),
                    scoring.thresholds(self.db), indicators.list_indicators(self.db))

        keep = select if select is not None else (self.rule.id if self.rule is not None else None)
        run_read(self, work).success(lambda loaded: self._loaded(loaded, keep)).run()

    def _loaded(self, loaded, keep) -> None:
        rules, people, limits, hpis = loaded
        self.persona_choices = [(p.name, str(p.id)) for p in people]
        self.params.indicators = [(h.name, str(h.id)) for h in hpis if h.criterion]
        self.model.set_rules(rules, {str(p.id): p.name for p in people}, {str(h.id): h.name for h in hpis})
        self.table.resizeColumnsToContents()
        for column, widest in ((0, 250), (2, 190)):  # long names elide; the parameters get the room
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), widest))
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.warm.setValue(limits.warm)
        self.hot.setValue(limits.hot)
        row = self.model.row_of(keep) if keep is not None else -1
        if row < 0 and self.model.rowCount():
            row = 0
        if row >= 0:
            self.table.selectRow(row)
            self._show_row(row)
        elif self.rule is None and self.name.text() == "":
            self.new_rule()
        self._update_buttons()

    def _update_buttons(self) -> None:
        deleted = self.rule is not None and self.rule.deleted
        self.restore_button.setEnabled(deleted)
        self.delete_button.setEnabled(self.rule is not None and not deleted)
        self.save_button.setEnabled(not deleted)

    def _row_chosen(self, current, previous) -> None:
        """Another rule clicked: ask first when the form holds unsaved edits."""
        if self.guard.confirm_discard():
            self._show_row(current.row())
        else:  # keep editing: the list goes back to the rule being edited
            model = self.table.selectionModel()
            model.blockSignals(True)
            if previous.isValid():
                self.table.selectRow(previous.row())
            else:
                self.table.clearSelection()
            model.blockSignals(False)

    def _show_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self._show_rule(self.model.index(row, 0).data(Roles.ROW))

    def _show_rule(self, rule) -> None:
        self.errors.clear()
        self.rule = rule
        for w in (self.name, self.family, self.criterion, self.points, self.active):
            w.blockSignals(True)
        self.name.setText(rule.name if rule else "")
        criterion = rule.criterion if rule else "seniority_in"
        self.criterion.setCurrentIndex(max(self.criterion.findData(criterion), 0))
        self.family.setCurrentIndex(self.family.findData(str(rule.family if rule else CRITERIA[criterion].family)))
        self.points.setValue(rule.points if rule else 10)
        self.active.setChecked(rule.active if rule else True)
        for w in (self.name, self.family, self.criterion, self.points, self.active):
            w.blockSignals(False)
        self.criterion_help.setText(rule_forms.criterion_help(criterion))
        self.params.set_criterion(criterion, rule.params if rule else None, self.persona_choices)
        self.params.set_read_only(not self.editable)
        self._update_buttons()
        self.guard.mark_clean()
        self.preview_now()

    def new_rule(self) -> None:
        if not self.guard.confirm_discard():
            return
        self.table.selectionModel().blockSignals(True)
        self.table.clearSelection()
        self.table.selectionModel().blockSignals(False)
        self._show_rule(None)
        self.name.setFocus()

    # --- editing and preview ------------------------------------------------------------
    def _criterion_changed(self, _index: int) -> None:
        criterion = self.criterion.currentData()
        self.criterion_help.setText(rule_forms.criterion_help(criterion))
        self.family.setCurrentIndex(self.family.findData(str(CRITERIA[criterion].family)))
        same = self.rule is not None and self.rule.criterion == criterion
        self.params.set_criterion(criterion, self.rule.params if same else None, self.persona_choices)
        self._edited()

    def _edited(self, *_args) -> None:
        self.preview_timer.start()

    def rule_data(self) -> dict:
        criterion = self.criterion.currentData()
        return {"name": self.name.text(), "family": self.family.currentData(), "criterion": criterion,
                "points": self.points.value(), "active": self.active.isChecked(),
                "params": rule_forms.params_from_form(criterion, self.params.form())}

    def preview_now(self) -> None:
        self.preview_timer.stop()
        if self._preview_cancel is not None:
            self._preview_cancel.set()
        cancel = self._preview_cancel = threading.Event()
        self._preview_token += 1
        token = self._preview_token
        data = self.rule_data()
        if not data["name"].strip():
            data["name"] = "(new rule)"
        rule_id = self.rule.id if self.rule is not None and not self.rule.deleted else None
        self.preview_label.setText(self.tr("Preview: counting…"))
        report = self.preview_progress.emit

        def work():
            return rule_preview.preview_rule(self.db, data, rule_id=rule_id, cancel=cancel,
                                             progress=lambda done, total: report(token, done, total))

        run_read(self, work).success(
            lambda p: self._previewed(token, p)).failure(lambda exc: self._previewed(token, exc)).run()

    def _on_preview_progress(self, token: int, done: int, total: int) -> None:
        if token == self._preview_token and done < total:
            self.preview_label.setText(self.tr("Preview: counting… {0} of {1} leads").format(
                f"{done:,}", f"{total:,}"))

    def _previewed(self, token: int, result) -> None:
        if token != self._preview_token:
            return
        self.preview = result
        self.preview_label.setText(preview_text(result))

    def reject(self) -> None:
        """Esc, Close and the window's close button: ask first if a rule was edited."""
        if not self.editable or self.guard.confirm_discard():
            super().reject()

    def done(self, result: int) -> None:
        """Closing stops a preview still counting (its worker would count for nobody)."""
        if self._preview_cancel is not None:
            self._preview_cancel.set()
        self.preview_timer.stop()
        super().done(result)


def open_rule_editor(window) -> RuleEditorDialog:
    """Qualification ▸ Scoring rules…"""
    dialog = RuleEditorDialog(window.db, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
