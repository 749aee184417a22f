"""The hits of the global search, as a flat list."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt

from leaddesk.ui.itemmodels.roles import Roles

ENTITY_LABELS = {
    "contact": QCoreApplication.translate("search", "Contact"),
    "account": QCoreApplication.translate("search", "Account"),
    "opportunity": QCoreApplication.translate("search", "Opportunity"),
}


class SearchResultsModel(QAbstractListModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._hits: list = []

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._hits):
            return None
        hit = self._hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            kind = QCoreApplication.translate("search", ENTITY_LABELS.get(hit.entity, hit.entity))
            return f"{hit.title}  —  {hit.subtitle}  ·  {kind}" if hit.subtitle else f"{hit.title}  ·  {kind}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return hit.subtitle
        if role == Roles.ROW:
            return hit
        if role == Roles.ID:
            return hit.id
        return None

    def set_hits(self, hits) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self.endResetModel()

    def hit(self, row: int):
        return self._hits[row]
