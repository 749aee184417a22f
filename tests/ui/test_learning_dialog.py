"""Qualification ▸ Learn from won/lost…: the table of evidence, editing a proposal, applying
it (the rule's points change and the leads are rescored)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QSpinBox

from leaddesk.models import Contact
from leaddesk.models.access import Subject
from leaddesk.services.qualification import scoring
from leaddesk.services.team import setup, users
from leaddesk.ui.qualification._learning_model import ACCEPT, LIFT, POINTS, PROPOSED, RULE
from leaddesk.ui.qualification.learning_dialog import LearningDialog
from leaddesk.ui.shell.main_window import MainWindow
from tests.db.test_learning import _history


@pytest.fixture
def db(empty_db):
    setup.initialize(empty_db, admin_name="Ada Admin", admin_email="ada@example.com", scoring_rules=False)
    return empty_db


@pytest.fixture
def rules(db):
    director = scoring.create_rule(db, name="Director", criterion="seniority_in", params={"values": ["director"]},
                                   points=5)
    free = scoring.create_rule(db, name="Free mail", criterion="free_email", params={}, points=10)
    _history(db)
    return director, free


def _row(model, name: str) -> int:
    return next(r for r in range(model.rowCount()) if model.index(r, RULE).data() == name)


def test_the_menu_opens_the_table_and_an_edited_proposal_is_applied(qtbot, db, rules):
    director, _free = rules
    window = MainWindow(db, user_label="Ada")
    qtbot.addWidget(window)
    window.findChild(QAction, "action_open_learning").trigger()
    dialog = window.findChild(LearningDialog)
    assert dialog is not None and dialog.isVisible()
    model = dialog.model
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    dialog.compute()  # again, under the tester's eye
    assert model.rowCount() == 2
    assert "40 closed leads: 20 won, 20 lost" in dialog.summary.text()
    row = _row(model, "Director")
    assert model.index(row, POINTS).data() == "+5"
    assert model.index(row, LIFT).data().startswith("1.60")
    assert model.index(_row(model, "Free mail"), PROPOSED).data().startswith("-")
    assert not dialog.apply.isEnabled()  # nothing ticked yet

    index = model.index(row, PROPOSED)
    dialog.table.setCurrentIndex(index)
    dialog.table.edit(index)
    editor = dialog.table.findChild(QSpinBox)
    editor.setValue(12)
    assert (editor.minimum(), editor.maximum()) == (-100, 100)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: model.index(row, PROPOSED).data() == "+12")  # the delegate commits queued
    assert model.index(row, ACCEPT).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert dialog.apply.isEnabled()

    qtbot.mouseClick(dialog.apply, Qt.MouseButton.LeftButton)
    assert scoring.get_rule(db, director.id).points == 12
    assert dialog.rescored.scored == 43 and dialog.rescored.changed > 0
    with db.reader() as s:  # rescored with the new points: directors (no free mail) have exactly 12
        fits = set(s.scalars(select(Contact.fit_score).where(Contact.seniority == "director")))
    assert 12 in fits and 5 not in fits
    row = _row(model, "Director")  # the table was computed again
    assert model.index(row, POINTS).data() == "+12"
    dialog.grab().save("/tmp/h/learning_test.png")


def test_a_rep_sees_the_evidence_but_cannot_apply(qtbot, db, rules, make_db):
    bob = users.create_user(db, "Bob Rep", "bob@example.com")
    as_bob = make_db(actor_id=bob.id)
    as_bob.write.subject = Subject(bob.id, "rep", frozenset({bob.id, db.write.actor_id}))
    dialog = LearningDialog(as_bob)
    qtbot.addWidget(dialog)
    dialog.compute()
    assert dialog.model.rowCount() == 2
    dialog.model.check_proposals()
    assert not dialog.apply.isEnabled() and not dialog.tick.isEnabled()
    assert "managers and admins" in dialog.apply.toolTip()


def test_a_rule_changed_meanwhile_is_refused_and_shown_as_it_is_now(qtbot, db, rules, no_dialogs):
    director, free = rules
    dialog = LearningDialog(db)
    qtbot.addWidget(dialog)
    dialog.compute()
    dialog.model.check_proposals()
    assert {rid for rid, _, _ in dialog.model.accepted()} == {director.id, free.id}
    scoring.update_rule(db, director.id, expected_version=director.version, points=7)  # another manager
    qtbot.mouseClick(dialog.apply, Qt.MouseButton.LeftButton)
    assert [type(e).__name__ for e in no_dialogs] == ["Conflict"]
    assert scoring.get_rule(db, free.id).points == 10  # nothing of the batch was written
    assert dialog.model.index(_row(dialog.model, "Director"), POINTS).data() == "+7"
    assert dialog.model.accepted() == [] and dialog.apply.isEnabled() is False
