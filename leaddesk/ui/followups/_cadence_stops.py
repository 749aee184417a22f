"""Ending a cadence from the app: the lead replied (the log dialog's checkbox) or a rep
stops the run by hand ("Stop cadence…" on a step in the timeline and in My day).

The rules are the service's: a reply is an engagement of kind ``email_reply`` recorded
with the logged activity in one unit of work (``services/followups/logbook.py``: the lead
requalified, then ``cadences.settle_in`` stops its open runs); a stop by hand is
``stop_cadence`` with the rep's reason. Here: the runs named for the status bar, the
worker of a stop by hand, and :class:`StopCadenceFlow`, which asks for the reason and runs
the stop.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMainWindow, QWidget

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.services.followups import activities, cadences
from leaddesk.services.qualification import requalify
from leaddesk.services.records import Changes
from leaddesk.services.team import users
from leaddesk.ui.jobs import run_read, run_write


def _tr(text: str, disambiguation: str | None = None, n: int = -1) -> str:
    return QCoreApplication.translate("CadenceStops", text, disambiguation, n)


@dataclass(frozen=True)
class Ended:
    """A run that stopped, with its cadence's name for the message."""

    name: str
    stopped: cadences.Stopped

    def message(self) -> str:
        return _tr("Cadence '{0}' stopped: {1}").format(self.name, self.stopped.reason)


@dataclass(frozen=True)
class Replied:
    """What "the lead replied" wrote: the engagement (and new score), the runs it ended."""

    result: requalify.RequalifyResult
    ended: tuple[Ended, ...]
    changes: Changes


def named_runs(db: Database, stopped) -> tuple[Ended, ...]:
    """The stopped runs with their cadence's name (read after the write)."""
    names: dict = {}
    for cid in {s.contact_id for s in stopped if s.contact_id is not None}:
        names.update(cadences.run_steps(db, cid))
    return tuple(Ended(names.get(s.run, ("?", 0))[0], s) for s in stopped)


@dataclass(frozen=True)
class StopDone:
    ended: Ended
    changes: Changes

    def message(self) -> str:
        """"Cadence 'New inbound lead' stopped: Stopped by Ada (3 open steps cancelled)"."""
        return self.ended.message() + " " + _tr("(%n open step(s) cancelled)", "", self.ended.stopped.cancelled)


def stop_run(db: Database, reason: str, *, run_id=None, activity_id=None) -> StopDone:
    """Stop the run ``run_id`` (or the run of the step ``activity_id``) with ``reason``."""
    if run_id is None:
        run_id = activities.get_activity(db, activity_id).cadence_run
        if run_id is None:
            raise ValidationError("This activity is not a cadence step.")
    stopped = cadences.stop_cadence(db, run_id, reason)
    [ended] = named_runs(db, [stopped])
    ids = {stopped.run} | ({stopped.contact_id} if stopped.contact_id else set())
    return StopDone(ended, Changes(frozenset({"activity"}), frozenset(ids)))


def show_status(widget: QWidget, text: str, msecs: int = 8000) -> None:
    """Say ``text`` in the status bar of the main window ``widget`` sits in (if any)."""
    for w in (widget.parentWidget(), widget):
        window = w.window() if w is not None else None
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(text, msecs)
            return


def _rep_name(db: Database) -> str:
    actor = db.write.actor_id
    return users.get_user(db, actor).name if actor is not None else ""


class StopCadenceFlow(QObject):
    """"Stop cadence…": ask why (prefilled "Stopped by <rep>"), then stop the run in a write
    job; the views refresh through ``app_signals.data_changed`` (entity "activity")."""

    #: (StopDone) after the run stopped
    stopped = Signal(object)

    def __init__(self, parent: QWidget, db: Database, *, run_id=None, activity_id=None, what: str = ""):
        super().__init__(parent)
        self.widget, self.db, self.what = parent, db, what
        self.target = {"run_id": run_id, "activity_id": activity_id}
        self.dialog: QInputDialog | None = None

    def start(self) -> "StopCadenceFlow":
        db = self.db
        run_read(self, lambda: _rep_name(db)).success(self._ask).failure(lambda _e: self._ask("")).run()
        return self

    def _ask(self, rep: str) -> None:
        dialog = QInputDialog(self.widget)
        dialog.setObjectName("stopCadenceDialog")
        dialog.setWindowTitle(_tr("Stop cadence"))
        text = _tr("Why does the cadence stop? Its open steps are cancelled with this reason.")
        dialog.setLabelText(f"{self.what}\n\n{text}" if self.what else text)
        dialog.setInputMode(QInputDialog.InputMode.TextInput)
        dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
        dialog.setTextValue(_tr("Stopped by {0}").format(rep) if rep else _tr("Stopped by hand"))
        dialog.setOkButtonText(_tr("&Stop cadence"))
        dialog.textValueSelected.connect(self._stop)
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        self.dialog = dialog
        dialog.open()

    def _stop(self, reason: str) -> None:
        self.dialog = None
        db, target = self.db, dict(self.target)
        run_write(self.widget, lambda: stop_run(db, reason, **target)).success(self._done).failure(
            self._failed).run()

    def _done(self, done: StopDone) -> None:
        show_status(self.widget, done.message())
        self.stopped.emit(done)

    def _failed(self, exc: BaseException) -> None:
        from leaddesk.ui.errors import show_error

        show_error(self.widget, exc)
