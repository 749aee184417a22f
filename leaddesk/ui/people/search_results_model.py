"""The hits of the global search, as a flat list (a contact's score, temperature and persona
are part of its text)."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt

from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.qualification.temperature import grade_label

ENTITY_LABELS = {
    "contact": QCoreApplication.translate("search", "Contact"),
    "account": QCoreApplication.translate("search", "Account"),
    "opportunity": QCoreApplication.translate("search", "Opportunity"),
}


def lead_summary(hit) -> str:
    """"42 · Hot · Economic buyer" for a scored contact hit (no persona: "42 · Hot"), else ""."""
    if getattr(hit, "score", None) is None or not getattr(hit, "grade", None):
        return ""
    parts = [str(hit.score), grade_label(hit.grade)]
    if hit.persona_name:
        parts.append(hit.persona_name)
    return "  ·  ".join(parts)


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
            text = f"{hit.title}  —  {hit.subtitle}  ·  {kind}" if hit.subtitle else f"{hit.title}  ·  {kind}"
            lead = lead_summary(hit)
            return f"{text}  ·  {lead}" if lead else text
        if role == Qt.ItemDataRole.ToolTipRole:
            lead = lead_summary(hit)
            if not lead:
                return hit.subtitle
            return f"{hit.subtitle}\n{lead}" if hit.subtitle else lead
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
