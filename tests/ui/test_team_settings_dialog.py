"""Issue #12 point 8 in the app: Qualification ▸ Team settings & pipelines… (a manager
changes a setting and a stage's rotting days and they are stored; a refused value is shown
on its field; a rep sees everything read-only), and the account view's pipeline switcher
(a deal in a second pipeline is one switch away)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QUndoStack
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QPushButton

from leaddesk.models import access
from leaddesk.services import settings as team_settings
from leaddesk.services.people import accounts
from leaddesk.services.pipeline import opportunities, pipelines
from leaddesk.services.qualification import definitions
from leaddesk.services.team import users
from leaddesk.ui.people.account_view import AccountView
from leaddesk.ui.shell.main_window import MainWindow
from leaddesk.ui.team.settings_dialog import TeamSettingsDialog, grouped_keys


def _signed_in(make_db, db, role: str):
    person = users.create_user(db, f"{role.title()} Person", f"{role}@example.com", role=role)
    other = make_db(actor_id=person.id)
    with other.reader() as s:
        other.write.subject = access.load_subject(s, person.id)
    return other


@pytest.fixture
def manager_dialog(qtbot, db, make_db):
    dialog = TeamSettingsDialog(_signed_in(make_db, db, "manager"))
    qtbot.addWidget(dialog)
    return dialog


def _tested(model):
    """Qt's own model checks, run on every change of the model from now on; a failed check is
    a Qt warning, which fails the test (``qt_log_level_fail``)."""
    return QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)


#: Qt warnings fail these tests (the model tester reports through them).
strict_qt_log = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore("propagateSizeHints")]


def test_the_qualification_menu_opens_the_dialog(qtbot, db):
    window = MainWindow(db, user_label="Ada")
    qtbot.addWidget(window)
    action = window.findChild(type(window.qualification_menu.actions()[0]), "action_open_team_settings")
    assert action is not None and "Team settings" in action.text()
    action.trigger()
    dialog = window.findChild(TeamSettingsDialog)
    assert dialog is not None and dialog.isVisible() and dialog.editable  # Ada is an admin
    dialog.close()


def test_every_setting_has_an_editor_with_its_help(manager_dialog):
    tab = manager_dialog.settings_tab
    # caps per rep and per team are edited in Qualification ▸ Assignment & caps…
    shown = sorted(set(team_settings.SPECS) - {"lead_cap_by_rep", "lead_cap_by_team"})
    assert sorted(k for _title, keys in grouped_keys() for k in keys) == shown
    assert sorted(tab.editors) == shown
    stored = team_settings.get_settings(manager_dialog.db)
    assert {k: tab.value_of(k) for k in tab.editors} == {k: stored[k] for k in shown}
    assert tab.editors["lead_cap"].minimum() == 1  # the spec's minimum
    texts = " ".join(label.text() for label in tab.findChildren(type(tab.message)))
    assert all(team_settings.SPECS[k].help in texts for k in shown)


@strict_qt_log[0]
@strict_qt_log[1]
def test_a_manager_changes_a_setting_and_a_stages_rotting_days(manager_dialog, qtmodeltester):
    db = manager_dialog.db
    tab = manager_dialog.settings_tab
    tab.editors["lead_cap"].setValue(320)
    tab.editors["bant_required"].boxes["timing"].setChecked(False)
    tab.editors["default_currency"].setText("usd")
    tab.save_button.click()
    stored = team_settings.get_settings(db)
    assert (stored["lead_cap"], stored["bant_required"], stored["default_currency"]) == (
        320, ["budget", "authority", "need"], "USD")
    assert tab.editors["default_currency"].text() == "USD" and "Saved 3" in tab.message.text()

    pipes = manager_dialog.pipelines_tab
    tester = _tested(pipes.model)
    qtmodeltester.check(pipes.model)
    assert pipes.select_stage("Proposal")
    pipes.rotting.setValue(21)
    pipes.probability.setValue(55)
    pipes.save_stage_button.click()
    pipe = pipelines.list_pipelines(db)[0]
    proposal = next(s for s in pipelines.list_stages(db, pipe.id) if s.name == "Proposal")
    assert (proposal.rotting_days, proposal.probability) == (21, 55)
    assert pipes.current_stage().id == proposal.id and pipes.rotting.value() == 21
    row = [s.id for s in pipes.model.stages()].index(proposal.id)
    assert pipes.model.index(row, 3).data() == "21 days"
    pipes.up_button.click()  # reorder through the service
    assert [s.id for s in pipelines.list_stages(db, pipe.id)].index(proposal.id) == row - 1
    qtmodeltester.check(pipes.model)
    del tester


def test_a_refused_value_is_shown_on_its_field_and_nothing_is_saved(manager_dialog):
    db = manager_dialog.db
    tab = manager_dialog.settings_tab
    tab.editors["score_warm"].setValue(75)  # above hot (60)
    tab.editors["lead_cap"].setValue(99)
    tab.save_button.click()
    assert tab.errors.invalid_field == "score_warm"
    assert tab.inline["score_warm"].isVisibleTo(tab) and "below the hot score" in tab.inline["score_warm"].text()
    assert tab.editors["score_warm"].property("invalid") is True
    assert team_settings.get_settings(db)["lead_cap"] == 500  # one unit of work: nothing written
    tab.editors["score_warm"].setValue(40)  # editing the field clears its error
    assert not tab.inline["score_warm"].isVisibleTo(tab)
    tab.save_button.click()
    assert (team_settings.get_settings(db)["score_warm"], team_settings.get_settings(db)["lead_cap"]) == (40, 99)


def test_a_stage_with_open_deals_cannot_be_removed_and_the_refusal_shows(manager_dialog, db):
    pipes, mine = manager_dialog.pipelines_tab, manager_dialog.db
    acme = accounts.create_account(mine, name="Acme GmbH")
    opportunities.create_opportunity(mine, acme.id, "Press line")  # the first stage of the default pipeline
    pipes.reload()
    first = pipes.model.stages()[0]
    pipes.table.setCurrentIndex(pipes.model.index(0, 1))
    pipes.remove_stage_button.click()
    assert pipes.errors.is_shown() and "still in" in pipes.errors.label.text()
    assert first.id in [s.id for s in pipelines.list_stages(db, first.pipeline_id)]


def test_a_manager_edits_a_stage_definition(manager_dialog, qtmodeltester):
    tab = manager_dialog.definitions_tab
    qtmodeltester.check(tab.stages.model())
    assert tab.select_stage("sql")
    tab.criteria.setPlainText("A demo is booked.")
    tab.save_button.click()
    assert definitions.get_definition(manager_dialog.db, "sql").entry_criteria == "A demo is booked."
    tab.name.setText("  ")
    tab.save_button.click()
    assert tab.errors.invalid_field == "name" and tab.name.property("invalid") is True


def test_a_rep_sees_everything_read_only(qtbot, db, make_db):
    dialog = TeamSettingsDialog(_signed_in(make_db, db, "rep"))
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.editable and dialog.read_only_note.isVisible()
    tab = dialog.settings_tab
    assert tab.editors["lead_cap"].isReadOnly() and not tab.editors["auto_handoff"].isEnabled()
    assert not tab.editors["bant_required"].isEnabled() and tab.editors["default_currency"].isReadOnly()
    assert tab.editors["lead_cap"].value() == 500  # but sees the values
    assert dialog.definitions_tab.name.isReadOnly() and dialog.definitions_tab.stages.count() == 8
    assert dialog.pipelines_tab.model.rowCount() == 5
    visible = [b.text() for b in dialog.findChildren(QPushButton) if b.isVisible()]
    assert visible == ["Close"]  # no Save, Add, Remove, Move or Rename


# --- the account view's pipeline switcher ----------------------------------------------------

@strict_qt_log[0]
@strict_qt_log[1]
def test_the_account_view_switches_to_a_deal_in_a_second_pipeline(qtbot, db, qtmodeltester):
    default = pipelines.list_pipelines(db)[0]
    renewals = pipelines.create_pipeline(db, "Renewals", stages=[("Due", 50, 30), ("Signed", 90, None)])
    acme = accounts.create_account(db, name="Acme GmbH")
    opportunities.create_opportunity(db, acme.id, "Press line", pipeline_id=default.id)
    for name in ("Renewal 2027", "Renewal 2028"):
        opportunities.create_opportunity(db, acme.id, name, pipeline_id=renewals.id)
    view = AccountView(db, QUndoStack())
    qtbot.addWidget(view)
    view.show()
    testers = [_tested(view.board.model)]
    view.show_account(acme.id)
    combo = view.pipeline_switch
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Renewals (2 open of 2)", f"{default.name} (1 open of 1)"]
    assert combo.currentData() == renewals.id  # most open deals
    board = view.board
    assert board.board.pipeline_id == renewals.id
    assert sorted(c.name for c in board.model.cards()) == ["Renewal 2027", "Renewal 2028"]
    qtmodeltester.check(board.model)
    combo.setCurrentIndex(1)
    assert board.board.pipeline_id == default.id
    assert [c.name for c in board.model.cards()] == ["Press line"]
    # a new deal elsewhere updates the counts and keeps the chosen pipeline
    opportunities.create_opportunity(db, acme.id, "Spare parts", pipeline_id=default.id)
    from leaddesk.services.records import Changes
    from leaddesk.ui.jobs import app_signals

    app_signals.data_changed.emit(Changes.of("opportunity", acme.id), None)
    assert combo.currentData() == default.id and combo.currentText() == f"{default.name} (2 open of 2)"
    qtbot.waitUntil(lambda: sorted(c.name for c in board.model.cards()) == ["Press line", "Spare parts"])
    del testers


def test_a_manager_adds_and_renames_a_pipeline_and_adds_a_stage(manager_dialog, monkeypatch):
    db, pipes = manager_dialog.db, manager_dialog.pipelines_tab
    answers = iter(["Renewals", "Quote sent", "Renewals 2027", "Sales"])
    monkeypatch.setattr(pipes, "ask_name", lambda *_a: next(answers))
    pipes.add_pipeline_button.click()
    renewals = next(p for p in pipelines.list_pipelines(db) if p.name == "Renewals")
    assert pipes.current_pipeline_id() == renewals.id and [s.name for s in pipes.model.stages()] == ["New"]
    pipes.add_stage_button.click()
    assert [s.name for s in pipelines.list_stages(db, renewals.id)] == ["New", "Quote sent"]
    assert pipes.current_stage().name == "Quote sent"
    pipes.rename_pipeline_button.click()
    assert pipelines.list_pipelines(db)[-1].name == "Renewals 2027"
    pipes.rename_pipeline_button.click()  # "Sales" is taken: the service's refusal is shown
    assert pipes.errors.is_shown() and "already exists" in pipes.errors.label.text()
    assert [p.name for p in pipelines.list_pipelines(db)] == ["Sales", "Renewals 2027"]
