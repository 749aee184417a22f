"""The kanban board: one column (header + QListView over a StageColumnProxy) per stage,
horizontally scrollable, with the forecast strip underneath. When closed deals are shown,
two more columns, Won and Lost, hold them with their own counts and totals; a closed card
never sits in a stage column. Dropping an open card on Won closes it as won; on Lost, asks
for the reason first.

Cards are painted (no per-card widgets, uniform sizes). Every change goes through the
services via :class:`~leaddesk.ui.pipeline.board_commands.BoardWriter` and lands on the undo
stack given to the view. Keyboard: arrows move between cards and columns, Ctrl+Left/Right
move the selected card to the previous/next stage (mirrored right-to-left), Ctrl+Up/Down
move it within its column, Enter edits, Delete deletes, the menu key opens the context menu.

Here: the view's layout, selection, totals and keyboard moves. A column's card list (drag
and drop) is in ``_card_list_view``, the column header and the forecast strip in
``_board_widgets``, the writes and the context menu in ``_card_actions``.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QItemSelectionModel, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from leaddesk.services.pipeline import board as board_service
from leaddesk.services.pipeline.board import Board, BoardCard, BoardStage, column_of
from leaddesk.ui.pipeline.card_delegate import OpportunityCardDelegate
from leaddesk.ui.pipeline.board_model import BoardModel
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.pipeline.stage_column_proxy import StageColumnProxy
from leaddesk.ui.pipeline.board_commands import BoardWriter
from leaddesk.ui.pipeline._board_widgets import LOST, OPEN, WON, BoardColumn, ForecastStrip
from leaddesk.ui.pipeline._card_actions import CardActions
from leaddesk.ui.pipeline._card_list_view import CardListView


class BoardView(CardActions, QWidget):
    """Columns of cards for the given stages, over one :class:`BoardModel`."""

    #: The board should be read again (a write failed or landed somewhere unexpected).
    reload_requested = Signal()
    #: (card id) a change to a card landed in the database and on the board
    card_changed = Signal(object)
    #: (text) for a status bar: "Moved “Acme fleet” to Proposal"
    status_message = Signal(str)

    def __init__(self, db, model: BoardModel, undo_stack: QUndoStack, parent=None, *, column_width: int = 256):
        super().__init__(parent)
        self.db = db
        self.model = model
        self.undo_stack = undo_stack
        self.currency = "EUR"
        self.stages: list[BoardStage] = []
        self.columns: list[BoardColumn] = []
        self.column_width = column_width
        self.writer = BoardWriter(db, model, undo_stack, self)
        self.writer.reload_needed.connect(self.reload_requested)
        self.writer.card_written.connect(self.card_changed)
        self.delegate = OpportunityCardDelegate(self)
        self._current: CardListView | None = None
        # Totals follow the model, coalesced: one update after a burst of changes, and only
        # for the columns that changed (the forecast always: a move changes its weights).
        self._dirty: set | None = None  # stage ids; None = every column
        self._totals_timer = QTimer(self, singleShot=True, interval=0)
        self._totals_timer.timeout.connect(self._update_dirty_totals)
        model.modelReset.connect(lambda: self._mark_dirty(None))

        self.columns_widget = QWidget()
        self.columns_layout = QHBoxLayout(self.columns_widget)
        self.columns_layout.setContentsMargins(8, 8, 8, 8)
        self.columns_layout.setSpacing(10)
        self.columns_layout.addStretch(0)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.columns_widget)
        self.empty_label = QLabel(self.tr("This pipeline has no stages yet."))
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.hide()
        self.forecast = ForecastStrip()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.empty_label, 1)
        layout.addWidget(self.forecast)
        self._build_actions()

    # --- actions --------------------------------------------------------------------------
    def _action(self, text: str, slot, shortcut: str | QKeySequence | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.act_next_stage = self._action(self.tr("Move right"), lambda: self.move_selected_sideways(1), "Ctrl+Right")
        self.act_prev_stage = self._action(self.tr("Move left"), lambda: self.move_selected_sideways(-1), "Ctrl+Left")
        self.act_up = self._action(self.tr("Move up"), lambda: self.move_selected_vertically(-1), "Ctrl+Up")
        self.act_down = self._action(self.tr("Move down"), lambda: self.move_selected_vertically(1), "Ctrl+Down")
        self.act_delete = self._action(self.tr("&Delete"), lambda: self._with_current(self.delete_card),
                                       QKeySequence.StandardKey.Delete)
        self.act_log = self._action(self.tr("&Log activity…"), lambda: self._with_current(self.log_activity), "Ctrl+L")

    def _with_current(self, fn):
        card = self.current_card()
        return fn(card.id) if card is not None else None

    # --- stages and cards -----------------------------------------------------------------
    def set_board(self, board: Board, *, include_closed: bool = False) -> None:
        """Show a freshly loaded board, keeping the selected card and scroll positions."""
        selected = self.current_card()
        scroll = {col.stage.id: col.list.verticalScrollBar().value() for col in self.columns}
        had_focus = self._current is not None and self._current.hasFocus()
        self.writer.include_closed = include_closed
        self.set_stages(board.stages, board.currency, include_closed=include_closed)
        self.model.set_cards(board.cards)
        self.writer.forget()
        for col in self.columns:
            if col.stage.id in scroll:
                col.list.verticalScrollBar().setValue(scroll[col.stage.id])
        if selected is not None and self.model.card(selected.id) is not None:
            self.select_card(selected.id, focus=had_focus, scroll=False)
        self._totals_timer.stop()
        self._dirty = set()
        self.update_totals()

    def closed_stages(self) -> list[BoardStage]:
        """The Won and Lost columns' headers (their ``id`` is the status)."""
        return [BoardStage(WON, self.tr("Won"), 10_000, 100, None), BoardStage(LOST, self.tr("Lost"), 10_001, 0, None)]

    def set_stages(self, stages: Sequence[BoardStage], currency: str, *, include_closed: bool = False) -> None:
        """One column per stage, then Won and Lost when closed deals are shown."""
        self.currency = currency
        self.writer.stage_probability = {s.id: s.probability for s in stages}
        self.writer.stage_names = {s.id: s.name for s in stages}
        shown = list(stages) + (self.closed_stages() if include_closed else [])
        if [s.id for s in shown] == [c.stage.id for c in self.columns]:
            self.stages = list(stages)
            for col, stage in zip(self.columns, shown):
                col.set_stage(stage)
            return
        self.stages = list(stages)
        for col in self.columns:
            col.proxy.setSourceModel(None)  # stop following the model now, not at deleteLater
            self.columns_layout.removeWidget(col)
            col.deleteLater()
        self._current = None
        self.columns = []
        for i, stage in enumerate(shown):
            closed = stage.id if stage.id in (WON, LOST) else None
            col = BoardColumn(stage, self.model, self.delegate, self.column_width, closed=closed)
            self.columns_layout.insertWidget(i, col, 1)
            self._wire(col.list)
            for signal in (col.proxy.rowsInserted, col.proxy.rowsRemoved, col.proxy.dataChanged,
                           col.proxy.layoutChanged, col.proxy.modelReset):
                signal.connect(lambda *_a, sid=stage.id: self._mark_dirty(sid))
            self.columns.append(col)
        self.scroll.setVisible(bool(stages))
        self.empty_label.setVisible(not stages)

    def set_owner_names(self, names: dict) -> None:
        self.writer.owner_names = dict(names)

    def _wire(self, view: CardListView) -> None:
        view.card_dropped.connect(self.on_card_dropped)
        view.sideways_requested.connect(lambda delta, v=view: self._focus_sideways(v, delta))
        view.activated.connect(lambda index: self.edit_card(index.data(Roles.ID)))
        view.customContextMenuRequested.connect(lambda pos, v=view: self._context_menu(v, pos))
        view.selectionModel().currentChanged.connect(lambda cur, _prev, v=view: self._on_current(v, cur))
        view.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.FocusIn and isinstance(obj, CardListView):
            self._current = obj
        return super().eventFilter(obj, event)

    def _on_current(self, view: CardListView, current) -> None:
        if not current.isValid():
            return
        self._current = view
        for col in self.columns:
            if col.list is not view:
                col.list.selectionModel().clear()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            for col in self.columns:
                col.apply_palette()

    # --- lookup ---------------------------------------------------------------------------
    def column(self, stage_id) -> BoardColumn | None:
        """The column of a stage id, or of WON / LOST."""
        return next((c for c in self.columns if c.stage.id == stage_id), None)

    def column_view(self, stage_id) -> CardListView | None:
        col = self.column(stage_id)
        return col.list if col else None

    def proxy(self, stage_id) -> StageColumnProxy | None:
        col = self.column(stage_id)
        return col.proxy if col else None

    def column_ids(self, stage_id) -> list:
        proxy = self.proxy(stage_id)
        return [c.id for c in proxy.cards()] if proxy else []

    def current_card(self) -> BoardCard | None:
        view = self._current
        if view is None:
            return None
        index = view.currentIndex()
        if not index.isValid() or not view.selectionModel().isSelected(index):
            return None
        return index.data(Roles.CARD)

    def select_card(self, card_id, *, focus: bool = True, scroll: bool = True) -> bool:
        card = self.model.card(card_id)
        col = self.column(column_of(card)) if card else None
        if col is None:
            return False
        index = col.proxy.index(col.proxy.row_of(card_id), 0)
        col.list.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self._on_current(col.list, index)
        if scroll:
            col.list.scrollTo(index)
            self.scroll.ensureWidgetVisible(col, 20, 0)
        if focus:
            col.list.setFocus()
        return True

    # --- totals ---------------------------------------------------------------------------
    def _mark_dirty(self, stage_id) -> None:
        if stage_id is None:
            self._dirty = None
        elif self._dirty is not None:
            self._dirty.add(stage_id)
        self._totals_timer.start()

    def _update_dirty_totals(self) -> None:
        dirty, self._dirty = self._dirty, set()
        self.update_totals(dirty)

    def update_totals(self, stage_ids=None) -> None:
        """Column headers (``stage_ids``: only those; None: all) and the forecast strip."""
        for col in self.columns:  # closed cards live in the Won and Lost columns only
            if stage_ids is not None and col.stage.id not in stage_ids:
                continue
            col.set_totals(board_service.column_totals(col.proxy.cards()), self.currency)
        cards = [c for c in self.model.cards() if c.stage_id in self.writer.stage_probability]
        undated = [c for c in cards if c.status == OPEN and c.expected_close_date is None]
        self.forecast.set_months(board_service.forecast_by_month(cards, months=6), self.currency,
                                 (len(undated), board_service.column_totals(undated).amount))

    # --- keyboard moves ----------------------------------------------------------------------
    def _visual_delta(self, delta: int) -> int:
        return -delta if self.layoutDirection() == Qt.LayoutDirection.RightToLeft else delta

    def move_selected_sideways(self, delta: int) -> None:
        """``delta`` +1 = the stage visually to the right (the next one, or the previous one RTL)."""
        card = self.current_card()
        if card is None:
            return
        ids = [s.id for s in self.stages]
        i = ids.index(card.stage_id) + self._visual_delta(delta)
        if 0 <= i < len(ids):
            self.move_card(card.id, ids[i])

    def move_selected_vertically(self, delta: int) -> None:
        card = self.current_card()
        if card is None:
            return
        ids = self.column_ids(card.stage_id)
        i = ids.index(card.id) + delta
        if 0 <= i < len(ids):
            if delta < 0:
                self.move_card(card.id, card.stage_id, before_id=ids[i])
            else:
                self.move_card(card.id, card.stage_id, after_id=ids[i])

    def _focus_sideways(self, view: CardListView, delta: int) -> None:
        cols = [c.list for c in self.columns]
        i = cols.index(view) + self._visual_delta(delta)
        if not 0 <= i < len(cols):
            return
        target = cols[i]
        if target.model().rowCount() == 0:
            target.setFocus()
            return
        y = view.visualRect(view.currentIndex()).center().y() if view.currentIndex().isValid() else 0
        index = target.indexAt(QPoint(10, max(0, y)))
        if not index.isValid():
            index = target.model().index(target.model().rowCount() - 1 if y > 0 else 0, 0)
        target.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        target.setFocus()
