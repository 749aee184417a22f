"""Team ▸ Speed-to-lead & persistence… as each role sees it, on both engines: a rep her own
row, a manager her team's, an admin everyone's, with the line that says whose figures they
are (the model under QAbstractItemModelTester)."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtTest import QAbstractItemModelTester

from leaddesk.ui.followups import _sla_figures_model as m
from leaddesk.ui.followups.sla_figures import SlaFiguresDialog
from tests.db.test_sla_scope import T0, as_user, make_teams


@pytest.mark.parametrize(("who", "reps", "scope"), [
    ("ada", ["Ana Rep", "Ben Rep", "Zed Rep"], "Every rep's figures."),
    ("Mia", ["Ana Rep", "Ben Rep"], "Your team's figures."),
    ("Ana", ["Ana Rep"], "Your own figures (a manager sees the team's)."),
])
def test_the_figures_screen_shows_what_the_role_may_see(qtbot, db, who, reps, scope):
    ids = make_teams(db)
    as_user(db, ids[who])
    dialog = SlaFiguresDialog(db, clock=lambda: T0 + dt.timedelta(days=10))
    qtbot.addWidget(dialog)
    QAbstractItemModelTester(dialog.model, QAbstractItemModelTester.FailureReportingMode.Warning)
    dialog.reload()
    model = dialog.model
    assert [model.index(r, m.REP).data() for r in range(model.rowCount())] == reps
    assert {model.index(r, m.BREACHES).data() for r in range(model.rowCount())} == {"1"}
    assert dialog.scope.text() == scope
    if who == "Ana":
        dialog.show()
        dialog.resize(1080, 320)
        qtbot.waitExposed(dialog)
        dialog.grab().save("/tmp/h/sla_figures_rep.png")
