"""The table of :mod:`leaddesk.ui.qualification.learning_dialog`: one row per scoring rule
(and per HPI written as a rule), with its record on won and lost leads and the points the
evidence proposes. The proposed points are editable and each rule has an accept box."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, Qt
from PySide6.QtGui import QFont

from leaddesk.services.qualification.learning import INDICATOR, Evidence, LearningReport
from leaddesk.ui.itemmodels.roles import Roles

POINT_LIMIT = 100
ACCEPT, RULE, POINTS, WON, LOST, RATES, LIFT, PROPOSED, NOTE = range(9)


def _tr(text: str) -> str:
    return QCoreApplication.translate("LearningDialog", text)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def lift_text(e: Evidence) -> str:
    c = e.counts
    if c.lift is None:
        return "–"
    low, high = c.lift_interval
    return f"{c.lift:.2f}  ({low:.2f}–{high:.2f})"


class LearningTableModel(QAbstractTableModel):
    """Accept | Rule | Points now | Won (holds) | Lost (holds) | Win rate with / without |
    Lift (95% range) | Proposed | Note."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.report: LearningReport | None = None
        self._rows: list[Evidence] = []
        self._proposed: list[int | None] = []
        self._checked: list[bool] = []
        self._titles = (_tr("Accept"), _tr("Rule"), _tr("Points now"), _tr("Won (holds)"), _tr("Lost (holds)"),
                        _tr("Win rate with / without"), _tr("Lift (95% range)"), _tr("Proposed"), _tr("Note"))
        self._tips = (
            _tr("Tick the proposals to apply."),
            _tr("The scoring rule (or HPI) checked on every closed lead."),
            _tr("The rule's points today."),
            _tr("Won leads on which the rule holds (of all won leads)."),
            _tr("Lost leads on which the rule holds (of all lost leads)."),
            _tr("Share of closed leads won when the rule holds / when it does not."),
            _tr("Win rate when the rule holds ÷ the overall win rate, with its 95% range: above 1 the rule "
                "goes with wins, below 1 with losses; a range across 1 is not clear evidence."),
            _tr("Points the evidence gives (editable)."),
            _tr("Why nothing is proposed, when it is not."),
        )

    # --- content --------------------------------------------------------------------------
    def set_report(self, report: LearningReport) -> None:
        self.beginResetModel()
        self.report = report
        self._rows = list(report.rows)
        self._proposed = [e.proposed for e in self._rows]
        self._checked = [False] * len(self._rows)
        self.endResetModel()

    def evidence(self, row: int) -> Evidence:
        return self._rows[row]

    def proposed(self, row: int) -> int | None:
        return self._proposed[row]

    def accepted(self) -> list[tuple]:
        """(rule id, points, expected version) of the ticked rows whose points would change."""
        return [(e.id, p, e.version) for e, p, on in zip(self._rows, self._proposed, self._checked)
                if on and p is not None and p != e.points]

    def check_proposals(self) -> None:
        """Tick every row with a proposal that changes the points."""
        for row, e in enumerate(self._rows):
            if self._editable(e) and self._proposed[row] is not None and self._proposed[row] != e.points:
                self._checked[row] = True
        if self._rows:
            self.dataChanged.emit(self.index(0, ACCEPT), self.index(len(self._rows) - 1, ACCEPT),
                                  [Qt.ItemDataRole.CheckStateRole])

    @staticmethod
    def _editable(e: Evidence) -> bool:
        return e.kind != INDICATOR

    # --- Qt -------------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._titles)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._titles):
            if role == Qt.ItemDataRole.DisplayRole:
                return self._titles[section]
            if role == Qt.ItemDataRole.ToolTipRole:
                return self._tips[section]
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self._editable(self._rows[index.row()]):
            if index.column() == ACCEPT:
                return base | Qt.ItemFlag.ItemIsUserCheckable
            if index.column() == PROPOSED:
                return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, col = index.row(), index.column()
        e = self._rows[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, col, e)
        if role == Qt.ItemDataRole.EditRole and col == PROPOSED:
            proposed = self._proposed[row]
            return proposed if proposed is not None else (e.points or 0)
        if role == Qt.ItemDataRole.CheckStateRole and col == ACCEPT and self._editable(e):
            return Qt.CheckState.Checked if self._checked[row] else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (POINTS, WON, LOST, RATES, LIFT, PROPOSED):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and col in (RULE, NOTE, PROPOSED):
            return e.note or None
        if role == Qt.ItemDataRole.FontRole and col == PROPOSED and self._changes(row, e):
            font = QFont()
            font.setBold(True)
            return font
        if role == Roles.ID:
            return e.id
        return None

    def _changes(self, row: int, e: Evidence) -> bool:
        return self._proposed[row] is not None and self._editable(e) and self._proposed[row] != e.points

    def _display(self, row: int, col: int, e: Evidence):
        c = self.report
        if col == RULE:
            return e.name if e.kind != INDICATOR else _tr("HPI: {0}").format(e.name)
        if col == POINTS:
            return "–" if e.points is None else f"{e.points:+d}"
        if col == WON:
            return f"{e.counts.won_hit} / {c.won}"
        if col == LOST:
            return f"{e.counts.lost_hit} / {c.lost}"
        if col == RATES:
            return f"{_percent(e.counts.win_rate_hit)} / {_percent(e.counts.win_rate_miss)}"
        if col == LIFT:
            return lift_text(e)
        if col == PROPOSED:
            proposed = self._proposed[row]
            return "–" if proposed is None else f"{proposed:+d}"
        if col == NOTE:
            return e.note or ""
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or not self.flags(index) & (Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable):
            return False
        row, col = index.row(), index.column()
        if col == ACCEPT and role == Qt.ItemDataRole.CheckStateRole:
            self._checked[row] = Qt.CheckState(value) == Qt.CheckState.Checked
            self.dataChanged.emit(index, index, [role])
            return True
        if col == PROPOSED and role == Qt.ItemDataRole.EditRole:
            try:
                points = int(str(value).strip().lstrip("+"))
            except ValueError:
                return False
            if not -POINT_LIMIT <= points <= POINT_LIMIT:
                return False
            self._proposed[row] = points
            self._checked[row] = points != self._rows[row].points  # an edit is meant to be applied
            self.dataChanged.emit(index, index)
            accept = self.index(row, ACCEPT)
            self.dataChanged.emit(accept, accept, [Qt.ItemDataRole.CheckStateRole])
            return True
        return False

