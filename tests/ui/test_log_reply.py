"""Log activity's "The lead replied / reached out" (issue #13 point 5: a cadence stops when
the lead replies), driven as a rep would, on SQLite and PostgreSQL: the reply is recorded
as an engagement at the call's time, the lead's interest score moves by the team's reply
rule, and the lead's running cadence stops, which the status bar says."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow

from leaddesk.models.enums import ActivityKind, ActivityOutcome, EngagementKind
from leaddesk.services.followups import activities, cadences
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import accounts, contacts
from leaddesk.services.pipeline import opportunities
from leaddesk.ui.followups.log_dialog import LogActivityDialog

UTC = dt.timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
ALT = Qt.KeyboardModifier.AltModifier


@pytest.fixture
def lead(db):
    acme = accounts.create_account(db, name="Acme Logistics GmbH")
    return contacts.create_contact(db, given_name="Lea", family_name="Lang", account_id=acme.id,
                                   owner_id=db.write.actor_id)


def _dialog(qtbot, db, parent=None, **links):
    dialog = LogActivityDialog(db, zone=BERLIN, parent=parent, **links)
    if parent is None:
        qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_a_call_where_the_lead_replied_records_it_rescores_and_stops_the_cadence(qtbot, db, lead):
    runs = cadences.apply_cadence(db, "new-inbound", [lead.id], tz=BERLIN)
    before = contacts.get_contact(db, lead.id).interest_score
    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    dialog = _dialog(qtbot, db, parent=window, contact_id=lead.id, about="Lea Lang")
    assert dialog.replied.isVisible() and dialog.replied.isEnabled() and not dialog.replied.isChecked()
    qtbot.keyClicks(dialog.subject, "She called back about the trial")
    dialog.activateWindow()  # as a window manager does for a new dialog
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    qtbot.keyClick(dialog.subject, Qt.Key.Key_P, ALT)  # the mnemonic: Alt+P ticks it from the keyboard
    qtbot.waitUntil(dialog.replied.isChecked, timeout=2000)  # a mnemonic clicks (animated, ~100 ms)
    assert dialog.replied.hasFocus()
    qtbot.wait(200)
    assert dialog.replied.isChecked()
    dialog.book.setChecked(False)
    with qtbot.waitSignal(dialog.logged) as logged:
        dialog.submit()

    [call] = [x for x in activities.list_activities(db, contact_id=lead.id) if x.cadence_run is None]
    assert call.subject == "She called back about the trial" and call.kind == ActivityKind.CALL
    [reply] = campaigns.list_engagement(db, lead.id)
    assert reply.kind == EngagementKind.EMAIL_REPLY and reply.occurred_at == call.done_at
    # the team's "Replied to an e-mail (30 days)" rule: +10 interest
    assert contacts.get_contact(db, lead.id).interest_score == before + 10
    steps = [x for x in activities.list_activities(db, contact_id=lead.id) if x.cadence_run == runs[lead.id]]
    assert len(steps) == 5 and {s.outcome for s in steps} == {ActivityOutcome.CANCELLED}
    assert all("Cadence stopped: the lead replied" in s.body for s in steps)
    assert activities.list_activities(db, contact_id=lead.id, open_only=True) == []
    # the status bar says which cadence stopped and why
    message = "Cadence 'New inbound lead' stopped: the lead replied"
    assert logged.args[0].message() == message and dialog.status_text == message
    assert window.statusBar().currentMessage() == message
    assert {"engagement_event", "activity", "contact"} <= logged.args[0].changes.entities


def test_unticked_a_call_leaves_the_cadence_running(qtbot, db, lead):
    runs = cadences.apply_cadence(db, "new-inbound", [lead.id], tz=BERLIN)
    dialog = _dialog(qtbot, db, contact_id=lead.id)
    dialog.book.setChecked(False)
    with qtbot.waitSignal(dialog.logged) as logged:
        dialog.submit()
    assert campaigns.list_engagement(db, lead.id) == []
    assert len([x for x in activities.list_activities(db, contact_id=lead.id, open_only=True)
                if x.cadence_run == runs[lead.id]]) == 5
    assert logged.args[0].replied is None and logged.args[0].message() == ""


def test_a_reply_without_a_running_cadence_is_still_recorded(qtbot, db, lead):
    dialog = _dialog(qtbot, db, contact_id=lead.id)
    dialog.kind.setCurrentIndex(1)  # e-mail
    dialog.replied.setChecked(True)
    dialog.book.setChecked(False)
    with qtbot.waitSignal(dialog.logged) as logged:
        dialog.submit()
    assert [e.kind for e in campaigns.list_engagement(db, lead.id)] == [EngagementKind.EMAIL_REPLY]
    assert logged.args[0].replied.ended == () and "reply is recorded" in logged.args[0].message()


def test_only_calls_e_mails_and_meetings_offer_it(qtbot, db, lead):
    dialog = _dialog(qtbot, db, contact_id=lead.id)
    dialog.replied.setChecked(True)
    shown = {}
    for i in range(dialog.kind.count()):
        dialog.kind.setCurrentIndex(i)
        shown[dialog.kind.currentData()] = dialog.replied.isVisible()
    assert shown == {ActivityKind.CALL: True, ActivityKind.EMAIL: True, ActivityKind.MEETING: True,
                     ActivityKind.TASK: False, ActivityKind.NOTE: False}
    dialog.kind.setCurrentIndex(3)  # a task: ticked before, but not what a task says
    dialog.book.setChecked(False)
    with qtbot.waitSignal(dialog.logged):
        dialog.submit()
    assert campaigns.list_engagement(db, lead.id) == []


def test_without_a_contact_it_is_disabled_and_says_why(qtbot, db, lead):
    acme = contacts.get_contact(db, lead.id).account_id
    on_account = _dialog(qtbot, db, account_id=acme)
    assert on_account.replied.isVisible() and not on_account.replied.isEnabled()
    assert "Only a contact replies" in on_account.replied.toolTip()
    on_account.replied.setChecked(True)  # even if it were ticked: nothing recorded
    assert on_account.values()[0]["replied"] is False

    lonely = opportunities.create_opportunity(db, acme, "No contact yet", amount="100")
    deal = _dialog(qtbot, db, opportunity_id=lonely.id, account_id=acme)
    assert not deal.replied.isEnabled()
    with_lea = opportunities.create_opportunity(db, acme, "Rollout", amount="900", primary_contact_id=lead.id)
    deal = _dialog(qtbot, db, opportunity_id=with_lea.id, account_id=acme)
    qtbot.waitUntil(deal.replied.isEnabled)  # the deal's primary contact is the one who replies
    assert "stops the lead's running cadences" in deal.replied.toolTip()
    deal.replied.setChecked(True)
    deal.book.setChecked(False)
    with qtbot.waitSignal(deal.logged):
        deal.submit()
    assert [e.kind for e in campaigns.list_engagement(db, lead.id)] == [EngagementKind.EMAIL_REPLY]


def test_the_screenshot_of_the_dialog(qtbot, db, lead):
    acme = contacts.get_contact(db, lead.id).account_id
    opp = opportunities.create_opportunity(db, acme, "Fleet telematics rollout", amount="9000",
                                           primary_contact_id=lead.id)
    dialog = LogActivityDialog(db, opportunity_id=opp.id, account_id=acme, zone=BERLIN,
                               about="Fleet telematics rollout · Acme Logistics GmbH",
                               now=dt.datetime(2026, 12, 4, 15, 0, tzinfo=UTC))
    qtbot.addWidget(dialog)
    dialog.subject.setText("Pricing call with the CFO")
    dialog.notes.setPlainText("Budget confirmed for Q2; needs the security questionnaire.")
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(dialog.replied.isEnabled)
    dialog.replied.setChecked(True)
    dialog.subject.setFocus()
    dialog.subject.deselect()
    dialog.subject.end(False)
    dialog.resize(dialog.sizeHint().width() + 20, dialog.sizeHint().height())
    dialog.grab().save("/tmp/h/log-activity.png")
