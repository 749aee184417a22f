"""Run a refresh now if its widget is on screen, else when it is next shown.

Views that follow ``app_signals.data_changed`` should not re-read the database while
hidden (a closed tab, the other page of a stack): the change only marks them stale, and
they read again when shown. :class:`WhenShown` is that rule once: it watches its widget's
show events, so the view needs no ``showEvent`` of its own.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget


class WhenShown(QObject):
    """``WhenShown(widget, refresh)``; ``run()`` calls ``refresh`` now when ``widget`` is
    visible (or ``now`` says so), else once, at its next show event."""

    def __init__(self, widget: QWidget, refresh: Callable[[], None]):
        super().__init__(widget)
        self._widget = widget
        self._refresh = refresh
        self.pending = False
        widget.installEventFilter(self)

    def run(self, now: bool | None = None) -> None:
        if self._widget.isVisible() if now is None else now:
            self.pending = False
            self._refresh()
        else:
            self.pending = True

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if watched is self._widget and event.type() == QEvent.Type.Show and self.pending:
            self.pending = False
            self._refresh()
        return False
