"""The rule editor's list of scoring rules: name, fit/interest, the criterion and its
parameters in words, the points with their sign, and whether the rule is active."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, Qt

from leaddesk.services.qualification import rule_forms
from leaddesk.services.qualification.dto import RuleInfo
from leaddesk.services.qualification.scoring_criteria import CRITERIA
from leaddesk.ui.itemmodels.roles import Roles

NAME, FAMILY, CRITERION, PARAMS, POINTS, ACTIVE = range(6)


def _tr(text: str) -> str:
    return QCoreApplication.translate("RuleEditor", text)


def family_label(family) -> str:
    return _tr("Fit") if str(family) == "fit" else _tr("Interest")


class RulesModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.rules: list[RuleInfo] = []
        self.persona_names: dict[str, str] = {}
        self.indicator_names: dict[str, str] = {}
        self.headers = [_tr("Rule"), _tr("Family"), _tr("Criterion"), _tr("Parameters"), _tr("Points"), _tr("Active")]

    def set_rules(self, rules: list[RuleInfo], persona_names: dict[str, str],
                  indicator_names: dict[str, str] | None = None) -> None:
        self.beginResetModel()
        self.rules = list(rules)
        self.persona_names = dict(persona_names)
        self.indicator_names = dict(indicator_names or {})
        self.endResetModel()

    def row_of(self, rule_id) -> int:
        return next((i for i, r in enumerate(self.rules) if r.id == rule_id), -1)

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rules)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self.headers):
            return self.headers[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.rules):
            return None
        rule, column = self.rules[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(rule, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == POINTS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and (not rule.active or rule.deleted):
            from PySide6.QtGui import QPalette
            from PySide6.QtWidgets import QApplication

            return QApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        if role == Qt.ItemDataRole.ToolTipRole and column == CRITERION and rule.criterion in CRITERIA:
            return CRITERIA[rule.criterion].help
        if role == Qt.ItemDataRole.ToolTipRole and column in (NAME, PARAMS):
            return self._text(rule, column)
        if role == Roles.ROW:
            return rule
        if role == Roles.ID:
            return rule.id
        return None

    def _text(self, rule: RuleInfo, column: int) -> str:
        if column == NAME:
            return rule.name
        if column == FAMILY:
            return family_label(rule.family)
        if column == CRITERION:
            return rule_forms.criterion_label(rule.criterion)
        if column == PARAMS:
            return rule_forms.describe_params(rule.criterion, rule.params, persona_names=self.persona_names,
                                              indicator_names=self.indicator_names)
        if column == POINTS:
            return f"{rule.points:+d}"
        return _tr("Yes") if rule.active else _tr("No")
