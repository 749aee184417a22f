"""Reminders in the app (ui/followups/reminders.py) with a controlled clock, on both engines:
the timer's check fires a notification (banner, and the tray icon's menu where a tray is
asked for), it is snoozed and comes back once, missed ones are grouped at start, Open the
record opens the contact."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from leaddesk.services.followups import activities as a
from leaddesk.services.followups import reminders as r
from leaddesk.services.people import accounts, contacts
from leaddesk.ui.shell.main_window import MainWindow

UTC = dt.timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
T0 = dt.datetime(2026, 6, 10, 8, 0, tzinfo=UTC)  # 10:00 in Berlin


class Clock:
    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def lea(db):
    acme = accounts.create_account(db, name="Acme Logistics")
    return contacts.create_contact(db, given_name="Lea", family_name="Lang", account_id=acme.id)


def window_with_reminders(qtbot, db, clock, *, use_tray=False):
    window = MainWindow(db, user_label="Ada")
    qtbot.addWidget(window)
    window.resize(1100, 700)
    window.show()
    window.load()
    center = window.start_reminders(clock=clock, tz=lambda: BERLIN, interval_ms=20, use_tray=use_tray)
    return window, center


def test_the_timer_fires_a_reminder_once_and_snooze_brings_it_back(qtbot, db, lea):
    call = a.schedule_activity(db, "call", "Call Lea back", T0, contact_id=lea.id)
    clock = Clock(T0 - dt.timedelta(minutes=1))
    window, center = window_with_reminders(qtbot, db, clock)
    banner = center.banner
    qtbot.waitUntil(lambda: center.checks >= 2, timeout=3000)  # the timer runs; nothing due yet
    assert banner.isHidden()

    with qtbot.waitSignal(center.notified, timeout=3000) as fired:
        clock.now = T0 + dt.timedelta(seconds=30)
    assert [x.subject for x in fired.args[0]] == ["Call Lea back"]
    assert banner.isVisible()
    [row] = banner.rows()
    assert "Call Lea back" in row.title.text() and "Lea Lang" in row.title.text()
    assert row.when.text() == "due 10:00"
    checks = center.checks
    qtbot.waitUntil(lambda: center.checks >= checks + 3, timeout=3000)
    assert len(banner.rows()) == 1  # shown once: later ticks find nothing new
    assert r.due_reminders(db, db.write.actor_id, clock.now) == []

    ten_min = next(act for act in row.snooze_button.menu().actions() if act.text() == "10 minutes")
    ten_min.trigger()
    assert banner.isHidden()
    clock.now = T0 + dt.timedelta(minutes=10)
    checks = center.checks
    qtbot.waitUntil(lambda: center.checks >= checks + 2, timeout=3000)
    assert banner.isHidden()  # the snooze ends at 10:10:30
    with qtbot.waitSignal(center.notified, timeout=3000) as back:
        clock.now = T0 + dt.timedelta(minutes=11)
    [again] = back.args[0]
    assert (again.id, again.snoozed) == (call.id, True)
    assert "snoozed" in banner.rows()[0].when.text()

    banner.rows()[0].open_button.click()
    assert window.current_page_name() == "contacts"
    assert banner.isHidden()


def test_missed_while_closed_are_grouped_at_start(qtbot, db, lea):
    for hours in (20, 16, 12, 8, 1):
        a.schedule_activity(db, "task", f"Task due {hours} h ago", T0 - dt.timedelta(hours=hours), contact_id=lea.id)
    a.schedule_activity(db, "call", "Due now", T0 - dt.timedelta(minutes=1), contact_id=lea.id)
    window, center = window_with_reminders(qtbot, db, Clock(T0))
    banner = center.banner
    assert banner.isVisible()  # the check at start, before any tick
    assert banner.header.text() == "<b>6 reminders</b>, 5 missed while LeadDesk was closed"
    assert [row.reminder.subject for row in banner.rows()] == [
        "Due now", "Task due 1 h ago", "Task due 8 h ago", "Task due 12 h ago"]
    assert banner.more.text() == "… and 2 more (oldest: Task due 20 h ago)"
    assert banner.rows()[3].when.text() == "due yesterday 22:00 · missed while LeadDesk was closed"
    banner.dismiss_all.click()
    assert banner.isHidden()
    window.grab().save("/tmp/h/reminder-dismissed.png")


def test_the_tray_menu_holds_the_actions_and_snoozes_to_tomorrow_morning(qtbot, db, lea):
    call = a.schedule_activity(db, "meeting", "Demo for Acme", T0, contact_id=lea.id)
    window, center = window_with_reminders(qtbot, db, Clock(T0), use_tray=True)
    assert center.tray is not None
    [sub] = [act.menu() for act in center.tray.contextMenu().actions() if act.menu() is not None]
    assert sub.title() == "Demo for Acme"
    labels = [act.text() for act in sub.actions()]
    assert labels == ["Snooze: 10 minutes", "Snooze: 1 hour", "Snooze: Tomorrow morning (9:00)",
                      "Snooze: Custom…", "Open the record"]
    sub.actions()[2].trigger()
    assert center.banner.isHidden()
    assert [act.menu() for act in center.tray.contextMenu().actions() if act.menu() is not None] == []
    tomorrow_9 = dt.datetime(2026, 6, 11, 9, 0, tzinfo=BERLIN)
    assert r.due_reminders(db, db.write.actor_id, tomorrow_9 - dt.timedelta(minutes=1)) == []
    assert [x.id for x in r.due_reminders(db, db.write.actor_id, tomorrow_9)] == [call.id]


def test_a_custom_snooze_is_read_in_the_reps_zone(qtbot, db, lea):
    call = a.schedule_activity(db, "call", "Call Lea back", T0, contact_id=lea.id)
    window, center = window_with_reminders(qtbot, db, Clock(T0))
    from leaddesk.ui.followups._reminder_banner import CustomSnoozeDialog

    dialog = CustomSnoozeDialog(T0 + dt.timedelta(hours=1), BERLIN, window)
    qtbot.addWidget(dialog)
    assert dialog.until() == dt.datetime(2026, 6, 10, 11, 0, tzinfo=BERLIN)
    center.snooze(call.id, dialog.until())
    assert center.banner.isHidden()
    assert r.due_reminders(db, db.write.actor_id, T0 + dt.timedelta(minutes=59)) == []
    assert [x.id for x in r.due_reminders(db, db.write.actor_id, T0 + dt.timedelta(hours=1))] == [call.id]


@pytest.mark.real_pools
def test_the_check_and_the_mark_run_on_worker_threads(qtbot, db, lea, monkeypatch):
    """With the app's real pools, the database work of a check happens off the UI thread
    and the notification comes back on it."""
    import threading

    from leaddesk.ui.followups import reminders as ui_reminders

    threads = []
    real_due, real_mark = r.due_reminders, r.mark_shown

    def due(*args, **kw):
        threads.append(("due", threading.current_thread()))
        return real_due(*args, **kw)

    def mark(*args, **kw):
        threads.append(("mark", threading.current_thread()))
        return real_mark(*args, **kw)

    monkeypatch.setattr(ui_reminders.reminders, "due_reminders", due)
    monkeypatch.setattr(ui_reminders.reminders, "mark_shown", mark)
    a.schedule_activity(db, "call", "Call Lea back", T0, contact_id=lea.id)
    window = MainWindow(db, user_label="Ada")
    qtbot.addWidget(window)
    window.show()
    center = window.start_reminders(clock=lambda: T0, tz=lambda: BERLIN, interval_ms=60_000, use_tray=False)
    qtbot.waitUntil(lambda: center.banner.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: any(kind == "mark" for kind, _ in threads), timeout=5000)
    qtbot.waitUntil(lambda: not center._busy, timeout=5000)
    main = threading.main_thread()
    assert {kind for kind, _ in threads} == {"due", "mark"}
    assert all(t is not main for _, t in threads)
    assert r.due_reminders(db, db.write.actor_id, T0) == []
