"""The pipeline board, driven as a user would: dialogs, drops, keys, undo, filters, conflicts.

Every test runs on SQLite and PostgreSQL (the ``db`` fixture); jobs run synchronously
unless a test is marked ``real_pools``.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import replace
from decimal import Decimal
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent, QPalette, QUndoStack
from PySide6.QtWidgets import QApplication

from leaddesk.errors import Conflict
from leaddesk.models.enums import OpportunityStatus
from leaddesk.services.people import accounts
from leaddesk.services.pipeline import board, lost_reasons, opportunities as pipeline, pipelines
from leaddesk.services.team import users
from leaddesk.services.pipeline.board import Board, BoardCard, BoardStage
from leaddesk.ui.pipeline.board_model import BoardModel
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.pipeline.stage_column_proxy import StageColumnProxy
from leaddesk.ui import state
from leaddesk.ui.jobs import run_write
from leaddesk.ui.pipeline.board_view import BoardView
from leaddesk.ui.pipeline._new_opportunity_dialog import NewOpportunityDialog
from leaddesk.ui.pipeline.opportunity_dialogs import EditOpportunityDialog
from leaddesk.ui.pipeline.pipeline_page import PipelinePage

OPEN, LOST = OpportunityStatus.OPEN, OpportunityStatus.LOST


@pytest.fixture
def deals(db):
    pipe = pipelines.list_pipelines(db)[0]
    stages = pipelines.list_stages(db, pipe.id)
    rep = users.create_user(db, "Rita Rep", "rita@example.com")
    acme = accounts.create_account(db, name="Acme")
    globex = accounts.create_account(db, name="Globex")

    def opp(account, name, amount, stage=0, **kw):
        return pipeline.create_opportunity(db, account.id, name, amount=amount, stage_id=stages[stage].id, **kw)

    return SimpleNamespace(
        pipe=pipe, stages=stages, rep=rep, acme=acme, globex=globex,
        a=opp(acme, "Acme fleet", "10000"),
        b=opp(acme, "Acme spare parts", "2500"),
        c=opp(globex, "Globex pilot", "4000", owner_id=rep.id),
        d=opp(globex, "Globex rollout", "90000", stage=1, next_step="Call the CFO"),
    )


def _open_page(qtbot, db, **kw) -> PipelinePage:
    page = PipelinePage(db, QUndoStack(), **kw)
    qtbot.addWidget(page)
    page.resize(1400, 800)
    page.show()
    qtbot.waitExposed(page)
    page.load()
    return page


@pytest.fixture
def page(qtbot, db, deals) -> PipelinePage:
    return _open_page(qtbot, db)


def column(page: PipelinePage, stage) -> list:
    return page.view.column_ids(stage.id)


def header(page: PipelinePage, stage):
    """The column's header once the (coalesced) totals update has run."""
    QApplication.processEvents()
    return page.view.column(stage.id)


def stored(db, opp):
    d = pipeline.get_opportunity(db, opp.id)
    return d.stage_id, d.board_rank, d.status


def drop(page: PipelinePage, card_id, stage, row: int | None, *, upper: bool = True) -> None:
    """Drop ``card_id`` on ``stage``'s column: on the upper/lower half of ``row``, or below
    the last card (``row=None``), through the same event path a mouse drop takes."""
    view = page.view.column_view(stage.id)
    mime = page.model.mimeData([page.model.index_of(card_id)])
    if row is None:
        pos = QPoint(20, view.viewport().height() - 4)
    else:
        rect = view.visualRect(view.model().index(row, 0))
        pos = QPoint(rect.center().x(), rect.top() + 6 if upper else rect.bottom() - 6)
    rest = (Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    # Enter/move events take a QPoint, drop events a QPointF (PySide6 6.8 - 6.11).
    for event in (QDragEnterEvent(pos, *rest), QDragMoveEvent(pos, *rest), QDropEvent(QPointF(pos), *rest)):
        QApplication.sendEvent(view.viewport(), event)
        assert event.isAccepted()
    assert view._drop_line is None  # the insertion line is gone after the drop


def press(qtbot, page: PipelinePage, card_id, key, modifiers=Qt.KeyboardModifier.ControlModifier) -> None:
    assert page.view.select_card(card_id)
    view = page.view.column_view(page.model.card(card_id).stage_id)
    page.activateWindow()
    qtbot.waitActive(page)
    qtbot.keyClick(view, key, modifiers)


# --- models ---------------------------------------------------------------------------------

def test_board_model_and_stage_proxy_pass_modeltester(qtmodeltester, db, deals):
    b = board.load_board(db)
    model = BoardModel()
    model.set_cards(b.cards)
    qtmodeltester.check(model)
    proxy = StageColumnProxy(deals.stages[0].id)
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy)
    assert [c.id for c in proxy.cards()] == [deals.a.id, deals.b.id, deals.c.id]
    # Moving a card is one dataChanged: the proxies re-file and re-sort it themselves.
    other = StageColumnProxy(deals.stages[1].id)
    other.setSourceModel(model)
    moved = pipeline.move_opportunity(db, deals.a.id, deals.stages[1].id, before_id=deals.d.id)
    card = model.card(deals.a.id)
    model.replace_card(replace(card, stage_id=moved.stage_id, board_rank=moved.board_rank, version=moved.version))
    assert [c.id for c in proxy.cards()] == [deals.b.id, deals.c.id]
    assert [c.id for c in other.cards()] == [deals.a.id, deals.d.id]
    qtmodeltester.check(other)
    assert model.index_of(deals.a.id).data(Roles.STAGE) == deals.stages[1].id


# --- creating -------------------------------------------------------------------------------

def test_new_opportunity_dialog_creates_a_card_and_undo_deletes_it(qtbot, db, page, deals):
    dialog = page.new_opportunity()
    assert isinstance(dialog, NewOpportunityDialog) and dialog.isVisible()
    assert dialog.currency.currentText() == deals.pipe.currency
    qtbot.keyClicks(dialog.account, "glob")  # suggestions come from accounts.list_accounts
    dialog.refresh_suggestions()
    assert dialog._names.stringList() == ["Globex"]
    dialog.account.setText("Globex")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.invalid_field == "name" and dialog.isVisible()  # required: shown inline
    qtbot.keyClicks(dialog.name, "Globex warehouse racks")
    qtbot.keyClicks(dialog.amount, "12,500.50")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    made = [o for o in pipeline.list_opportunities_for_account(db, deals.globex.id) if o.name == "Globex warehouse racks"]
    assert len(made) == 1 and made[0].amount == Decimal("12500.50") and made[0].stage_id == deals.stages[0].id
    assert column(page, deals.stages[0])[-1] == made[0].id
    assert page.view.current_card().id == made[0].id
    assert header(page, deals.stages[0]).count.text() == "4"
    page.undo_stack.undo()
    assert pipeline.get_opportunity(db, made[0].id, include_deleted=True).deleted
    assert page.model.card(made[0].id) is None
    page.undo_stack.redo()
    assert not pipeline.get_opportunity(db, made[0].id).deleted and page.model.card(made[0].id) is not None


def test_new_opportunity_for_an_unknown_account_offers_to_create_it(qtbot, db, page, monkeypatch):
    dialog = page.new_opportunity()
    asked = []
    monkeypatch.setattr(dialog, "ask_create_account", lambda name: asked.append(name) or True)
    qtbot.keyClicks(dialog.account, "Initech")
    qtbot.keyClicks(dialog.name, "Initech printers")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    assert asked == ["Initech"] and not dialog.isVisible()
    assert dialog.result.account_name == "Initech"
    assert page.model.card(dialog.result.detail.id).account_name == "Initech"


# --- moving ---------------------------------------------------------------------------------

def test_drop_on_another_column_moves_the_card_there_and_undo_restores_stage_and_rank(qtbot, db, page, deals):
    s0, s1 = deals.stages[0], deals.stages[1]
    before = stored(db, deals.b)
    drop(page, deals.b.id, s1, 0, upper=True)  # above "Globex rollout"
    assert column(page, s1) == [deals.b.id, deals.d.id]
    assert column(page, s0) == [deals.a.id, deals.c.id]
    stage, rank, _ = stored(db, deals.b)
    assert stage == s1.id and rank < pipeline.get_opportunity(db, deals.d.id).board_rank
    assert header(page, s1).count.text() == "2" and header(page, s0).count.text() == "2"
    page.undo_stack.undo()
    assert stored(db, deals.b) == before
    assert column(page, s0) == [deals.a.id, deals.b.id, deals.c.id] and column(page, s1) == [deals.d.id]
    page.undo_stack.redo()
    assert stored(db, deals.b)[:2] == (stage, rank)
    assert column(page, s1) == [deals.b.id, deals.d.id]


def test_drop_within_a_column_reorders_it(qtbot, db, page, deals):
    s0 = deals.stages[0]
    drop(page, deals.c.id, s0, 0, upper=True)  # to the top
    assert column(page, s0) == [deals.c.id, deals.a.id, deals.b.id]
    ranks = [pipeline.get_opportunity(db, i).board_rank for i in column(page, s0)]
    assert ranks == sorted(ranks)
    drop(page, deals.c.id, s0, None)  # below the last card
    assert column(page, s0) == [deals.a.id, deals.b.id, deals.c.id]
    version = pipeline.get_opportunity(db, deals.a.id).version
    drop(page, deals.a.id, s0, 1, upper=True)  # onto its own slot: nothing to write
    assert pipeline.get_opportunity(db, deals.a.id).version == version


def test_keyboard_moves_between_and_within_columns(qtbot, db, page, deals):
    s0, s1 = deals.stages[0], deals.stages[1]
    press(qtbot, page, deals.a.id, Qt.Key.Key_Right)
    assert stored(db, deals.a)[0] == s1.id and column(page, s1) == [deals.d.id, deals.a.id]
    assert page.view.current_card().id == deals.a.id  # the selection follows the card
    qtbot.keyClick(page.view.column_view(s1.id), Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert column(page, s1) == [deals.a.id, deals.d.id]
    assert [pipeline.get_opportunity(db, i).board_rank for i in column(page, s1)] == sorted(
        pipeline.get_opportunity(db, i).board_rank for i in column(page, s1))
    qtbot.keyClick(page.view.column_view(s1.id), Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert stored(db, deals.a)[0] == s0.id
    press(qtbot, page, deals.b.id, Qt.Key.Key_Down)
    assert column(page, s0)[:2] == [deals.c.id, deals.b.id]
    # Three steps on the stack; undoing them all puts everything back.
    while page.undo_stack.canUndo():
        page.undo_stack.undo()
    assert column(page, s0) == [deals.a.id, deals.b.id, deals.c.id]
    assert [stored(db, o)[0] for o in (deals.a, deals.b, deals.c)] == [s0.id] * 3


def test_repeated_moves_of_one_card_merge_into_one_undo_step(qtbot, db, page, deals):
    s0 = deals.stages[0]
    press(qtbot, page, deals.a.id, Qt.Key.Key_Down)
    qtbot.keyClick(page.view.column_view(s0.id), Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert column(page, s0) == [deals.b.id, deals.c.id, deals.a.id]
    assert page.undo_stack.count() == 1
    page.undo_stack.undo()
    assert column(page, s0) == [deals.a.id, deals.b.id, deals.c.id]


def test_right_to_left_mirrors_the_stage_keys(qtbot, db, page, deals):
    page.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    press(qtbot, page, deals.d.id, Qt.Key.Key_Right)  # visually right = the previous stage
    assert stored(db, deals.d)[0] == deals.stages[0].id
    page.grab()  # paints mirrored without errors


def test_plain_arrows_walk_between_columns(qtbot, page, deals):
    press(qtbot, page, deals.a.id, Qt.Key.Key_Right, Qt.KeyboardModifier.NoModifier)
    assert page.view.current_card().id == deals.d.id


# --- closing and editing --------------------------------------------------------------------

def test_close_as_lost_needs_a_reason_stores_it_and_undo_reopens(qtbot, db, page, deals):
    s0 = deals.stages[0]
    before = stored(db, deals.b)
    dialog = page.view.close_lost(deals.b.id)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.invalid_field == "lost_reason_id"
    assert dialog.error_label.isVisibleTo(dialog)
    assert stored(db, deals.b)[2] == OPEN
    assert dialog.select_reason("Price too high")
    qtbot.keyClicks(dialog.note, "Went with a cheaper vendor")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    lost = pipeline.get_opportunity(db, deals.b.id)
    reasons = {r.id: r.name for r in lost_reasons.list_lost_reasons(db)}
    assert lost.status == LOST and reasons[lost.lost_reason_id] == "Price too high"
    assert lost.lost_note == "Went with a cheaper vendor"
    assert column(page, s0) == [deals.a.id, deals.c.id]
    page.undo_stack.undo()
    assert stored(db, deals.b) == before
    assert column(page, s0) == [deals.a.id, deals.b.id, deals.c.id]
    page.undo_stack.redo()
    again = pipeline.get_opportunity(db, deals.b.id)
    assert again.status == LOST and again.lost_reason_id == lost.lost_reason_id and again.lost_note == lost.lost_note


def test_close_as_won_from_the_context_menu_and_reopen_when_closed_cards_show(qtbot, db, page, deals):
    menu = page.view.context_menu(page.model.card(deals.c.id))
    labels = [a.text().replace("&", "") for a in menu.actions() if a.text()]
    assert {"Close as won", "Close as lost…", "Reopen", "Move to stage", "Set next step…"} <= set(labels)
    next(a for a in menu.actions() if a.text().replace("&", "") == "Close as won").trigger()
    assert stored(db, deals.c)[2] == OpportunityStatus.WON and page.model.card(deals.c.id) is None
    page.show_closed.setChecked(True)
    card = page.model.card(deals.c.id)
    assert card is not None and card.status == OpportunityStatus.WON
    page.view.reopen(deals.c.id)
    assert stored(db, deals.c)[2] == OPEN and page.model.card(deals.c.id).status == OPEN
    page.undo_stack.undo()  # undo the reopen: won again
    assert stored(db, deals.c)[2] == OpportunityStatus.WON


def test_move_to_stage_menu_moves_the_card(qtbot, db, page, deals):
    menu = page.view.context_menu(page.model.card(deals.a.id))
    move = next(a.menu() for a in menu.actions() if a.menu() is not None)
    target = next(a for a in move.actions() if a.text().startswith(deals.stages[3].name))
    target.trigger()
    assert stored(db, deals.a)[0] == deals.stages[3].id and column(page, deals.stages[3]) == [deals.a.id]


def test_set_next_step_clears_the_prompt_and_undo_brings_it_back(qtbot, db, page, deals):
    assert page.model.card(deals.a.id).needs_next_step
    dialog = page.view.set_next_step(deals.a.id)
    qtbot.keyClicks(dialog.text, "Send the revised proposal")
    qtbot.keyClick(dialog.text, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    assert pipeline.get_opportunity(db, deals.a.id).next_step == "Send the revised proposal"
    assert not page.model.card(deals.a.id).needs_next_step
    page.undo_stack.undo()
    assert pipeline.get_opportunity(db, deals.a.id).next_step is None
    assert page.model.card(deals.a.id).needs_next_step


def test_enter_opens_the_editor_which_saves_with_the_version_it_loaded(qtbot, db, make_db, page, deals):
    press(qtbot, page, deals.a.id, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier)
    dialog = page.findChild(EditOpportunityDialog)
    assert dialog is not None and dialog.isVisible() and dialog.name.text() == "Acme fleet"
    assert dialog.owner.currentText() == "Ada Admin"  # the owner as stored, not "No owner"
    assert dialog.values() == {}  # nothing changed yet
    dialog.amount.setText("12,000")
    assert dialog.values() == {"amount": "12000"}
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert pipeline.get_opportunity(db, deals.a.id).amount == Decimal("12000")
    assert page.model.card(deals.a.id).amount == Decimal("12000")
    page.undo_stack.undo()
    assert pipeline.get_opportunity(db, deals.a.id).amount == Decimal("10000")
    # Someone else edits while the dialog is open: the dialog says so and offers to reload.
    dialog = page.view.edit_card(deals.a.id)
    other = make_db()
    pipeline.update_opportunity(other, deals.a.id, None, name="Acme fleet (renamed)")
    dialog.amount.setText("15000")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.reload_button.isVisibleTo(dialog)
    assert page.model.card(deals.a.id).name == "Acme fleet (renamed)"  # the board reloaded
    qtbot.mouseClick(dialog.reload_button, Qt.MouseButton.LeftButton)
    assert dialog.name.text() == "Acme fleet (renamed)"
    dialog.amount.setText("x")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.invalid_field == "amount" and dialog.isVisible()


def test_delete_key_deletes_and_undo_restores(qtbot, db, page, deals):
    press(qtbot, page, deals.b.id, Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier)
    assert pipeline.get_opportunity(db, deals.b.id, include_deleted=True).deleted
    assert page.model.card(deals.b.id) is None
    page.undo_stack.undo()
    assert column(page, deals.stages[0]) == [deals.a.id, deals.b.id, deals.c.id]


# --- filters and totals ---------------------------------------------------------------------

def test_filters_reduce_the_cards_and_the_totals(qtbot, db, page, deals):
    s0 = deals.stages[0]
    col = header(page, s0)
    assert col.count.text() == "3" and "16,500" in col.amount.toolTip()
    page.owner_combo.setCurrentIndex(page.owner_combo.findText("Rita Rep"))
    assert {c.id for c in page.model.cards()} == {deals.c.id}
    assert header(page, s0).count.text() == "1" and "4,000" in col.amount.toolTip()
    page.load()  # reading the choices again keeps the chosen owner
    assert page.owner_combo.currentText() == "Rita Rep" and len(page.model.cards()) == 1
    page.clear_filters()
    qtbot.keyClicks(page.amount_min, "5000")
    qtbot.keyClick(page.amount_min, Qt.Key.Key_Return)
    assert {c.id for c in page.model.cards()} == {deals.a.id, deals.d.id}
    qtbot.keyClicks(page.amount_max, "1")
    qtbot.keyClick(page.amount_max, Qt.Key.Key_Return)  # min > max: marked, board unchanged
    assert "border" in page.amount_max.styleSheet() or "border" in page.amount_min.styleSheet()
    assert {c.id for c in page.model.cards()} == {deals.a.id, deals.d.id}
    page.clear_filters()
    qtbot.keyClicks(page.search, "pilot")
    assert len(page.model.cards()) == 4  # debounced: not yet
    qtbot.waitUntil(lambda: {c.id for c in page.model.cards()} == {deals.c.id}, timeout=2000)
    page.clear_filters()
    qtbot.keyClicks(page.account_edit, "acm")
    qtbot.waitUntil(lambda: {c.id for c in page.model.cards()} == {deals.a.id, deals.b.id}, timeout=2000)
    QApplication.processEvents()
    assert "2 open" in page.summary.text()


def test_the_pipeline_switcher_shows_the_other_pipelines_columns_in_its_currency(qtbot, db, page, deals,
                                                                                  monkeypatch):
    # ui.state's QSettings(org, app) uses the native format, which the isolated_qsettings
    # fixture does not redirect: keep this test's choice in the temporary INI file.
    monkeypatch.setattr(state, "settings", lambda: QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                                                             state.ORG, state.APP))
    renewals = pipelines.create_pipeline(db, "Renewals", "USD", stages=[("Due", 40, 30), ("Quoted", 70, 14)])
    opp = pipeline.create_opportunity(db, deals.acme.id, "Acme 2027 renewal", amount="8000",
                                      pipeline_id=renewals.id)
    page.load()  # the page reads the pipelines again when it is shown
    page.pipeline_combo.setCurrentIndex(page.pipeline_combo.findText("Renewals"))
    assert [c.stage.name for c in page.view.columns] == ["Due", "Quoted"]
    assert [c.id for c in page.model.cards()] == [opp.id] and page.model.card(opp.id).currency == "USD"
    assert "$8,000" in header(page, page.view.columns[0].stage).amount.toolTip()
    page.save_state()
    again = _open_page(qtbot, db)  # the choice is remembered
    assert again.board.pipeline_name == "Renewals"


def test_account_mode_shows_one_account_with_its_closed_cards(qtbot, db, deals):
    pipeline.close_won(db, deals.b.id)
    page = _open_page(qtbot, db, account_mode=True)
    page.set_account_filter(deals.acme.id)
    assert {c.id for c in page.model.cards()} == {deals.a.id, deals.b.id}
    assert not page.filter_bar.isVisible() and not page.new_button.isVisible()
    dialog = page.new_opportunity()
    assert dialog.account.text() == "Acme"  # prefilled: only the name is left to type


# --- other people's changes -----------------------------------------------------------------

def test_a_conflicting_move_is_reported_and_the_board_reloads_to_the_truth(qtbot, db, make_db, page, deals,
                                                                           no_dialogs):
    other = make_db()
    pipeline.move_opportunity(other, deals.a.id, deals.stages[2].id)  # someone else, meanwhile
    press(qtbot, page, deals.a.id, Qt.Key.Key_Right)
    assert len(no_dialogs) == 1 and isinstance(no_dialogs[0], Conflict)
    assert stored(db, deals.a)[0] == deals.stages[2].id
    assert column(page, deals.stages[2]) == [deals.a.id] and deals.a.id not in column(page, deals.stages[1])
    assert page.undo_stack.count() == 0


def test_an_undo_that_conflicts_is_reported_and_clears_the_history(qtbot, db, make_db, page, deals, no_dialogs):
    drop(page, deals.a.id, deals.stages[1], None)
    other = make_db()
    pipeline.move_opportunity(other, deals.a.id, deals.stages[3].id)
    page.undo_stack.undo()
    assert len(no_dialogs) == 1 and isinstance(no_dialogs[0], Conflict)
    assert column(page, deals.stages[3]) == [deals.a.id]
    qtbot.waitUntil(lambda: page.undo_stack.count() == 0, timeout=1000)


def test_other_views_writes_reload_the_board(qtbot, db, page, deals):
    run_write(None, lambda: pipeline.move_opportunity(db, deals.c.id, deals.stages[4].id)).run()
    qtbot.waitUntil(lambda: column(page, deals.stages[4]) == [deals.c.id], timeout=2000)


@pytest.mark.real_pools
def test_a_drop_on_worker_threads_lands_in_the_database_and_on_the_board(qtbot, db, deals):
    page = PipelinePage(db, QUndoStack())
    qtbot.addWidget(page)
    page.resize(1400, 800)
    page.show()
    qtbot.waitExposed(page)
    with qtbot.waitSignal(page.board_loaded, timeout=5000):
        page.load()
        assert page.is_loading and page.busy.isVisible()  # the read runs on a worker thread
    assert not page.is_loading and not page.busy.isVisible()
    drop(page, deals.a.id, deals.stages[1], None)
    qtbot.waitUntil(lambda: column(page, deals.stages[1]) == [deals.d.id, deals.a.id], timeout=5000)
    assert stored(db, deals.a)[0] == deals.stages[1].id
    page.undo_stack.undo()
    qtbot.waitUntil(lambda: stored(db, deals.a)[0] == deals.stages[0].id, timeout=5000)
    qtbot.waitUntil(lambda: column(page, deals.stages[0])[0] == deals.a.id, timeout=5000)


# --- looks and speed ------------------------------------------------------------------------

def seed_board(db, n: int = 60, seed: int = 7) -> None:
    """~n opportunities over the five stages: stalled ones, ones without next steps,
    several currencies and owners."""
    rnd = random.Random(seed)
    stages = pipelines.list_stages(db, pipelines.list_pipelines(db)[0].id)
    reps = [users.create_user(db, name, f"{name.split()[0].lower()}@example.com")
            for name in ("Rita Rep", "Mehmet Yılmaz", "Sara Ahmadi", "Somchai Prasert")]
    accs = [accounts.create_account(db, name=name) for name in (
        "Acme GmbH", "Globex Corporation", "Özdemir Lojistik A.Ş.", "Initech", "Siam Cement Trading",
        "Pars Khodro Parts", "Vandelay Industries International Import Export")]
    now, today = dt.datetime.now(dt.timezone.utc), dt.date.today()
    for _ in range(n):
        acc = rnd.choice(accs)
        step = rnd.choice(["Call the CFO", "Send revised proposal", "Demo for the ops team", None])
        pipeline.create_opportunity(
            db, acc.id, f"{acc.name.split()[0]} {rnd.choice(['fleet renewal', 'spare parts', 'pilot', 'racks'])}",
            amount=str(rnd.choice([1200, 4800, 15000, 48000, 350000])), currency=rnd.choice(["EUR"] * 4 + ["USD", "TRY"]),
            stage_id=rnd.choice(stages).id, owner_id=rnd.choice(reps).id, next_step=step,
            expected_close_date=today + dt.timedelta(days=rnd.randint(-20, 200)),
            now=now - dt.timedelta(days=rnd.choice([0, 1, 60])))


@pytest.mark.parametrize("look", ["light", "dark", "rtl"])
def test_board_renders_sixty_cards(qtbot, db, tmp_path, look):
    seed_board(db)
    page = PipelinePage(db, QUndoStack())
    qtbot.addWidget(page)
    if look == "dark":
        pal = QPalette()
        for role, colour in ((QPalette.ColorRole.Window, "#2b2b2b"), (QPalette.ColorRole.WindowText, "#e6e6e6"),
                             (QPalette.ColorRole.Base, "#353535"), (QPalette.ColorRole.Text, "#e6e6e6"),
                             (QPalette.ColorRole.Button, "#3a3a3a"), (QPalette.ColorRole.ButtonText, "#e6e6e6")):
            pal.setColor(role, QColor(colour))
        page.setPalette(pal)
    if look == "rtl":
        page.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    page.resize(1400, 800)
    page.show()
    page.load()
    assert len(page.model.cards()) == 60
    assert any(c.stalled for c in page.model.cards()) and any(c.needs_next_step for c in page.model.cards())
    image = page.grab().toImage()
    assert image.width() >= 1400 and image.save(str(tmp_path / f"board_{look}.png"))


def _synthetic_board(n: int) -> Board:
    import uuid

    rnd = random.Random(1)
    stages = tuple(BoardStage(uuid.uuid4(), f"Stage {i}", i, 10 + 20 * i, 14) for i in range(5))
    now = dt.datetime.now(dt.timezone.utc)
    cards = tuple(
        BoardCard(uuid.uuid4(), f"Deal {i}", uuid.uuid4(), f"Account {i % 300}", stages[i % 5].id, OPEN,
                  Decimal(rnd.randint(1, 500) * 100), "EUR", stages[i % 5].probability,
                  dt.date.today() + dt.timedelta(days=rnd.randint(-30, 300)), None, f"Rep {i % 7}",
                  None if i % 3 else "Call back", None, now, None, float(i), 1, i % 11 == 0, bool(i % 3))
        for i in range(n))
    return Board(uuid.uuid4(), "Big", "EUR", stages, cards, now)


def test_a_five_thousand_card_board_paints_quickly(qtbot):
    big = _synthetic_board(5000)
    model = BoardModel()
    view = BoardView(None, model, QUndoStack())
    qtbot.addWidget(view)
    view.resize(1400, 800)
    view.show()
    start = time.perf_counter()
    view.set_board(big)
    view.grab()
    elapsed = time.perf_counter() - start
    assert sum(c.proxy.rowCount() for c in view.columns) == 5000
    assert elapsed < 3.0, f"first paint of 5,000 cards took {elapsed:.2f}s"
