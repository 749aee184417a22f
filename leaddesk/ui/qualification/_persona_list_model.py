"""The persona editor's list: one row per live persona, by name; the "avoid" profiles
(who ends closed-lost) marked so a manager never mistakes one for a buyer persona."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from leaddesk.services.qualification.dto import PersonaDetail
from leaddesk.ui.itemmodels.roles import Roles

#: The avoid profiles' text colour (a muted red, readable on light and dark themes).
AVOID_COLOUR = QColor("#b3261e")

_Index = QModelIndex | QPersistentModelIndex


class PersonaListModel(QAbstractListModel):
    """Rows are :class:`PersonaDetail`; :meth:`set_personas` replaces them all."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.personas: list[PersonaDetail] = []

    def set_personas(self, personas) -> None:
        self.beginResetModel()
        self.personas = list(personas)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.personas)

    def row_of(self, persona_id) -> int:
        return next((i for i, p in enumerate(self.personas) if p.id == persona_id), -1)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.personas) or index.column() != 0:
            return None
        p = self.personas[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.tr("{0} — avoid").format(p.name) if p.avoid else p.name
        if role == Qt.ItemDataRole.ToolTipRole:
            if p.avoid:
                return self.tr("An \"avoid\" profile: who tends to end closed-lost. Leads are never "
                               "matched to it automatically.")
            return p.description or None
        if role == Qt.ItemDataRole.ForegroundRole and p.avoid:
            return QBrush(AVOID_COLOUR)
        if role == Qt.ItemDataRole.FontRole and p.avoid:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Roles.ROW:
            return p
        if role == Roles.ID:
            return p.id
        return None
