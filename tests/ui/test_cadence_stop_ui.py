"""Stop cadence… by hand (issue #13 point 5), from a step in the contact's timeline and in
My day, on SQLite and PostgreSQL: the rep gives a reason (prefilled "Stopped by <rep>"),
the run's open steps are cancelled with it, done steps stay as they were, and the rows
refresh through the change the write announces."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtWidgets import QMainWindow

from leaddesk.models.enums import ActivityOutcome
from leaddesk.services.followups import activities, cadences, my_day
from leaddesk.services.people import contacts
from leaddesk.ui.followups._day_model import WHAT
from leaddesk.ui.followups.my_day import MyDayPage
from leaddesk.ui.followups.timeline import OUTCOME, TimelineView

UTC = dt.timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
# The run starts at the wall clock (its rows' created_at): My day's clock is set a day on.
START = (dt.datetime.now(UTC) + dt.timedelta(days=1)).replace(hour=7, minute=30, second=0, microsecond=0)


@pytest.fixture
def lead(db):
    return contacts.create_contact(db, given_name="Ece", family_name="Ek", owner_id=db.write.actor_id)


def _steps(db, contact_id, run):
    return sorted((a for a in activities.list_activities(db, contact_id=contact_id) if a.cadence_run == run),
                  key=lambda a: a.cadence_step)


def _stop_action(menu):
    [action] = [a for a in menu.actions() if a.objectName() == "stopCadence"]
    return action


def test_stop_a_cadence_from_the_timeline_menu(qtbot, db, lead):
    run = cadences.apply_cadence(db, "trade-show", [lead.id], tz=BERLIN)[lead.id]
    first = _steps(db, lead.id, run)[0]
    activities.complete_activity(db, first.id, "completed")  # step 1 done: it stays done
    activities.log_activity(db, "note", "Met at the booth", contact_id=lead.id)
    window = QMainWindow()
    timeline = TimelineView(db)
    window.setCentralWidget(timeline)
    qtbot.addWidget(window)
    window.resize(900, 300)
    window.show()
    with qtbot.waitSignal(timeline.loaded):
        timeline.show_for(contact_id=lead.id)
    rows = {timeline.model.entry(r).subject: r for r in range(timeline.model.rowCount())}
    assert not _stop_action(timeline.context_menu(rows["Met at the booth"])).isEnabled()  # not a step
    assert _stop_action(timeline.context_menu(rows[first.subject])).isEnabled()  # a done step of a running run
    menu = timeline.context_menu(rows["Second call"])
    _stop_action(menu).trigger()
    dialog = timeline.stop_flow.dialog
    assert dialog.isVisible() and dialog.textValue() == "Stopped by Ada Admin"
    assert "Second call" in dialog.labelText() and "Trade-show follow-up" in dialog.labelText()
    dialog.setTextValue("Bought from a competitor")
    with qtbot.waitSignal(timeline.loaded):  # the rows refresh on the write's change
        dialog.accept()

    steps = _steps(db, lead.id, run)
    assert steps[0].outcome == ActivityOutcome.COMPLETED and "Cadence stopped" not in (steps[0].body or "")
    assert [s.outcome for s in steps[1:]] == [ActivityOutcome.CANCELLED] * 3
    assert all(s.done_at is not None and s.body.endswith("Cadence stopped: Bought from a competitor")
               for s in steps[1:])
    shown = [timeline.model.entry(r) for r in range(timeline.model.rowCount())]
    assert all(e.done_at is not None for e in shown)
    states = [timeline.model.index(r, OUTCOME).data() for r in range(len(shown))]
    assert sorted(states) == ["", "Cancelled", "Cancelled", "Cancelled", "Sent"]  # step 1 is an e-mail
    assert window.statusBar().currentMessage() == (
        "Cadence 'Trade-show follow-up' stopped: Bought from a competitor (3 open step(s) cancelled)")
    # stopped: the menu no longer offers it
    assert not _stop_action(timeline.context_menu(0)).isEnabled()


def test_an_empty_reason_is_refused_and_nothing_stops(qtbot, db, lead, no_dialogs):
    run = cadences.apply_cadence(db, "trade-show", [lead.id], tz=BERLIN)[lead.id]
    timeline = TimelineView(db)
    qtbot.addWidget(timeline)
    timeline.show()
    with qtbot.waitSignal(timeline.loaded):
        timeline.show_for(contact_id=lead.id)
    timeline.stop_cadence(timeline.model.entry(0))
    timeline.stop_flow.dialog.setTextValue("   ")
    timeline.stop_flow.dialog.accept()
    assert [str(e) for e in no_dialogs] == ["Say why the cadence stops."]
    assert all(s.done_at is None for s in _steps(db, lead.id, run))


def test_stop_a_cadence_from_my_day(qtbot, db, lead):
    me = db.write.actor_id
    run = cadences.apply_cadence(db, "new-inbound", [lead.id], start=START, tz=BERLIN)[lead.id]
    activities.schedule_activity(db, "task", "Send the price list", START + dt.timedelta(hours=5),
                                 contact_id=lead.id, owner_id=me)
    page = MyDayPage(db, clock=lambda: START + dt.timedelta(minutes=5), tz=BERLIN)
    qtbot.addWidget(page)
    page.resize(1000, 420)
    page.show()
    with qtbot.waitSignal(page.loaded, timeout=3000):
        page.load()
    assert page.stop_action in page.table.actions()

    def row_of(text):
        return next(r for r in range(page.model.rowCount())
                    if page.model.item_at(r) is not None and not isinstance(page.model.item_at(r), my_day.BreachItem)
                    and page.model.index(r, WHAT).data().startswith(text))

    page.table.setCurrentIndex(page.model.index(row_of("Task: Send the price list"), WHAT))
    assert not page.stop_action.isVisible()  # not a cadence step: its menu does not offer it
    assert page.stop_cadence() is None
    page.table.setCurrentIndex(page.model.index(row_of("Call: First call"), WHAT))
    assert page.stop_action.isVisible()
    messages = []
    page.status_message.connect(messages.append)
    page.stop_action.trigger()
    dialog = page.stop_flow.dialog
    assert dialog.textValue() == "Stopped by Ada Admin"
    with qtbot.waitSignal(page.loaded, timeout=3000):  # My day reads again on the change
        dialog.accept()

    steps = _steps(db, lead.id, run)
    assert len(steps) == 5 and {s.outcome for s in steps} == {ActivityOutcome.CANCELLED}
    assert all(s.body.endswith("Cadence stopped: Stopped by Ada Admin") for s in steps)
    shown = [page.model.index(r, WHAT).data() for r in range(page.model.rowCount())
             if page.model.item_at(r) is not None and not isinstance(page.model.item_at(r), my_day.BreachItem)]
    assert shown == ["Task: Send the price list"]
    assert messages == ["Cadence 'New inbound lead' stopped: Stopped by Ada Admin (5 open step(s) cancelled)"]
    assert [a.subject for a in activities.list_activities(db, contact_id=lead.id, open_only=True)] == [
        "Send the price list"]
