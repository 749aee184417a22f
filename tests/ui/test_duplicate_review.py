"""Team ▸ Duplicates: the review dialog driven as a user would (both engines)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow, QRadioButton

from leaddesk.errors import LeadDeskError
from leaddesk.models.enums import DuplicateStatus
from leaddesk.services.people import accounts, contacts, duplicates
from leaddesk.services.followups import activities
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.jobs import app_signals
from leaddesk.ui.people._duplicate_candidates_model import DuplicateCandidatesModel
from leaddesk.ui.people._duplicate_terms import LEFT, RIGHT
from leaddesk.ui.people.duplicate_review import DuplicateReviewDialog, open_duplicate_review


def capture(db, given, family, **extra):
    return contacts.create_contact(db, given_name=given, family_name=family, allow_duplicate=True, region="DE",
                                   **extra)


@pytest.fixture
def pair(db):
    """Anna captured twice (same phone, similar name at the same company) and Jonas twice."""
    acme = accounts.create_account(db, name="ACME Robotics GmbH")
    acme2 = accounts.create_account(db, name="Acme Robotics")
    anna = capture(db, "Anna", "Müller", phones=["+49 30 1234567"], account_id=acme.id,
                   job_title="Head of Procurement", notes="Met at Hannover Messe.")
    anna2 = capture(db, "Anna", "Mueller", phones=["030 1234567"], account_id=acme2.id, job_title="Procurement Lead",
                    postal_code="10115", notes="Card scanned at booth B12.")
    activities.log_activity(db, "call", "Intro call", contact_id=anna2.id)
    jonas = capture(db, "Jonas", "Becker", emails=["jonas@nordlicht.example"])
    jonas2 = capture(db, "Jonas", "Becker", emails=["JONAS@nordlicht.example"])
    duplicates.detect(db)
    return anna, anna2, jonas, jonas2


@pytest.fixture
def dialog(qtbot, db, pair):
    widget = DuplicateReviewDialog(db)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def select(dialog, first_name_a: str, family_a: str) -> duplicates.CandidateInfo:
    for row in range(dialog.model.rowCount()):
        cand = dialog.model.candidate(row)
        if cand.a.display_name == f"{first_name_a} {family_a}" or cand.b.display_name == f"{first_name_a} {family_a}":
            dialog.table.selectRow(row)
            return cand
    raise AssertionError(f"no pair with {first_name_a} {family_a}")


def radio(dialog, name: str) -> QRadioButton:
    return dialog.comparison.findChild(QRadioButton, name)


def test_duplicate_review_model_passes_modeltester(qtmodeltester, db, pair):
    model = DuplicateCandidatesModel()
    model.set_candidates(duplicates.list_candidates(db))
    assert model.rowCount() == 2 and model.columnCount() == 4
    qtmodeltester.check(model)
    index = model.index(0, DuplicateCandidatesModel.SCORE)
    assert model.data(index, Roles.ROW).score == int(index.data())
    assert model.data(index, Roles.ID) == model.candidate(0).id
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Looks like"
    reasons = model.index(0, DuplicateCandidatesModel.REASONS)
    assert reasons.data() in ("E-mail", "Phone · Name + company")
    assert reasons.data(Qt.ItemDataRole.ToolTipRole).startswith("Same ")


def test_duplicate_review_lists_pairs_and_compares_the_selected_one(dialog):
    assert dialog.model.rowCount() == 2
    assert dialog.tabs.tabText(0) == "To review (2)"
    cand = select(dialog, "Anna", "Müller")
    assert dialog.stack.currentWidget() is dialog.comparison
    groups = dialog.comparison.groups
    # A choice for every differing field, none for the equal first name.
    assert {"family_name", "job_title", "account_id", "postal_code", "notes"} <= set(groups)
    assert "given_name" not in groups
    assert radio(dialog, "job_title_left").isChecked()  # default: keep what is there
    assert radio(dialog, "postal_code_right").isChecked()  # an empty side takes the other value
    assert groups["notes"].checkedId() == 2  # both notes are kept by default
    assert dialog.merge_left_button.isEnabled() and dialog.dismiss_button.isEnabled()
    assert cand.a.id != cand.b.id


def test_duplicate_review_merge_into_left_with_a_chosen_value_then_undo(qtbot, dialog, db, pair):
    anna, anna2, _, _ = pair
    cand = select(dialog, "Anna", "Müller")
    left_is_anna = cand.a.id == anna.id
    # Keep Anna's own job title whichever side she is on, then merge into her.
    dialog.comparison.choose("job_title", RIGHT if left_is_anna else LEFT)
    with qtbot.waitSignal(app_signals.data_changed, timeout=5000):
        dialog.merge_into(LEFT if left_is_anna else RIGHT)
    got = contacts.get_contact(db, anna.id)
    assert got.job_title == "Procurement Lead"
    assert got.postal_code == "10115"
    assert got.notes == "Met at Hannover Messe.\n\nCard scanned at booth B12."
    assert contacts.get_contact(db, anna2.id, include_deleted=True).deleted
    assert [a.subject for a in activities.list_activities(db, contact_id=anna.id)] == ["Intro call"]
    assert dialog.model.rowCount() == 1
    assert "Merged Anna Mueller into Anna Müller" in dialog.banner.text()
    assert dialog.undo_button.isVisible()
    assert dialog.merges.count() == 1
    with qtbot.waitSignal(app_signals.data_changed, timeout=5000):
        dialog.undo_button.click()
    assert not dialog.undo_button.isVisible()
    assert "undone" in dialog.banner.text()
    assert contacts.get_contact(db, anna.id).job_title == "Head of Procurement"
    assert not contacts.get_contact(db, anna2.id).deleted
    assert dialog.model.rowCount() == 2 and dialog.merges.count() == 0


def test_duplicate_review_not_a_duplicate_leaves_the_queue(dialog, db, pair):
    _, _, jonas, jonas2 = pair
    select(dialog, "Jonas", "Becker")
    dialog.dismiss_button.click()
    assert dialog.model.rowCount() == 1
    assert "different people" in dialog.banner.text()
    [dismissed] = duplicates.list_candidates(db, DuplicateStatus.DISMISSED)
    assert {dismissed.a.id, dismissed.b.id} == {jonas.id, jonas2.id}
    assert duplicates.detect(db) == 0
    dialog.reload()
    assert dialog.model.rowCount() == 1


def test_duplicate_review_undo_from_recent_merges(dialog, db, pair):
    _, _, jonas, jonas2 = pair
    merge_id = duplicates.merge(db, jonas.id, jonas2.id)
    dialog.reload()
    dialog.tabs.setCurrentIndex(1)
    assert dialog.merges.count() == 1 and not dialog.undo_selected_button.isEnabled()
    assert "Jonas Becker merged into Jonas Becker" in dialog.merges.item(0).text()
    dialog.merges.setCurrentRow(0)
    assert dialog.undo_selected_button.isEnabled()
    dialog.undo_selected_button.click()
    assert duplicates.list_merges(db) == []
    assert duplicates.list_merges(db, include_undone=True)[0].id == merge_id
    assert dialog.merges.count() == 0 and dialog.model.rowCount() == 2


def test_duplicate_review_stale_pair_shows_the_error_and_reloads(dialog, db, pair, no_dialogs):
    _, _, jonas, jonas2 = pair
    select(dialog, "Jonas", "Becker")
    duplicates.merge(db, jonas.id, jonas2.id)  # someone else merged it meanwhile
    before = duplicates.list_merges(db)
    dialog.merge_into(RIGHT)
    [error] = no_dialogs
    assert isinstance(error, LeadDeskError) and "already merged" in str(error)
    assert duplicates.list_merges(db) == before  # nothing written
    assert dialog.model.rowCount() == 1  # reloaded without the stale pair


def test_duplicate_review_empty_queue_says_so(qtbot, db):
    widget = DuplicateReviewDialog(db)
    qtbot.addWidget(widget)
    assert widget.model.rowCount() == 0
    assert widget.stack.currentWidget() is widget.empty
    assert not widget.merge_left_button.isEnabled() and not widget.dismiss_button.isEnabled()


def test_duplicate_review_reloads_when_others_change_data(dialog, db):
    capture(db, "Elif", "Şahin", phones=["+90 212 555 0101"])
    capture(db, "Elif", "Sahin", phones=["+902125550101"])
    duplicates.detect(db)
    app_signals.data_changed.emit(None, None)  # e.g. a sync finished
    assert dialog.model.rowCount() == 3


def test_open_duplicate_review_from_the_main_window(qtbot, db, pair):
    window = QMainWindow()
    window.db = db
    qtbot.addWidget(window)
    dialog = open_duplicate_review(window)
    assert isinstance(dialog, DuplicateReviewDialog) and dialog.parent() is window
    assert dialog.isVisible() and dialog.model.rowCount() == 2
    dialog.close()


@pytest.mark.real_pools
def test_duplicate_review_works_on_real_worker_threads(qtbot, db, pair):
    anna, anna2, _, _ = pair
    widget = DuplicateReviewDialog(db)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.model.rowCount() == 2, timeout=10000)
    select(widget, "Anna", "Müller")
    side = LEFT if widget.current_candidate().a.id == anna.id else RIGHT
    with qtbot.waitSignal(app_signals.data_changed, timeout=10000):
        widget.merge_into(side)
    qtbot.waitUntil(lambda: widget.model.rowCount() == 1 and widget.merges.count() == 1, timeout=10000)
    assert contacts.get_contact(db, anna2.id, include_deleted=True).deleted
