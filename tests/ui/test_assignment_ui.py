"""Reassign… from the contact list and the lead panel, and Qualification ▸ Assignment & caps
(issue #12 point 4), driven as a user would, on both engines."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialogButtonBox

from leaddesk.models import Contact, access
from leaddesk.models.enums import LifecycleStage
from leaddesk.services import settings as team_settings
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import contacts
from leaddesk.services.qualification import handoff, scoring
from leaddesk.services.team import users
from leaddesk.ui.people.contacts_page import ContactsPage
from leaddesk.ui.qualification.assignment_screen import AssignmentScreen
from leaddesk.ui.qualification.lead_panel import LeadPanel
from leaddesk.ui.shell.main_window import MainWindow


@pytest.fixture
def north(db):
    team = users.create_team(db, "North")
    ids = {"team": team.id}
    for name in ("Ana", "Ben"):
        ids[name] = users.create_user(db, f"{name} Rep", f"{name.lower()}@example.com", role="rep",
                                      team_id=team.id).id
    ids["a"] = contacts.create_contact(db, given_name="Aylin", family_name="Kaya", owner_id=ids["Ana"]).id
    ids["b"] = contacts.create_contact(db, given_name="Bora", family_name="Kaya", owner_id=ids["Ana"]).id
    ids["c"] = contacts.create_contact(db, given_name="Cem", family_name="Yilmaz", owner_id=ids["Ben"]).id
    return ids


@pytest.fixture
def page(qtbot, db, north):
    widget = ContactsPage(db)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    qtbot.waitExposed(widget)
    widget.load()
    qtbot.waitUntil(lambda: widget.model.rowCount() == 3)
    return widget


def owner(db, cid):
    with db.reader() as s:
        c = s.get(Contact, cid)
        return c.owner_id, c.assignment_reason


def select_rows(page, ids):
    sel = page.table.selectionModel()
    sel.clearSelection()
    for cid in ids:
        index = page.model.index(page.row_of(cid), 0)
        sel.select(index, QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    page.table.setCurrentIndex(page.model.index(page.row_of(ids[0]), 0))
    sel.select(page.model.index(page.row_of(ids[-1]), 0),
               QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)


def press_ok(dialog):
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def test_reassign_two_contacts_from_the_list_with_a_reason(qtbot, db, north, page):
    select_rows(page, [north["a"], north["b"]])
    assert page.selected_contact_ids() == [north["a"], north["b"]]
    assert page.reassign_action in page.table.actions() and page.reassign_action.isEnabled()
    page.reassign_action.trigger()
    dialog = page.reassign_dialog
    qtbot.waitUntil(lambda: dialog.reps.count() >= 3)
    assert "2 contacts" in dialog.windowTitle()
    texts = [dialog.reps.item(i).text() for i in range(dialog.reps.count())]
    assert "Ben Rep (North) — 1 / 500 open leads" in texts and "Ana Rep (North) — 2 / 500 open leads" in texts
    dialog.choose(north["Ben"])
    press_ok(dialog)  # no reason: refused in the dialog, nothing written
    assert dialog.isVisible() and "Say why" in dialog.errors.label.text()
    assert owner(db, north["a"]) == (north["Ana"], None)
    qtbot.keyClicks(dialog.reason, "Ana moves to key accounts")
    press_ok(dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert owner(db, north["a"]) == (north["Ben"], "Ana moves to key accounts")
    assert owner(db, north["b"]) == (north["Ben"], "Ana moves to key accounts")
    assert owner(db, north["c"])[0] == north["Ben"]
    assert "Reassigned 2 contacts." in page.message_label.text()


def test_a_rep_is_refused_in_the_dialog_and_nothing_changes(qtbot, db, north, page):
    with db.reader() as s:
        subject = access.load_subject(s, north["Ana"])
    db.write.subject, db.write.actor_id = subject, north["Ana"]
    select_rows(page, [north["c"]])
    page.reassign_action.trigger()
    dialog = page.reassign_dialog
    qtbot.waitUntil(lambda: dialog.reps.count() == 2)  # her team only (not the admin)
    assert not dialog.override.isVisible()  # only managers may pass a cap
    dialog.choose(north["Ana"])
    qtbot.keyClicks(dialog.reason, "I know him")
    press_ok(dialog)
    assert dialog.isVisible() and "belongs to someone else" in dialog.errors.label.text()
    assert owner(db, north["c"]) == (north["Ben"], None)


def test_the_lead_panel_reassigns_its_contact(qtbot, db, north):
    panel = LeadPanel(db)
    qtbot.addWidget(panel)
    panel.show_contact(north["c"])
    qtbot.waitUntil(lambda: panel.view is not None)
    dialog = panel.reassign()
    qtbot.waitUntil(lambda: dialog.reps.count() >= 2)
    assert dialog.chosen() == north["Ben"]  # the current owner is preselected
    dialog.choose(north["Ana"])
    qtbot.keyClicks(dialog.reason, "Ben is on leave")
    press_ok(dialog)
    assert owner(db, north["c"]) == (north["Ana"], "Ben is on leave")


def test_the_assignment_screen_shows_loads_hands_off_and_edits_caps(qtbot, db, north):
    scoring.create_rule(db, name="VP title", criterion="seniority_in", points=45, params={"values": ["vp"]})
    scoring.create_rule(db, name="Pricing page", criterion="engagement", points=25,
                        params={"kind": "pricing_page_visit", "within_days": 30})
    now = dt.datetime.now(dt.timezone.utc)
    hot = []
    for name in ("Deniz", "Emre", "Ferhat"):
        c = contacts.create_contact(db, given_name=name, family_name="Hot", seniority="vp", owner_id=None)
        campaigns.record_engagement(db, c.id, "pricing_page_visit", now - dt.timedelta(days=1))
        scoring.score_contact(db, c.id)
        hot.append(c.id)
    screen = AssignmentScreen(db)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitUntil(lambda: screen.table.rowCount() == 2)
    assert screen.team.currentText() == "North"
    assert [screen.table.item(r, 2).text() for r in range(2)] == ["2 / 500", "1 / 500"]
    screen.handoff_button.click()
    qtbot.waitUntil(lambda: "handed off" in screen.result.text())
    assert screen.result.text() == ("3 hot leads handed off to sales (MQL); assigned round-robin: "
                                    "Ana Rep 2, Ben Rep 1.")
    with db.reader() as s:
        stages = {s.get(Contact, c).lifecycle_stage for c in hot}
    assert stages == {LifecycleStage.MQL}
    qtbot.waitUntil(lambda: screen.table.item(0, 2).text() == "4 / 500")
    # a rep's own cap, typed in the table
    screen.table.item(1, 3).setText("2")
    qtbot.waitUntil(lambda: screen.table.item(1, 2).text() == "2 / 2")
    assert screen.table.item(1, 4).text() == "own"
    # the team's cap, then everyone is full: the refusal is shown and nothing written
    screen.team_cap.setValue(4)
    qtbot.waitUntil(lambda: screen.table.item(0, 4).text() == "team")
    c = contacts.create_contact(db, given_name="Gul", family_name="Hot", seniority="vp", owner_id=None)
    campaigns.record_engagement(db, c.id, "pricing_page_visit", now - dt.timedelta(days=1))
    scoring.score_contact(db, c.id)
    screen.handoff_button.click()
    qtbot.waitUntil(lambda: "at their cap" in screen.result.text())
    assert screen.result.text().startswith("All 2 reps of North are at their cap")
    with db.reader() as s:
        assert s.get(Contact, c.id).lifecycle_stage == LifecycleStage.LEAD


def test_auto_handoff_off_still_lets_the_manager_hand_off(qtbot, db, north):
    team_settings.set_setting(db, "auto_handoff", False)
    screen = AssignmentScreen(db)
    qtbot.addWidget(screen)
    qtbot.waitUntil(lambda: screen.table.rowCount() == 2)
    screen.handoff_button.click()
    qtbot.waitUntil(lambda: "nothing to hand off" in screen.result.text())


def test_the_qualification_menu_opens_the_screen(qtbot, db, north):
    window = MainWindow(db, user_label="Ada")
    qtbot.addWidget(window)
    action = window.findChild(QAction, "action_open_assignment")
    assert action is not None and action in window.qualification_menu.actions()
    assert action.text().replace("&&", "&").replace("&A", "A") == "Assignment & caps…"
    action.trigger()
    screen = window.findChild(AssignmentScreen)
    assert screen is not None
    qtbot.waitUntil(lambda: screen.table.rowCount() == 2)
    screen.close()


def test_a_rep_sees_the_caps_but_cannot_edit_them(qtbot, db, north):
    with db.reader() as s:  # caps are team settings: managers edit them (tests/ui/test_assignment_caps_ui.py)
        db.write.subject = access.load_subject(s, north["Ana"])
    db.write.actor_id = north["Ana"]
    screen = AssignmentScreen(db)
    qtbot.addWidget(screen)
    qtbot.waitUntil(lambda: screen.table.rowCount() == 2)
    assert not screen.team_cap.isEnabled()
    assert screen.table.editTriggers() == screen.table.EditTrigger.NoEditTriggers
    assert screen.handoff_button.isEnabled()


def test_the_contact_panel_shows_the_hand_off_with_who_and_why(qtbot, db, north, page):
    scoring.create_rule(db, name="VP title", criterion="seniority_in", points=70, params={"values": ["vp"]})
    c = contacts.create_contact(db, given_name="Deniz", family_name="Hot", seniority="vp", owner_id=north["Ben"])
    scoring.score_contact(db, c.id)
    handoff.hand_off_hot_leads(db)
    page.load()
    page.select_contact(c.id)
    qtbot.waitUntil(lambda: page.detail.history.count() == 2)
    newest = page.detail.history.item(0).text().translate({0x2066: None, 0x2067: None, 0x2068: None, 0x2069: None})
    why = "Score 90 >= 60: +70 VP title, +20 Decision-maker seniority (director and above)"  # + a default rule
    assert newest.endswith(f"Lead → MQL · by Ada Admin\n{why}")
    assert page.detail.stage_reason.text() == f"Reason: {why}"
