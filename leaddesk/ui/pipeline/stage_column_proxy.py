"""One board column: the cards of one stage, top to bottom by rank; or, for the Won and
Lost columns, the cards closed that way, most recently closed first."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt

from leaddesk.services.pipeline.board import BoardCard
from leaddesk.ui.pipeline.board_model import BoardModel
from leaddesk.ui.itemmodels.roles import Roles


class StageColumnProxy(QSortFilterProxyModel):
    """Accepts the cards whose ``Roles.COLUMN`` is ``stage_id`` (a stage's id, or
    ``OpportunityStatus.WON``/``LOST`` for the closed columns), sorted by ``board_rank`` (ties
    by id, as the service orders them; closed cards by when they were closed, newest first).
    Dynamic: a ``dataChanged`` with the column or card role moves the card in or out of the
    column and into place."""

    def __init__(self, stage_id, parent=None):
        super().__init__(parent)
        self.stage_id = stage_id
        self.setFilterRole(Roles.COLUMN)
        self.setSortRole(Roles.CARD)
        self.setDynamicSortFilter(True)

    def setSourceModel(self, model) -> None:
        super().setSourceModel(model)
        self.sort(0, Qt.SortOrder.AscendingOrder)

    def _card(self, source_row: int) -> BoardCard:
        model = self.sourceModel()
        if isinstance(model, BoardModel):  # fast path: no QVariant round trip per comparison
            return model.card_at(source_row)
        return model.index(source_row, 0).data(Roles.CARD)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:
        model = self.sourceModel()
        if isinstance(model, BoardModel):  # precomputed per row: called ~50,000 times per load
            return model.stage_of_row[source_row] == self.stage_id
        return model.index(source_row, 0, source_parent).data(Roles.COLUMN) == self.stage_id

    def lessThan(self, left: QModelIndex, right: QModelIndex) -> bool:
        model = self.sourceModel()
        if isinstance(model, BoardModel):  # (rank, id) precomputed per row
            keys = model.sort_key_of_row
            return keys[left.row()] < keys[right.row()]
        a, b = self._card(left.row()), self._card(right.row())
        if a.closed_at is not None and b.closed_at is not None and a.closed_at != b.closed_at:
            return a.closed_at > b.closed_at
        if a.board_rank != b.board_rank:
            return a.board_rank < b.board_rank
        return a.id.bytes < b.id.bytes

    # --- conveniences for the view --------------------------------------------------------
    def card_at(self, row: int) -> BoardCard:
        return self.index(row, 0).data(Roles.CARD)

    def cards(self) -> list[BoardCard]:
        source = self.sourceModel()
        if isinstance(source, BoardModel):
            return [source.card_at(self.mapToSource(self.index(r, 0)).row()) for r in range(self.rowCount())]
        return [self.index(r, 0).data(Roles.CARD) for r in range(self.rowCount())]

    def row_of(self, card_id) -> int:
        source = self.sourceModel()
        if not isinstance(source, BoardModel):
            return next((r for r in range(self.rowCount()) if self.index(r, 0).data(Roles.ID) == card_id), -1)
        src = source.index_of(card_id)
        return self.mapFromSource(src).row() if src.isValid() else -1
