"""Qualification ▸ Buyer personas…: a manager edits a persona's titles, sees the live match
count, saves, and the contact list shows the leads' new persona after the background
re-match; a rep sees the editor read-only. Both engines."""

from __future__ import annotations

from PySide6.QtGui import QAction

import datetime as dt
import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester

from leaddesk.models.access import Subject
from leaddesk.models.enums import Seniority
from leaddesk.services.people import accounts, contacts
from leaddesk.services.qualification import personas
from leaddesk.services.team import users
from leaddesk.ui.qualification._persona_form import months_since
from leaddesk.ui.qualification._persona_list_model import AVOID_COLOUR
from leaddesk.ui.qualification.persona_editor import PersonaEditorDialog
from tests.ui.test_main_window import make_window


def _setup(db):
    wh = personas.create_persona(db, name="Warehouse Wendy", job_titles=["Warehouse Manager"],
                                 seniorities=["manager", "director"], departments=["Logistics"],
                                 goals="Fewer mis-picks", talking_points="Ask about peak season")
    personas.create_persona(db, name="Students", job_titles=["Student", "Intern"], avoid=True)
    depot = accounts.create_account(db, name="Lager Nord", country="DE", employees=240)
    people = {t: contacts.create_contact(db, given_name=g, family_name="Test", job_title=t, account_id=depot.id)
              for g, t in [("Lena", "Lagerleiter"), ("Deniz", "Depo Müdürü"), ("Ekin", "Einkaufsleiter"),
                           ("Paul", "Poet")]}
    personas.rematch_all(db)
    return wh, people


def _persona_column(page) -> dict[str, str]:
    model = page.model
    col = next(c for c in range(model.columnCount())
               if model.headerData(c, Qt.Orientation.Horizontal) == "Persona")
    return {model.index(r, 0).data(): model.index(r, col).data() for r in range(model.rowCount())}


def test_manager_edits_titles_sees_the_count_saves_and_the_contact_list_follows(qtbot, db):
    wh, people = _setup(db)
    window = make_window(qtbot, db)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    page = window.contacts_page
    qtbot.waitUntil(lambda: _persona_column(page).get("Ekin Test") == "")
    assert _persona_column(page)["Lena Test"] == "Warehouse Wendy"

    window.findChild(QAction, "action_open_persona_editor").trigger()
    dialog = window._persona_editor
    assert isinstance(dialog, PersonaEditorDialog) and dialog.isVisible()
    QAbstractItemModelTester(dialog.model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    rows = [dialog.model.index(r).data() for r in range(dialog.model.rowCount())]
    assert rows == ["Students — avoid", "Warehouse Wendy"]
    assert dialog.model.index(0).data(Qt.ItemDataRole.ForegroundRole).color() == AVOID_COLOUR
    dialog.list.setCurrentIndex(dialog.model.index(1))
    assert dialog.form.name.text() == "Warehouse Wendy"
    assert dialog.form.texts["talking_points"].toPlainText() == "Ask about peak season"
    qtbot.waitUntil(lambda: dialog.match_count.text().startswith("Matches 2 leads of 4"))
    assert "Never reviewed" in dialog.form.reviewed.text()

    titles = dialog.form.lists["job_titles"]
    titles.setFocus()
    titles.end(False)
    qtbot.keyClicks(titles, ", Purchasing Manager")
    assert dialog.save_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.match_count.text().startswith("Matches 3 leads of 4"))
    dialog.form.lists["countries"].setText("")
    qtbot.keyClicks(dialog.form.lists["countries"], "de, at, xx")
    assert "Germany (DE)" in dialog.form.country_names.text() and "XX" in dialog.form.country_names.text().upper()
    dialog.save_button.click()
    assert dialog.errors.banner.isVisible() and "xx" in dialog.errors.label.text().lower()
    dialog.form.lists["countries"].setText("DE, AT")
    dialog.save_button.click()
    assert not dialog.errors.banner.isVisible()

    saved = personas.get_persona(db, wh.id)
    assert saved.job_titles == ("Warehouse Manager", "Purchasing Manager") and saved.countries == ("DE", "AT")
    qtbot.waitUntil(lambda: "1 of 4 changed persona" in dialog.status.text())
    assert dialog.progress.isHidden()
    qtbot.waitUntil(lambda: _persona_column(page).get("Ekin Test") == "Warehouse Wendy")
    assert contacts.get_contact(db, people["Einkaufsleiter"].id).persona_id == wh.id

    dialog.review_button.click()
    qtbot.waitUntil(lambda: "Reviewed on" in dialog.form.reviewed.text())
    assert personas.get_persona(db, wh.id).reviewed_at is not None


def test_deleting_a_persona_rematches_its_leads(qtbot, db, monkeypatch):
    wh, people = _setup(db)
    dialog = PersonaEditorDialog(db)
    qtbot.addWidget(dialog)
    dialog.list.setCurrentIndex(dialog.model.index(1))
    monkeypatch.setattr(dialog, "ask_confirm", lambda text: "Warehouse Wendy" in text)
    dialog.delete_button.click()
    assert [p.name for p in dialog.model.personas] == ["Students"]
    assert contacts.get_contact(db, people["Lagerleiter"].id).persona_id is None
    assert "2 of 4 changed persona" in dialog.status.text()


def test_a_rep_sees_the_personas_read_only(qtbot, db, make_db):
    _setup(db)
    bob = users.create_user(db, "Bob Rep", "bob@example.com")
    as_bob = make_db(actor_id=bob.id)
    as_bob.write.subject = Subject(bob.id, "rep", frozenset({bob.id, db.write.actor_id}))  # Ada's team
    dialog = PersonaEditorDialog(as_bob)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.read_only_note.isVisible() and "sales rep" in dialog.read_only_note.text()
    assert all(b.isHidden() for b in (dialog.save_button, dialog.new_button, dialog.delete_button,
                                       dialog.review_button))
    dialog.list.setCurrentIndex(dialog.model.index(1))
    assert dialog.form.name.text() == "Warehouse Wendy" and dialog.form.name.isReadOnly()
    assert dialog.form.lists["job_titles"].isReadOnly() and not dialog.form.avoid.isEnabled()
    assert dialog.form.texts["goals"].isReadOnly()
    qtbot.waitUntil(lambda: dialog.match_count.text().startswith("Matches 2 leads"))  # reps may count


def test_months_since_a_review():
    when = dt.datetime(2026, 3, 15, tzinfo=dt.timezone.utc)
    assert months_since(None) is None
    assert months_since(when, dt.date(2026, 3, 20)) == 0
    assert months_since(when, dt.date(2026, 4, 14)) == 0
    assert months_since(when, dt.date(2026, 4, 15)) == 1
    assert months_since(when, dt.date(2026, 12, 1)) == 8


@pytest.mark.real_pools
def test_the_rematch_runs_on_a_worker_thread_with_progress(qtbot, db):
    """Real thread pools: the count, the save and the re-match run off the UI thread; the
    progress bar is fed from the worker through a queued signal."""
    wh, people = _setup(db)
    dialog = PersonaEditorDialog(db)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 2)
    dialog.list.setCurrentIndex(dialog.model.index(1))
    qtbot.waitUntil(lambda: dialog.match_count.text().startswith("Matches 2 leads"))
    seen = []
    dialog._progress.step.connect(lambda done, total: seen.append((done, total, threading.current_thread().name)))
    ui_thread = threading.current_thread().name
    dialog.form.lists["job_titles"].setText("Purchasing Manager")
    dialog.form.changed.emit()
    dialog.save_button.click()
    qtbot.waitUntil(lambda: "changed persona" in dialog.status.text(), timeout=15000)
    assert "1 of 4 changed persona" in dialog.status.text()  # the buyer arrives; seniority + department keep the rest
    assert seen[0][:2] == (0, 4) and seen[-1][:2] == (4, 4)
    assert {name for *_, name in seen} == {ui_thread}  # delivered on the UI thread
    assert contacts.get_contact(db, people["Einkaufsleiter"].id).persona_id == wh.id


def test_unsaved_edits_are_not_lost_by_picking_another_persona(qtbot, db, monkeypatch):
    _setup(db)
    dialog = PersonaEditorDialog(db)
    qtbot.addWidget(dialog)
    dialog.list.setCurrentIndex(dialog.model.index(1))
    qtbot.keyClicks(dialog.form.name, " II")
    asked = []
    monkeypatch.setattr(dialog.guard, "ask", lambda: asked.append(1) or False)  # "Keep editing"
    dialog.list.setCurrentIndex(dialog.model.index(0))
    assert asked and dialog.list.currentIndex().row() == 1 and dialog.form.name.text() == "Warehouse Wendy II"
    dialog.new_button.click()
    assert dialog.form.name.text() == "Warehouse Wendy II" and dialog.current is not None
    monkeypatch.setattr(dialog.guard, "ask", lambda: True)  # "Discard"
    dialog.list.setCurrentIndex(dialog.model.index(0))
    assert dialog.form.name.text() == "Students" and dialog.form.avoid.isChecked()
    assert [p.name for p in personas.list_personas(db)] == ["Students", "Warehouse Wendy"]


def test_a_new_persona_is_created_listed_and_matched(qtbot, db):
    _setup(db)
    dialog = PersonaEditorDialog(db)
    qtbot.addWidget(dialog)
    dialog.new_button.click()
    assert dialog.current is None and dialog.form.name.text() == "" and dialog.save_button.isEnabled()
    qtbot.keyClicks(dialog.form.name, "Buyer Bea")
    qtbot.keyClicks(dialog.form.lists["job_titles"], "Purchasing Manager")
    dialog.form.seniorities[Seniority.MANAGER].click()
    qtbot.waitUntil(lambda: dialog.match_count.text().startswith("Matches 1 lead of 4"))
    dialog.save_button.click()
    assert [p.name for p in dialog.model.personas] == ["Buyer Bea", "Students", "Warehouse Wendy"]
    assert dialog.list.currentIndex().row() == 0 and dialog.current.name == "Buyer Bea"
    assert dialog.current.seniorities == (Seniority.MANAGER,)
    assert "1 of 4 changed persona" in dialog.status.text()
