"""Team ▸ Trash and the History… panels, as a user meets them."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from leaddesk.models import Contact
from leaddesk.services.people import accounts, contacts
from leaddesk.services.pipeline import board, opportunities as pipeline, pipelines
from leaddesk.services.team import trash, users
from leaddesk.services.team.history import PENDING, SYNCED
from leaddesk.ui.jobs import app_signals
from leaddesk.ui.people.account_view import AccountView
from leaddesk.ui.people.contact_detail import ContactDetail
from leaddesk.ui.team.history_panel import HistoryDialog, HistoryPanel, HistoryTableModel
from leaddesk.ui.pipeline.opportunity_dialogs import EditOpportunityDialog
from leaddesk.ui.team.trash_view import TrashDialog, TrashTableModel, TrashView


@pytest.fixture
def trashed(db):
    """An account with a contact and a deal, all deleted; a contact merged into another."""
    acme = accounts.create_account(db, name="Acme Lojistik", city="Izmir")
    ayse = contacts.create_contact(db, given_name="Ayşe", family_name="Yılmaz", account_id=acme.id)
    opp = pipeline.create_opportunity(db, acme.id, "Forklift fleet", amount="12500", currency="EUR")
    jorg = contacts.create_contact(db, given_name="Jörg", family_name="Müller")
    joerg = contacts.create_contact(db, given_name="Joerg", family_name="Mueller")
    pipeline.delete_opportunity(db, opp.id)
    contacts.delete_contact(db, ayse.id)
    accounts.delete_account(db, acme.id)
    with db.unit_of_work() as s:
        loser = s.get(Contact, joerg.id)
        loser.deleted, loser.merged_into = True, jorg.id
    return {"acme": acme, "ayse": ayse, "opp": opp, "jorg": jorg, "joerg": joerg}


def _titles(model) -> list[str]:
    return [model.index(r, 1).data() for r in range(model.rowCount())]


def _view(qtbot, db) -> TrashView:
    view = TrashView(db)
    qtbot.addWidget(view)
    view.resize(900, 400)
    view.show()
    view.load()
    return view


def test_trash_model_passes_the_qt_model_tester(qtbot, qtmodeltester, db, trashed):
    model = TrashTableModel(db)
    model.set_filter(None, "")
    assert model.rowCount() == 4
    qtmodeltester.check(model)
    contacts_only = TrashTableModel(db)  # (a reset under the tester would let it fetch mid-reset
    contacts_only.set_filter("contact", "")  # with the synchronous test pool: check a fresh one)
    assert contacts_only.rowCount() == 2
    qtmodeltester.check(contacts_only)


def test_trash_view_filters_by_kind_and_text(qtbot, db, trashed):
    view = _view(qtbot, db)
    assert _titles(view.model) == ["Joerg Mueller", "Acme Lojistik", "Ayşe Yılmaz", "Forklift fleet"]
    assert view.model.index(0, 0).data() == "Contact"
    assert view.count.text().startswith("4")
    view.kind.setCurrentIndex(view.kind.findData("opportunity"))
    assert _titles(view.model) == ["Forklift fleet"]
    view.kind.setCurrentIndex(0)
    qtbot.keyClicks(view.search, "ayse")  # typed without accents, found with them
    view.apply_filter()  # (the search box waits for a pause in typing)
    assert _titles(view.model) == ["Ayşe Yılmaz"]
    view.search.setText("nothing like this")
    view.apply_filter()
    assert view.model.rowCount() == 0 and view.count.text() == "Nothing matches."
    assert not view.restore_button.isEnabled()


def test_trash_view_restores_and_tells_the_app(qtbot, db, trashed):
    view = _view(qtbot, db)
    assert view.select_id(trashed["acme"].id)
    assert view.restore_button.isEnabled()
    with qtbot.waitSignal(app_signals.data_changed) as signal:
        qtbot.mouseClick(view.restore_button, Qt.MouseButton.LeftButton)
    changes, initiator = signal.args
    assert changes.entities == {"account"} and trashed["acme"].id in changes.ids and initiator is view
    assert not accounts.get_account(db, trashed["acme"].id).deleted
    assert "Acme Lojistik" not in _titles(view.model)
    # Its deal can come back now.
    assert view.select_id(trashed["opp"].id) and view.restore_button.isEnabled()


def test_trash_view_explains_what_cannot_be_restored(qtbot, db, trashed):
    view = _view(qtbot, db)
    view.select_id(trashed["joerg"].id)
    assert not view.restore_button.isEnabled()
    assert "merged into “Jörg Müller”" in view.reason.text() and "undo the merge" in view.reason.text()
    row = _titles(view.model).index("Joerg Mueller")
    assert view.model.index(row, 6).data() == "Merged into Jörg Müller"
    view.select_id(trashed["opp"].id)
    assert not view.restore_button.isEnabled()
    assert "restore the account first" in view.reason.text()
    view.restore_selected()  # (even if called) nothing happens
    assert pipeline.get_opportunity(db, trashed["opp"].id, include_deleted=True).deleted
    view.select_id(trashed["ayse"].id)  # a contact may come back without its company
    assert view.restore_button.isEnabled() and "Acme Lojistik" in view.reason.text()


def test_trash_dialog_reloads_when_something_is_deleted_elsewhere(qtbot, db, trashed):
    dialog = TrashDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    before = dialog.view.model.rowCount()
    ann = contacts.create_contact(db, given_name="Ann")
    changes = contacts.delete_contact(db, ann.id)
    app_signals.data_changed.emit(changes, None)
    assert dialog.view.model.rowCount() == before + 1
    dialog.view.select_id(ann.id)
    history = dialog.view.show_history()
    qtbot.addWidget(history)
    assert history.panel.model.entry(0).text == "moved to the trash"


@pytest.mark.real_pools
def test_trash_view_loads_on_worker_threads(qtbot, db, trashed):
    view = TrashView(db)
    qtbot.addWidget(view)
    view.show()
    view.load()
    qtbot.waitUntil(lambda: view.model.rowCount() == 4, timeout=5000)
    view.select_id(trashed["acme"].id)
    with qtbot.waitSignal(view.restored, timeout=5000):
        view.restore_selected()
    qtbot.waitUntil(lambda: view.model.rowCount() == 3, timeout=5000)


# --- history ------------------------------------------------------------------------------

def _edited_contact(db, make_db):
    bob = users.create_user(db, "Bob Berger", "bob@example.com", role="rep")
    ann = contacts.create_contact(db, given_name="Ann", family_name="Lee", emails=["ann@example.com"])
    as_bob = make_db(actor_id=bob.id)
    ann = contacts.update_contact(as_bob, ann.id, expected_version=ann.version, job_title="Head of Buying",
                                  country="DE")
    contacts.change_stage(as_bob, ann.id, "sql")
    return ann


def test_history_model_passes_the_qt_model_tester(qtbot, qtmodeltester, db, make_db):
    from leaddesk.services.team import history

    ann = _edited_contact(db, make_db)
    model = HistoryTableModel()
    model.set_entries(history.record_history(db, "contact", ann.id).entries)
    assert model.rowCount() >= 4
    qtmodeltester.check(model)


def test_contact_history_button_shows_who_changed_what(qtbot, db, make_db):
    ann = _edited_contact(db, make_db)
    detail = ContactDetail(db)
    qtbot.addWidget(detail)
    detail.show()
    detail.show_contact(ann.id)
    dialog = detail.show_history()
    qtbot.addWidget(dialog)
    assert isinstance(dialog, HistoryDialog) and dialog.isVisible()
    panel: HistoryPanel = dialog.panel
    assert panel.title.text() == "Ann Lee"
    model = panel.model
    rows = [[model.index(r, c).data() for c in range(5)] for r in range(model.rowCount())]
    newest = rows[0]
    assert newest[1:4] == ["Bob Berger", "Lifecycle stage", "Sales-qualified lead (SQL)"]
    assert ["Bob Berger", "Country", "Germany (DE)"] in [r[1:4] for r in rows]
    assert rows[-1][2] == "Created"
    direct = SYNCED if getattr(db, "hub_mode", False) else PENDING
    assert newest[4] == ("Synced" if direct == SYNCED else "Not yet synced")
    assert panel.notice.isVisibleTo(panel) == (direct == PENDING)  # SQLite, never synced: says so
    assert "Bob Berger" not in panel.summary.text() and panel.summary.text().startswith(f"{len(rows)} change")
    # The panel follows the record.
    contacts.update_contact(db, ann.id, expected_version=None, job_title="CFO")
    app_signals.data_changed.emit(contacts.changes_for(contacts.get_contact(db, ann.id)), None)
    assert model.index(0, 3).data() == "CFO"


def test_account_view_and_opportunity_dialog_have_history(qtbot, db):
    from PySide6.QtGui import QUndoStack

    acme = accounts.create_account(db, name="Acme", city="Izmir")
    accounts.update_account(db, acme.id, expected_version=None, industry="Logistics")
    opp = pipeline.create_opportunity(db, acme.id, "Fleet", amount="1000", currency="EUR")
    stages = pipelines.list_stages(db, opp.pipeline_id)
    pipeline.move_opportunity(db, opp.id, stages[1].id)

    view = AccountView(db, QUndoStack())
    qtbot.addWidget(view)
    view.show()
    view.show_account(acme.id)
    dialog = view.show_history()
    qtbot.addWidget(dialog)
    labels = [dialog.panel.model.entry(r).label for r in range(dialog.panel.model.rowCount())]
    assert labels[0] == "Industry" and "Created" in labels
    assert dialog.windowTitle() == "History — Acme"

    card = next(c for c in board.load_board(db).cards if c.id == opp.id)
    edit = EditOpportunityDialog(db, card)
    qtbot.addWidget(edit)
    edit.show()
    qtbot.mouseClick(edit.history_button, Qt.MouseButton.LeftButton)
    shown = edit.findChild(HistoryDialog)
    assert shown is not None and shown.isVisible()
    texts = [shown.panel.model.index(r, 3).data() for r in range(shown.panel.model.rowCount())]
    assert f"{stages[0].name} → {stages[1].name}" in texts


def test_history_of_a_deleted_record_is_still_readable_from_the_trash(qtbot, db):
    ann = contacts.create_contact(db, given_name="Ann")
    contacts.delete_contact(db, ann.id)
    item = trash.list_trash(db).items[0]
    view = _view(qtbot, db)
    view.select_id(item.id)
    dialog = view.show_history()
    qtbot.addWidget(dialog)
    assert dialog.panel.model.rowCount() >= 2
