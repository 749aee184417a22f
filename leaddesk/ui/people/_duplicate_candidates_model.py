"""The duplicate review's queue as an item model: open pairs of one kind, surest first.

Apart from the dialog (item models apart from widgets): it only reads the candidates the
dialog's read job hands it.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QLocale, QModelIndex, QPersistentModelIndex, Qt

from leaddesk.services.people import account_duplicates
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.people._duplicate_terms import CONTACT, KINDS, REASON_KINDS, tr


class DuplicateCandidatesModel(QAbstractTableModel):
    """Open candidate pairs of one kind (contacts or accounts): name A, name B, score, reasons."""

    NAME_A, NAME_B, SCORE, REASONS = range(4)
    HEADERS = ("Contact", "Looks like", "Score", "Why")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list = []
        self.kind = CONTACT

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self.HEADERS):
            return tr(KINDS[self.kind][0] if section == self.NAME_A else self.HEADERS[section])
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        cand = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.NAME_A:
                return cand.a.display_name
            if col == self.NAME_B:
                return cand.b.display_name
            if col == self.SCORE:
                return QLocale().toString(cand.score)
            if col == self.REASONS:
                return " · ".join(_reason_kind(r) for r in cand.reasons)
        elif role == Qt.ItemDataRole.ToolTipRole:
            if col in (self.NAME_A, self.NAME_B):
                return _with_company(cand.a if col == self.NAME_A else cand.b)
            return "\n".join(cand.reasons)
        elif role == Qt.ItemDataRole.TextAlignmentRole and col == self.SCORE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        elif role == Roles.ROW:
            return cand
        elif role == Roles.ID:
            return cand.id
        elif role == Roles.SORT:
            return cand.score
        return None

    def set_candidates(self, rows, kind: str = CONTACT) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()
        if kind != self.kind:
            self.kind = kind
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, self.NAME_A, self.NAME_A)

    def candidate(self, row: int):
        return self._rows[row]

    def row_of(self, candidate_id) -> int:
        return next((i for i, c in enumerate(self._rows) if c.id == candidate_id), -1)


def _reason_kind(reason: str) -> str:
    kind = reason.split(":", 1)[0]
    return tr(REASON_KINDS.get(kind, kind))


def _with_company(side) -> str:
    if isinstance(side, account_duplicates.AccountSide):
        return " · ".join(x for x in (side.display_name, side.domain, side.place) if x)
    return f"{side.display_name} · {side.company}" if side.company else side.display_name
