"""Qualification ▸ Assignment & caps… in a manager's hands: caps are team settings, so a
manager (not only an admin) edits a rep's cap in the table and the team's above it, and
the table shows each rep's cap and where it comes from. On both engines."""

from __future__ import annotations

import pytest

from leaddesk.models import access
from leaddesk.services import settings as team_settings
from leaddesk.services.people import contacts
from leaddesk.services.team import users
from leaddesk.ui.qualification.assignment_screen import AssignmentScreen


@pytest.fixture
def manager_screen(qtbot, db):
    team = users.create_team(db, "North")
    ids = {"team": team.id}
    for name in ("Ana", "Ben"):
        ids[name] = users.create_user(db, f"{name} Rep", f"{name.lower()}@example.com", role="rep",
                                      team_id=team.id).id
    contacts.create_contact(db, given_name="Aylin", family_name="Kaya", owner_id=ids["Ana"])
    mia = users.create_user(db, "Mia Manager", "mia@example.com", role="manager", team_id=team.id).id
    with db.reader() as s:
        db.write.subject = access.load_subject(s, mia)
    db.write.actor_id = mia
    screen = AssignmentScreen(db)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitUntil(lambda: screen.table.rowCount() == 3)  # Ana, Ben and Mia herself
    return screen, ids


def _row(screen, name: str) -> int:
    return next(r for r in range(screen.table.rowCount()) if screen.table.item(r, 0).text() == name)


def test_a_manager_edits_a_reps_cap_and_the_table_shows_it(qtbot, db, manager_screen):
    screen, ids = manager_screen
    assert screen.team_cap.isEnabled()
    assert screen.table.editTriggers() != screen.table.EditTrigger.NoEditTriggers
    ana = _row(screen, "Ana Rep")
    assert (screen.table.item(ana, 2).text(), screen.table.item(ana, 4).text()) == ("1 / 500", "setting")
    screen.table.item(ana, 3).setText("3")
    qtbot.waitUntil(lambda: screen.table.item(_row(screen, "Ana Rep"), 2).text() == "1 / 3")
    ana = _row(screen, "Ana Rep")
    assert (screen.table.item(ana, 3).text(), screen.table.item(ana, 4).text()) == ("3", "own")
    assert team_settings.get_settings(db)["lead_cap_by_rep"] == {str(ids["Ana"]): 3}
    assert screen.result.text() == ""  # no refusal


def test_a_manager_sets_the_teams_cap_and_clears_a_reps(qtbot, db, manager_screen):
    screen, ids = manager_screen
    screen.team_cap.setValue(40)
    qtbot.waitUntil(lambda: screen.table.item(_row(screen, "Ben Rep"), 4).text() == "team")
    ben = _row(screen, "Ben Rep")
    assert screen.table.item(ben, 2).text() == "0 / 40"
    assert team_settings.get_settings(db)["lead_cap_by_team"] == {str(ids["team"]): 40}
    screen.table.item(_row(screen, "Ana Rep"), 3).setText("2")
    qtbot.waitUntil(lambda: screen.table.item(_row(screen, "Ana Rep"), 4).text() == "own")
    screen.table.item(_row(screen, "Ana Rep"), 3).setText("")  # empty: back to the team's
    qtbot.waitUntil(lambda: screen.table.item(_row(screen, "Ana Rep"), 4).text() == "team")
    assert screen.table.item(_row(screen, "Ana Rep"), 2).text() == "1 / 40"
    screen.team_cap.setValue(0)  # 0: the setting's
    qtbot.waitUntil(lambda: screen.table.item(_row(screen, "Ana Rep"), 4).text() == "setting")
    assert team_settings.get_settings(db)["lead_cap_by_team"] == {}


def test_a_refused_cap_is_said_in_the_window(qtbot, db, manager_screen):
    screen, _ids = manager_screen
    screen.table.item(_row(screen, "Ben Rep"), 3).setText("0")
    qtbot.waitUntil(lambda: "at least 1" in screen.result.text())
    qtbot.waitUntil(lambda: screen.table.item(_row(screen, "Ben Rep"), 4).text() == "setting")
