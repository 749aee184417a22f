"""Apply cadence… from the contact list, seen in the contact's timeline (issue #13 point 5)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtTest import QAbstractItemModelTester

from leaddesk.services.followups import activities, cadences
from leaddesk.services.people import contacts
from leaddesk.ui.followups.cadence_dialog import ApplyCadenceDialog
from leaddesk.ui.followups.timeline import SUBJECT, TimelineView
from leaddesk.ui.people.contacts_page import ContactsPage

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def page(qtbot, db):
    ids = [contacts.create_contact(db, given_name=g, family_name="Kaya").id for g in ("Aylin", "Bora")]
    widget = ContactsPage(db)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    qtbot.waitExposed(widget)
    widget.load()
    qtbot.waitUntil(lambda: widget.model.rowCount() == 2)
    return widget, ids


def select(page, ids):
    sel = page.table.selectionModel()
    sel.clearSelection()
    page.table.setCurrentIndex(page.model.index(page.row_of(ids[0]), 0))
    for cid in ids:
        sel.select(page.model.index(page.row_of(cid), 0),
                   QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)


def test_apply_a_cadence_to_a_selection_and_see_its_steps_in_the_timeline(qtbot, db, page):
    widget, ids = page
    select(widget, ids)
    assert widget.cadence_action in widget.table.actions() and widget.cadence_action.isEnabled()
    widget.cadence_action.trigger()
    dialog: ApplyCadenceDialog = widget.cadence_dialog
    qtbot.waitUntil(lambda: dialog.cadence.count() == 2)
    assert "2 contacts" in dialog.about.text()
    assert dialog.steps.topLevelItemCount() == 5  # "New inbound lead" first
    dialog.cadence.setCurrentIndex(1)
    assert [dialog.steps.topLevelItem(i).text(3) for i in range(4)][0] == "Nice to meet you at the show"
    planned = dialog.planned()
    assert [p.due_at.astimezone(dialog.zone).time() for p in planned] == [dt.time(9)] * 4
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert "Cadence started for 2 contacts" in widget.message_label.text()
    for cid in ids:
        assert sorted(a.cadence_step for a in activities.list_activities(db, contact_id=cid)) == [1, 2, 3, 4]

    timeline = TimelineView(db)
    qtbot.addWidget(timeline)
    QAbstractItemModelTester(timeline.model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    timeline.resize(900, 260)
    timeline.show()
    with qtbot.waitSignal(timeline.loaded):
        timeline.show_for(contact_id=ids[0])
    texts = sorted(timeline.model.index(r, SUBJECT).data() for r in range(timeline.model.rowCount()))
    assert texts[0] == "Call after the show  —  step 2 of 4 · Trade-show follow-up"
    assert len(texts) == 4 and all("of 4 · Trade-show follow-up" in t for t in texts)

    # applying it again is refused, with the service's sentence in the dialog
    qtbot.waitUntil(lambda: widget.model.rowCount() == 2)
    select(widget, ids)
    widget.cadence_action.trigger()
    again = widget.cadence_dialog
    qtbot.waitUntil(lambda: again.cadence.count() == 2)
    again.cadence.setCurrentIndex(1)
    again.apply_button.click()
    qtbot.waitUntil(lambda: again.error.isVisible())
    assert "already running for Aylin Kaya, Bora Kaya" in again.error.text()
    again.reject()


def test_the_dialog_plans_in_the_reps_zone_from_a_start_day(qtbot, db):
    lead = contacts.create_contact(db, given_name="Cem")
    now = dt.datetime(2026, 3, 26, 12, 0, tzinfo=dt.timezone.utc)
    dialog = ApplyCadenceDialog(db, [lead.id], "Cem", zone=BERLIN, now=now)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.cadence.count() == 2)
    dialog.working_days.setChecked(True)
    dues = [dialog.steps.topLevelItem(i).text(1) for i in range(dialog.steps.topLevelItemCount())]
    assert dues == ["Thu 26 Mar 2026 09:00", "Fri 27 Mar 2026 09:00", "Tue 31 Mar 2026 09:00",
                    "Mon 06 Apr 2026 09:00", "Wed 15 Apr 2026 09:00"]
    assert [s.due_at for s in dialog.planned()] == [
        s.due_at for s in cadences.plan(cadences.template(db, "new-inbound"), now, BERLIN, working_days=True)]
    assert "Europe/Berlin" in dialog.hint.text()
    dialog.resize(620, 330)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.grab().save("/tmp/h/cadence.png")


def test_the_log_dialog_books_a_repeating_next_step(qtbot, db):
    from leaddesk.ui.followups.log_dialog import LogActivityDialog

    lead = contacts.create_contact(db, given_name="Deniz")
    now = dt.datetime(2026, 3, 20, 10, 0, tzinfo=dt.timezone.utc)  # a Friday
    dialog = LogActivityDialog(db, contact_id=lead.id, about="Deniz", zone=BERLIN, now=now)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.set_next_due(dt.datetime(2026, 3, 23, 9, 0, tzinfo=BERLIN))  # Monday
    assert dialog.repeat.choice.itemText(2) == "Weekly on Monday"
    dialog.repeat.choose("custom", "every monday")
    dialog.submit()
    assert dialog.error.isVisible() and "not a repeat rule" in dialog.error.text()
    assert activities.list_activities(db, contact_id=lead.id) == []  # nothing logged yet
    dialog.repeat.choose("weekly")
    dialog.grab().save("/tmp/h/log_repeat.png")
    with qtbot.waitSignal(dialog.logged):
        dialog.submit()
    [nxt] = activities.list_activities(db, contact_id=lead.id, open_only=True)
    assert nxt.rrule == "FREQ=WEEKLY;BYDAY=MO"
    assert nxt.due_at == dt.datetime(2026, 3, 23, 8, 0, tzinfo=dt.timezone.utc)


def test_a_manager_edits_the_cadences_in_the_team_settings(qtbot, db, make_db):
    from leaddesk.models import access
    from leaddesk.services import settings as team_settings
    from leaddesk.services.team import users
    from leaddesk.ui.team.settings_dialog import TeamSettingsDialog

    boss = users.create_user(db, "Mia Manager", "mia@example.com", role="manager")
    mine = make_db(actor_id=boss.id)
    with mine.reader() as s:
        mine.write.subject = access.load_subject(s, boss.id)
    dialog = TeamSettingsDialog(mine)
    qtbot.addWidget(dialog)
    dialog.resize(1100, 1040)
    dialog.show()
    qtbot.waitExposed(dialog)
    tab = dialog.settings_tab
    edit = tab.editors["cadences"]
    qtbot.waitUntil(lambda: edit.choice.count() == 2)
    assert tab.value_of("cadences") == team_settings.SPECS["cadences"].default
    edit.choice.setCurrentIndex(1)  # Trade-show follow-up: a fifth step, then a step removed
    edit.add_step()
    edit.table.item(4, 2).setText("Break-up e-mail")
    edit.table.cellWidget(4, 1).setCurrentIndex(1)  # e-mail
    edit.table.cellWidget(4, 0).setValue(21)
    edit.table.item(4, 3).setText("16:30")
    edit.table.setCurrentCell(0, 2)
    edit.remove_step()
    edit.add_cadence()
    qtbot.keyClicks(edit.name, "After the webinar")  # the new name is selected: typing replaces it
    edit.table.item(0, 3).setText("25:00")  # refused: the service says why, on the field
    tab.save()
    qtbot.waitUntil(lambda: tab.errors.is_shown())
    assert "HH:MM" in tab.errors.label.text() and tab.inline["cadences"].isVisible()
    assert [t.key for t in cadences.templates(db)] == ["new-inbound", "trade-show"]  # nothing saved
    edit.table.item(0, 3).setText("10:15")
    tab.save()
    qtbot.waitUntil(lambda: "Saved 1" in tab.message.text())
    show, webinar = cadences.templates(db)[1:]
    assert [(s["day"], s["kind"], s["subject"]) for s in show.steps] == [
        (2, "call", "Call after the show"), (5, "call", "Second call"), (10, "call", "Last call"),
        (21, "email", "Break-up e-mail")]
    assert show.steps[-1]["time"] == "16:30"
    assert (webinar.key, webinar.name, webinar.steps[0]["time"]) == (
        "after-the-webinar", "After the webinar", "10:15")  # a new cadence's key follows its name
    edit.choice.setCurrentIndex(2)  # saved now: renaming keeps the key that runs name
    edit.name.selectAll()
    qtbot.keyClicks(edit.name, "Webinar")
    assert (edit.value()[2]["key"], edit.value()[2]["name"]) == ("after-the-webinar", "Webinar")
    edit.choice.setCurrentIndex(1)
    from PySide6.QtWidgets import QScrollArea

    tab.findChild(QScrollArea).ensureWidgetVisible(edit.table)
    dialog.grab().save("/tmp/h/cadence_settings.png")


def test_the_timeline_stops_a_run_the_leads_reply_ended(qtbot, db):
    from leaddesk.models.enums import ActivityOutcome
    from leaddesk.services.marketing import campaigns

    lead = contacts.create_contact(db, given_name="Ece")
    cadences.apply_cadence(db, "trade-show", [lead.id], tz=BERLIN)
    campaigns.record_engagement(db, lead.id, "email_reply", dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
    timeline = TimelineView(db)
    qtbot.addWidget(timeline)
    timeline.show()
    loads = []
    timeline.loaded.connect(loads.append)
    timeline.show_for(contact_id=lead.id)
    qtbot.waitUntil(lambda: len(loads) >= 2)  # loaded, settled in a write job, loaded again
    states = {timeline.model.index(r, 3).data() for r in range(timeline.model.rowCount())}
    assert {a.outcome for a in activities.list_activities(db, contact_id=lead.id)} == {ActivityOutcome.CANCELLED}
    assert "Scheduled" not in states and "Overdue" not in states
    qtbot.wait(50)
    assert len(loads) == 2  # no settle loop


def test_the_lead_panel_applies_a_cadence_to_its_lead(qtbot, db, page):
    widget, ids = page
    widget.select_contact(ids[1])
    panel = widget.detail.lead
    qtbot.waitUntil(lambda: panel.contact_id == ids[1] and panel.view is not None)
    panel.cadence_button.click()
    dialog = widget.findChild(ApplyCadenceDialog)
    qtbot.waitUntil(lambda: dialog.cadence.count() == 2)
    assert "Bora Kaya" in dialog.about.text()
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert sorted(a.cadence_step for a in activities.list_activities(db, contact_id=ids[1])) == [1, 2, 3, 4, 5]
    assert activities.list_activities(db, contact_id=ids[0]) == []
