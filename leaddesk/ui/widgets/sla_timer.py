"""A lead's first-touch timer: "First touch due in 3 min", "SLA breached 2 h ago".

The SLA state (:func:`leaddesk.services.followups.sla.lead_sla`) is read on a worker when
a lead is shown; from then on the text is recomputed from the due time every 30 seconds
without reading again (the due time does not move until the lead changes, and a change
reloads it). ``clock`` is what "now" is (tests set it).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Callable

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel

from leaddesk.db import Database
from leaddesk.services.followups.sla import LeadSla, lead_sla
from leaddesk.ui.jobs import app_signals, run_read

#: Changes that can move a lead's attempts or targets (the contact's own change reloads
#: through the lead panel).
RELEVANT = frozenset({"activity", "team_setting"})

BREACH_RED = "#b00020"
BREACH_STYLE = f"color: {BREACH_RED}; font-weight: bold;"
DUE_STYLE = "color: #8a5a00;"
OK_STYLE = "color: #2e7d32;"


def _tr(text: str) -> str:
    return QCoreApplication.translate("SlaTimer", text)


def span_text(span: dt.timedelta) -> str:
    """3 min, 2 h, 4 days (rounded down; under a minute is "1 min")."""
    minutes = max(1, int(abs(span).total_seconds() // 60))
    if minutes < 60:
        return _tr("{0} min").format(minutes)
    hours = minutes // 60
    if hours < 48:
        return _tr("{0} h").format(hours)
    return _tr("{0} days").format(hours // 24)


def timer_text(state: LeadSla, now: dt.datetime) -> str:
    """The timer's sentence at ``now``; "" for a lead without a clock."""
    if state.due_at is None:
        return ""
    if state.first_touch_at is not None:
        if state.first_touch_at > state.due_at:
            head = _tr("First touch {0} late").format(span_text(state.first_touch_at - state.due_at))
        else:
            head = _tr("First touch in time")
    elif now < state.due_at:
        head = _tr("First touch due in {0}").format(span_text(state.due_at - now))
    else:
        head = _tr("SLA breached {0} ago").format(span_text(now - state.due_at))
    tail = _tr("{0} of {1} attempts in the first {2} days").format(state.attempts, state.min_attempts,
                                                                     state.attempt_days)
    return f"{head} · {tail}"


def timer_style(state: LeadSla, now: dt.datetime) -> str:
    if state.due_at is None:
        return ""
    if (state.first_touch_at or now) > state.due_at:
        return BREACH_STYLE
    return OK_STYLE if state.first_touch_at is not None else DUE_STYLE


def list_cell_text(due_at: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """A list's first-touch cell: "breached 2 h ago", "due in 3 min", "" (touched or no clock)."""
    if due_at is None:
        return ""
    now = now or dt.datetime.now(dt.timezone.utc)
    if now >= due_at:
        return _tr("breached {0} ago").format(span_text(now - due_at))
    return _tr("due in {0}").format(span_text(due_at - now))


def list_cell_colour(due_at: dt.datetime | None, now: dt.datetime | None = None) -> QColor | None:
    """Red for a breach, else the default colour (None)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return QColor(BREACH_RED) if due_at is not None and now >= due_at else None


class SlaTimerLabel(QLabel):
    """The timer line of one lead; ``show_contact(id)`` loads it, None hides it."""

    TICK_MS = 30_000

    def __init__(self, db: Database, parent=None, clock: Callable[[], dt.datetime] | None = None):
        super().__init__(parent)
        self.db = db
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.state: LeadSla | None = None
        self.contact_id: uuid.UUID | None = None
        self._generation = 0
        self.setObjectName("leadSlaTimer")
        self.setWordWrap(True)
        self.timer = QTimer(self)
        self.timer.setInterval(self.TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.hide()
        app_signals.data_changed.connect(self._on_data_changed)

    def _on_data_changed(self, changes, _initiator) -> None:
        entities = getattr(changes, "entities", None)
        if self.contact_id is not None and (entities is None or entities & RELEVANT):
            self.show_contact(self.contact_id)

    def show_contact(self, contact_id: uuid.UUID | None) -> None:
        self.contact_id = contact_id
        self._generation += 1
        if contact_id is None:
            self._set_state(None)
            return
        generation, db, now = self._generation, self.db, self.clock()
        run_read(self, lambda: lead_sla(db, contact_id, now=now)).success(
            lambda state: self._loaded(generation, state)).failure(lambda _exc: self._loaded(generation, None)).run()

    def _loaded(self, generation: int, state: LeadSla | None) -> None:
        if generation == self._generation:
            self._set_state(state)

    def _set_state(self, state: LeadSla | None) -> None:
        self.state = state
        self.tick()

    def tick(self) -> None:
        """Recompute the sentence for now (the QTimer calls this every 30 s)."""
        state = self.state
        text = timer_text(state, self.clock()) if state is not None else ""
        self.setText(text)
        self.setStyleSheet(timer_style(state, self.clock()) if state is not None else "")
        self.setVisible(bool(text))
        running = bool(text) and state.first_touch_at is None
        if running and not self.timer.isActive():
            self.timer.start()
        elif not running:
            self.timer.stop()
