"""Team ▸ Join team…: the dialog joins with the rep's login in a background job."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication
from sqlalchemy import func, select

from leaddesk.config import Settings
from leaddesk.db import make_engine
from leaddesk.models import Opportunity
from leaddesk.ui.team.join_dialog import JoinDialog
from tests.sync.team import PASSWORD
from tests.sync.test_team_join import memory_keyring  # noqa: F401 - fixture
from tests.ui.conftest import isolated_qsettings, no_dialogs, sync_pools  # noqa: F401 - fixtures

pytestmark = pytest.mark.postgres


def _fill(dlg: JoinDialog, team_hub: str, login: str, port: int | None = None) -> None:
    url = make_engine(team_hub, check=False).url
    dlg.host.setText(url.host)
    dlg.port.setValue(port or url.port or 5432)
    dlg.database.setText(url.database)
    dlg.user.setText(login)
    dlg.password.setText(PASSWORD)
    dlg.sslmode.setCurrentIndex(dlg.sslmode.findData("disable"))


def test_join_dialog_downloads_and_reports(qtbot, pg_team, team_hub, tmp_path, memory_keyring):  # noqa: F811
    ids, engines, logins = pg_team
    settings = Settings(data_dir=tmp_path / "alice")
    dlg = JoinDialog(settings)
    qtbot.addWidget(dlg)
    _fill(dlg, team_hub, logins["alice"])
    with qtbot.waitSignal(dlg.joined, timeout=20000) as joined:
        dlg.join_button.click()
    assert joined.args[0].role == "rep"
    QCoreApplication.processEvents()  # the download's queued progress steps must not overwrite the result
    assert "Joined as Alice Rep" in dlg.status.text()
    engine = make_engine(settings.database_url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Opportunity)) == 1
    engine.dispose()
    dlg.resize(520, 420)
    dlg.grab().save(str(tmp_path / "join.png"))


def test_join_dialog_shows_why_it_failed_and_can_retry(qtbot, pg_team, team_hub, tmp_path, no_dialogs,  # noqa: F811
                                                       memory_keyring):  # noqa: F811
    ids, engines, logins = pg_team
    dlg = JoinDialog(Settings(data_dir=tmp_path / "x"))
    qtbot.addWidget(dlg)
    _fill(dlg, team_hub, logins["alice"], port=1)
    dlg.join_button.click()
    # Shown in the form's error banner, like every form's error (no message box).
    assert no_dialogs == [] and "Cannot connect" in dlg.errors.label.text() and dlg.errors.is_shown()
    assert dlg.join_button.isEnabled()
    dlg.host.setText("")
    dlg.join_button.click()
    assert "host" in dlg.errors.label.text() and dlg.errors.invalid_field == "host"
    assert dlg.host.property("invalid") is True
    assert not (tmp_path / "x" / "team.json").exists()


def test_team_menu_join_starts_background_sync(qtbot, pg_team, team_hub, tmp_path, memory_keyring):  # noqa: F811
    """Team ▸ Join team… on a fresh laptop: after the join the window syncs with the new
    profile (the password read from the keyring at each sync)."""
    from leaddesk.bootstrap import open_database
    from leaddesk.ui.shell.main_window import MainWindow

    ids, engines, logins = pg_team
    settings = Settings(data_dir=tmp_path / "alice")
    db = open_database(settings)
    window = MainWindow(db, settings=settings)
    qtbot.addWidget(window)
    assert not window.sync.enabled
    dlg = window.open_join()
    _fill(dlg, team_hub, logins["alice"])
    with qtbot.waitSignal(dlg.joined, timeout=20000):
        dlg.join_button.click()
    assert window.sync.enabled and callable(window.sync.hub_url) and window.sync_action.isEnabled()
    assert window.sync.hub_url().startswith("postgresql+psycopg://" + logins["alice"])
    dlg.close()
    db.dispose()
