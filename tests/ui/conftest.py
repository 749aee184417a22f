"""UI tests: offscreen, with jobs run synchronously unless a test asks for real pools."""

from __future__ import annotations

import pytest

from leaddesk.ui import jobs


@pytest.fixture(autouse=True)
def sync_pools(monkeypatch, request):
    """Run jobs at once on the test thread (Picard's FakeThreadPool), unless the test is
    marked ``real_pools``."""
    if request.node.get_closest_marker("real_pools"):
        yield
        jobs.pools.wait()
        return
    sync = jobs.SyncPool()
    monkeypatch.setattr(jobs.pools, "read", sync)
    monkeypatch.setattr(jobs.pools, "write", sync)
    monkeypatch.setattr(jobs.pools, "background", sync)
    monkeypatch.setattr(jobs.pools, "capture", sync)
    yield


@pytest.fixture(autouse=True)
def isolated_qsettings(tmp_path, monkeypatch):
    """Window state goes to a temporary folder, never the developer's real settings."""
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    yield


@pytest.fixture
def no_dialogs(monkeypatch):
    """Record error dialogs instead of blocking on them."""
    shown = []
    from leaddesk.ui import errors

    monkeypatch.setattr(errors, "show_error", lambda parent, exc: shown.append(exc))
    return shown
