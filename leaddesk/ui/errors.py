"""Show errors to the user: domain errors as plain sentences, bugs with details."""

from __future__ import annotations

import logging
import sys
import threading

from PySide6.QtCore import QCoreApplication, QThread
from PySide6.QtWidgets import QMessageBox, QWidget

from leaddesk.errors import Conflict, DatabaseUnavailable, LeadDeskError

log = logging.getLogger(__name__)


def tr(text: str) -> str:
    return QCoreApplication.translate("errors", text)


def title_for(exc: BaseException) -> str:
    if isinstance(exc, Conflict):
        return tr("Changed by someone else")
    if isinstance(exc, DatabaseUnavailable):
        return tr("Database unavailable")
    if isinstance(exc, LeadDeskError):
        return tr("Cannot do that")
    return tr("Unexpected error")


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """LeadDeskError -> its sentence; anything else -> an apology plus the details."""
    box = QMessageBox(parent)
    box.setWindowTitle(title_for(exc))
    if isinstance(exc, LeadDeskError):
        box.setIcon(QMessageBox.Icon.Warning)
        box.setText(str(exc))
    else:
        log.error("unexpected error", exc_info=exc)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setText(tr("Something went wrong inside LeadDesk. Your saved data is safe."))
        box.setDetailedText(getattr(exc, "__traceback_text__", repr(exc)))
    box.exec()


def install_excepthooks() -> None:
    """Log every uncaught exception; show a dialog only on the GUI thread."""

    def hook(exc_type, exc, tb):
        log.error("uncaught exception", exc_info=(exc_type, exc, tb))
        app = QCoreApplication.instance()
        if app is not None and QThread.currentThread() is app.thread():
            show_error(None, exc)

    def thread_hook(args):
        log.error("uncaught exception in thread %s", args.thread, exc_info=(args.exc_type, args.exc_value, args.exc_traceback))

    sys.excepthook = hook
    threading.excepthook = thread_hook
