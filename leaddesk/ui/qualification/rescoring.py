"""Scores kept up to date in the background after a save.

* :func:`requalify_later`: after a contact is saved (or an engagement recorded), its
  persona and score are computed again by ``requalify`` in a write job; the views refresh
  from the ``data_changed`` it emits.
* :data:`rescorer`: after a scoring rule is saved, deleted or restored, every lead is
  rescored (``scoring.rescore_all``) in the background pool, with progress. A new request
  while one runs cancels it (its finished batches stay) and starts again with the new rules.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QApplication, QMainWindow

from leaddesk.db import Database
from leaddesk.services.qualification import requalify, scoring
from leaddesk.services.records import Changes
from leaddesk.ui.jobs import app_signals, run_background, run_write


def requalify_later(db: Database, contact_ids: Iterable, parent: QObject | None = None):
    ids = list(contact_ids)
    return (run_write(parent, lambda: requalify.requalify(db, ids))
            .success(lambda result: tell(handoff_message(result)))
            .failure(lambda exc: tell(QCoreApplication.translate("rescoring", "The new score was not saved: {0}")
                                      .format(exc)))
            .run())


def handoff_message(result: requalify.RequalifyResult) -> str | None:
    """What the rep should hear about the hand-off a save set off (None: nothing happened)."""
    if result.handoff_refused:
        return QCoreApplication.translate("rescoring", "Hot, but not handed off: {0}").format(result.handoff_refused)
    if result.handoff is not None and result.handoff.handed_off:
        return result.handoff.summary()
    return None


def tell(text: str | None) -> None:
    """Show ``text`` in the main window's status bar for a while (nothing when None)."""
    if not text:
        return
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMainWindow):
            widget.statusBar().showMessage(text, 15000)


class Rescorer(QObject):
    """One whole rescore at a time, reporting ``progress(done, total)`` and ``finished(result)``."""

    progress = Signal(int, int)
    finished = Signal(object)  # RescoreResult, or the exception that stopped it
    started = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._cancel: threading.Event | None = None
        self._again: Database | None = None

    @property
    def running(self) -> bool:
        return self._cancel is not None

    def request(self, db: Database) -> None:
        """Rescore every lead with the rules as they are now."""
        if self._cancel is not None:
            self._again = db
            self._cancel.set()
            return
        cancel = self._cancel = threading.Event()
        self.started.emit()
        report = self.progress.emit

        def done(result) -> None:
            # stored scores of any contact may have changed, after a rule change: both said
            app_signals.data_changed.emit(Changes(frozenset({"contact", "scoring_rule"})), None)
            self._finish(result)

        run_background(None, lambda: scoring.rescore_all(db, progress=report, cancel=cancel)).success(
            done).failure(self._finish).run()

    def _finish(self, result) -> None:
        self._cancel = None
        again, self._again = self._again, None
        if again is not None:
            self.request(again)
            return
        self.finished.emit(result)


rescorer = Rescorer()
