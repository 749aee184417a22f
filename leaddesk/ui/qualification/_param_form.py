"""The part of the rule editor's form that fits the chosen criterion, built from
``services.qualification.rule_forms.PARAM_FIELDS`` (data, not one form per criterion)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGridLayout, QLineEdit, QWidget

from leaddesk.services.qualification import rule_forms as rf

CHOICES_PER_ROW = 4


def _words(value: str) -> str:
    return value.replace("_", " ").capitalize()


class _Choices(QWidget):
    """Check boxes, one per allowed value."""

    changed = Signal()

    def __init__(self, choices: tuple[str, ...], parent=None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        for i, value in enumerate(choices):
            box = QCheckBox(rf.SAID.get(value, _words(value)))
            box.toggled.connect(self.changed)
            grid.addWidget(box, i // CHOICES_PER_ROW, i % CHOICES_PER_ROW)
            self.boxes[value] = box

    def value(self) -> list[str]:
        return [v for v, box in self.boxes.items() if box.isChecked()]

    def set_value(self, values) -> None:
        for v, box in self.boxes.items():
            box.setChecked(v in set(values or ()))


class ParamForm(QWidget):
    """``set_criterion(name, params, personas)`` shows that criterion's fields, filled in;
    ``form()`` is what they hold, for ``rule_forms.params_from_form``."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.widgets: dict[str, QWidget] = {}
        self.fields: tuple[rf.ParamField, ...] = ()
        #: (name, id) of the team's HPIs, for an INDICATOR field (set by the editor)
        self.indicators: list[tuple[str, str]] = []

    def set_criterion(self, criterion: str, params: dict | None, personas: list[tuple[str, str]]) -> None:
        while self.layout_.rowCount():
            self.layout_.removeRow(0)
        self.widgets = {}
        self.fields = rf.param_fields(criterion)
        params = params or {}
        for f in self.fields:
            widget = self._widget(f, params.get(f.key), personas)
            if f.help:
                widget.setToolTip(f.help)
            self.widgets[f.key] = widget
            self.layout_.addRow(f"{f.label}:", widget)
            if f.help and f.kind in (rf.WORDS, rf.DOMAINS, rf.COUNTRIES):
                widget.setPlaceholderText(f.help)

    def _widget(self, f: rf.ParamField, value, personas) -> QWidget:
        if f.kind == rf.CHOICES:
            widget = _Choices(f.choices)
            widget.set_value(value)
            widget.changed.connect(self.changed)
            return widget
        if f.kind in (rf.CHOICE, rf.PERSONA, rf.INDICATOR):
            widget = QComboBox()
            options = [(_words(c), c) for c in f.choices] if f.kind == rf.CHOICE else personas
            if f.kind == rf.INDICATOR:
                options = [(self.tr("(none: count the HPIs met)"), None), *self.indicators]
            if f.kind == rf.PERSONA and not options:
                widget.addItem(self.tr("(no persona yet: add one first)"), None)
            for text, data in options:
                widget.addItem(text, data)
            found = widget.findData(str(value) if value is not None else None)
            widget.setCurrentIndex(max(found, 0))
            widget.currentIndexChanged.connect(self.changed)
            return widget
        widget = QLineEdit()
        if f.kind == rf.WHOLE:
            widget.setValidator(QIntValidator(f.minimum or 0, 10**9, widget))
            widget.setText("" if value is None else str(value))
            widget.setMaximumWidth(120)
            if not f.required:
                widget.setPlaceholderText(self.tr("any"))
        else:
            widget.setText(", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value or ""))
        widget.textEdited.connect(self.changed)
        return widget

    def form(self) -> dict:
        out = {}
        for f in self.fields:
            widget = self.widgets[f.key]
            if isinstance(widget, _Choices):
                out[f.key] = widget.value()
            elif isinstance(widget, QComboBox):
                out[f.key] = widget.currentData()
            else:
                out[f.key] = widget.text()
        return out

    def widget_for(self, key: str) -> QWidget | None:
        return self.widgets.get(key)

    def set_read_only(self, read_only: bool) -> None:
        for widget in self.widgets.values():
            if isinstance(widget, QLineEdit):
                widget.setReadOnly(read_only)
            else:
                widget.setEnabled(not read_only)
