"""Closed deals on the board, as a user sees them (both engines, offscreen): "Show closed"
adds Won and Lost columns with counts and totals; a won deal is never in a stage column;
closing, reopening, undo and drops move cards between the stage and the closed columns."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QUndoStack
from PySide6.QtWidgets import QApplication

from leaddesk.models.enums import OpportunityStatus
from leaddesk.services.people import accounts
from leaddesk.services.pipeline import lost_reasons, opportunities as pipeline, pipelines
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.pipeline.stage_column_proxy import StageColumnProxy
from leaddesk.ui.pipeline.opportunity_dialogs import LostDialog
from leaddesk.ui.pipeline.pipeline_page import PipelinePage

OPEN, WON, LOST = OpportunityStatus.OPEN, OpportunityStatus.WON, OpportunityStatus.LOST


@pytest.fixture
def deals(db):
    pipe = pipelines.list_pipelines(db)[0]
    stages = pipelines.list_stages(db, pipe.id)
    acme = accounts.create_account(db, name="Acme plc")
    globex = accounts.create_account(db, name="Globex")
    last = stages[-1]

    def opp(account, name, amount, stage):
        return pipeline.create_opportunity(db, account.id, name, amount=amount, stage_id=stage.id)

    ns = SimpleNamespace(
        stages=stages, last=last, acme=acme,
        open=opp(acme, "Acme renewal", "1000", last),
        won=opp(acme, "Acme fleet", "50000", last),
        lost=opp(globex, "Globex pilot", "7000", stages[0]),
        later=opp(globex, "Globex rollout", "20000", stages[1]),
    )
    reason = lost_reasons.list_lost_reasons(db)[0]
    pipeline.close_won(db, ns.won.id)
    pipeline.close_lost(db, ns.lost.id, reason.id)
    return ns


def open_page(qtbot, db, **kw) -> PipelinePage:
    page = PipelinePage(db, QUndoStack(), **kw)
    qtbot.addWidget(page)
    page.resize(1366, 720)
    page.show()
    qtbot.waitExposed(page)
    page.load()
    return page


@pytest.fixture
def page(qtbot, db, deals) -> PipelinePage:
    widget = open_page(qtbot, db)
    widget.show_closed.setChecked(True)
    QApplication.processEvents()
    return widget


def ids(page, key) -> list:
    return page.view.column_ids(key)


def header(page, key):
    QApplication.processEvents()  # the coalesced totals update
    return page.view.column(key)


def test_closed_columns_appear_only_when_closed_deals_are_shown(qtbot, db, deals):
    widget = open_page(qtbot, db)
    assert widget.view.column(WON) is None and widget.view.column(LOST) is None
    assert [c.stage.id for c in widget.view.columns] == [s.id for s in deals.stages]
    widget.show_closed.setChecked(True)
    assert [c.stage.id for c in widget.view.columns] == [s.id for s in deals.stages] + [WON, LOST]
    assert [c.title.text() for c in widget.view.columns[-2:]] == ["Won", "Lost"]
    widget.show_closed.setChecked(False)
    assert widget.view.column(WON) is None


def test_won_and_lost_deals_sit_in_their_own_columns_never_in_a_stage(page, deals):
    assert ids(page, WON) == [deals.won.id]
    assert ids(page, LOST) == [deals.lost.id]
    assert ids(page, deals.last.id) == [deals.open.id]       # no won card in "Verbal commit"
    for col in page.view.columns[:-2]:
        assert all(c.status == OPEN for c in col.proxy.cards()), col.stage.name


def test_closed_columns_show_counts_and_totals(page, deals):
    won, lost = header(page, WON), header(page, LOST)
    assert won.count.text() == "1" and "50" in won.amount.text()
    assert lost.count.text() == "1" and "7" in lost.amount.text()
    assert "Won: 1 opportunities" in won.accessibleName()
    last = header(page, deals.last.id)
    assert last.count.text() == "1"                          # the open renewal only
    # The card says when it closed, as its status chip.
    text = page.model.index_of(deals.won.id).data(Roles.CARD_TEXT)
    assert text.status.startswith("Won ")


def test_closing_moves_the_card_to_won_and_undo_puts_it_back(page, deals, db):
    page.view.close_won(deals.open.id)
    assert pipeline.get_opportunity(db, deals.open.id).status == WON
    assert ids(page, deals.last.id) == []
    assert ids(page, WON)[0] == deals.open.id                # newest first
    assert header(page, WON).count.text() == "2"
    page.undo_stack.undo()
    assert pipeline.get_opportunity(db, deals.open.id).status == OPEN
    assert ids(page, deals.last.id) == [deals.open.id]
    assert ids(page, WON) == [deals.won.id]


def test_reopening_a_won_deal_returns_it_to_the_stage_it_was_won_in(page, deals, db):
    page.view.reopen(deals.won.id)
    assert pipeline.get_opportunity(db, deals.won.id).status == OPEN
    assert deals.won.id in ids(page, deals.last.id) and ids(page, WON) == []
    assert header(page, WON).count.text() == "0"
    assert page.view.select_card(deals.won.id)


def drop_on(page, card_id, key) -> None:
    view = page.view.column_view(key)
    mime = page.model.mimeData([page.model.index_of(card_id)])
    pos = QPoint(20, view.viewport().height() - 4)
    rest = (Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    for event in (QDragEnterEvent(pos, *rest), QDragMoveEvent(pos, *rest), QDropEvent(QPointF(pos), *rest)):
        QApplication.sendEvent(view.viewport(), event)
        assert event.isAccepted()


def test_dropping_on_won_closes_as_won(page, deals, db):
    drop_on(page, deals.later.id, WON)
    assert pipeline.get_opportunity(db, deals.later.id).status == WON
    assert deals.later.id in ids(page, WON)


def test_dropping_on_lost_asks_for_the_reason_first(qtbot, page, deals, db, monkeypatch):
    opened = []
    monkeypatch.setattr(LostDialog, "open", lambda self: opened.append(self))
    drop_on(page, deals.later.id, LOST)
    assert len(opened) == 1 and opened[0].card.id == deals.later.id
    assert pipeline.get_opportunity(db, deals.later.id).status == OPEN   # nothing until a reason
    dialog = opened[0]
    dialog.reason.setCurrentIndex(1)
    dialog.submit()
    assert pipeline.get_opportunity(db, deals.later.id).status == LOST
    assert deals.later.id in ids(page, LOST)


def test_closed_cards_cannot_be_dragged(page, deals):
    index = page.model.index_of(deals.won.id)
    assert not page.model.flags(index) & Qt.ItemFlag.ItemIsDragEnabled


def test_closed_column_proxies_pass_the_model_tester(qtmodeltester, page, deals):
    proxy = page.view.column(WON).proxy
    assert isinstance(proxy, StageColumnProxy)
    qtmodeltester.check(proxy)
    qtmodeltester.check(page.view.column(LOST).proxy)
    qtmodeltester.check(page.model)
    assert page.model.index_of(deals.won.id).data(Roles.COLUMN) == WON
    assert page.model.index_of(deals.open.id).data(Roles.COLUMN) == deals.last.id


def test_account_view_board_has_won_and_lost_columns(qtbot, db, deals):
    widget = open_page(qtbot, db, account_mode=True)
    widget.set_account_filter(deals.acme.id)
    assert ids(widget, WON) == [deals.won.id]
    assert ids(widget, LOST) == []
    assert ids(widget, deals.last.id) == [deals.open.id]


def test_board_with_closed_columns_renders(qtbot, page, tmp_path):
    image = page.grab()
    assert image.save(str(tmp_path / "closed.png"))
    won = page.view.column(WON)
    page.view.scroll.ensureWidgetVisible(won)
    QApplication.processEvents()
    assert won.visibleRegion().boundingRect().width() > 100   # scrolls into view cleanly


# --- the deal dialog: contact and notes -----------------------------------------------------

def test_edit_dialog_offers_the_accounts_contacts_and_notes_and_undo_restores_them(qtbot, db, page, deals):
    from leaddesk.services.people import contacts

    ann = contacts.create_contact(db, given_name="Ann", family_name="Archer", account_id=deals.acme.id)
    contacts.create_contact(db, given_name="Olga", family_name="Other")  # no account: not offered
    dialog = page.view.edit_card(deals.open.id)
    assert [dialog.contact.itemText(i) for i in range(dialog.contact.count())] == ["No contact", "Ann Archer"]
    assert dialog.notes.toPlainText() == "" and dialog.values() == {}
    dialog.contact.setCurrentIndex(1)
    qtbot.keyClicks(dialog.notes, "CFO signs in January")
    assert dialog.values() == {"primary_contact_id": ann.id, "notes": "CFO signs in January"}
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    stored = pipeline.get_opportunity(db, deals.open.id)
    assert (stored.primary_contact_id, stored.notes) == (ann.id, "CFO signs in January")
    page.undo_stack.undo()
    stored = pipeline.get_opportunity(db, deals.open.id)
    assert (stored.primary_contact_id, stored.notes) == (None, None)
    # Reopened, the dialog shows what is stored.
    page.undo_stack.redo()
    again = page.view.edit_card(deals.open.id)
    assert again.contact.currentText() == "Ann Archer" and again.notes.toPlainText() == "CFO signs in January"


def test_edit_dialog_shows_too_long_notes_inline_and_writes_nothing(qtbot, db, page, deals):
    dialog = page.view.edit_card(deals.open.id)
    dialog.notes.setPlainText("x" * 20001)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.invalid_field == "notes"
    assert pipeline.get_opportunity(db, deals.open.id).notes is None


def test_new_dialog_lists_the_typed_accounts_contacts_and_saves_contact_and_notes(qtbot, db, page, deals):
    from leaddesk.services.people import contacts

    ann = contacts.create_contact(db, given_name="Ann", family_name="Archer", account_id=deals.acme.id)
    dialog = page.new_opportunity()
    assert dialog.contact.count() == 1  # no account yet: "No contact" only
    dialog.account.setText("Acme plc")
    dialog.load_contacts()              # what leaving the account field does
    assert dialog.contact.itemText(1) == "Ann Archer"
    dialog.contact.setCurrentIndex(1)
    qtbot.keyClicks(dialog.name, "Acme spares")
    qtbot.keyClicks(dialog.notes, "Met at the fair")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    made = next(o for o in pipeline.list_opportunities_for_account(db, deals.acme.id) if o.name == "Acme spares")
    assert (made.primary_contact_id, made.notes) == (ann.id, "Met at the fair")


def test_new_dialog_drops_a_contact_chosen_for_another_account(qtbot, db, page, deals):
    from leaddesk.services.people import contacts

    contacts.create_contact(db, given_name="Ann", family_name="Archer", account_id=deals.acme.id)
    dialog = page.new_opportunity()
    dialog.account.setText("Acme plc")
    dialog.load_contacts()
    dialog.contact.setCurrentIndex(1)
    dialog.account.setText("Globex")     # changed its mind, without leaving the field
    qtbot.keyClicks(dialog.name, "Globex spares")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    made = next(o for o in pipeline.list_opportunities_for_account(db, deals.lost.account_id)
                if o.name == "Globex spares")
    assert made.primary_contact_id is None
