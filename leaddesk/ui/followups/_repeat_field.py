"""The "Repeat" field of a next step: none, daily, weekly on the due day, monthly, or a
custom RFC 5545 RRULE typed by the rep (checked by ``recurrence.clean_rrule``)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QWidget

from leaddesk.services.followups import recurrence


class RepeatField(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.choice = QComboBox()
        self.choice.setObjectName("repeatChoice")
        for label, key in ((self.tr("Does not repeat"), "none"), (self.tr("Daily"), "daily"),
                           (self.tr("Weekly"), "weekly"), (self.tr("Monthly"), "monthly"),
                           (self.tr("Custom RRULE…"), "custom")):
            self.choice.addItem(label, key)
        self.custom = QLineEdit()
        self.custom.setObjectName("repeatRule")
        self.custom.setPlaceholderText("FREQ=WEEKLY;BYDAY=MO,TH")
        self.custom.setVisible(False)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.choice)
        row.addWidget(self.custom, 1)
        self.choice.currentIndexChanged.connect(
            lambda _i: self.custom.setVisible(self.choice.currentData() == "custom"))

    def set_due(self, local_due: dt.datetime) -> None:
        """"Weekly on Monday": the weekday of the due day."""
        day = QLocale().dayName(local_due.isoweekday())
        self.choice.setItemText(2, self.tr("Weekly on {0}").format(day))

    def choose(self, key: str, rule: str = "") -> None:
        self.choice.setCurrentIndex(self.choice.findData(key))
        self.custom.setText(rule)

    def rrule(self, local_due: dt.datetime) -> str | None:
        """The chosen rule (ValidationError, field ``rrule``, for a bad custom one)."""
        key = self.choice.currentData()
        if key == "custom":
            return recurrence.clean_rrule(self.custom.text()) or recurrence.clean_rrule("?")
        return recurrence.preset_rrule(key, local_due)
