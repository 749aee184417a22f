"""Log activity (Ctrl+L) and the timeline, driven as a user would, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QDate, QDateTime, QTime, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtTest import QAbstractItemModelTester

from leaddesk.models.enums import ActivityKind, ActivityOutcome
from leaddesk.services.followups import activities
from leaddesk.services.followups.timeline import load_timeline
from leaddesk.services.people import accounts, contacts
from leaddesk.services.pipeline import opportunities
from leaddesk.ui.followups._log_defaults import default_next_step
from leaddesk.ui.followups.log_dialog import LogActivityDialog
from leaddesk.ui.followups.timeline import OVERDUE_COLOUR, TimelineModel, TimelineView
from leaddesk.ui.people.contacts_page import ContactsPage
from leaddesk.ui.people.search_dialog import SearchDialog
from leaddesk.ui.pipeline.opportunity_dialogs import EditOpportunityDialog
from leaddesk.ui.pipeline.pipeline_page import PipelinePage

CTRL = Qt.KeyboardModifier.ControlModifier
UTC = dt.timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def deal(db):
    acme = accounts.create_account(db, name="Acme")
    lea = contacts.create_contact(db, given_name="Lea", family_name="Lind", account_id=acme.id)
    opp = opportunities.create_opportunity(db, acme.id, "Acme rollout", amount="9000", primary_contact_id=lea.id)
    return acme, lea, opp


def _show(qtbot, widget, size=(1300, 760)):
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow, timeout=2000)
    return widget


def _activate(qtbot, dialog) -> None:
    dialog.activateWindow()  # as a window manager does for a new dialog
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)


def _timeline_subjects(view: TimelineView) -> list[str]:
    return [view.model.entry(r).subject for r in range(view.model.rowCount())]


def test_next_step_defaults_to_two_working_days_at_ten():
    friday = dt.datetime(2026, 12, 4, 16, 30, tzinfo=BERLIN)
    assert default_next_step(friday) == dt.datetime(2026, 12, 8, 10, 0, tzinfo=BERLIN)  # Tuesday
    monday = dt.datetime(2026, 12, 7, 8, 0, tzinfo=BERLIN)
    assert default_next_step(monday) == dt.datetime(2026, 12, 9, 10, 0, tzinfo=BERLIN)


def test_ctrl_l_on_a_board_card_logs_a_call_books_the_next_step_and_moves_last_touch(qtbot, db, deal):
    acme, lea, opp = deal
    page = _show(qtbot, PipelinePage(db, QUndoStack()), (1400, 800))
    page.load()
    assert page.model.card(opp.id).last_touch_at is None
    assert page.view.select_card(opp.id)
    column = page.view.column_view(page.model.card(opp.id).stage_id)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow, timeout=2000)
    column.setFocus()
    qtbot.keyClick(column, Qt.Key.Key_L, CTRL)
    dialog: LogActivityDialog = page.view.log_dialog
    assert dialog.isVisible() and "Acme rollout" in dialog.about.text()
    _activate(qtbot, dialog)
    # Defaults: a connected call, a follow-up call booked two working days out at 10:00.
    assert (dialog.kind.currentData(), dialog.outcome.currentData()) == (ActivityKind.CALL, ActivityOutcome.COMPLETED)
    assert dialog.book.isChecked() and dialog.next_due.time() == QTime(10, 0)
    qtbot.keyClicks(dialog.subject, "Discovery call")
    qtbot.keyClicks(dialog.notes, "Wants a pilot in March")
    due = dt.datetime.now(UTC).astimezone(dialog.zone).replace(second=0, microsecond=0) + dt.timedelta(days=3)
    dialog.next_due.setDateTime(QDateTime(QDate(due.year, due.month, due.day), QTime(due.hour, due.minute)))
    dialog.next_subject.clear()
    qtbot.keyClicks(dialog.next_subject, "Send the pilot plan")
    qtbot.keyClick(dialog.subject, Qt.Key.Key_Return, CTRL)

    touched = page.model.card(opp.id).last_touch_at
    assert touched is not None and dt.datetime.now(UTC) - touched < dt.timedelta(minutes=1)
    t = load_timeline(db, opportunity_id=opp.id)
    assert [(e.subject, e.outcome, e.contact_id, e.account_id) for e in t.entries] == [
        ("Send the pilot plan", None, lea.id, acme.id),
        ("Discovery call", ActivityOutcome.COMPLETED, lea.id, acme.id)]
    assert t.entries[0].due_at == due.astimezone(UTC)  # entered in the user's zone, stored in UTC
    assert t.entries[1].body == "Wants a pilot in March"

    # The opportunity's dialog shows both, the booked step on top.
    edit = EditOpportunityDialog(db, page.model.card(opp.id), page)
    qtbot.addWidget(edit)
    assert _timeline_subjects(edit.timeline) == ["Send the pilot plan", "Discovery call"]
    assert edit.timeline.model.index(0, 3).data() == "Scheduled"
    assert edit.timeline.model.index(1, 3).data() == "Connected"


def test_board_context_menu_offers_log_activity(qtbot, db, deal):
    _, _, opp = deal
    page = _show(qtbot, PipelinePage(db, QUndoStack()), (1400, 800))
    page.load()
    menu = page.view.context_menu(page.model.card(opp.id))
    action = next(a for a in menu.actions() if a.text().replace("&", "").startswith("Log activity"))
    assert action.shortcut().toString() == "Ctrl+L"


def test_ctrl_l_from_the_contact_list_and_the_detail_timeline_follows(qtbot, db, deal):
    acme, lea, opp = deal
    page = _show(qtbot, ContactsPage(db))
    page.load()
    page.select_contact(lea.id)
    assert page.detail.contact_id == lea.id
    assert _timeline_subjects(page.detail.timeline) == []
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_L, CTRL)
    dialog: LogActivityDialog = page.log_dialog
    assert dialog.about.text() == "Lea Lind"
    _activate(qtbot, dialog)
    dialog.outcome.setCurrentIndex(dialog.outcome.findText("Left voicemail"))
    dialog.book.setChecked(False)
    qtbot.keyClick(dialog.subject, Qt.Key.Key_Return, CTRL)  # empty subject: the kind's name

    mine = activities.list_activities(db, contact_id=lea.id)
    assert [(x.subject, x.outcome, x.account_id) for x in mine] == [("Call", ActivityOutcome.LEFT_VOICEMAIL, acme.id)]
    assert contacts.get_contact(db, lea.id).first_touch_at is not None  # an attempt
    assert opportunities.get_opportunity(db, opp.id).last_touch_at is None  # but not a touch
    assert _timeline_subjects(page.detail.timeline) == ["Call"]
    assert page.detail.timeline.model.index(0, 3).data() == "Left voicemail"

    # Ctrl+L also works with the focus in the detail panel.
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow, timeout=2000)
    page.detail.timeline.view.setFocus()
    qtbot.keyClick(page.detail.timeline.view, Qt.Key.Key_L, CTRL)
    assert page.log_dialog is not dialog and page.log_dialog.isVisible()
    page.log_dialog.reject()


def test_ctrl_l_on_a_search_hit(qtbot, db, deal):
    _, lea, _ = deal
    search = SearchDialog(db)
    qtbot.addWidget(search)
    search.open_with("Lind")
    search.run_query()
    assert search.model.rowCount() >= 1
    _activate(qtbot, search)
    qtbot.keyClick(search.edit, Qt.Key.Key_L, CTRL)
    dialog = search.log_dialog
    assert dialog.links["contact_id"] == lea.id and not search.isVisible()
    dialog.kind.setCurrentIndex(dialog.kind.findData(ActivityKind.NOTE))
    assert not dialog.outcome.isEnabled()
    qtbot.keyClicks(dialog.subject, "Prefers e-mail")
    dialog.book.setChecked(False)
    dialog.submit()
    [note] = activities.list_activities(db, contact_id=lea.id)
    assert (note.kind, note.outcome) == (ActivityKind.NOTE, None)


def test_dialog_shows_a_validation_error_and_stays_open(qtbot, db, deal):
    _, lea, _ = deal
    dialog = LogActivityDialog(db, contact_id=lea.id)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.set_next_due(dt.datetime.now(UTC) - dt.timedelta(hours=1))
    dialog.submit()
    assert dialog.error.isVisible() and "past" in dialog.error.text()
    assert activities.list_activities(db, contact_id=lea.id) == []
    dialog.book.setChecked(False)
    qtbot.keyClicks(dialog.subject, "x" * 301)
    dialog.submit()
    assert dialog.isVisible() and "subject" in dialog.error.text().lower()
    assert activities.list_activities(db, contact_id=lea.id) == []


def test_timeline_model_passes_the_model_tester_and_marks_overdue(qtbot, qtmodeltester, db, deal):
    acme, lea, opp = deal
    now = dt.datetime.now(UTC)
    activities.log_activity(db, "meeting", "Site visit", opportunity_id=opp.id, done_at=now - dt.timedelta(days=2))
    activities.schedule_activity(db, "task", "Send quote", now - dt.timedelta(hours=3), contact_id=lea.id)
    model = TimelineModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
    qtmodeltester.check(model)
    model.set_timeline(load_timeline(db, account_id=acme.id))
    qtmodeltester.check(model)
    assert [model.index(r, 2).data() for r in range(2)] == ["Send quote", "Site visit"]
    assert [model.index(r, 3).data() for r in range(2)] == ["Overdue", "Meeting held"]
    assert model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole).color() == OVERDUE_COLOUR
    assert model.index(1, 0).data(Qt.ItemDataRole.ForegroundRole) is None
    assert not model.index(0, 1).data(Qt.ItemDataRole.DecorationRole).isNull()


def test_account_timeline_is_capped_and_says_so(qtbot, db, deal):
    acme, lea, _ = deal
    for i in range(6):
        activities.log_activity(db, "email", f"Mail {i}", contact_id=lea.id,
                                done_at=dt.datetime.now(UTC) - dt.timedelta(hours=i + 1))
    view = TimelineView(db, cap=4)
    qtbot.addWidget(view)
    view.show_for(account_id=acme.id)
    assert _timeline_subjects(view) == ["Mail 0", "Mail 1", "Mail 2", "Mail 3"]
    assert view.count.text() == "The newest 4 of 6 activities."


def test_account_view_shows_the_accounts_timeline_and_follows_new_activities(qtbot, db, deal):
    from leaddesk.ui.people.account_view import AccountView

    acme, lea, opp = deal
    activities.log_activity(db, "call", "Intro", contact_id=lea.id, done_at=dt.datetime.now(UTC) - dt.timedelta(days=1))
    view = _show(qtbot, AccountView(db, QUndoStack()))
    view.show_account(acme.id)
    assert _timeline_subjects(view.timeline) == ["Intro"]
    dialog = LogActivityDialog(db, opportunity_id=opp.id, parent=view)
    qtbot.addWidget(dialog)
    dialog.book.setChecked(False)
    qtbot.keyClicks(dialog.subject, "Pricing call")
    dialog.submit()  # the account is filled in from the opportunity; the timeline reloads
    assert _timeline_subjects(view.timeline) == ["Pricing call", "Intro"]


@pytest.mark.real_pools
def test_timeline_loads_in_a_worker(qtbot, db, deal):
    acme, lea, _ = deal
    activities.log_activity(db, "email", "Hello", contact_id=lea.id)
    view = TimelineView(db)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.loaded, timeout=10000):
        view.show_for(account_id=acme.id)
    assert _timeline_subjects(view) == ["Hello"]
