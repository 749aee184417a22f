"""My day (issue #13, point 3) with a controlled clock, on both engines: the buckets, done
with an outcome by keyboard then the next-step prompt, reschedule, the minute timer and
data_changed, open the record, and the model under QAbstractItemModelTester."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester

from leaddesk.models.enums import ActivityOutcome
from leaddesk.services.followups import activities as a
from leaddesk.services.people import accounts, contacts
from leaddesk.services.pipeline import opportunities as p
from leaddesk.ui.followups import _day_times as times
from leaddesk.ui.followups.my_day import MyDayPage
from leaddesk.ui.jobs import app_signals

UTC = dt.timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
#: Wednesday 9 Dec 2026, 10:00 in Berlin.
NOW = dt.datetime(2026, 12, 9, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def day(db):
    acme = accounts.create_account(db, name="Acme Logistics")
    lea = contacts.create_contact(db, given_name="Lea", family_name="Lang", account_id=acme.id)
    opp = p.create_opportunity(db, acme.id, "WMS rollout", primary_contact_id=lea.id)
    me = db.write.actor_id

    def plan(subject, due, kind="call", **links):
        return a.schedule_activity(db, kind, subject, due, owner_id=me, **(links or {"contact_id": lea.id}))

    made = {
        "contract": plan("Prepare the contract", NOW - dt.timedelta(days=8), kind="task", opportunity_id=opp.id),
        "late_call": plan("Call back about pricing", NOW - dt.timedelta(hours=2)),
        "demo": plan("Product demo", NOW + dt.timedelta(hours=4), kind="meeting", opportunity_id=opp.id,
                     contact_id=lea.id),
        "mail": plan("Send the proposal", NOW + dt.timedelta(hours=6), kind="email"),
        "friday": plan("Check in", NOW + dt.timedelta(days=2)),
    }
    return {"lea": lea, "acme": acme, "opp": opp, **made}


def open_page(qtbot, db, clock=None):
    page = MyDayPage(db, clock=clock or Clock(NOW), tz=BERLIN)
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    with qtbot.waitSignal(page.loaded, timeout=3000):
        page.load()
    return page


def subjects(page, section):
    return [i.subject for i in page.model.items_in(section)]


def test_buckets_from_a_controlled_clock(qtbot, db, day):
    page = open_page(qtbot, db)
    QAbstractItemModelTester(page.model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    assert subjects(page, "overdue") == ["Prepare the contract", "Call back about pricing"]
    assert subjects(page, "today") == ["Product demo", "Send the proposal"]
    assert subjects(page, "upcoming") == ["Check in"]
    # Lea, captured days before this clock and never touched, is past the 5-minute SLA: first
    assert [(b.contact, b.contact_id) for b in page.model.items_in("breaches")] == [("Lea Lang", day["lea"].id)]
    titles = [page.model.index(r, 0).data() for r in range(page.model.rowCount()) if page.model.is_title(r)]
    assert titles == ["SLA breaches · 1", "Overdue · 2", "Due today · 2", "Upcoming · 1"]
    # overdue rows say so in words and colour; a today row does not
    late = page.model.row_of(day["contract"].id)
    assert page.model.index(late, 3).data() == "overdue by 8 days"
    assert page.model.index(late, 3).data(Qt.ItemDataRole.ForegroundRole) is not None
    today = page.model.row_of(day["demo"].id)
    assert page.model.index(today, 3).data(Qt.ItemDataRole.ForegroundRole) is None
    assert page.model.index(today, 2).data() == "\u2068Lea Lang\u2069 · \u2068WMS rollout\u2069"
    assert page.model.index(page.model.row_of(day["mail"].id), 2).data() == \
        "\u2068Lea Lang\u2069 · \u2068Acme Logistics\u2069"
    assert "overdue" in page.model.index(late, 1).data(Qt.ItemDataRole.AccessibleTextRole)
    # titles cannot be selected; the first row, the breach (most urgent), is current
    assert not page.model.flags(page.model.index(0, 0)) & Qt.ItemFlag.ItemIsSelectable
    assert page.current_item().id == day["lea"].id
    assert page.summary.text().endswith("9 December: 2 overdue · 2 due today · 1 upcoming")


def test_time_moves_every_minute_due_today_becomes_overdue(qtbot, db, day):
    clock = Clock(NOW)
    page = open_page(qtbot, db, clock)
    assert page.timer.isActive() and page.timer.interval() == 60_000
    clock.now = NOW + dt.timedelta(hours=5)
    with qtbot.waitSignal(page.loaded, timeout=3000):
        page.timer.timeout.emit()
    assert subjects(page, "overdue") == ["Prepare the contract", "Call back about pricing", "Product demo"]
    assert subjects(page, "today") == ["Send the proposal"]


def test_mark_done_by_keyboard_with_outcome_then_next_step(qtbot, db, day):
    page = open_page(qtbot, db)
    page.table.setCurrentIndex(page.model.index(page.model.row_of(day["late_call"].id), 1))
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    picker = page.outcome_picker
    assert picker is not None and picker.isVisible()
    qtbot.keyClick(picker, Qt.Key.Key_2)  # "Left a voicemail"
    done = a.get_activity(db, day["late_call"].id)
    assert done.outcome == ActivityOutcome.LEFT_VOICEMAIL and done.done_at == NOW
    prompt = page.next_step_dialog
    assert prompt is not None and prompt.isVisible()
    subject, kind, due = prompt.values()
    assert subject == "Follow up: Call back about pricing"
    assert due == dt.datetime(2026, 12, 11, 9, 0, tzinfo=UTC)  # two working days on, 10:00 Berlin
    with qtbot.waitSignal(page.loaded, timeout=3000):
        qtbot.keyClick(prompt.subject, Qt.Key.Key_Return)
    assert "Call back about pricing" not in subjects(page, "overdue")
    assert "Follow up: Call back about pricing" in subjects(page, "upcoming")
    nxt = [x for x in a.list_activities(db, contact_id=day["lea"].id, open_only=True)
           if x.subject == "Follow up: Call back about pricing"]
    assert len(nxt) == 1 and nxt[0].owner_id == db.write.actor_id and nxt[0].due_at == due


def test_ctrl_d_on_a_meeting_offers_held_and_no_show_asks_to_reschedule(qtbot, db, day):
    page = open_page(qtbot, db)
    page.table.setCurrentIndex(page.model.index(page.model.row_of(day["demo"].id), 1))
    page.table.setFocus()
    page.done_action.trigger()  # Ctrl+D
    picker = page.outcome_picker
    assert picker.choice()[0] == "meeting_held"  # a meeting starts on "held"
    picker.list.setCurrentRow(4)
    qtbot.keyClick(picker.list, Qt.Key.Key_Return)
    assert a.get_activity(db, day["demo"].id).outcome == ActivityOutcome.NO_SHOW
    assert "Product demo" not in subjects(page, "today")  # the row left as soon as it was done
    # the service booked the reschedule task with the no-show: no second one is asked for
    assert page.next_step_dialog is None or not page.next_step_dialog.isVisible()
    assert sorted(x.subject for x in a.list_activities(db, opportunity_id=day["opp"].id, open_only=True)) == \
        ["Prepare the contract", "Reschedule: Product demo"]


def test_reschedule_tomorrow_and_custom(qtbot, db, day):
    page = open_page(qtbot, db)
    page.table.setCurrentIndex(page.model.index(page.model.row_of(day["contract"].id), 1))
    menu = page.reschedule()
    assert [act.data() for act in menu.actions()] == ["hour", "tomorrow", "next_week", "custom"]
    with qtbot.waitSignal(page.loaded, timeout=3000):
        menu.actions()[1].trigger()
    moved = a.get_activity(db, day["contract"].id)
    assert moved.due_at == dt.datetime(2026, 12, 10, 8, 0, tzinfo=UTC)  # 9:00 Berlin tomorrow
    assert subjects(page, "overdue") == ["Call back about pricing"]
    assert "Prepare the contract" in subjects(page, "upcoming")
    assert page.current_item().id == day["contract"].id  # the selection follows the row
    menu = page.reschedule()
    menu.actions()[3].trigger()
    dialog = page.custom_dialog
    dialog.when.setDateTime(dialog.when.dateTime().addDays(20))
    with qtbot.waitSignal(page.loaded, timeout=3000):
        dialog.accept()
    assert a.get_activity(db, day["contract"].id).due_at == dt.datetime(2026, 12, 30, 8, 0, tzinfo=UTC)
    assert "Prepare the contract" not in subjects(page, "upcoming")  # beyond the week


def test_reloads_on_data_changed_and_opens_the_record(qtbot, db, day):
    page = open_page(qtbot, db)
    a.schedule_activity(db, "call", "Squeezed in", NOW + dt.timedelta(hours=1), contact_id=day["lea"].id)
    with qtbot.waitSignal(page.loaded, timeout=3000):
        app_signals.data_changed.emit(None, None)
    assert subjects(page, "today")[0] == "Squeezed in"
    page.table.setCurrentIndex(page.model.index(page.model.row_of(day["contract"].id), 1))
    with qtbot.waitSignal(page.open_requested, timeout=1000) as opened:
        page.open_action.trigger()
    assert opened.args == ["opportunity", day["opp"].id]
    page.table.setCurrentIndex(page.model.index(page.model.row_of(day["late_call"].id), 1))
    with qtbot.waitSignal(page.open_requested, timeout=1000) as opened:
        page.open_action.trigger()
    assert opened.args == ["contact", day["lea"].id]


def test_default_times_skip_weekends_and_keep_local_nine():
    fri = dt.datetime(2026, 12, 11, 15, 5, tzinfo=UTC)  # Friday 16:05 Berlin
    assert times.next_step_default(fri, BERLIN) == dt.datetime(2026, 12, 15, 15, 15, tzinfo=UTC)  # Tuesday
    late = dt.datetime(2026, 12, 9, 20, 0, tzinfo=UTC)  # 21:00: the follow-up goes to 9:00
    assert times.next_step_default(late, BERLIN) == dt.datetime(2026, 12, 11, 8, 0, tzinfo=UTC)
    choices = times.reschedule_choices(dt.datetime(2026, 3, 28, 10, 0, tzinfo=UTC), BERLIN)  # Sat before DST
    assert choices["tomorrow"] == dt.datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # 9:00 CEST
    assert choices["next_week"] == dt.datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert choices["hour"] == dt.datetime(2026, 3, 28, 11, 0, tzinfo=UTC)


def test_ctrl_4_shows_my_day_in_the_main_window_and_its_keys_reach_the_page(qtbot, db, day):
    from leaddesk.ui.shell.main_window import MainWindow

    window = MainWindow(db, user_label="Ada")
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    window.load()
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page_name() == "my_day"
    page = window.my_day_page
    qtbot.waitUntil(lambda: page.model.row_of(day["late_call"].id) >= 0, timeout=3000)
    page.table.setCurrentIndex(page.model.index(page.model.row_of(day["late_call"].id), 1))
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert page.reschedule_menu is not None and page.reschedule_menu.isVisible()
    page.reschedule_menu.close()
    qtbot.keyClick(page.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert page.outcome_picker is not None and page.outcome_picker.isVisible()
    qtbot.keyClick(page.outcome_picker, Qt.Key.Key_Escape)  # cancelled: nothing written
    assert a.get_activity(db, day["late_call"].id).done_at is None
    qtbot.keyClick(page.table, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page_name() == "contacts"
    qtbot.waitUntil(lambda: window.contacts_page.detail.contact is not None, timeout=3000)
    assert window.contacts_page.detail.contact.id == day["lea"].id


@pytest.mark.real_pools
def test_the_day_loads_on_a_worker_thread(qtbot, db, day):
    import threading

    from leaddesk.services.followups import agenda as agenda_service

    threads = []
    original = agenda_service.day_agenda

    def spy(*args, **kw):
        threads.append(threading.current_thread())
        return original(*args, **kw)

    page = MyDayPage(db, clock=Clock(NOW), tz=BERLIN)
    qtbot.addWidget(page)
    agenda_service.day_agenda = spy
    try:
        with qtbot.waitSignal(page.loaded, timeout=5000):
            page.load()
    finally:
        agenda_service.day_agenda = original
    assert threads and threads[0] is not threading.main_thread()
    assert subjects(page, "today") == ["Product demo", "Send the proposal"]


def test_the_overdue_red_is_readable_on_light_and_dark_bases():
    from PySide6.QtWidgets import QApplication

    from leaddesk.ui.followups._day_model import overdue_colour
    from leaddesk.ui.theme import _dark_palette

    for palette in (QApplication.style().standardPalette(), _dark_palette()):
        base = palette.color(palette.ColorRole.Base)
        red = overdue_colour(palette)
        assert red.red() > 180 and abs(red.lightness() - base.lightness()) > 90, palette
