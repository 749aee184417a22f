"""The current event at the top of the capture window: the marketing screens' shared picker
(``ui/marketing/current_event.py``) when this LeadDesk has it, else a plain list of the
campaigns; either way one ``event_id()`` and one ``event_changed`` signal."""

from __future__ import annotations

import importlib

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from leaddesk.db import Database
from leaddesk.services.marketing import campaigns
from leaddesk.ui.jobs import run_read

_SHARED = "leaddesk.ui.marketing.current_event"


def _shared_module():
    try:
        return importlib.import_module(_SHARED)
    except ModuleNotFoundError as exc:
        if exc.name != _SHARED:
            raise
        return None


class _CampaignCombo(QComboBox):
    """The campaigns by name, newest first, and "No event"."""

    event_changed = Signal(object)

    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.addItem(self.tr("No event"), None)
        self.currentIndexChanged.connect(lambda _i: self.event_changed.emit(self.currentData()))
        run_read(self, lambda: campaigns.list_campaigns(db)).success(self._fill).run()

    def _fill(self, rows) -> None:
        chosen = self.currentData()
        self.blockSignals(True)
        self.clear()
        self.addItem(self.tr("No event"), None)
        for row in sorted(rows, key=lambda c: (c.starts_on is not None, c.starts_on), reverse=True):
            self.addItem(row.name, row.id)
        index = self.findData(chosen)
        self.setCurrentIndex(max(0, index))
        self.blockSignals(False)

    def set_event(self, event_id) -> None:
        index = self.findData(event_id)
        if index >= 0:
            self.setCurrentIndex(index)


class EventChoice(QWidget):
    """"Event: [picker]" — every save of the window is tagged with :meth:`event_id`."""

    event_changed = Signal(object)

    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self._shared = _shared_module()
        if self._shared is not None:
            self.picker = self._shared.EventPicker(db, parent=self)
        else:
            self.picker = _CampaignCombo(db, self)
        self.picker.setMinimumContentsLength(24)
        self.picker.setToolTip(self.tr("Every card saved here becomes a lead of this event"))
        self.picker.event_changed.connect(self.event_changed)
        label = QLabel(self.tr("E&vent:"))
        label.setBuddy(self.picker)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(label)
        row.addWidget(self.picker, 1)

    def event_id(self):
        return self.picker.currentData()

    def select(self, event_id) -> None:
        """Show (and, with the shared picker, make current) ``event_id``."""
        choose = getattr(self.picker, "select_event", None) or self.picker.set_event
        choose(event_id)

    def event_name(self) -> str:
        """The event's own name ("LogiMAT 2027"), without the dates and place the list shows."""
        event_id = self.event_id()
        if event_id is None:
            return ""
        events = getattr(self.picker, "events", None)
        found = [e.name for e in events() if e.id == event_id] if events is not None else []
        return found[0] if found else self.picker.currentText()
