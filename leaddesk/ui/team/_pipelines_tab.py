"""The Pipelines tab of the team settings dialog: the team's pipelines (add, rename) and the
stages of the chosen one (name, order, win probability, rotting days; add, remove, move up
and down), each change one call of :mod:`leaddesk.services.pipeline.pipelines` in its own
unit of work. What the services refuse (a stage that still holds open deals, a name
taken twice) is shown in the tab's banner."""

from __future__ import annotations

import uuid

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.services.dto import PipelineInfo, StageInfo
from leaddesk.services.pipeline import pipelines
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.jobs import run_read, run_write
from leaddesk.ui.widgets.form_errors import FormErrors


def _tr(text: str) -> str:
    return QCoreApplication.translate("TeamSettings", text)


class StageTableModel(QAbstractTableModel):
    """# | Stage | Win probability | Rotting days, in board order (read-only: edited below it)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[StageInfo] = []
        self._titles = (_tr("#"), _tr("Stage"), _tr("Win probability"), _tr("Rotting days"))

    def set_stages(self, stages) -> None:
        self.beginResetModel()
        self._rows = list(stages)
        self.endResetModel()

    def stages(self) -> list[StageInfo]:
        return list(self._rows)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._titles)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self._titles):
            return self._titles[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        st = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            rotting = _tr("never") if st.rotting_days is None else _tr("{0} days").format(st.rotting_days)
            return (str(index.row() + 1), st.name, f"{st.probability} %", rotting)[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column != 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and st.description:
            return st.description
        if role == Roles.ROW:
            return st
        if role == Roles.ID:
            return st.id
        return None


class PipelinesTab(QWidget):
    def __init__(self, db: Database, editable: bool, parent=None):
        super().__init__(parent)
        self.db = db
        self.editable = editable
        self.pipeline_list = QListWidget()
        self.pipeline_list.setObjectName("pipelineList")
        self.pipeline_list.setMaximumWidth(220)
        self.pipeline_list.currentItemChanged.connect(lambda *_a: self._pipeline_chosen())
        self.add_pipeline_button = QPushButton(_tr("Add &pipeline…"))
        self.rename_pipeline_button = QPushButton(_tr("Re&name…"))
        self.add_pipeline_button.clicked.connect(self.add_pipeline)
        self.rename_pipeline_button.clicked.connect(self.rename_pipeline)
        left = QVBoxLayout()
        left.addWidget(QLabel(_tr("Pipelines")))
        left.addWidget(self.pipeline_list, 1)
        for b in (self.add_pipeline_button, self.rename_pipeline_button):
            left.addWidget(b)

        self.model = StageTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("stageTable")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self._stage_chosen())
        self.add_stage_button = QPushButton(_tr("&Add stage…"))
        self.remove_stage_button = QPushButton(_tr("Re&move stage"))
        self.up_button = QPushButton(_tr("Move &up"))
        self.down_button = QPushButton(_tr("Move do&wn"))
        self.add_stage_button.clicked.connect(self.add_stage)
        self.remove_stage_button.clicked.connect(self.remove_stage)
        self.up_button.clicked.connect(lambda: self.move_stage(-1))
        self.down_button.clicked.connect(lambda: self.move_stage(1))
        stage_buttons = QHBoxLayout()
        for b in (self.add_stage_button, self.remove_stage_button, self.up_button, self.down_button):
            stage_buttons.addWidget(b)
        stage_buttons.addStretch(1)

        self.stage_name = QLineEdit()
        self.stage_name.setObjectName("stageName")
        self.probability = QSpinBox()
        self.probability.setObjectName("stageProbability")
        self.probability.setRange(0, 100)
        self.probability.setSuffix(" %")
        self.rotting = QSpinBox()
        self.rotting.setObjectName("stageRotting")
        self.rotting.setRange(0, 3650)
        self.rotting.setSuffix(_tr(" days"))
        self.rotting.setSpecialValueText(_tr("never"))
        self.rotting.setToolTip(_tr("A deal left this long in the stage without a touch shows as stalled "
                                    "(0: never)."))
        self.save_stage_button = QPushButton(_tr("&Save stage"))
        self.save_stage_button.setObjectName("saveStage")
        self.save_stage_button.clicked.connect(self.save_stage)
        editor = QGroupBox(_tr("Stage"))
        form = QFormLayout(editor)
        form.addRow(_tr("Name"), self.stage_name)
        form.addRow(_tr("Win probability"), self.probability)
        form.addRow(_tr("Rotting days"), self.rotting)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        save_row.addWidget(self.save_stage_button)
        form.addRow(save_row)
        for spin in (self.probability, self.rotting):
            spin.setFixedWidth(120)
        right = QVBoxLayout()
        right.addWidget(self.table, 1)
        right.addLayout(stage_buttons)
        right.addWidget(editor)
        self.message = QLabel()
        self.message.setObjectName("pipelineMessage")
        self.message.setStyleSheet("QLabel#pipelineMessage { color: #2e7d32; }")
        row = QHBoxLayout()
        row.addLayout(left)
        row.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(self.message)
        self.errors = FormErrors(self, {"name": self.stage_name, "probability": self.probability,
                                        "rotting_days": self.rotting, "stage_ids": self.table,
                                        "move_to_stage_id": self.table, "pipeline_id": self.pipeline_list})
        self.errors.install(layout)
        for w in (self.add_pipeline_button, self.rename_pipeline_button, self.add_stage_button,
                  self.remove_stage_button, self.up_button, self.down_button, self.save_stage_button):
            w.setAutoDefault(False)
            w.setVisible(editable)
        self.stage_name.setReadOnly(not editable)
        for spin in (self.probability, self.rotting):
            spin.setReadOnly(not editable)
            if not editable:
                spin.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
        self._update_buttons()

    # --- reading --------------------------------------------------------------------------
    def reload(self, pipeline_id: uuid.UUID | None = None, stage_id: uuid.UUID | None = None) -> None:
        keep = pipeline_id or self.current_pipeline_id()
        stage = stage_id or self.current_stage_id()
        run_read(self, lambda: pipelines.list_pipelines(self.db)).success(
            lambda found: self._fill_pipelines(found, keep, stage)).run()

    def _fill_pipelines(self, found, keep, stage) -> None:
        self.pipeline_list.blockSignals(True)
        self.pipeline_list.clear()
        for p in found:
            item = QListWidgetItem(_tr("{0} (default)").format(p.name) if p.is_default else p.name)
            item.setData(Roles.ROW, p)
            self.pipeline_list.addItem(item)
            if p.id == keep:
                self.pipeline_list.setCurrentItem(item)
        if self.pipeline_list.currentRow() < 0 and self.pipeline_list.count():
            self.pipeline_list.setCurrentRow(0)
        self.pipeline_list.blockSignals(False)
        self._load_stages(stage)

    def current_pipeline(self):
        item = self.pipeline_list.currentItem()
        return None if item is None else item.data(Roles.ROW)

    def current_pipeline_id(self):
        p = self.current_pipeline()
        return None if p is None else p.id

    def current_stage(self) -> StageInfo | None:
        index = self.table.currentIndex()
        return index.data(Roles.ROW) if index.isValid() else None

    def current_stage_id(self):
        st = self.current_stage()
        return None if st is None else st.id

    def _pipeline_chosen(self) -> None:
        self.errors.clear()
        self._load_stages(None)

    def _load_stages(self, select) -> None:
        ident = self.current_pipeline_id()
        if ident is None:
            self.model.set_stages([])
            self._stage_chosen()
            return
        run_read(self, lambda: pipelines.list_stages(self.db, ident)).success(
            lambda stages: self._fill_stages(stages, select)).run()

    def _fill_stages(self, stages, select) -> None:
        self.model.set_stages(stages)
        row = next((i for i, st in enumerate(stages) if st.id == select), 0 if stages else -1)
        if row >= 0:
            self.table.setCurrentIndex(self.model.index(row, 1))
        self._stage_chosen()

    def _stage_chosen(self) -> None:
        st = self.current_stage()
        self.stage_name.setText(st.name if st else "")
        self.probability.setValue(st.probability if st else 0)
        self.rotting.setValue((st.rotting_days or 0) if st else 0)
        self._update_buttons()

    def select_stage(self, name: str) -> bool:
        for row, st in enumerate(self.model.stages()):
            if st.name == name:
                self.table.setCurrentIndex(self.model.index(row, 1))
                return True
        return False

    def _update_buttons(self) -> None:
        st, pipe = self.current_stage(), self.current_pipeline()
        row = self.table.currentIndex().row() if st else -1
        self.rename_pipeline_button.setEnabled(pipe is not None)
        self.add_stage_button.setEnabled(pipe is not None)
        self.remove_stage_button.setEnabled(st is not None and self.model.rowCount() > 1)
        self.up_button.setEnabled(st is not None and row > 0)
        self.down_button.setEnabled(st is not None and 0 <= row < self.model.rowCount() - 1)
        self.save_stage_button.setEnabled(st is not None)
        for w in (self.stage_name, self.probability, self.rotting):
            w.setEnabled(st is not None)

    # --- writing --------------------------------------------------------------------------
    def _write(self, fn, done: str, pipeline_id=None, stage_id=None) -> None:
        if not self.editable:
            return
        self.errors.clear()
        self.message.clear()

        def ok(result) -> None:
            self.message.setText(done)
            new_pipeline = result.id if isinstance(result, PipelineInfo) else None
            new_stage = result.id if isinstance(result, StageInfo) else None
            self.reload(pipeline_id=pipeline_id or new_pipeline, stage_id=stage_id or new_stage)

        def failed(exc: BaseException) -> None:
            if not self.errors.show(exc):
                from leaddesk.ui.errors import show_error

                show_error(self, exc)

        run_write(self, fn).success(ok).failure(failed).run()

    def ask_name(self, title: str, label: str, text: str = "") -> str | None:
        name, ok = QInputDialog.getText(self, title, label, text=text)
        return name if ok else None

    def add_pipeline(self) -> None:
        name = self.ask_name(_tr("New pipeline"), _tr("Pipeline name:"))
        if name is not None:
            db = self.db
            self._write(lambda: pipelines.create_pipeline(db, name, stages=[(_tr("New"), 10, None)]),
                        _tr("Added the pipeline {0} with one stage; add its other stages.").format(name.strip()))

    def rename_pipeline(self) -> None:
        p = self.current_pipeline()
        if p is None:
            return
        name = self.ask_name(_tr("Rename pipeline"), _tr("Pipeline name:"), p.name)
        if name is not None:
            db = self.db
            self._write(lambda: pipelines.rename_pipeline(db, p.id, name, expected_version=p.version),
                        _tr("Renamed the pipeline to {0}.").format(name.strip()), pipeline_id=p.id)

    def add_stage(self) -> None:
        p = self.current_pipeline()
        if p is None:
            return
        name = self.ask_name(_tr("New stage"), _tr("Stage name:"))
        if name is not None:
            db = self.db
            self._write(lambda: pipelines.add_stage(db, p.id, name),
                        _tr("Added the stage {0}.").format(name.strip()), pipeline_id=p.id)

    def remove_stage(self) -> None:
        st = self.current_stage()
        if st is not None:
            db = self.db
            self._write(lambda: pipelines.delete_stage(db, st.id, expected_version=st.version),
                        _tr("Removed the stage {0}.").format(st.name), pipeline_id=st.pipeline_id)

    def move_stage(self, step: int) -> None:
        st = self.current_stage()
        if st is None:
            return
        ids = [s.id for s in self.model.stages()]
        row = ids.index(st.id)
        if not 0 <= row + step < len(ids):
            return
        ids[row], ids[row + step] = ids[row + step], ids[row]
        db = self.db
        self._write(lambda: pipelines.reorder_stages(db, st.pipeline_id, ids),
                    _tr("Moved the stage {0}.").format(st.name), pipeline_id=st.pipeline_id, stage_id=st.id)

    def save_stage(self) -> None:
        st = self.current_stage()
        if st is None:
            return
        db, name, probability = self.db, self.stage_name.text(), self.probability.value()
        rotting = self.rotting.value() or None
        self._write(lambda: pipelines.update_stage(db, st.id, expected_version=st.version, name=name,
                                                   probability=probability, rotting_days=rotting),
                    _tr("Saved the stage {0}.").format(name.strip()), pipeline_id=st.pipeline_id, stage_id=st.id)
