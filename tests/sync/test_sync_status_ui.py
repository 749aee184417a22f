"""The app's sync controller: background sync, the status-bar label, offline handling."""

from __future__ import annotations

import uuid

import pytest

from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.services import accounts, setup
from leaddesk.ui import jobs
from leaddesk.ui.widgets.sync_status import SyncController


@pytest.fixture(autouse=True)
def sync_pools(monkeypatch):
    pool = jobs.SyncPool()
    for name in ("read", "write", "background"):
        monkeypatch.setattr(jobs.pools, name, pool)


@pytest.fixture
def laptop(tmp_path, sqlite_template):
    import shutil

    path = tmp_path / "laptop.sqlite3"
    shutil.copyfile(sqlite_template, path)
    db = Database(make_engine(f"sqlite:///{path}"), WriteContext(node=uuid.uuid4()))
    setup.initialize(db, admin_name="Ada", admin_email="ada@example.com")
    yield db
    db.dispose()


def test_sync_controller_syncs_and_shows_pending(qtbot, laptop, hub, hub_url, tmp_path):
    ctl = SyncController(laptop, hub_url, interval_s=0, backup_dir=tmp_path / "b")
    assert ctl.enabled and "pending" in ctl.label.text() and not ctl.label.text().startswith("0")
    accounts.create_account(laptop, name="Sync me")
    with qtbot.waitSignal(ctl.synced, timeout=10000) as done:
        ctl.sync_now()
    assert done.args[0].pending_after == 0 and done.args[0].sent > 0
    assert ctl.label.text().startswith("Synced") and ctl.label.text().endswith("0 pending")
    assert not ctl.running


def test_sync_controller_offline_keeps_changes_and_says_so(qtbot, laptop, tmp_path):
    ctl = SyncController(laptop, "postgresql+psycopg://postgres@127.0.0.1:1/nowhere", interval_s=0,
                         backup_dir=tmp_path / "b")
    with qtbot.waitSignal(ctl.sync_failed, timeout=10000) as failed:
        ctl.sync_now()
    assert "did not answer" in failed.args[0]
    assert ctl.label.text().startswith("Offline") and "pending" in ctl.label.text()
    assert not ctl.running


def test_sync_controller_standalone_and_shared_modes_do_nothing(qtbot, laptop):
    ctl = SyncController(laptop, None, interval_s=0)
    assert not ctl.enabled and ctl.label.text() == "Standalone"
    ctl.sync_now()
    assert not ctl.running
