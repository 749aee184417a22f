"""Team ▸ Join team…: a progress step that arrives after the join finished is dropped.

The worker reports steps through a queued connection, so the last step ("Downloaded")
can reach the dialog after the job's done handler wrote "Joined as …". With the test
pools the job runs inline, so its done handler always runs before the queued steps are
delivered: the race happens every time, without a server and without sleeps.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from leaddesk.config import Settings
from leaddesk.errors import ValidationError
from leaddesk.services.team import join as team_join
from leaddesk.ui.team.join_dialog import JoinDialog
from tests.ui.conftest import no_dialogs  # noqa: F401 - fixture

RESULT = team_join.JoinResult(user_name="Alice Rep", user_email="alice@example.com", role="rep", rows=1234,
                              last_seq=7, password_stored=True, tables={"opportunity": 1})


def _dialog(qtbot, tmp_path) -> JoinDialog:
    dlg = JoinDialog(Settings(data_dir=tmp_path / "laptop"))
    qtbot.addWidget(dlg)
    dlg.host.setText("hub.example.com")
    dlg.database.setText("team")
    dlg.user.setText("alice")
    dlg.password.setText("secret")
    dlg.sslmode.setCurrentIndex(dlg.sslmode.findData("disable"))
    return dlg


def test_join_dialog_ignores_progress_steps_after_the_join_finished(qtbot, tmp_path, monkeypatch):
    def fake_join(settings, profile, password, *, remember=True, progress=None):
        progress("Downloading opportunity", 1, 2)
        progress("Downloaded", 2, 2)
        return RESULT

    monkeypatch.setattr(team_join, "join", fake_join)
    dlg = _dialog(qtbot, tmp_path)
    with qtbot.waitSignal(dlg.joined, timeout=1000):
        dlg.join_button.click()
    assert dlg.status.text().startswith("Joined as Alice Rep (rep): 1,234 records downloaded.")
    QCoreApplication.processEvents()  # deliver the queued steps: they come after the done handler
    assert dlg.status.text().startswith("Joined as Alice Rep (rep): 1,234 records downloaded.")
    assert not dlg.bar.isVisible()


def test_join_dialog_ignores_steps_of_a_failed_join_during_the_retry(qtbot, tmp_path, monkeypatch,
                                                                    no_dialogs):  # noqa: F811
    calls = []

    def fake_join(settings, profile, password, *, remember=True, progress=None):
        calls.append(progress)
        if len(calls) == 1:
            progress("Downloading contact", 1, 5)
            raise ValidationError("Cannot connect to the server.", field="host")
        return RESULT

    monkeypatch.setattr(team_join, "join", fake_join)
    dlg = _dialog(qtbot, tmp_path)
    dlg.join_button.click()
    assert "Cannot connect" in dlg.errors.label.text() and dlg.join_button.isEnabled()
    QCoreApplication.processEvents()
    assert dlg.status.text() == ""
    with qtbot.waitSignal(dlg.joined, timeout=1000):
        dlg.join_button.click()
    calls[0]("Downloaded", 5, 5)  # the first job's late step
    QCoreApplication.processEvents()
    assert dlg.status.text().startswith("Joined as Alice Rep")
