"""Qualification ▸ Scoring rules…, driven as a manager would (both engines): edit a rule,
read the preview, save, and see the leads' scores and temperatures change in the contact
list after the background rescore; thresholds refused when warm is not below hot; a rep
reads the rules but cannot change them; a contact saved in its editor is requalified."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QAbstractItemModelTester

from leaddesk.models.access import Subject
from leaddesk.models.enums import Role
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import accounts, contacts
from leaddesk.services.qualification import scoring
from leaddesk.services.team import setup, users
from leaddesk.ui.people._contact_columns import SCORE_COLUMN, TEMPERATURE_COLUMN
from leaddesk.ui.people.contacts_page import ContactsPage
from leaddesk.ui.qualification import rule_editor
from leaddesk.ui.qualification._rule_model import PARAMS, POINTS, RulesModel
from leaddesk.ui.qualification.rescoring import rescorer
from leaddesk.ui.shell._qualification_menu import QualificationMenu

NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture
def db(empty_db):
    setup.initialize(empty_db, admin_name="Ada Admin", admin_email="ada@example.com", scoring_rules=False)
    return empty_db


@pytest.fixture
def leads(db):
    scoring.create_rule(db, name="Director", criterion="seniority_in", points=20, params={"values": ["director"]})
    scoring.create_rule(db, name="Logistics", criterion="industry_in", points=15, params={"values": ["logistics"]})
    pricing = scoring.create_rule(db, name="Pricing page", criterion="engagement", points=10,
                                  params={"kind": "pricing_page_visit", "within_days": 30})
    acme = accounts.create_account(db, name="Acme Logistics", industry="Logistics")
    deniz = contacts.create_contact(db, given_name="Deniz", family_name="Kaya", seniority="director",
                                    account_id=acme.id)
    sam = contacts.create_contact(db, given_name="Sam", family_name="Small", seniority="entry")
    campaigns.record_engagement(db, deniz.id, "pricing_page_visit", NOW - dt.timedelta(days=2))
    campaigns.record_engagement(db, sam.id, "pricing_page_visit", NOW - dt.timedelta(days=3))
    scoring.rescore_all(db)
    return pricing, deniz, sam


def cell(page, name: str, column: int):
    rows = {page.model.index(r, 0).data(): r for r in range(page.model.rowCount())}
    return page.model.index(rows[name], column).data() if name in rows else None  # None while reloading


@pytest.fixture
def page(qtbot, db, leads):
    widget = ContactsPage(db)
    qtbot.addWidget(widget)
    widget.resize(1200, 600)
    widget.show()
    qtbot.waitExposed(widget)
    widget.load()
    qtbot.waitUntil(lambda: widget.model.rowCount() == 2)
    return widget


def open_editor(qtbot, db) -> rule_editor.RuleEditorDialog:
    dialog = rule_editor.RuleEditorDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0)
    return dialog


def select_rule(qtbot, dialog, name: str) -> None:
    def names():
        return [dialog.model.index(r, 0).data() for r in range(dialog.model.rowCount())]

    qtbot.waitUntil(lambda: name in names(), timeout=5000)
    row = names().index(name)
    rect = dialog.table.visualRect(dialog.model.index(row, 0))
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: dialog.rule is not None and dialog.rule.name == name)


def test_the_rules_model_passes_the_model_tester(qtbot, db, leads):
    model = RulesModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.set_rules(scoring.list_rules(db), {})
    assert model.rowCount() == 3 and model.columnCount() == 6
    row = model.row_of(leads[0].id)
    assert model.index(row, POINTS).data() == "+10"
    assert model.index(row, PARAMS).data() == "pricing page visit ×1 in 30 days"
    model.set_rules([], {})
    assert model.rowCount() == 0


def test_the_menu_opens_the_editor(qtbot, db, leads):
    from leaddesk.ui.shell.main_window import MainWindow

    assert ("&Scoring rules…", "qualification.rule_editor", "open_rule_editor", None) in \
        QualificationMenu.QUALIFICATION_SCREENS
    window = MainWindow(db, user_label="Ada")
    qtbot.addWidget(window)
    action = window.findChild(QAction, "action_open_rule_editor")
    assert action is not None and action.text() == "&Scoring rules…"
    action.trigger()
    dialog = window.findChild(rule_editor.RuleEditorDialog)
    assert dialog is not None and dialog.isVisible() and dialog.model.rowCount() == 3
    dialog.close()


@pytest.mark.real_pools
def test_edit_a_rule_see_the_preview_save_and_see_the_list_change(qtbot, db, leads, page):
    pricing, deniz, sam = leads
    assert (cell(page, "Deniz Kaya", SCORE_COLUMN), cell(page, "Deniz Kaya", TEMPERATURE_COLUMN)) == ("45", "Warm")
    assert (cell(page, "Sam Small", SCORE_COLUMN), cell(page, "Sam Small", TEMPERATURE_COLUMN)) == ("10", "Cold")
    dialog = open_editor(qtbot, db)
    select_rule(qtbot, dialog, "Pricing page")
    qtbot.waitUntil(lambda: "hits <b>2</b> of 2 leads; <b>0</b> would" in dialog.preview_label.text())
    dialog.points.setValue(25)  # Deniz 45 -> 60: hot; Sam 10 -> 25: still cold
    qtbot.waitUntil(lambda: "hits <b>2</b> of 2 leads; <b>1</b> would change" in dialog.preview_label.text(),
                    timeout=5000)
    assert "1 warm → hot" in dialog.preview_label.text()
    with qtbot.waitSignal(rescorer.finished, timeout=10000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cell(page, "Deniz Kaya", TEMPERATURE_COLUMN) == "Hot", timeout=5000)
    assert cell(page, "Deniz Kaya", SCORE_COLUMN) == "60" and cell(page, "Sam Small", SCORE_COLUMN) == "25"
    assert dialog.status.text() == "All 2 leads rescored with the current rules: 2 scores changed."
    assert scoring.get_rule(db, pricing.id).points == 25

    # a new rule with negative points, through the generated parameter form
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.name, "Entry level")
    dialog.criterion.setCurrentIndex(dialog.criterion.findData("seniority_in"))
    dialog.params.widget_for("values").boxes["entry"].setChecked(True)
    dialog.points.setValue(-30)
    qtbot.waitUntil(lambda: "hits <b>1</b> of 2" in dialog.preview_label.text(), timeout=5000)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    with qtbot.waitSignal(rescorer.finished, timeout=10000):
        qtbot.keyClick(dialog.name, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # Ctrl+S saves
    qtbot.waitUntil(lambda: cell(page, "Sam Small", SCORE_COLUMN) == "-5", timeout=5000)

    # delete it again: the rescore gives Sam his points back
    select_rule(qtbot, dialog, "Entry level")
    with qtbot.waitSignal(rescorer.finished, timeout=10000):
        qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cell(page, "Sam Small", SCORE_COLUMN) == "25", timeout=5000)

    # and restore it from the deleted rules: Sam loses them again
    dialog.show_deleted.setChecked(True)
    select_rule(qtbot, dialog, "Entry level")
    assert dialog.restore_button.isEnabled() and not dialog.delete_button.isEnabled()
    with qtbot.waitSignal(rescorer.finished, timeout=10000):
        qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cell(page, "Sam Small", SCORE_COLUMN) == "-5", timeout=5000)
    assert [r.name for r in scoring.list_rules(db)][-1] == "Entry level"


def test_a_bad_parameter_is_shown_on_its_field(qtbot, db, leads, no_dialogs):
    dialog = open_editor(qtbot, db)
    dialog.new_rule()
    qtbot.keyClicks(dialog.name, "Size")
    dialog.criterion.setCurrentIndex(dialog.criterion.findData("employees_between"))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.errors.is_shown() and dialog.errors.invalid_field == "params.min"
    assert dialog.errors.widget_for("params.min") is dialog.params.widget_for("min")
    assert "Preview: not possible yet" in dialog.preview_label.text()
    assert len(scoring.list_rules(db)) == 3 and no_dialogs == []


def test_thresholds_warm_must_stay_below_hot(qtbot, db, leads, no_dialogs):
    dialog = open_editor(qtbot, db)
    dialog.warm.setValue(70)
    qtbot.mouseClick(dialog.thresholds_button, Qt.MouseButton.LeftButton)
    assert dialog.errors.is_shown() and dialog.errors.invalid_field == "score_warm"
    assert scoring.thresholds(db).warm == 30
    dialog.warm.setValue(20)
    dialog.hot.setValue(45)
    qtbot.mouseClick(dialog.thresholds_button, Qt.MouseButton.LeftButton)
    assert not dialog.errors.is_shown() and (scoring.thresholds(db).hot, scoring.thresholds(db).warm) == (45, 20)
    assert dialog.status.text() == "Thresholds saved: warm from 20, hot from 45."


def test_a_rep_sees_the_rules_read_only(qtbot, db, leads, make_db):
    rep = users.create_user(db, "Rita Rep", "rita@example.com", role=Role.REP)
    as_rep = make_db(actor_id=rep.id)
    as_rep.write.subject = Subject(rep.id, "rep", frozenset({rep.id}))
    dialog = open_editor(qtbot, as_rep)
    assert dialog.notice.isVisible() and dialog.rule is not None
    assert all(b.isHidden() for b in (dialog.save_button, dialog.new_button, dialog.delete_button,
                                       dialog.thresholds_button))
    assert dialog.name.isReadOnly() and not dialog.points.isEnabled() and not dialog.hot.isEnabled()


def test_saving_a_contact_in_its_editor_requalifies_it(qtbot, db, leads, page):
    _pricing, _deniz, sam = leads
    editor = page.edit_contact(sam.id)
    qtbot.waitUntil(lambda: editor.fields["job_title"].isEnabled() and editor.version is not None)
    editor.seniority.setCurrentIndex(editor.seniority.findData("director"))
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cell(page, "Sam Small", SCORE_COLUMN) == "30", timeout=5000)  # +20 director
    assert scoring.score_contact(db, sam.id).reasons[0].name == "Director"


def test_changing_a_stage_requalifies_the_contact(qtbot, db, leads, page):
    scoring.create_rule(db, name="Nurtured", criterion="lifecycle_in", points=-40, params={"values": ["nurture"]})
    _pricing, deniz, _sam = leads
    rows = {page.model.index(r, 0).data(): r for r in range(page.model.rowCount())}
    page.table.selectRow(rows["Deniz Kaya"])
    qtbot.waitUntil(lambda: page.detail.contact is not None and page.detail.contact.id == deniz.id)
    dialog = page.detail.change_stage()
    item = dialog.stages.findItems("Nurture", Qt.MatchFlag.MatchExactly)[0]
    dialog.stages.setCurrentItem(item)
    qtbot.keyClicks(dialog.reason, "Not before Q3")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cell(page, "Deniz Kaya", SCORE_COLUMN) == "5", timeout=5000)  # 45 - 40


def test_unsaved_edits_are_not_lost_by_clicking_another_rule(qtbot, db, leads, monkeypatch):
    from leaddesk.ui.widgets.form_guard import DiscardGuard

    dialog = open_editor(qtbot, db)
    select_rule(qtbot, dialog, "Director")
    dialog.points.setValue(33)
    asked = []
    monkeypatch.setattr(DiscardGuard, "ask", lambda self: asked.append(1) or False)  # "Keep editing"
    rows = [dialog.model.index(r, 0).data() for r in range(dialog.model.rowCount())]
    rect = dialog.table.visualRect(dialog.model.index(rows.index("Logistics"), 0))
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert asked == [1] and dialog.rule.name == "Director" and dialog.points.value() == 33
    assert dialog.table.currentIndex().row() == rows.index("Director")
    monkeypatch.setattr(DiscardGuard, "ask", lambda self: True)  # "Discard"
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialog.rule.name == "Logistics" and dialog.points.value() == 15
    assert scoring.list_rules(db)[0].points == 20  # nothing was saved
