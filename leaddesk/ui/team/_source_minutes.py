"""The editor of ``sla_first_touch_by_source``: minutes to first touch for each lead source,
a spin box per source; "default" (the lowest value) leaves the source to the general
``sla_first_touch_minutes``."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QSpinBox, QWidget

from leaddesk.models.enums import LeadSource

UNSET = -1
PER_ROW = 3


def _tr(text: str) -> str:
    return QCoreApplication.translate("TeamSettings", text)


def source_label(source: str) -> str:
    return _tr(source.replace("_", " ").capitalize())


class SourceMinutesEdit(QWidget):
    """A grid of (source, minutes) with three sources a row. ``value()`` is the dict to store."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        self.boxes: dict[str, QSpinBox] = {}
        for i, source in enumerate(m.value for m in LeadSource):
            box = QSpinBox()
            box.setRange(UNSET, 100_000)
            box.setSpecialValueText(_tr("default"))
            box.setSuffix(_tr(" min"))
            box.setValue(UNSET)
            box.setFixedWidth(92)
            box.setObjectName(f"source_{source}")
            box.setAccessibleName(_tr("First touch within, {0} leads").format(source_label(source)))
            box.valueChanged.connect(lambda _v: self.changed.emit())
            self.boxes[source] = box
            row, col = divmod(i, PER_ROW)
            grid.addWidget(QLabel(source_label(source)), row, col * 2)
            grid.addWidget(box, row, col * 2 + 1)
        grid.setColumnStretch(2 * PER_ROW, 1)

    def setReadOnly(self, read_only: bool) -> None:  # noqa: N802 - as Qt's editors
        for box in self.boxes.values():
            box.setReadOnly(read_only)
            box.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons if read_only
                                 else QSpinBox.ButtonSymbols.UpDownArrows)

    def value(self) -> dict[str, int]:
        return {s: box.value() for s, box in self.boxes.items() if box.value() != UNSET}

    def set_value(self, minutes: dict | None) -> None:
        for source, box in self.boxes.items():
            box.setValue(int((minutes or {}).get(source, UNSET)))
