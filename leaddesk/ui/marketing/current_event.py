"""The current event: the trade show (conference, webinar ...) that new captures are tagged
with, picked once and kept until changed.

It is UI state, kept in the app's QSettings (ui/state.py) under a key made from the
database's address, so two databases (a demo file and the team's server) never share an
event. ``current_event_id()`` and ``set_current_event()`` work on the database the app is
working on: the last one an :class:`EventPicker` or the events dialog was opened on
(:func:`bind_database`); pass ``db`` to name another.

:class:`EventPicker` is the combo box that shows and changes it: "No event" first, then
the running and upcoming events, undated ones, then past ones (most recent first: cards
are often typed in the days after a show). Every picker follows a change made elsewhere
(another picker, "Use as current event" in the events dialog) and reloads when campaigns
change (``app_signals.data_changed``); a current event that was deleted is forgotten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QComboBox, QSizePolicy

from leaddesk.db import Database
from leaddesk.services.capture import events
from leaddesk.services.marketing.dto import CampaignDetail
from leaddesk.ui import state
from leaddesk.ui.jobs import app_signals, run_read
from leaddesk.ui.marketing._texts import date_range_text, kind_text

#: QSettings group of the current event; the key inside it is :func:`database_key`.
SETTINGS_GROUP = "CurrentEvent"

_bound_key: str | None = None


class CurrentEventSignals(QObject):
    #: (database key, event id or None): the current event of that database changed
    current_event_changed = Signal(str, object)


current_event_signals = CurrentEventSignals()


def database_key(db: Database) -> str:
    """A short, stable name of ``db`` for settings keys: the resolved file of a SQLite
    database, else its address without password (user, host, port, database)."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        ident = "sqlite:" + str(Path(url.database).expanduser().resolve())
    else:
        ident = db.url
    return hashlib.sha256(ident.encode()).hexdigest()[:20]


def bind_database(db: Database) -> None:
    """Make ``db`` the database that ``current_event_id()`` without arguments reads."""
    global _bound_key
    _bound_key = database_key(db)


def _key(db: Database | None) -> str | None:
    if db is not None:
        return database_key(db)
    if _bound_key is not None:
        return _bound_key
    app = QApplication.instance()  # nothing bound yet: the main window's database
    for widget in app.topLevelWidgets() if isinstance(app, QApplication) else ():
        found = getattr(widget, "db", None)
        if isinstance(found, Database):
            return database_key(found)
    return None


def current_event_id(db: Database | None = None) -> uuid.UUID | None:
    """The event captures are tagged with (None: no event picked, or no database known)."""
    key = _key(db)
    if key is None:
        return None
    stored = state.value(f"{SETTINGS_GROUP}/{key}")
    try:
        return uuid.UUID(str(stored)) if stored else None
    except ValueError:
        return None


def set_current_event(event_id: uuid.UUID | str | None, db: Database | None = None) -> None:
    """Pick the current event (None: no event) and tell every picker."""
    key = _key(db)
    if key is None:
        raise RuntimeError("No database is open: open an events dialog or picker first, or pass db.")
    event = uuid.UUID(str(event_id)) if event_id else None
    if event == current_event_id(db):
        return
    state.set_value(f"{SETTINGS_GROUP}/{key}", "" if event is None else str(event))
    current_event_signals.current_event_changed.emit(key, event)


class EventPicker(QComboBox):
    """Choose the current event of ``db``; ``event_changed(uuid | None)`` when it changes
    (picked here or anywhere else)."""

    event_changed = Signal(object)

    def __init__(self, db: Database, parent=None, *, today: dt.date | None = None):
        super().__init__(parent)
        self.db = db
        self.key = database_key(db)
        bind_database(db)
        self._today = today
        self._filling = False
        self._generation = 0
        self._events: list[CampaignDetail] = []
        self.setObjectName("eventPicker")
        self.setAccessibleName(self.tr("Current event"))
        self.setToolTip(self.tr("The event new captures are tagged with (lead source, cost per lead)"))
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(28)  # long names do not widen a toolbar; the list shows them whole
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.addItem(self.tr("No event"), None)
        self.currentIndexChanged.connect(self._on_index_changed)
        current_event_signals.current_event_changed.connect(self._on_current_event_changed)
        app_signals.data_changed.connect(self._on_data_changed)
        self.reload()

    # --- reading ------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the events again; only the latest read is shown (an older one finishing later
        on a worker thread is dropped)."""
        self._generation += 1
        generation = self._generation
        today = self._today or dt.date.today()
        current = current_event_id(self.db)
        run_read(self, lambda: events.list_events(self.db, today=today, keep=current)).success(
            lambda found: self._fill(found, current, today) if generation == self._generation else None).run()

    def _on_data_changed(self, changes, _initiator) -> None:
        if changes is None or "campaign" in changes.entities:
            self.reload()

    def _fill(self, found: list[CampaignDetail], current: uuid.UUID | None, today: dt.date) -> None:
        """The events ``found`` in the service's order (``events.list_events``), ``current``
        among them unless it was deleted meanwhile."""
        if current_event_id(self.db) != current:  # changed while reading: read again, keeping the new one
            self.reload()
            return
        shown = self.event_id()
        live = {c.id for c in found}
        self._filling = True
        try:
            self.clear()
            self.addItem(self.tr("No event"), None)
            for c in found:
                self.addItem(self._label(c, today), c.id)
                self.setItemData(self.count() - 1, self._tooltip(c), Qt.ItemDataRole.ToolTipRole)
            self._events = found
            self.setCurrentIndex(self._row_of(current if current in live else None))
        finally:
            self._filling = False
        if current is not None and current not in live:
            set_current_event(None, self.db)  # deleted meanwhile: captures cannot point at it
        if self.event_id() != shown:
            self.event_changed.emit(self.event_id())

    def _label(self, c: CampaignDetail, today: dt.date) -> str:
        parts = [c.name]
        dates = date_range_text(c.starts_on, c.ends_on, today=today)
        if dates:
            parts.append(dates)
        if c.location:
            parts.append(c.location)
        return " · ".join(parts)

    def _tooltip(self, c: CampaignDetail) -> str:
        return kind_text(c.kind) + (f" · {c.location}" if c.location else "")

    def _row_of(self, event_id: uuid.UUID | None) -> int:
        return next((i for i in range(self.count()) if self.itemData(i) == event_id), 0)

    # --- the current event --------------------------------------------------------------------
    def event_id(self) -> uuid.UUID | None:
        """The event shown (None: "No event")."""
        return self.currentData()

    def events(self) -> list[CampaignDetail]:
        """The events offered, in the order shown (after "No event")."""
        return list(self._events)

    def select_event(self, event_id: uuid.UUID | None) -> bool:
        """Show ``event_id`` and make it current; False when it is not offered."""
        row = self._row_of(event_id)
        if event_id is not None and row == 0:
            return False
        self.setCurrentIndex(row)
        return True

    def _on_index_changed(self, _row: int) -> None:
        if self._filling:
            return
        set_current_event(self.event_id(), self.db)
        self.event_changed.emit(self.event_id())

    def _on_current_event_changed(self, key: str, event_id) -> None:
        if key != self.key or self.event_id() == event_id:
            return
        row = self._row_of(event_id)
        if event_id is not None and row == 0:
            self.reload()  # a new event, not loaded here yet
            return
        self._filling = True
        try:
            self.setCurrentIndex(row)
        finally:
            self._filling = False
        self.event_changed.emit(event_id)
