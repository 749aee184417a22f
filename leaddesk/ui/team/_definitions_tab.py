"""The Stage definitions tab of the team settings dialog: each lifecycle stage's name,
written definition and entry criteria (what the lead panel's stage tooltip shows), edited
one stage at a time through :mod:`leaddesk.services.qualification.definitions`."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.services.qualification import definitions
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.jobs import run_read, run_write
from leaddesk.ui.widgets.form_errors import FormErrors
from leaddesk.ui.widgets.stage_badges import stage_label


def _tr(text: str) -> str:
    return QCoreApplication.translate("TeamSettings", text)


class DefinitionsTab(QWidget):
    def __init__(self, db: Database, editable: bool, parent=None):
        super().__init__(parent)
        self.db = db
        self.editable = editable
        self.stages = QListWidget()
        self.stages.setObjectName("definitionStages")
        self.stages.setMaximumWidth(200)
        self.stages.currentItemChanged.connect(lambda *_a: self._show_current())
        self.name = QLineEdit()
        self.name.setObjectName("definitionName")
        self.definition = QPlainTextEdit()
        self.definition.setObjectName("definitionText")
        self.criteria = QPlainTextEdit()
        self.criteria.setObjectName("definitionCriteria")
        self.criteria.setPlaceholderText(_tr("What must be true before a lead enters this stage"))
        for edit in (self.name, self.definition, self.criteria):
            edit.setReadOnly(not editable)
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setEnabled(False)
        self.save_button = QPushButton(_tr("Save &definition"))
        self.save_button.setObjectName("saveDefinition")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.save_button.setVisible(editable)
        self.message = QLabel()
        self.message.setObjectName("definitionMessage")
        self.message.setStyleSheet("QLabel#definitionMessage { color: #2e7d32; }")
        self.errors = FormErrors(self, {"name": self.name, "definition": self.definition,
                                        "entry_criteria": self.criteria})
        form = QFormLayout()
        form.addRow(_tr("Name"), self.name)
        form.addRow(_tr("Definition"), self.definition)
        form.addRow(_tr("Entry criteria"), self.criteria)
        form.addRow("", self.preview)
        foot = QHBoxLayout()
        foot.addWidget(self.message, 1)
        foot.addWidget(self.save_button)
        right = QVBoxLayout()
        right.addLayout(form, 1)
        right.addLayout(foot)
        row = QHBoxLayout()
        row.addWidget(self.stages)
        row.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        self.errors.install(layout)

    def reload(self, select=None) -> None:
        keep = select or (self.current().stage if self.current() else None)
        run_read(self, lambda: definitions.list_definitions(self.db)).success(lambda d: self._fill(d, keep)).run()

    def _fill(self, found, keep) -> None:
        self.stages.blockSignals(True)
        self.stages.clear()
        for d in found:
            item = QListWidgetItem(f"{d.name}  ({stage_label(d.stage)})" if d.name != stage_label(d.stage)
                                   else d.name)
            item.setData(Roles.ROW, d)
            self.stages.addItem(item)
            if d.stage == keep:
                self.stages.setCurrentItem(item)
        if self.stages.currentRow() < 0 and self.stages.count():
            self.stages.setCurrentRow(0)
        self.stages.blockSignals(False)
        self._show_current()

    def current(self):
        item = self.stages.currentItem()
        return None if item is None else item.data(Roles.ROW)

    def _show_current(self) -> None:
        d = self.current()
        self.errors.clear()
        self.name.setText(d.name if d else "")
        self.definition.setPlainText(d.definition if d else "")
        self.criteria.setPlainText((d.entry_criteria or "") if d else "")
        self.preview.setText(_tr("The lead panel shows: “{0}”").format(
            f"{d.definition}" + (f" {_tr('Entry:')} {d.entry_criteria}" if d.entry_criteria else "")) if d else "")
        self.save_button.setEnabled(d is not None)

    def select_stage(self, stage) -> bool:
        for i in range(self.stages.count()):
            if self.stages.item(i).data(Roles.ROW).stage == stage:
                self.stages.setCurrentRow(i)
                return True
        return False

    def save(self) -> None:
        d = self.current()
        if d is None or not self.editable:
            return
        db, values = self.db, {"name": self.name.text(), "definition": self.definition.toPlainText(),
                               "entry_criteria": self.criteria.toPlainText()}
        self.errors.clear()
        self.message.clear()

        def saved(new) -> None:
            self.message.setText(_tr("Saved the definition of {0}.").format(new.name))
            self.reload(select=new.stage)

        run_write(self, lambda: definitions.update_definition(db, d.stage, expected_version=d.version, **values)) \
            .success(saved).failure(self._failed).run()

    def _failed(self, exc: BaseException) -> None:
        if not self.errors.show(exc):
            from leaddesk.ui.errors import show_error

            show_error(self, exc)
