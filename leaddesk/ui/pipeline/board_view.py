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
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from PySide6.QtCore import QDate, QEvent, QItemSelectionModel, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QDrag, QKeySequence, QPainter, QPalette, QPen, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView, QFrame, QHBoxLayout, QLabel, QListView, QMenu, QScrollArea, QSizePolicy,
    QStyle, QStyleOptionViewItem, QVBoxLayout, QWidget,
)

from leaddesk.errors import ValidationError
from leaddesk.models.enums import OpportunityStatus
from leaddesk.services.pipeline import board as board_service
from leaddesk.services.pipeline import opportunities
from leaddesk.services.pipeline.board import Board, BoardCard, BoardStage, column_of
from leaddesk.ui.pipeline.card_delegate import OpportunityCardDelegate, _mix
from leaddesk.ui.formatting import display_locale, format_totals
from leaddesk.ui.pipeline.board_model import CARD_MIME_TYPE, BoardModel, new_card
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.pipeline.stage_column_proxy import StageColumnProxy
from leaddesk.ui.pipeline.board_commands import (
    BoardWriter,
    MoveCardCommand,
    close_command,
    create_command,
    delete_command,
    reopen_command,
    update_command,
)
from leaddesk.ui.pipeline.opportunity_dialogs import (
    Created,
    EditOpportunityDialog,
    LostDialog,
    NextStepDialog,
    ValuesDialog,
)

OPEN = OpportunityStatus.OPEN
WON, LOST = OpportunityStatus.WON, OpportunityStatus.LOST
#: Tints of the closed columns' background (mixed lightly into the window colour).
CLOSED_TINT = {WON: QColor("#2e7d32"), LOST: QColor("#8d6e63")}


class ElidedLabel(QLabel):
    """A one-line label that elides instead of growing (the full text is its tooltip)."""

    def __init__(self, text: str = "", parent=None):
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def minimumSizeHint(self) -> QSize:
        return QSize(10, super().minimumSizeHint().height())

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setLayoutDirection(Qt.LayoutDirection.LayoutDirectionAuto)  # the text's own direction
        painter.setFont(self.font())
        painter.setPen(self.palette().color(self.foregroundRole()))
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        align = QStyle.visualAlignment(self.layoutDirection(), self.alignment() & Qt.AlignmentFlag.AlignHorizontal_Mask)
        painter.drawText(rect, align | Qt.AlignmentFlag.AlignVCenter, text)


class CardListView(QListView):
    """One column's cards. Drops become ``card_dropped(card_id, stage_id, before_id, after_id)``."""

    card_dropped = Signal(object, object, object, object)
    #: +1 = the column visually to the right, -1 = to the left
    sideways_requested = Signal(int)

    def __init__(self, stage_id, parent=None):
        super().__init__(parent)
        self.stage_id = stage_id
        self._drop_line: int | None = None
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDropIndicatorShown(False)  # painted below, between cards
        self.setMouseTracking(True)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_Hover, True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setFrameShape(QFrame.Shape.NoFrame)

    def proxy(self) -> StageColumnProxy:
        return self.model()

    # --- drop position --------------------------------------------------------------------
    def neighbours_at(self, pos: QPoint, moving_id) -> tuple[object, object] | None:
        """``(before_id, after_id)`` for a card dropped at ``pos`` (one of them set, or both
        None for an empty column), or None when the card would stay where it is."""
        proxy = self.proxy()
        ids = [proxy.index(r, 0).data(Roles.ID) for r in range(proxy.rowCount())]
        index = self.indexAt(pos)
        if index.isValid():
            row = index.row()
            upper = pos.y() < self.visualRect(index).center().y()
            slot = row if upper else row + 1  # insert position among ``ids``
        else:
            slot = len(ids)
        if moving_id in ids:
            current = ids.index(moving_id)
            if slot in (current, current + 1):
                return None
        others = [i for i in ids if i != moving_id]
        slot -= sum(1 for i in ids[:slot] if i == moving_id)
        if not others:
            return None, None
        if slot < len(others):
            return others[slot], None
        return None, others[-1]

    def _line_for(self, pos: QPoint) -> int:
        index = self.indexAt(pos)
        if not index.isValid():
            last = self.proxy().rowCount() - 1
            return self.visualRect(self.proxy().index(last, 0)).bottom() if last >= 0 else 2
        rect = self.visualRect(index)
        return rect.top() if pos.y() < rect.center().y() else rect.bottom()

    @staticmethod
    def dragged_ids(mime) -> list[uuid.UUID]:
        if mime is None or not mime.hasFormat(CARD_MIME_TYPE):
            return []
        out = []
        for part in bytes(mime.data(CARD_MIME_TYPE)).decode("ascii", "ignore").split():
            try:
                out.append(uuid.UUID(part))
            except ValueError:
                continue
        return out

    # --- drag and drop ----------------------------------------------------------------------
    def startDrag(self, supported_actions) -> None:
        indexes = [i for i in self.selectedIndexes() if i.flags() & Qt.ItemFlag.ItemIsDragEnabled]
        if not indexes:
            return
        index = indexes[0]
        drag = QDrag(self)
        drag.setMimeData(self.model().mimeData([index]))
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        option.rect = self.visualRect(index)
        delegate = self.itemDelegate()
        if isinstance(delegate, OpportunityCardDelegate):
            drag.setPixmap(delegate.render_card(option, index))
            hot = self.viewport().mapFromGlobal(self.cursor().pos()) - option.rect.topLeft()
            drag.setHotSpot(hot if option.rect.translated(-option.rect.topLeft()).contains(hot) else QPoint(20, 10))
        drag.exec(Qt.DropAction.MoveAction)

    def dragEnterEvent(self, event) -> None:
        if self.dragged_ids(event.mimeData()):
            event.setDropAction(Qt.DropAction.MoveAction)
            event.accept()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if not self.dragged_ids(event.mimeData()):
            event.ignore()
            return
        super().dragMoveEvent(event)  # auto-scroll near the edges
        event.setDropAction(Qt.DropAction.MoveAction)
        event.accept()
        self._drop_line = self._line_for(event.position().toPoint())
        self.viewport().update()

    def dragLeaveEvent(self, event) -> None:
        super().dragLeaveEvent(event)
        self._drop_line = None
        self.viewport().update()

    def dropEvent(self, event) -> None:
        """The one path every drop takes (tests send a QDropEvent here too)."""
        self._drop_line = None
        self.viewport().update()
        self.stopAutoScroll()
        self.setState(QAbstractItemView.State.NoState)
        ids = self.dragged_ids(event.mimeData())
        if not ids:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.MoveAction)
        event.accept()
        place = self.neighbours_at(event.position().toPoint(), ids[0])
        card_in_column = self.proxy().row_of(ids[0]) >= 0
        if place is None and card_in_column:
            return
        before_id, after_id = place if place is not None else (None, None)
        self.card_dropped.emit(ids[0], self.stage_id, before_id, after_id)

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self._drop_line is None:
            return
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(self.palette().color(QPalette.ColorRole.Highlight))
        pen.setWidth(3)
        painter.setPen(pen)
        y = max(2, self._drop_line)
        painter.drawLine(8, y, self.viewport().width() - 8, y)

    # --- keyboard ---------------------------------------------------------------------------
    def keyPressEvent(self, event) -> None:
        if event.modifiers() == Qt.KeyboardModifier.NoModifier and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self.sideways_requested.emit(1 if event.key() == Qt.Key.Key_Right else -1)
            event.accept()
            return
        super().keyPressEvent(event)


class BoardColumn(QFrame):
    """Header (stage, probability, count, sum, weighted sum) over the column's card list.
    A closed column (``closed`` = WON or LOST; ``stage.id`` is then that status) shows the
    count and the total of the deals closed that way."""

    def __init__(self, stage: BoardStage, model: BoardModel, delegate, width: int, parent=None, *,
                 closed: OpportunityStatus | None = None):
        super().__init__(parent)
        self.setObjectName("closedColumn" if closed else "boardColumn")
        self.closed = closed
        self.stage = stage
        self.proxy = StageColumnProxy(stage.id, self)
        self.proxy.setSourceModel(model)
        self.title = ElidedLabel()
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.08)
        self.title.setFont(font)
        self.count = QLabel()
        self.count.setObjectName("columnCount")
        self.count.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.count.setMinimumWidth(26)
        self.amount = ElidedLabel()
        self.weighted = ElidedLabel()
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.title, 1)
        top.addWidget(self.count)
        header = QVBoxLayout()
        header.setContentsMargins(10, 8, 10, 6)
        header.setSpacing(2)
        header.addLayout(top)
        header.addWidget(self.amount)
        header.addWidget(self.weighted)
        self.list = CardListView(stage.id)
        self.list.setModel(self.proxy)
        self.list.setItemDelegate(delegate)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.list, 1)
        self.setMinimumWidth(width)
        self.setMaximumWidth(int(width * 1.3))
        self.set_stage(stage)
        self.apply_palette()

    def set_stage(self, stage: BoardStage) -> None:
        self.stage = stage
        self.title.setText(stage.name)
        self.list.setAccessibleName(self.tr("{0} column").format(stage.name))

    def set_totals(self, totals, currency: str) -> None:
        self.count.setText(str(totals.count))
        if self.closed is not None:
            self.amount.setText(format_totals(totals.amount, currency, compact=True))
            self.weighted.setText(self.tr("Most recently closed first"))
            self.amount.setToolTip(format_totals(totals.amount, currency))
            self.weighted.setToolTip("")
            self.setAccessibleName(self.tr("{0}: {1} opportunities, {2}").format(
                self.stage.name, totals.count, format_totals(totals.amount, currency)))
            return
        self.amount.setText(self.tr("{0}% · {1}").format(self.stage.probability,
                                                          format_totals(totals.amount, currency, compact=True)))
        self.weighted.setText(self.tr("Weighted {0}").format(format_totals(totals.weighted, currency, compact=True)))
        self.amount.setToolTip(format_totals(totals.amount, currency))
        self.weighted.setToolTip(format_totals(totals.weighted, currency))
        self.setAccessibleName(self.tr("{0}: {1} opportunities, {2}").format(
            self.stage.name, totals.count, format_totals(totals.amount, currency)))

    def apply_palette(self) -> None:
        pal = self.palette()
        window, text = pal.color(QPalette.ColorRole.Window), pal.color(QPalette.ColorRole.Text)
        bg = _mix(window, text, 0.06)
        if self.closed is not None:
            bg = _mix(bg, CLOSED_TINT[self.closed], 0.10)
        badge = _mix(window, text, 0.16)
        muted = _mix(text, window, 0.4)
        self.setStyleSheet(
            f"QFrame#{self.objectName()} {{ background: {bg.name()}; border-radius: 8px; }}"
            f"QLabel#columnCount {{ background: {badge.name()}; border-radius: 9px; padding: 1px 7px; }}")
        # Cards paint in Base; the list shows the column colour around them.
        lp = self.list.palette()
        lp.setColor(QPalette.ColorRole.Window, bg)
        self.list.setPalette(lp)
        self.list.viewport().setBackgroundRole(QPalette.ColorRole.Window)
        self.list.viewport().setAutoFillBackground(True)
        for label in (self.amount, self.weighted):
            p = label.palette()
            p.setColor(QPalette.ColorRole.WindowText, text if label is self.amount else muted)
            label.setPalette(p)


class ForecastStrip(QFrame):
    """Weighted and total amounts by expected close month (services.board.forecast_by_month)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("forecastStrip")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(self.tr("<b>Forecast</b><br>weighted<br>of total"))
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 10, 6)
        self._layout.setSpacing(18)
        self._layout.addWidget(self.title)
        self.cells: list[QLabel] = []
        self.months = []

    def set_months(self, months, currency: str, undated: tuple[int, dict]) -> None:
        self.months = list(months)
        for cell in self.cells:
            self._layout.removeWidget(cell)
            cell.deleteLater()
        self.cells = []
        pal = self.palette()
        muted = _mix(pal.color(QPalette.ColorRole.WindowText), pal.color(QPalette.ColorRole.Window), 0.4).name()
        loc = display_locale()
        for i, month in enumerate(self.months):
            label = (self.tr("Later") if i == 6 else loc.toString(QDate(month.month.year, month.month.month, 1),
                                                                    "MMM yyyy"))
            self._add_cell(label, format_totals(month.weighted, currency, compact=True, most=1),
                           format_totals(month.amount, currency, compact=True, most=1), month.count, muted,
                           self.tr("{0}: weighted {1} of {2}").format(label, format_totals(month.weighted, currency),
                                                                     format_totals(month.amount, currency)))
        count, amounts = undated
        if count:
            self._add_cell(self.tr("No close date"), "–", format_totals(amounts, currency, compact=True, most=1), count,
                           muted, self.tr("No close date: {0}").format(format_totals(amounts, currency)))
        self._layout.addStretch(1) if not self.cells else None

    def _add_cell(self, title: str, weighted: str, total: str, count: int, muted: str, tooltip: str) -> None:
        cell = QLabel(f"<b>{title}</b><br>{weighted}<br><span style='color:{muted}'>"
                      + self.tr("of {0} · {1}").format(total, count) + "</span>")
        cell.setTextFormat(Qt.TextFormat.RichText)
        cell.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        cell.setMinimumWidth(70)  # narrow windows clip a cell instead of widening the page
        cell.setToolTip(tooltip)
        self._layout.addWidget(cell, 1)
        self.cells.append(cell)


class BoardView(QWidget):
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

    # --- writes ---------------------------------------------------------------------------
    def on_card_dropped(self, card_id, column_id, before_id=None, after_id=None) -> None:
        """A drop: on a stage moves the card; on Won closes it as won; on Lost asks why."""
        if column_id == WON:
            self.close_won(card_id)
        elif column_id == LOST:
            self.close_lost(card_id)
        else:
            self.move_card(card_id, column_id, before_id, after_id)

    def move_card(self, card_id, stage_id, before_id=None, after_id=None) -> None:
        """Move a card to ``stage_id``, right above ``before_id`` or below ``after_id`` (or to
        the bottom of another column); undoable."""
        card = self.model.card(card_id)
        if card is None or card.status != OPEN or stage_id not in self.writer.stage_names:
            return
        if stage_id == card.stage_id and before_id is None and after_id is None:
            return
        db = self.db
        name = self.writer.stage_names[stage_id]
        text = (self.tr("Move “{0}” to {1}").format(card.name, name) if stage_id != card.stage_id
                else self.tr("Reorder “{0}”").format(card.name))
        follow = self._current is not None and self._current.hasFocus()

        def call(version):
            return opportunities.move_opportunity(db, card_id, stage_id, expected_version=version,
                                                  before_id=before_id, after_id=after_id)

        def done(detail, before) -> None:
            self.undo_stack.push(MoveCardCommand(self.writer, before, detail.stage_id, detail.board_rank, text))
            self.status_message.emit(text)
            if not self._placed_as_asked(card_id, stage_id, before_id, after_id):
                self.reload_requested.emit()  # the column was renumbered underneath us
            self.select_card(card_id, focus=follow)

        self.writer.submit(card_id, call, done=done)

    def _placed_as_asked(self, card_id, stage_id, before_id, after_id) -> bool:
        ids = self.column_ids(stage_id)
        if card_id not in ids:
            return False
        i = ids.index(card_id)
        if before_id is not None:
            return i + 1 < len(ids) and ids[i + 1] == before_id
        if after_id is not None:
            return i > 0 and ids[i - 1] == after_id
        return True

    def close_won(self, card_id) -> None:
        card = self.model.card(card_id)
        if card is None or card.status != OPEN:
            return
        db, text = self.db, self.tr("Close “{0}” as won").format(card.name)
        self.writer.submit(card_id, lambda version: opportunities.close_won(db, card_id, expected_version=version),
                           done=lambda detail, before: self._pushed(close_command(self.writer, before, detail, text)))

    def close_lost(self, card_id) -> LostDialog | None:
        """Ask for the reason (required) and a note, then close as lost."""
        card = self.model.card(card_id)
        if card is None or card.status != OPEN:
            return None
        dialog = LostDialog(self.db, card, self)
        db, text = self.db, self.tr("Close “{0}” as lost").format(card.name)

        def save(values: dict) -> None:
            self.writer.submit(
                card_id, lambda version: opportunities.close_lost(db, card_id, values["lost_reason_id"],
                                                                  note=values["note"], expected_version=version),
                done=lambda detail, before: (self._pushed(close_command(self.writer, before, detail, text)),
                                             dialog.finish()),
                failed=lambda exc: self._dialog_failed(dialog, exc))

        dialog.submitted.connect(save)
        dialog.open()
        return dialog

    def reopen(self, card_id) -> None:
        card = self.model.card(card_id)
        if card is None or card.status == OPEN:
            return
        db, text, was = self.db, self.tr("Reopen “{0}”").format(card.name), {}

        def call(version):
            was["detail"] = opportunities.get_opportunity(db, card_id)
            return opportunities.reopen(db, card_id, expected_version=version)

        self.writer.submit(card_id, call, done=lambda detail, before: self._pushed(
            reopen_command(self.writer, before, was["detail"], text)))

    def set_next_step(self, card_id) -> NextStepDialog | None:
        card = self.model.card(card_id)
        if card is None:
            return None
        dialog = NextStepDialog(card, self)
        old = {"next_step": card.next_step, "next_step_due": card.next_step_due}
        text = self.tr("Set next step of “{0}”").format(card.name)
        dialog.submitted.connect(lambda values: self._update(card_id, dialog, None, old, values, text))
        dialog.open()
        return dialog

    def edit_card(self, card_id) -> EditOpportunityDialog | None:
        card = self.model.card(card_id)
        if card is None:
            return None
        dialog = EditOpportunityDialog(self.db, card, self)
        text = self.tr("Edit “{0}”").format(card.name)

        def save(values: dict) -> None:
            if not values:
                dialog.finish()
                return
            self.writer.owner_names.update(dialog.owner_names)
            self._update(card_id, dialog, dialog.version, dialog.old_values(values), values, text)

        dialog.submitted.connect(save)
        dialog.open()
        return dialog

    def _update(self, card_id, dialog: ValuesDialog, version: int | None, old: dict, new: dict, text: str) -> None:
        """``update_opportunity`` with the dialog's values; ``version`` = the one the dialog
        loaded (None: the board's current one)."""
        db = self.db

        def call(current):
            return opportunities.update_opportunity(db, card_id, version if version is not None else current, **new)

        self.writer.submit(card_id, call, done=lambda detail, before: (
            self._pushed(update_command(self.writer, before, old, new, text)), dialog.finish()),
            failed=lambda exc: self._dialog_failed(dialog, exc))

    def delete_card(self, card_id) -> None:
        card = self.model.card(card_id)
        if card is None:
            return
        db, text = self.db, self.tr("Delete “{0}”").format(card.name)
        self.writer.submit(card_id,
                           lambda version: opportunities.delete_opportunity(db, card_id, expected_version=version),
                           done=lambda detail, before: self._pushed(delete_command(self.writer, before, text)))

    def add_created(self, created: Created, *, select: bool = True) -> None:
        """Show an opportunity just created (NewOpportunityDialog) and make it undoable."""
        d = created.detail
        if d.stage_id not in self.writer.stage_probability:
            return
        card = new_card(d, created.account_name, self.writer.owner_names.get(d.owner_id),
                        self.writer.stage_probability[d.stage_id])
        self.model.insert_card(card)
        self._pushed(create_command(self.writer, card, self.tr("Create “{0}”").format(d.name)))
        if select:
            self.select_card(card.id)

    def _pushed(self, command) -> None:
        self.undo_stack.push(command)
        self.status_message.emit(command.text())

    def _dialog_failed(self, dialog: ValuesDialog, exc: BaseException) -> bool:
        """Errors the user can fix in the dialog stay there; others close it and reload."""
        if isinstance(exc, ValidationError) and exc.field in dialog.fields:
            dialog.show_error(exc)
            return True
        if isinstance(dialog, EditOpportunityDialog) and not isinstance(exc, ValidationError):
            dialog.show_error(exc)  # conflict: the dialog offers to reload
            self.reload_requested.emit()
            return True
        dialog.reject()
        return False

    # --- context menu ---------------------------------------------------------------------------
    def context_menu(self, card: BoardCard) -> QMenu:
        menu = QMenu(self)
        is_open = card.status == OPEN
        menu.addAction(self.tr("&Edit…") + "\t" + QKeySequence(Qt.Key.Key_Return).toString(
            QKeySequence.SequenceFormat.NativeText), lambda: self.edit_card(card.id))
        menu.addAction(self.tr("Set &next step…"), lambda: self.set_next_step(card.id))
        move = menu.addMenu(self.tr("&Move to stage"))
        move.setEnabled(is_open)
        for stage in self.stages:
            action = move.addAction(f"{stage.name} ({stage.probability}%)",
                                    lambda sid=stage.id: self.move_card(card.id, sid))
            action.setEnabled(stage.id != card.stage_id)
        menu.addSeparator()
        menu.addAction(self.tr("Close as &won"), lambda: self.close_won(card.id)).setEnabled(is_open)
        menu.addAction(self.tr("Close as &lost…"), lambda: self.close_lost(card.id)).setEnabled(is_open)
        menu.addAction(self.tr("&Reopen"), lambda: self.reopen(card.id)).setEnabled(not is_open)
        menu.addSeparator()
        menu.addAction(self.act_delete)
        return menu

    def _context_menu(self, view: CardListView, pos: QPoint) -> None:
        index = view.indexAt(pos)
        if not index.isValid():
            index = view.currentIndex()
            if not index.isValid():
                return
            pos = view.visualRect(index).center()
        view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.context_menu(index.data(Roles.CARD)).exec(view.viewport().mapToGlobal(pos))

