"""Qualification ▸ High-probability indicators…: the manager's editor of the team's HPIs.

The list shows each HPI with its rule, whether it is active and how many leads meet it now
(counted on a worker by :func:`leaddesk.services.qualification.hpi_reach.leads_meeting`,
never on the UI thread). The form beside it edits one HPI: name, description, active, and
its rule: a criterion of the scoring engine with its parameters, or "written only" for a
sign the data cannot show (it is listed as not checkable). Above the list, how many are
active out of the five a team may have; activating a sixth is refused with the service's
sentence. Reps (and anyone who is not a manager or admin) read the list only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.errors import NotFound
from leaddesk.models.enums import Role
from leaddesk.services.qualification import hpi_reach, indicators, personas
from leaddesk.services.qualification.indicators import MAX_ACTIVE, IndicatorInfo
from leaddesk.services.team import users
from leaddesk.ui.jobs import app_signals, run_background, run_read, run_write
from leaddesk.ui.qualification._indicator_parts import CRITERION_TEXT, HpiTableModel, ParamsForm
from leaddesk.ui.widgets.form_errors import FormErrors

EDITORS = (Role.MANAGER, Role.ADMIN)
#: Changes to leads arrive in bursts (a sync, a bulk edit): recount once they settle.
RECOUNT_DELAY_MS = 2000


@dataclass(frozen=True)
class EditorData:
    hpis: list[IndicatorInfo]
    personas: list
    #: Whether the signed-in user may change HPIs (managers and admins; anyone on a
    #: database with nobody signed in).
    editable: bool


def load_editor_data(db: Database) -> EditorData:
    """What the editor shows (runs on a worker)."""
    editable = True
    if db.write.actor_id is not None:
        try:
            editable = users.get_user(db, db.write.actor_id).role in EDITORS
        except NotFound:
            editable = False
    return EditorData(indicators.list_indicators(db), personas.list_personas(db, avoid=None), editable)


class IndicatorEditor(QDialog):
    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.db = db
        self.editable = False
        self.current: IndicatorInfo | None = None
        self._count_generation = 0
        self._cancel = threading.Event()
        self._recount = QTimer(self)
        self._recount.setSingleShot(True)
        self._recount.setInterval(RECOUNT_DELAY_MS)
        self._recount.timeout.connect(self._count)
        self.finished.connect(lambda _result: self._cancel.set())  # stop counting for a closed editor
        self.setWindowTitle(self.tr("High-probability indicators"))
        self.resize(980, 520)
        self._build()
        app_signals.data_changed.connect(self._on_data_changed)
        self.reload()

    # --- building -----------------------------------------------------------------------
    def _build(self) -> None:
        intro = QLabel(self.tr("The 3 to 5 signs your team agrees predict a purchase. Each is checked against "
                               "every lead like a scoring rule; scoring rules can give points for HPIs met."))
        intro.setWordWrap(True)
        self.limit = QLabel()
        self.limit.setObjectName("hpiLimit")
        self.limit.setWordWrap(True)
        self.read_only = QLabel(self.tr("Only managers and admins change HPIs; you can read them."))
        self.read_only.setObjectName("hpiReadOnly")
        self.read_only.hide()
        self.model = HpiTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column in (2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._select(cur.row()))
        self.counted = QLabel()
        self.counted.setEnabled(False)
        left = QVBoxLayout()
        left.addWidget(self.limit)
        left.addWidget(self.table, 1)
        left.addWidget(self.counted)

        self.name = QLineEdit()
        self.description = QPlainTextEdit()
        self.description.setFixedHeight(64)
        self.active = QCheckBox(self.tr("Active (leads are checked against it)"))
        self.criterion = QComboBox()
        self.criterion.addItem(self.tr("Written only (not checkable)"), None)
        for key, text in CRITERION_TEXT.items():
            self.criterion.addItem(self.tr(text), key)
        self.criterion.currentIndexChanged.connect(lambda _i: self.params.show_criterion(self.criterion.currentData()))
        self.params = ParamsForm()
        form = QFormLayout()
        form.addRow(self.tr("Name:"), self.name)
        form.addRow(self.tr("Description:"), self.description)
        form.addRow("", self.active)
        form.addRow(self.tr("Rule:"), self.criterion)
        form.addRow(self.params)
        self.new_button = QPushButton(self.tr("&New"))
        self.save_button = QPushButton(self.tr("&Save"))
        self.delete_button = QPushButton(self.tr("&Delete"))
        self.new_button.clicked.connect(self.new_hpi)
        self.save_button.clicked.connect(self.save)
        self.delete_button.clicked.connect(self.delete)
        buttons = QHBoxLayout()
        for b in (self.new_button, self.delete_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addStretch(1)
        right.addLayout(buttons)
        self.form_box = QWidget()
        self.form_box.setLayout(right)

        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addWidget(self.form_box, 2)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.read_only)
        layout.addLayout(body, 1)
        layout.addWidget(close)
        self.errors = FormErrors(self, {"name": self.name, "description": self.description, "active": self.active,
                                        "criterion": self.criterion},
                                 resolve=lambda key: self.params.widgets.get(key.removeprefix("params."),
                                                                             self.criterion))
        self.errors.install(layout)
        self.new_hpi()

    # --- loading ------------------------------------------------------------------------
    def reload(self) -> None:
        db = self.db
        run_read(self, lambda: load_editor_data(db)).success(self._fill).run()

    def _fill(self, data: EditorData) -> None:
        keep = self.current.id if self.current is not None else None
        self.editable = data.editable
        self.params.set_personas(data.personas)
        self.model.set_rows(data.hpis)
        active = sum(1 for h in data.hpis if h.active)
        if active >= MAX_ACTIVE:
            self.limit.setText(self.tr("{0} of {1} active: the limit. Retire one before activating another "
                                       "(a team works with 3 to 5).").format(active, MAX_ACTIVE))
            self.limit.setStyleSheet("color: #8c1d18; font-weight: bold;")
        else:
            self.limit.setText(self.tr("{0} of {1} active (a team works with 3 to 5).").format(active, MAX_ACTIVE))
            self.limit.setStyleSheet("")
        self.read_only.setVisible(not data.editable)
        for w in (self.name, self.description, self.active, self.criterion, self.params, self.new_button,
                  self.save_button, self.delete_button):
            w.setEnabled(data.editable)
        rows = [h.id for h in data.hpis]
        if keep in rows:
            self.table.selectRow(rows.index(keep))
        elif self.current is not None:
            self.new_hpi()
        self._count()

    def _count(self) -> None:
        self._recount.stop()
        self._cancel.set()  # a count still running answers an older question
        self._cancel = cancel = threading.Event()
        self._count_generation += 1
        generation, db = self._count_generation, self.db
        self.counted.setText(self.tr("Counting the leads that meet each HPI…"))
        run_background(self, lambda: hpi_reach.leads_meeting(db, cancel=cancel)).success(
            lambda reach: self._counted(generation, reach)).run()

    def _counted(self, generation: int, reach) -> None:
        if generation != self._count_generation or reach.cancelled:
            return
        self.model.set_counts(reach.met)
        self.counted.setText(self.tr("Leads checked now: {0:,} (lead, IQL, MQL, SQL and nurture).").format(reach.leads))

    def _on_data_changed(self, changes, _initiator) -> None:
        entities = getattr(changes, "entities", None)
        if changes is None or (entities and entities & {"indicator", "persona"}):
            self.reload()
        elif entities and entities & {"contact", "contact_email", "account", "engagement_event"}:
            self._recount.start()  # the HPIs are the same; how many leads meet them may not be

    # --- editing ------------------------------------------------------------------------
    def _select(self, row: int) -> None:
        if not 0 <= row < len(self.model.rows):
            return
        h = self.model.rows[row]
        self.current = h
        self.errors.clear()
        self.name.setText(h.name)
        self.description.setPlainText(h.description or "")
        self.active.setChecked(h.active)
        self.criterion.blockSignals(True)
        self.criterion.setCurrentIndex(max(0, self.criterion.findData(h.criterion)))
        self.criterion.blockSignals(False)
        self.params.show_criterion(h.criterion, h.params)
        self.delete_button.setEnabled(self.editable)

    def new_hpi(self) -> None:
        self.current = None
        self.table.clearSelection()
        self.errors.clear()
        self.name.clear()
        self.description.clear()
        self.active.setChecked(True)
        self.criterion.setCurrentIndex(0)
        self.params.show_criterion(None)
        self.delete_button.setEnabled(False)
        self.name.setFocus()

    def values(self) -> dict:
        criterion = self.criterion.currentData()
        return {"name": self.name.text(), "description": self.description.toPlainText() or None,
                "active": self.active.isChecked(), "criterion": criterion,
                "params": self.params.params() if criterion else {}}

    def save(self) -> None:
        values, current, db = self.values(), self.current, self.db
        if current is None:
            work = lambda: indicators.create_indicator(db, **values)  # noqa: E731
        else:
            work = lambda: indicators.update_indicator(db, current.id, expected_version=current.version,  # noqa: E731
                                                       **values)
        self.errors.clear()
        run_write(self, work).success(self._saved).failure(self.errors.show).run()

    def _saved(self, hpi: IndicatorInfo) -> None:
        self.current = hpi
        self.reload()

    def delete(self) -> None:
        current, db = self.current, self.db
        if current is None:
            return
        self.errors.clear()
        run_write(self, lambda: indicators.delete_indicator(db, current.id, expected_version=current.version)).success(
            lambda _r: (self.new_hpi(), self.reload())).failure(self.errors.show).run()


def open_indicator_editor(window) -> IndicatorEditor:
    """Qualification ▸ High-probability indicators… (the main window's menu)."""
    dialog = IndicatorEditor(window.db, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
