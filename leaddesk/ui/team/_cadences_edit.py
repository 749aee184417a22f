"""The team's cadences in the settings tab: choose a cadence, rename it, add or remove
one, and edit its steps (day, kind, subject, optional time) in a small table. The value is
the list the ``cadences`` setting stores; the service checks it strictly on Save and a
refused one is shown on this field like every other setting."""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

DAY, KIND, SUBJECT, TIME = range(4)
KIND_LABELS = {"call": "Call", "email": "E-mail", "meeting": "Meeting", "task": "Task"}


def _tr(text: str) -> str:
    return QCoreApplication.translate("TeamSettings", text)


def slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:50] or "cadence"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


class CadencesEdit(QWidget):
    changed = Signal()

    def __init__(self, parent=None, *, read_only: bool = False):
        super().__init__(parent)
        self.read_only = read_only
        self.cadences: list[dict] = []
        #: keys of cadences added here and not saved yet: they follow the name as it is typed
        #: (a saved cadence keeps its key: runs on leads name it)
        self._new_keys: set[str] = set()
        self._shown = -1
        self._filling = False
        self.choice = QComboBox()
        self.choice.setObjectName("cadenceTemplates")
        self.name = QLineEdit()
        self.name.setObjectName("cadenceName")
        self.name.setPlaceholderText(_tr("Name of the cadence"))
        self.add_button = QPushButton(_tr("New cadence"))
        self.remove_button = QPushButton(_tr("Remove cadence"))
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("cadenceStepsTable")
        self.table.setHorizontalHeaderLabels([_tr("Day"), _tr("Kind"), _tr("Subject"), _tr("Time (HH:MM)")])
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for col in (DAY, KIND, TIME):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(SUBJECT, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(self.fontMetrics().lineSpacing() * 10)
        self.add_step_button = QPushButton(_tr("Add step"))
        self.remove_step_button = QPushButton(_tr("Remove step"))
        for b in (self.add_button, self.remove_button, self.add_step_button, self.remove_step_button):
            b.setAutoDefault(False)
            b.setVisible(not read_only)  # a rep sees the cadences, a manager edits them
        self.name.setReadOnly(read_only)
        if read_only:
            self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        top = QHBoxLayout()
        top.addWidget(self.choice, 1)
        top.addWidget(self.name, 1)
        top.addWidget(self.add_button)
        top.addWidget(self.remove_button)
        foot = QHBoxLayout()
        foot.addStretch(1)
        foot.addWidget(self.add_step_button)
        foot.addWidget(self.remove_step_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table)
        layout.addLayout(foot)
        self.choice.currentIndexChanged.connect(self._show)
        self.name.textEdited.connect(self._renamed)
        self.table.itemChanged.connect(lambda _i: self._edited())
        self.add_button.clicked.connect(self.add_cadence)
        self.remove_button.clicked.connect(self.remove_cadence)
        self.add_step_button.clicked.connect(self.add_step)
        self.remove_step_button.clicked.connect(self.remove_step)

    # --- value --------------------------------------------------------------------------
    def value(self) -> list[dict]:
        self._store()
        return [dict(c, steps=[dict(s) for s in c["steps"]]) for c in self.cadences]

    def set_value(self, cadences) -> None:
        self.cadences = [dict(c, steps=[dict(s) for s in c.get("steps", [])]) for c in (cadences or [])]
        self._new_keys = set()
        self._shown = -1
        self._filling = True
        self.choice.clear()
        for c in self.cadences:
            self.choice.addItem(c["name"], c["key"])
        self._filling = False
        self._show(0 if self.cadences else -1)

    # --- editing ------------------------------------------------------------------------
    def add_cadence(self) -> None:
        self._store()
        name = _tr("New cadence")
        key = slug(name, {c["key"] for c in self.cadences})
        self.cadences.append({"key": key, "name": name,
                              "steps": [{"day": 0, "kind": "call", "subject": _tr("First call")}]})
        self._new_keys.add(key)
        self.choice.addItem(name, key)
        self.choice.setCurrentIndex(len(self.cadences) - 1)
        self.name.setFocus()
        self.name.selectAll()
        self.changed.emit()

    def remove_cadence(self) -> None:
        i = self.choice.currentIndex()
        if i < 0:
            return
        self._shown = -1
        del self.cadences[i]
        self.choice.removeItem(i)
        self._show(self.choice.currentIndex())
        self.changed.emit()

    def add_step(self) -> None:
        if self._shown < 0:
            return
        self._store()
        steps = self.cadences[self._shown]["steps"]
        last = steps[-1]["day"] if steps and isinstance(steps[-1].get("day"), int) else -1
        steps.append({"day": last + 1, "kind": "call", "subject": _tr("Follow up")})
        self._fill_table(steps)
        self.table.setCurrentCell(len(steps) - 1, SUBJECT)
        self.changed.emit()

    def remove_step(self) -> None:
        row = self.table.currentRow()
        if self._shown < 0 or row < 0:
            return
        self._store()
        del self.cadences[self._shown]["steps"][row]
        self._fill_table(self.cadences[self._shown]["steps"])
        self.changed.emit()

    def _renamed(self, text: str) -> None:
        if self._shown >= 0:
            cadence = self.cadences[self._shown]
            cadence["name"] = text.strip()
            if cadence["key"] in self._new_keys:
                self._new_keys.discard(cadence["key"])
                cadence["key"] = slug(text, {c["key"] for c in self.cadences if c is not cadence})
                self._new_keys.add(cadence["key"])
                self.choice.setItemData(self._shown, cadence["key"])
            self.choice.setItemText(self._shown, text.strip() or "…")
            self.changed.emit()

    def _edited(self) -> None:
        if not self._filling:
            self.changed.emit()

    # --- showing ------------------------------------------------------------------------
    def _show(self, index: int) -> None:
        if self._filling:
            return
        self._store()
        self._shown = index
        cadence = self.cadences[index] if 0 <= index < len(self.cadences) else None
        self.name.setText(cadence["name"] if cadence else "")
        for w in (self.name, self.remove_button, self.add_step_button, self.remove_step_button, self.table):
            w.setEnabled(cadence is not None)
        self._fill_table(cadence["steps"] if cadence else [])

    def _fill_table(self, steps: list[dict]) -> None:
        self._filling = True
        self.table.setRowCount(len(steps))
        for row, step in enumerate(steps):
            day = QSpinBox()
            day.setRange(0, 366)
            day.setValue(step["day"] if isinstance(step.get("day"), int) else 0)
            day.valueChanged.connect(lambda _v: self._edited())
            kind = QComboBox()
            for key, label in KIND_LABELS.items():
                kind.addItem(_tr(label), key)
            kind.setCurrentIndex(max(0, kind.findData(step.get("kind"))))
            kind.currentIndexChanged.connect(lambda _i: self._edited())
            for w in (day, kind):
                w.setEnabled(not self.read_only)
            self.table.setCellWidget(row, DAY, day)
            self.table.setCellWidget(row, KIND, kind)
            self.table.setItem(row, SUBJECT, QTableWidgetItem(step.get("subject", "")))
            self.table.setItem(row, TIME, QTableWidgetItem(step.get("time", "")))
        self._filling = False

    def _store(self) -> None:
        """The table's rows back into the shown cadence."""
        if not 0 <= self._shown < len(self.cadences):
            return
        steps = []
        for row in range(self.table.rowCount()):
            step = {"day": self.table.cellWidget(row, DAY).value(),
                    "kind": self.table.cellWidget(row, KIND).currentData(),
                    "subject": (self.table.item(row, SUBJECT).text() if self.table.item(row, SUBJECT) else "").strip()}
            time = (self.table.item(row, TIME).text() if self.table.item(row, TIME) else "").strip()
            if time:
                step["time"] = time
            steps.append(step)
        self.cadences[self._shown]["steps"] = steps

