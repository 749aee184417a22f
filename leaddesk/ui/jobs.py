"""Run service calls off the UI thread; results come back on the UI thread by signal.

    run_read(self, lambda: accounts.list_accounts(db)).success(self.on_loaded).run()
    run_write(self, lambda: pipeline.move_opportunity(db, ...), changes=...).success(...).run()

* One write pool with a single thread serialises writes (SQLite has one writer, and the
  order of a user's edits matters); a read pool runs queries in parallel.
* On failure the default handler shows the error (``ui.errors.show_error``) unless
  ``.failure(cb)`` was given.
* After a write succeeds, ``app_signals.data_changed`` is emitted once with the result's
  ``Changes`` (if the result has one) and the initiating widget, so views can refresh.
* Tests swap the pools for :class:`SyncPool`, which runs jobs at once on the calling thread.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class AppSignals(QObject):
    #: (changes: leaddesk.services.records.Changes | None, initiator: QObject | None)
    data_changed = Signal(object, object)
    #: (busy count) — a busy indicator listens to this
    busy_changed = Signal(int)


app_signals = AppSignals()


class JobSignals(QObject):
    succeeded = Signal(object)
    failed = Signal(object)
    finished = Signal()


class Job(QRunnable):
    def __init__(self, fn: Callable[[], Any]):
        super().__init__()
        self.fn = fn
        self.signals = JobSignals()
        self.setAutoDelete(False)

    def run(self) -> None:  # runs on a pool thread (or inline with SyncPool)
        try:
            result = self.fn()
        except BaseException as exc:  # noqa: BLE001 - every failure goes to the UI
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self.signals.failed.emit(exc)
        else:
            self.signals.succeeded.emit(result)
        finally:
            self.signals.finished.emit()


class SyncPool:
    """A stand-in for QThreadPool that runs each job immediately (tests, screenshots)."""

    def start(self, job: QRunnable) -> None:
        job.run()

    def waitForDone(self, _msecs: int = -1) -> bool:
        return True


class Pools:
    def __init__(self) -> None:
        self.read = QThreadPool()
        self.read.setMaxThreadCount(3)
        self.write = QThreadPool()
        self.write.setMaxThreadCount(1)
        self.background = QThreadPool()
        self.background.setMaxThreadCount(1)
        #: Card reading (OCR): its own thread, so a slow sync or rescoring never delays a card.
        self.capture = QThreadPool()
        self.capture.setMaxThreadCount(1)
        self._busy = 0
        self._alive: set[Job] = set()

    def use_sync(self) -> None:
        self.read = self.write = self.background = self.capture = SyncPool()  # type: ignore[assignment]

    def wait(self) -> None:
        for pool in (self.read, self.write, self.background, self.capture):
            pool.waitForDone(-1)


pools = Pools()


def _alive(obj: QObject | None) -> bool:
    return obj is None or shiboken6.isValid(obj)


class JobBuilder:
    def __init__(self, parent: QObject | None, fn: Callable[[], Any], kind: str):
        self.parent = parent
        self.fn = fn
        self.kind = kind
        self._success: Callable[[Any], None] | None = None
        self._failure: Callable[[BaseException], None] | None = None
        self._finally: Callable[[], None] | None = None

    def success(self, cb: Callable[[Any], None]) -> "JobBuilder":
        self._success = cb
        return self

    def failure(self, cb: Callable[[BaseException], None]) -> "JobBuilder":
        self._failure = cb
        return self

    def finally_(self, cb: Callable[[], None]) -> "JobBuilder":
        self._finally = cb
        return self

    def run(self) -> Job:
        job = Job(self.fn)
        pools._alive.add(job)
        pools._busy += 1
        app_signals.busy_changed.emit(pools._busy)
        parent = self.parent

        def on_success(result):
            if self.kind == "write":
                app_signals.data_changed.emit(getattr(result, "changes", None) or _changes_of(result), parent)
            if self._success and _alive(parent):
                self._success(result)

        def on_failure(exc):
            if self._failure is not None:
                if _alive(parent):
                    self._failure(exc)
                return
            from leaddesk.ui.errors import show_error

            show_error(parent if _alive(parent) else None, exc)

        def on_finished():
            pools._busy -= 1
            app_signals.busy_changed.emit(pools._busy)
            pools._alive.discard(job)
            if self._finally and _alive(parent):
                self._finally()

        job.signals.succeeded.connect(on_success)
        job.signals.failed.connect(on_failure)
        job.signals.finished.connect(on_finished)
        pool = {"read": pools.read, "write": pools.write, "capture": pools.capture}.get(self.kind, pools.background)
        pool.start(job)
        return job


def _changes_of(result: Any):
    from leaddesk.services.records import Changes

    if isinstance(result, Changes):
        return result
    ident = getattr(result, "id", None)
    entity = DTO_ENTITIES.get(type(result).__name__)
    if ident is not None and entity is not None:
        return Changes(frozenset({entity}), frozenset({ident}))
    return None  # unknown: views refresh everything they show


#: DTO class -> table it was written to, so views can test ``"account" in changes.entities``.
DTO_ENTITIES = {
    "AccountDetail": "account",
    "ContactDetail": "contact",
    "OpportunityDetail": "opportunity",
    "ActivityDetail": "activity",
    "UserInfo": "app_user",
    "TeamInfo": "team",
    "PipelineInfo": "pipeline",
    "StageInfo": "pipeline_stage",
    "LostReasonInfo": "lost_reason",
    "RuleInfo": "scoring_rule",
    "CampaignDetail": "campaign",
}


def run_read(parent: QObject | None, fn: Callable[[], Any]) -> JobBuilder:
    return JobBuilder(parent, fn, "read")


def run_write(parent: QObject | None, fn: Callable[[], Any]) -> JobBuilder:
    return JobBuilder(parent, fn, "write")


def run_background(parent: QObject | None, fn: Callable[[], Any]) -> JobBuilder:
    return JobBuilder(parent, fn, "background")


def run_capture(parent: QObject | None, fn: Callable[[], Any]) -> JobBuilder:
    """Card reading (OCR) on the capture pool."""
    return JobBuilder(parent, fn, "capture")
