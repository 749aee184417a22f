"""The app's sync controller: background sync, the status-bar label, offline handling."""

from __future__ import annotations

import uuid

import pytest

from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.services.people import accounts
from leaddesk.services.team import setup
from leaddesk.ui import jobs
from leaddesk.ui.team.sync_status import SyncController


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


def _local_conflict(db, **values) -> int:
    """A conflict in the laptop's local inbox, as pull_conflicts leaves it."""
    import datetime as dt

    from sqlalchemy import insert

    from leaddesk.models import SyncConflict

    row = {"kind": "field", "entity": "account", "row_id": uuid.uuid4(), "field": "industry",
           "kept_value": '"A"', "lost_value": '"B"', "kept_node": uuid.uuid4(), "lost_node": uuid.uuid4(),
           "kept_hlc": 1 << 16, "lost_hlc": 1 << 16, "kept_seq": 0, "lost_seq": 0,
           "created_at": dt.datetime.now(dt.timezone.utc), "resolved": False, **values}
    with db.engine.begin() as conn:
        return conn.execute(insert(SyncConflict).returning(SyncConflict.id), row).scalar_one()


def test_sync_status_conflict_badge_counts_and_its_click_opens_the_inbox(qtbot, laptop):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QWidget

    from leaddesk.services.team import conflicts
    from leaddesk.ui.team.conflict_inbox import ConflictInboxDialog

    acct = accounts.create_account(laptop, name="Globex", industry="A")
    ids = [_local_conflict(laptop, row_id=acct.id), _local_conflict(laptop, row_id=acct.id, field="city")]
    window = QWidget()
    window.db = laptop
    qtbot.addWidget(window)
    ctl = SyncController(laptop, "postgresql+psycopg://postgres@127.0.0.1:1/nowhere", interval_s=0, parent=window)
    badge = ctl.widget.conflict_badge
    assert not badge.isHidden() and badge.text() == "2 conflicts"
    assert ctl.label.text().endswith("· 2 conflicts") and "pending" in ctl.label.text()
    qtbot.mouseClick(badge, Qt.MouseButton.LeftButton)
    [dialog] = window.findChildren(ConflictInboxDialog)
    assert dialog.isVisible() and dialog.model.open_count == 2
    qtbot.mouseClick(badge, Qt.MouseButton.LeftButton)
    assert window.findChildren(ConflictInboxDialog) == [dialog]  # raised, not a second one
    conflicts.keep(laptop, ids[:1])  # elsewhere in the app: the badge follows data_changed
    from leaddesk.ui.jobs import app_signals

    app_signals.data_changed.emit(None, None)
    assert badge.text() == "1 conflict"
    conflicts.keep(laptop, ids[1:])
    app_signals.data_changed.emit(None, None)
    assert badge.isHidden() and "conflict" not in ctl.label.text()


def test_sync_status_offline_badge_has_the_reason_and_goes_away_after_a_sync(qtbot, laptop, hub, hub_url,
                                                                          tmp_path):
    ctl = SyncController(laptop, "postgresql+psycopg://postgres@127.0.0.1:1/nowhere", interval_s=0,
                         backup_dir=tmp_path / "b")
    assert ctl.widget.offline_badge.isHidden() and ctl.label.text().startswith("Not synced yet")
    ctl.sync_now()
    badge = ctl.widget.offline_badge
    assert not badge.isHidden() and badge.text() == "Offline"
    assert "did not answer" in badge.toolTip() and "did not answer" in ctl.label.toolTip()
    ctl.hub_url = hub_url
    phases = []
    ctl.progress_changed.connect(lambda phase, done, total: phases.append(
        (phase, ctl.widget.text_label.text(), ctl.widget.busy.isHidden())))
    ctl.sync_now()
    assert badge.isHidden() and ctl.label.text().startswith("Synced ")
    assert [p[0] for p in phases] == ["backup", "push", "pull", "conflicts", "check", "duplicates", "done"]
    assert phases[1][1] == "Sending changes…" and not phases[1][2]  # the bar shows while syncing
    assert ctl.widget.busy.isHidden()


def test_sync_status_other_failures_say_sync_failed(qtbot, laptop, monkeypatch):
    from leaddesk.services.team import sync as team_sync
    from leaddesk.sync.protocol import ClockSkewRefused

    def refuse(*_a, **_k):
        raise ClockSkewRefused(3_600_000)

    monkeypatch.setattr(team_sync, "sync_with_hub", refuse)
    ctl = SyncController(laptop, "postgresql+psycopg://postgres@127.0.0.1/x", interval_s=0)
    ctl.sync_now()
    assert ctl.widget.offline_badge.text() == "Sync failed" and "clock" in ctl.label.toolTip()
    assert not ctl.running


def test_sync_status_says_when_a_laptop_away_past_the_horizon_downloaded_a_fresh_copy(qtbot, laptop, hub, hub_url,
                                                                                      tmp_path):
    from leaddesk.services.team import admin as team_admin

    ctl = SyncController(laptop, hub_url, interval_s=0, backup_dir=tmp_path / "b")
    with qtbot.waitSignal(ctl.synced, timeout=10000):
        ctl.sync_now()
    office = Database(make_engine(hub_url), WriteContext(node=uuid.uuid4()))
    try:
        accounts.create_account(office, name="Made while the laptop was away")
        team_admin.purge_history(office, 0)  # ... and then the history was trimmed
    finally:
        office.dispose()
    accounts.create_account(laptop, name="Unsent")
    with qtbot.waitSignal(ctl.synced, timeout=10000) as done:
        ctl.sync_now()
    assert done.args[0].resynced and done.args[0].pending_after == 0
    assert "fresh copy" in ctl.widget.toolTip()
    names = {a.name for a in accounts.list_accounts(laptop).items}
    assert {"Made while the laptop was away", "Unsent"} <= names
