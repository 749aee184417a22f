"""The Pipeline page: a team's board with a pipeline switcher, filters and "New opportunity".

Also embeddable in an account view: ``PipelinePage(db, stack, show_filters=False,
account_id=..., include_closed=True)`` shows only that account's cards (closed ones too).

Here: building the page, loading the choices and the board, and refreshing after other
views' writes. The top and filter bars, and the filter they describe, are in
``_page_filters``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QVBoxLayout, QWidget

from leaddesk.errors import ValidationError
from leaddesk.models.enums import OpportunityStatus
from leaddesk.models.search import fold
from leaddesk.services.pipeline import board as board_service
from leaddesk.services.people import accounts
from leaddesk.services.pipeline import pipelines
from leaddesk.services.team import users
from leaddesk.services.pipeline.board import Board
from leaddesk.ui import errors, state
from leaddesk.ui.formatting import format_totals
from leaddesk.ui.pipeline.board_model import BoardModel
from leaddesk.ui.jobs import app_signals, run_read
from leaddesk.ui.pipeline.board_view import BoardView
from leaddesk.ui.pipeline._form_dialog import combo_index
from leaddesk.ui.pipeline._page_filters import PageFilters
from leaddesk.ui.pipeline._new_opportunity_dialog import NewOpportunityDialog
from leaddesk.ui.widgets.when_shown import WhenShown

#: Changes to these kinds of records can change what the board shows.
_RELEVANT = ("opportunit", "account", "pipeline", "stage", "activit", "user", "team", "lost")


@dataclass(frozen=True)
class _Choices:
    pipelines: list
    owners: list
    teams: list


class PipelinePage(PageFilters, QWidget):
    """``load()`` reads the pipelines, owners and teams, then the board. The board reloads by
    itself when filters change (text debounced) and when other views change opportunities."""

    #: (Board) after each load
    board_loaded = Signal(object)
    #: (bool) a load is running
    loading_changed = Signal(bool)
    #: (text) for the status bar
    status_message = Signal(str)

    def __init__(self, db, undo_stack: QUndoStack, parent=None, *, show_filters: bool = True,
                 account_id=None, include_closed: bool = False, account_mode: bool = False,
                 column_width: int = 256):
        super().__init__(parent)
        if account_mode:  # inside an account view: no pipeline/filter bar, closed cards shown
            show_filters, include_closed = False, True
        self.db = db
        self.undo_stack = undo_stack
        self.account_mode = account_mode
        self.account_id = account_id
        self.account_name: str | None = None
        self.board: Board | None = None
        self.pipelines: list = []
        self._pipeline_id = None
        self._generation = 0
        self._loading = False
        self._when_shown = WhenShown(self, self.reload)
        self._choices_loaded = False
        self._new_after_load = False
        if not account_mode:
            saved = state.value(f"{type(self).__name__}/pipeline")
            self._pipeline_id = _uuid_or_none(saved)
        self.model = BoardModel(self)
        self.view = BoardView(db, self.model, undo_stack, self, column_width=column_width)
        self.view.reload_requested.connect(self.reload)
        self.view.status_message.connect(self.status_message)
        self._summary_timer = QTimer(self, singleShot=True, interval=0)
        self._summary_timer.timeout.connect(self._update_summary)
        for signal in (self.model.modelReset, self.model.rowsInserted, self.model.rowsRemoved, self.model.dataChanged):
            signal.connect(self._summary_timer.start)

        self._build_bars(show_filters, include_closed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(self.top_bar)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.view, 1)
        self.filter_bar.setVisible(show_filters)

        self._text_timer = QTimer(self, singleShot=True, interval=250)
        self._text_timer.timeout.connect(self.reload)
        self._echo_timer = QTimer(self, singleShot=True, interval=120)
        self._echo_timer.timeout.connect(self.reload)
        app_signals.data_changed.connect(self.on_data_changed)

    # --- loading ----------------------------------------------------------------------------
    @property
    def is_loading(self) -> bool:
        return self._loading

    def load(self) -> None:
        """Read the choices (pipelines, owners, teams), then the board."""
        db = self.db
        self._set_loading(True)
        run_read(self, lambda: _Choices(pipelines.list_pipelines(db), board_service.owners_for_filter(db),
                                        users.list_teams(db))).success(self._on_choices).failure(
            self._on_load_failed).run()

    def _on_choices(self, choices: _Choices) -> None:
        self._choices_loaded = True
        self.pipelines = choices.pipelines
        for combo in (self.pipeline_combo, self.owner_combo, self.team_combo):
            combo.blockSignals(True)
        try:
            self._fill_choices(choices)
        finally:
            for combo in (self.pipeline_combo, self.owner_combo, self.team_combo):
                combo.blockSignals(False)
        self.view.set_owner_names(dict(choices.owners))
        self.reload()

    def _fill_choices(self, choices: _Choices) -> None:
        self.pipeline_combo.clear()
        for p in choices.pipelines:
            self.pipeline_combo.addItem(p.name, p.id)
        default = next((p.id for p in choices.pipelines if p.is_default), None)
        index = combo_index(self.pipeline_combo, self._pipeline_id) if self._pipeline_id else -1
        if index < 0:  # none chosen yet, or the chosen one was deleted
            index = combo_index(self.pipeline_combo, default) if default else 0
        self.pipeline_combo.setCurrentIndex(max(0, index))
        self._pipeline_id = self.pipeline_combo.currentData() if choices.pipelines else None
        owner, team = self.owner_combo.currentData(), self.team_combo.currentData()
        self.owner_combo.clear()
        self.owner_combo.addItem(self.tr("Everyone"), "")
        me = self.db.write.actor_id
        if me is not None:
            self.owner_combo.addItem(self.tr("My opportunities"), me)
        for ident, name in choices.owners:
            self.owner_combo.addItem(name, ident)
        self.owner_combo.setCurrentIndex(max(0, combo_index(self.owner_combo, owner or "")))
        self.team_combo.clear()
        self.team_combo.addItem(self.tr("All teams"), "")
        for t in choices.teams:
            self.team_combo.addItem(t.name, t.id)
        self.team_combo.setCurrentIndex(max(0, combo_index(self.team_combo, team or "")))

    def show_pipeline(self, pipeline_id, *, account_id=None) -> None:
        """Show this pipeline's board (in an account view: of ``account_id``), as the account
        view's pipeline switcher asks."""
        self._pipeline_id = pipeline_id
        if self._choices_loaded:
            index = combo_index(self.pipeline_combo, pipeline_id)
            if index >= 0:
                self.pipeline_combo.blockSignals(True)
                self.pipeline_combo.setCurrentIndex(index)
                self.pipeline_combo.blockSignals(False)
        self.set_account_filter(account_id if self.account_mode else self.account_id)

    def reload(self) -> None:
        """Read the board again with the current filters (stale answers are dropped)."""
        if not self._choices_loaded:
            self.load()
            return
        self._text_timer.stop()
        self._echo_timer.stop()
        self._mark_invalid(None)
        try:
            flt = self.board_filter()
        except ValidationError as exc:
            self._mark_invalid(exc)
            return
        self._generation += 1
        generation, db, account_text = self._generation, self.db, fold(self.account_edit.text()).strip()
        account_id = self.account_id
        writes = self.view.writer.landed

        def work():
            name = accounts.get_account(db, account_id).name if account_id is not None else None
            return board_service.load_board(db, flt), name

        self._set_loading(True)
        run_read(self, work).success(lambda result: self._on_board(generation, writes, *result, account_text)).failure(
            lambda exc: self._on_board_failed(generation, exc)).run()

    def _on_board(self, generation: int, writes: int, board: Board, account_name: str | None,
                  account_text: str) -> None:
        if generation != self._generation:
            return
        writer = self.view.writer
        if writer.landed != writes:
            # A board write landed while this was read: the answer may predate it. Read again.
            self._echo_timer.start()
            return
        self.account_name = account_name
        if account_text:
            board = Board(board.pipeline_id, board.pipeline_name, board.currency, board.stages,
                          tuple(c for c in board.cards if account_text in fold(c.account_name)), board.loaded_at)
        self.board = board
        self._when_shown.pending = False
        self.view.set_board(board, include_closed=self.show_closed.isChecked())
        self._update_summary()
        self._set_loading(False)
        self.board_loaded.emit(board)
        if self._new_after_load:
            self.new_opportunity()

    def _on_board_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._set_loading(False)
        if isinstance(exc, ValidationError) and exc.field in ("amount_min", "amount_max"):
            self._mark_invalid(exc)
        else:
            errors.show_error(self, exc)

    def _on_load_failed(self, exc: BaseException) -> None:
        self._set_loading(False)
        errors.show_error(self, exc)

    def _set_loading(self, loading: bool) -> None:
        self._loading = loading
        self.busy.setVisible(loading)
        self.loading_changed.emit(loading)

    def _update_summary(self) -> None:
        if self.board is None:
            return
        cards = [c for c in self.model.cards() if c.status == OpportunityStatus.OPEN]
        totals = board_service.column_totals(cards)
        self.summary.setText(self.tr("{0} open · {1} · weighted {2}").format(
            totals.count, format_totals(totals.amount, self.board.currency, compact=True),
            format_totals(totals.weighted, self.board.currency, compact=True)))

    # --- new opportunity -------------------------------------------------------------------
    def new_opportunity(self) -> NewOpportunityDialog | None:
        """Open the New opportunity dialog (after the first load, if the board is not read yet)."""
        if self.board is None:
            self._new_after_load = True
            self.load()
            return None
        self._new_after_load = False
        account = (self.account_id, self.account_name) if self.account_id and self.account_name else None
        dialog = NewOpportunityDialog(self.db, pipeline_id=self.board.pipeline_id, currency=self.board.currency,
                                      stages=self.board.stages, account=account, parent=self)
        dialog.created.connect(self._on_created)
        dialog.open()
        return dialog

    def _on_created(self, created) -> None:
        self.view.add_created(created)

    def save_state(self) -> None:
        if not self.account_mode and self._pipeline_id is not None:
            state.set_value(f"{type(self).__name__}/pipeline", str(self._pipeline_id))

    # --- refresh after other views' writes --------------------------------------------------
    def _is_mine(self, initiator) -> bool:
        return initiator is self or (isinstance(initiator, QWidget) and self.isAncestorOf(initiator))

    def on_data_changed(self, changes, initiator) -> None:
        if self._is_mine(initiator) or not self._choices_loaded:
            return
        if changes is not None and not any(k in e.lower() for e in changes.entities for k in _RELEVANT):
            return
        if not self.isVisible():
            self._when_shown.run(False)  # read again when shown
            return
        self._echo_timer.start()


def _uuid_or_none(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None
