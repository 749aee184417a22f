"""UI state (geometry, splitters, column widths, last view) on QSettings, per class name.

Business preferences live in the database (services.team_settings), not here.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QHeaderView, QMainWindow, QSplitter

ORG = "LeadDesk"
APP = "LeadDesk"
#: The UI state file's name inside ``LEADDESK_DATA_DIR``, when that is set.
FILE_NAME = "ui-state.ini"
#: The page the main window shows at start: the one the user left.
LAST_PAGE_KEY = "MainWindow/page"


def location() -> Path | None:
    """Where UI state goes when LEADDESK_DATA_DIR names a data folder: beside the data, so
    two folders (a demo and the real one, or two reps on one machine) keep their own window
    state, and nothing lands in ~/.config. None means the user's standard settings file."""
    data_dir = os.environ.get("LEADDESK_DATA_DIR")
    return Path(data_dir) / FILE_NAME if data_dir else None


def settings() -> QSettings:
    path = location()
    if path is not None:
        return QSettings(str(path), QSettings.Format.IniFormat)
    # Explicit INI format: the same file on every platform, and tests can redirect it
    # with QSettings.setPath(IniFormat, UserScope, tmp) (NativeFormat ignores that).
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORG, APP)


def save_window(window: QMainWindow) -> None:
    s = settings()
    key = type(window).__name__
    s.setValue(f"{key}/geometry", window.saveGeometry())
    s.setValue(f"{key}/state", window.saveState())


def restore_window(window: QMainWindow) -> bool:
    s = settings()
    key = type(window).__name__
    geometry = s.value(f"{key}/geometry")
    if isinstance(geometry, QByteArray) and not geometry.isEmpty():
        window.restoreGeometry(geometry)
        state = s.value(f"{key}/state")
        if isinstance(state, QByteArray):
            window.restoreState(state)
        return True
    return False


def save_header(owner: str, header: QHeaderView) -> None:
    settings().setValue(f"{owner}/header", header.saveState())


def restore_header(owner: str, header: QHeaderView) -> None:
    state = settings().value(f"{owner}/header")
    if isinstance(state, QByteArray) and not state.isEmpty():
        header.restoreState(state)


def save_splitter(owner: str, splitter: QSplitter) -> None:
    settings().setValue(f"{owner}/splitter", splitter.saveState())


def restore_splitter(owner: str, splitter: QSplitter) -> None:
    state = settings().value(f"{owner}/splitter")
    if isinstance(state, QByteArray) and not state.isEmpty():
        splitter.restoreState(state)


def value(key: str, default=None):
    return settings().value(key, default)


def set_value(key: str, val) -> None:
    settings().setValue(key, val)
