"""Qualification ▸ High-probability indicators…: a manager creates an HPI with a rule and
sees how many leads meet it; the five-active limit is said clearly; reps only read."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtTest import QAbstractItemModelTester

from leaddesk.models.enums import Role
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import accounts, contacts
from leaddesk.services.qualification import indicators
from leaddesk.services.team import users
from leaddesk.ui.qualification.indicator_editor import IndicatorEditor
from leaddesk.ui.shell.main_window import MainWindow

NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture
def leads(db):
    big = accounts.create_account(db, name="Acme Logistics", industry="Logistics", employees=800)
    small = accounts.create_account(db, name="Tiny Shop", industry="Retail", employees=8)
    a = contacts.create_contact(db, given_name="Deniz", family_name="Kaya", account_id=big.id, lifecycle_stage="mql")
    contacts.create_contact(db, given_name="Mia", family_name="Big", account_id=big.id, lifecycle_stage="lead")
    contacts.create_contact(db, given_name="Sam", family_name="Small", account_id=small.id, lifecycle_stage="lead")
    for days in (1, 3):
        campaigns.record_engagement(db, a.id, "pricing_page_visit", NOW - dt.timedelta(days=days))
    return db


def editor(qtbot, db) -> IndicatorEditor:
    dialog = IndicatorEditor(db)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    QAbstractItemModelTester(dialog.model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    return dialog


def cell(dialog, row, column):
    return dialog.model.index(row, column).data()


def choose(dialog, criterion):
    dialog.criterion.setCurrentIndex(dialog.criterion.findData(criterion))


def test_a_manager_creates_an_hpi_and_sees_how_many_leads_meet_it(qtbot, leads):
    dialog = editor(qtbot, leads)
    assert dialog.model.rowCount() == 0 and dialog.save_button.isEnabled()
    assert dialog.limit.text().startswith("0 of 5 active")
    dialog.name.setText("Runs 3+ warehouses")
    choose(dialog, "employees_between")
    dialog.params.widgets["min"].setValue(250)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1)
    assert [cell(dialog, 0, c) for c in range(4)] == ["Runs 3+ warehouses", "Employees between: 250 – any",
                                                      "Active", "2"]
    saved = indicators.list_indicators(leads)[0]
    assert (saved.criterion, saved.params) == ("employees_between", {"min": 250, "max": None})
    assert "Leads checked now: 3" in dialog.counted.text()
    # an engagement HPI and a written one
    dialog.new_button.click()
    dialog.name.setText("Pricing twice in 14 days")
    choose(dialog, "engagement")
    dialog.params.widgets["min_count"].setValue(2)
    dialog.params.widgets["within_days"].setValue(14)
    dialog.save_button.click()
    dialog.new_button.click()
    dialog.name.setText("Competitor contract ends")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 3)
    assert [cell(dialog, r, 3) for r in range(3)] == ["2", "1", "—"]
    assert cell(dialog, 2, 1) == "Written only (not checkable)"
    assert cell(dialog, 1, 1) == "Engagement: pricing page visit ×2 in 14 days"
    # editing the selected HPI keeps its rule in the form
    dialog.table.selectRow(0)
    assert dialog.criterion.currentData() == "employees_between" and dialog.params.widgets["min"].value() == 250
    dialog.params.widgets["min"].setValue(5)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: cell(dialog, 0, 3) == "3")
    dialog.grab().save("/tmp/h/hpi-editor-test.png")


def test_bad_params_are_shown_on_the_form_and_nothing_saved(qtbot, leads):
    dialog = editor(qtbot, leads)
    dialog.name.setText("Target industry")
    choose(dialog, "industry_in")
    dialog.save_button.click()  # no industry given
    assert not dialog.errors.banner.isHidden()
    assert "at least one" in dialog.errors.label.text()
    assert indicators.list_indicators(leads) == []


def test_the_five_active_limit_is_a_clear_message(qtbot, leads):
    for i in range(5):
        indicators.create_indicator(leads, name=f"HPI {i}", criterion="seniority_in", params={"values": ["vp"]})
    dialog = editor(qtbot, leads)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 5)
    assert dialog.limit.text().startswith("5 of 5 active: the limit. Retire one")
    dialog.name.setText("Sixth")
    dialog.save_button.click()
    assert not dialog.errors.banner.isHidden()
    assert "at most 5 active" in dialog.errors.label.text()
    assert len(indicators.list_indicators(leads)) == 5


def test_reps_read_only(qtbot, leads, make_db):
    indicators.create_indicator(leads, name="Big firm", criterion="employees_between", params={"min": 250})
    rep = users.create_user(leads, "Rita Rep", "rita@example.com", role=Role.REP)
    dialog = editor(qtbot, make_db(actor_id=rep.id))
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1)
    assert not dialog.read_only.isHidden()
    assert not dialog.save_button.isEnabled() and not dialog.name.isEnabled() and not dialog.new_button.isEnabled()
    assert cell(dialog, 0, 3) == "2"  # reps see the counts too


def test_the_qualification_menu_opens_the_editor(qtbot, db):
    window = MainWindow(db, user_label="Ada")
    qtbot.addWidget(window)
    action = window.findChild(type(window.qualification_menu.menuAction()), "action_open_indicator_editor")
    assert action is not None and action.text() == "High-probability &indicators…"
    action.trigger()
    dialogs = window.findChildren(IndicatorEditor)
    assert len(dialogs) == 1 and dialogs[0].isVisible()



def test_counts_follow_new_leads_once_changes_settle(qtbot, leads, monkeypatch):
    from leaddesk.services.records import Changes
    from leaddesk.ui.jobs import app_signals
    from leaddesk.ui.qualification import indicator_editor

    monkeypatch.setattr(indicator_editor, "RECOUNT_DELAY_MS", 50)
    indicators.create_indicator(leads, name="Big firm", criterion="employees_between", params={"min": 250})
    dialog = editor(qtbot, leads)
    qtbot.waitUntil(lambda: cell(dialog, 0, 3) == "2")
    big = accounts.create_account(leads, name="Huge Co", employees=9000)
    made = contacts.create_contact(leads, given_name="New", family_name="Lead", account_id=big.id)
    app_signals.data_changed.emit(Changes.of("contact", made.id), None)
    assert dialog._recount.isActive() and cell(dialog, 0, 3) == "2"  # not at once: after the burst
    qtbot.waitUntil(lambda: cell(dialog, 0, 3) == "3", timeout=3000)
