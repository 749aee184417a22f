"""One board column's list of cards: where a dragged card would land between its
neighbours, the drag itself (a picture of the card), the drop line painted between cards,
and the Left/Right keys that hand the focus to the next column.

Apart from the board (:mod:`.board_view`) because it knows nothing of stages or writes: a
drop only becomes ``card_dropped(card_id, stage_id, before_id, after_id)`` for the board.
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QDrag, QPainter, QPalette, QPen
from PySide6.QtWidgets import QAbstractItemView, QFrame, QListView, QStyleOptionViewItem

from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.pipeline.board_model import CARD_MIME_TYPE
from leaddesk.ui.pipeline.card_delegate import OpportunityCardDelegate
from leaddesk.ui.pipeline.stage_column_proxy import StageColumnProxy


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
