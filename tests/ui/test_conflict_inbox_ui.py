"""The conflict inbox dialog, offscreen: a real item model (modeltester), grouped rows with
Kept / Other / Original / Who / When / Kind, Keep / Use other on the selection, the bulk
actions (with a confirmation), errors through ui.errors, and hundreds of conflicts."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QWidget
from sqlalchemy import insert

from leaddesk.ids import new_id
from leaddesk.models import ChangeLog, SyncConflict
from leaddesk.services.people import accounts, contacts
from leaddesk.services.team import users
from leaddesk.services.team import conflicts as inbox
from leaddesk.services.team._conflict_apply import ConflictTargetMissing
from leaddesk.clock import pack
from leaddesk.ui.jobs import app_signals
from leaddesk.ui.team._conflict_tree_model import (
    KIND,
    KEPT,
    ORIGINAL,
    OTHER,
    REJECTED_COLOR,
    WHO,
    ConflictTreeModel,
)
from leaddesk.ui.team.conflict_inbox import ConflictInboxDialog, open_conflict_inbox

NOW_MS = int(time.time() * 1000)


def add_conflict(db, *, entity, row_id, field, kept, lost, kind="field", original=None, note=None,
                 kept_author=None, lost_author=None, age_min=0, snapshot=False) -> int:
    """A conflict as sync leaves it in the inbox (with the change-log row of its original);
    ``snapshot``: both sides predate the change log, so the original is unknown."""
    with db.engine.begin() as conn:
        bound = 0 if snapshot else 10**9
        if original is not None:
            conn.execute(insert(ChangeLog), {
                "change_id": uuid.uuid4(), "entity": entity, "row_id": row_id, "field": field,
                "value": json.dumps(original), "hlc": pack(NOW_MS - 3_600_000), "node": uuid.uuid4(),
                "author": None, "at": dt.datetime.now(dt.timezone.utc), "batch_id": uuid.uuid4(), "base_seq": 0,
                "received_at": dt.datetime.now(dt.timezone.utc)})
        return conn.execute(insert(SyncConflict).returning(SyncConflict.id), {
            "kind": kind, "entity": entity, "row_id": row_id, "field": field,
            "kept_value": json.dumps(kept), "lost_value": json.dumps(lost),
            "kept_node": uuid.uuid4(), "lost_node": uuid.uuid4(),
            "kept_hlc": pack(NOW_MS - age_min * 60_000), "lost_hlc": pack(NOW_MS - age_min * 60_000 - 90_000),
            "kept_seq": bound and bound + 1, "lost_seq": bound, "created_at": dt.datetime.now(dt.timezone.utc),
            "resolved": False, "note": note, "kept_author": kept_author, "lost_author": lost_author,
        }).scalar_one()


@pytest.fixture
def inbox_db(db):
    """Two contacts with job-title clashes, a refused account edit and an edit of a deleted contact."""
    bob = users.create_user(db, "Bob Rep", "bob@example.com").id
    ada = db.write.actor_id
    grace = contacts.create_contact(db, given_name="Grace", family_name="Hopper", job_title="CFO")
    alan = contacts.create_contact(db, given_name="Alan", family_name="Turing", job_title="Head of AI")
    gone = contacts.create_contact(db, given_name="Old", family_name="Lead")
    contacts.delete_contact(db, gone.id)
    acct = accounts.create_account(db, name="Initech", industry="Software")
    ids = {
        "grace": add_conflict(db, entity="contact", row_id=grace.id, field="job_title", kept="CFO", lost="CEO",
                              original="Engineer", kept_author=bob, lost_author=ada),
        "alan": add_conflict(db, entity="contact", row_id=alan.id, field="job_title", kept="Head of AI",
                             lost="Chief Scientist", kept_author=ada, lost_author=bob, age_min=60 * 30,
                             snapshot=True),
        "refused": add_conflict(db, entity="account", row_id=acct.id, field="industry", kept="Software",
                                lost="Staplers", kind="rejected", note="Only the owner can change this account.",
                                lost_author=bob),
        "deleted": add_conflict(db, entity="contact", row_id=gone.id, field="city", kept=True, lost="Lisbon",
                                kind="edit_deleted", kept_author=ada, lost_author=bob),
    }
    return db, ids, {"grace": grace.id, "alan": alan.id, "gone": gone.id, "acct": acct.id}


@pytest.fixture
def dialog(qtbot, inbox_db):
    db, _, _ = inbox_db
    d = ConflictInboxDialog(db)
    qtbot.addWidget(d)
    return d


def find_line(model: ConflictTreeModel, title_part: str):
    for row, record in enumerate(model.records):
        if title_part in record.title:
            return model.index(row, 0), model.index(0, 0, model.index(row, 0))
    raise AssertionError(title_part)


def select(dialog, index) -> None:
    dialog.tree.selectionModel().select(
        index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)


def test_conflict_tree_model_passes_the_modeltester(qtmodeltester, inbox_db):
    db, _, _ = inbox_db
    model = ConflictTreeModel()
    model.set_records(inbox.list_conflicts(db))
    assert model.rowCount() == 4
    qtmodeltester.check(model)


def test_conflict_inbox_dialog_shows_records_and_fields(dialog):
    model = dialog.model
    assert model.rowCount() == 4 and model.open_count == 4
    assert "4 open conflicts on 4 records" in dialog.summary.text()
    record, line = find_line(model, "Grace Hopper")
    assert model.data(record).startswith("Contact · Grace Hopper") and model.rowCount(record) == 1
    texts = [model.data(line.siblingAtColumn(c)) for c in range(model.columnCount())]
    assert texts[:4] == ["Job title", "CFO", "CEO", "Engineer"]
    assert texts[WHO] == "Bob Rep / Ada Admin" and texts[KIND] == "Both changed"
    assert "Kept: CFO (Bob Rep" in model.data(line, Qt.ItemDataRole.ToolTipRole)
    assert dialog.tree.isFirstColumnSpanned(record.row(), record.parent())
    _, refused = find_line(model, "Initech")
    assert model.data(refused.siblingAtColumn(KIND)) == "Rejected: Only the owner can change this account."
    assert model.data(refused.siblingAtColumn(KIND), Qt.ItemDataRole.ForegroundRole) == REJECTED_COLOR
    assert model.data(refused.siblingAtColumn(KIND), Qt.ItemDataRole.DecorationRole) is not None
    gone_record, gone = find_line(model, "Old Lead")
    assert "(deleted)" in model.data(gone_record)
    assert model.data(gone.siblingAtColumn(KEPT)) == "Record deleted"
    assert model.data(gone.siblingAtColumn(OTHER)) == "Lisbon"
    _, alan = find_line(model, "Alan Turing")
    assert model.data(alan.siblingAtColumn(ORIGINAL)) == "unknown"
    assert not dialog.keep_button.isEnabled() and dialog.keep_all_button.isEnabled()


def test_conflict_inbox_dialog_keep_selected_record(qtbot, dialog, inbox_db):
    db, ids, _ = inbox_db
    record, _ = find_line(dialog.model, "Grace Hopper")
    select(dialog, record)
    assert dialog.keep_button.isEnabled() and dialog.selected_ids() == [ids["grace"]]
    with qtbot.waitSignal(app_signals.data_changed, timeout=5000):
        dialog.keep_button.click()
    assert dialog.model.rowCount() == 3 and inbox.count_open(db) == 3
    assert all("Grace" not in r.title for r in dialog.model.records)


def test_conflict_inbox_dialog_use_other_on_a_field(qtbot, dialog, inbox_db):
    db, _, rows = inbox_db
    _, line = find_line(dialog.model, "Grace Hopper")
    select(dialog, line)
    with qtbot.waitSignal(dialog.loaded, timeout=5000) as loaded:
        dialog.other_button.click()
    assert loaded.args == [3]
    assert contacts.get_contact(db, rows["grace"]).job_title == "CEO"


def test_conflict_inbox_dialog_use_other_restores_a_deleted_record(dialog, inbox_db):
    db, _, rows = inbox_db
    record, _ = find_line(dialog.model, "Old Lead")
    select(dialog, record)
    dialog.use_other_selected()
    got = contacts.get_contact(db, rows["gone"])
    assert not got.deleted and got.city == "Lisbon"


def test_conflict_inbox_dialog_use_other_for_all_asks_first(dialog, inbox_db, monkeypatch):
    db, _, rows = inbox_db
    asked = []
    monkeypatch.setattr(dialog, "confirm", lambda text: asked.append(text) or False)
    dialog.other_all_button.click()
    assert asked and "all 4 conflict(s)" in asked[0] and inbox.count_open(db) == 4
    monkeypatch.setattr(dialog, "confirm", lambda text: True)
    dialog.other_all_button.click()
    assert inbox.count_open(db) == 0 and dialog.model.rowCount() == 0
    assert "No open conflicts" in dialog.summary.text() and not dialog.keep_all_button.isEnabled()
    assert contacts.get_contact(db, rows["alan"]).job_title == "Chief Scientist"
    assert accounts.get_account(db, rows["acct"]).industry == "Staplers"


def test_conflict_inbox_dialog_bulk_skips_are_reported(dialog, inbox_db, monkeypatch):
    db, _, _ = inbox_db
    ghost = add_conflict(db, entity="contact", row_id=new_id(), field="city", kept="A", lost="B")
    dialog.reload()
    monkeypatch.setattr(dialog, "confirm", lambda text: True)
    dialog.use_other_all()
    assert dialog.model.open_count == 1 and dialog.model.ids_of([dialog.model.index(0, 0)]) == [ghost]
    assert not dialog.status.isHidden() and "1 conflict(s) could not be applied" in dialog.status.text()
    assert "no longer exists here" in dialog.status.text()


def test_conflict_inbox_dialog_errors_go_to_the_error_dialog(dialog, inbox_db, no_dialogs):
    db, _, _ = inbox_db
    add_conflict(db, entity="contact", row_id=new_id(), field="city", kept="A", lost="B")
    dialog.reload()
    ghost_row = next(i for i, r in enumerate(dialog.model.records) if not r.exists)
    select(dialog, dialog.model.index(ghost_row, 0))
    dialog.use_other_selected()
    assert len(no_dialogs) == 1 and isinstance(no_dialogs[0], ConflictTargetMissing)
    assert dialog.model.open_count == 5 and dialog.keep_button.isEnabled()


def test_conflict_inbox_dialog_handles_hundreds(qtbot, db):
    people = [contacts.create_contact(db, given_name=f"Lead{i:03}", family_name="Expo", city="Hall 4")
              for i in range(120)]
    for i, p in enumerate(people):
        add_conflict(db, entity="contact", row_id=p.id, field="city", kept="Hall 4", lost="Hall 5")
        add_conflict(db, entity="contact", row_id=p.id, field="job_title", kept="Buyer", lost=f"Buyer {i}")
        if i % 2:
            add_conflict(db, entity="contact", row_id=p.id, field="department", kept="IT", lost="Ops")
    started = time.perf_counter()
    d = ConflictInboxDialog(db)
    qtbot.addWidget(d)
    assert time.perf_counter() - started < 10
    assert d.model.rowCount() == 120 and d.model.open_count == 300
    d.keep_all()
    assert inbox.count_open(db) == 0 and d.model.rowCount() == 0


def test_open_conflict_inbox_reuses_the_windows_dialog(qtbot, inbox_db):
    db, _, _ = inbox_db
    window = QWidget()
    window.db = db
    qtbot.addWidget(window)
    first = open_conflict_inbox(window)
    assert first.isVisible() and first.parent() is window
    assert open_conflict_inbox(window) is first
