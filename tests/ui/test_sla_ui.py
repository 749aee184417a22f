"""SLA in the app: the first-touch timer on the lead panel (a controllable clock: the label's
``clock``), and Team ▸ Speed-to-lead & persistence… (model tester, figures as the service
gives them). Both engines."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester

from leaddesk.models import Contact
from leaddesk.services.followups import activities as a
from leaddesk.services.people import contacts
from leaddesk.services.team import users
from leaddesk.ui.followups import _sla_figures_model as m
from leaddesk.ui.followups.sla_figures import SlaFiguresDialog
from leaddesk.ui.qualification.lead_panel import LeadPanel
from leaddesk.ui.shell.main_window import MainWindow

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MIN = dt.timedelta(minutes=1)


def _lead(db, name, source, owner=None, start=T0):
    c = contacts.create_contact(db, given_name=name)
    with db.unit_of_work() as s:
        row = s.get(Contact, c.id)
        row.source, row.captured_at = source, start
        row.owner_id, row.assigned_at = (owner, start) if owner else (None, None)
    return c.id


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def test_the_lead_panel_counts_down_then_shows_the_breach(qtbot, db):
    lead = _lead(db, "Wendy Web", "web_form")
    panel = LeadPanel(db)
    qtbot.addWidget(panel)
    clock = Clock(T0 + 2 * MIN)
    panel.sla_timer.clock = clock
    panel.show_contact(lead)
    timer = panel.sla_timer
    assert timer.text().startswith("First touch due in 3 min")
    assert "0 of 6 attempts in the first 7 days" in timer.text()
    assert timer.isVisibleTo(panel) and timer.timer.isActive()
    clock.now = T0 + 2 * dt.timedelta(hours=1) + 10 * MIN
    timer.tick()  # what the 30-second QTimer does
    assert timer.text().startswith("SLA breached 2 h ago")
    assert "#b00020" in timer.styleSheet()
    # a logged call (late) stops the clock: the write's change reloads the timer
    from leaddesk.ui.jobs import run_write

    run_write(panel, lambda: a.log_activity(db, "call", "Call", contact_id=lead, outcome="no_answer",
                                            done_at=T0 + dt.timedelta(hours=2), now=clock.now)).run()
    assert timer.text().startswith("First touch 1 h late")
    assert "1 of 6 attempts" in timer.text()
    assert not timer.timer.isActive()


def test_a_lead_without_a_clock_shows_no_timer(qtbot, db):
    lead = contacts.create_contact(db, given_name="Nora Nurture", lifecycle_stage="nurture")
    panel = LeadPanel(db)
    qtbot.addWidget(panel)
    panel.sla_timer.clock = Clock(T0)
    panel.show_contact(lead.id)
    assert panel.sla_timer.text() == "" and not panel.sla_timer.isVisibleTo(panel)


@pytest.mark.qt_log_level_fail("WARNING")
@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_the_figures_screen_shows_a_row_per_rep(qtbot, db):
    rita = users.create_user(db, "Rita Rep", "rita@example.com")
    for minutes in (2, 10, 30):
        lead = _lead(db, f"L{minutes}", "web_form", owner=rita.id, start=T0)
        a.log_activity(db, "call", "Call", contact_id=lead, owner_id=rita.id, outcome="no_answer",
                       done_at=T0 + minutes * MIN, now=T0 + minutes * MIN)
    _lead(db, "Waiting", "web_form", owner=rita.id, start=T0)
    _lead(db, "In the pool", "web_form")  # unassigned, past due: said below the table
    meeting = a.schedule_activity(db, "meeting", "Demo", T0, contact_id=lead, owner_id=rita.id)
    a.complete_activity(db, meeting.id, "no_show", now=T0 + MIN, tz="UTC")
    dialog = SlaFiguresDialog(db, clock=Clock(T0 + dt.timedelta(days=10)))
    qtbot.addWidget(dialog)
    QAbstractItemModelTester(dialog.model, QAbstractItemModelTester.FailureReportingMode.Warning)
    dialog.reload()
    model = dialog.model
    assert model.rowCount() == 1
    row = [model.index(0, c).data() for c in range(model.columnCount())]
    assert row[m.REP] == "Rita Rep"
    assert row[m.LEADS] == "4 (3)"
    assert row[m.MEDIAN] == "10 min" and row[m.P90] == "26 min"
    assert row[m.WITHIN] == "25% (1/4)"
    assert row[m.ATTEMPTS] == "0.8" and row[m.MET] == "0% (0/4)"
    assert row[m.BREACHES] == "1"
    assert (row[m.MEETINGS], row[m.NO_SHOWS]) == ("1", "100% (1/1)")
    assert model.index(0, m.BREACHES).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert "first touch within 5 min" in dialog.targets.text()
    assert dialog.unassigned.isVisibleTo(dialog) and dialog.unassigned.text().startswith("Unassigned: 1 lead(s) past their first-touch due time, 1 waiting")
    # the first rows come before the two slower counts, which show "…" meanwhile
    model.set_figures(list(model.rows))
    assert [model.index(0, c).data() for c in (m.ATTEMPTS, m.MET, m.BREACHES, m.MEETINGS, m.NO_SHOWS)] == ["…"] * 5
    assert model.index(0, m.LEADS).data() == "4 (3)"
    dialog.period.setCurrentIndex(0)  # the last 7 days: these leads started 10 days ago
    assert model.rowCount() == 0 and dialog.empty.isVisibleTo(dialog)


def test_the_team_menu_opens_the_figures(qtbot, db):
    window = MainWindow(db, user_label="Ada")
    qtbot.addWidget(window)
    action = next(x for x in window.team_menu.actions() if "Speed-to-lead" in x.text().replace("&", ""))
    action.trigger()
    dialog = window.findChild(SlaFiguresDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.close()


def test_the_contact_list_shows_breaches_in_red(qtbot, db):
    from leaddesk.ui.people._contact_columns import FIRST_TOUCH_COLUMN
    from leaddesk.ui.people.contacts_page import ContactsPage

    now = dt.datetime.now(UTC)
    _lead(db, "Bea Breached", "web_form", start=now - dt.timedelta(hours=3))
    _lead(db, "Dora Due", "trade_show", start=now - dt.timedelta(hours=1))
    touched = _lead(db, "Tom Touched", "web_form", start=now - dt.timedelta(hours=3))
    a.log_activity(db, "call", "Call", contact_id=touched, done_at=now - dt.timedelta(hours=2))
    contacts.create_contact(db, given_name="Cora Customer", lifecycle_stage="customer")
    page = ContactsPage(db)
    qtbot.addWidget(page)
    page.load()
    model = page.model
    cells = {model.index(r, 0).data(): model.index(r, FIRST_TOUCH_COLUMN) for r in range(model.rowCount())}
    assert cells["Bea Breached"].data().startswith("breached 2 h ago")
    assert cells["Bea Breached"].data(Qt.ItemDataRole.ForegroundRole) is not None
    assert cells["Dora Due"].data() == "due in 22 h"
    assert cells["Dora Due"].data(Qt.ItemDataRole.ForegroundRole) is None
    assert cells["Tom Touched"].data() == "" and cells["Cora Customer"].data() == ""


def test_the_account_view_counts_its_no_shows(qtbot, db):
    from PySide6.QtGui import QUndoStack

    from leaddesk.services.people import accounts
    from leaddesk.ui.jobs import run_write
    from leaddesk.ui.people.account_view import AccountView

    acme = accounts.create_account(db, name="Acme")
    view = AccountView(db, QUndoStack())
    qtbot.addWidget(view)
    view.show()
    view.show_account(acme.id)
    assert view.fact_labels["meetings"].text() == "—"
    for outcome in ("completed", "no_show", "completed", "completed"):
        m = a.schedule_activity(db, "meeting", "Demo", T0, account_id=acme.id)
        run_write(view, lambda m=m, o=outcome: a.complete_activity(db, m.id, o, now=T0 + MIN, tz="UTC")).run()
    assert view.fact_labels["meetings"].text() == "4 held or missed, 1 no-show(s) (25%)"
