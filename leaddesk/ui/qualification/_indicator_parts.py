"""The HPI editor's parts: the table of HPIs (a Qt item model) and the rule's parameters
form, one simple editor per kind of parameter of the scoring engine's criteria (a list of
words, a number, an engagement kind, a persona). Local to the HPI editor on purpose: the
scoring rule editor has its own."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QSpinBox, QVBoxLayout, QWidget

from leaddesk.models.enums import EngagementKind, LifecycleStage, Seniority
from leaddesk.services.qualification.indicators import IndicatorInfo
from leaddesk.services.qualification.scoring_criteria import CRITERIA

#: Criteria an HPI may use (all of scoring's but hpi_met), in menu order, with menu text.
CRITERION_TEXT = {
    "job_title_contains": "Job title contains", "seniority_in": "Seniority is", "department_in": "Department is",
    "industry_in": "Industry is", "employees_between": "Employees between", "country_in": "Country is",
    "email_domain_in": "E-mail domain is", "free_email": "Only free web-mail", "competitor_domain":
    "E-mail at a competitor", "engagement": "Engagement", "persona_match": "Persona is", "lifecycle_in": "Stage is",
}
assert set(CRITERION_TEXT) == set(CRITERIA) - {"hpi_met"}, "name the new criterion here"
LIST_KEYS = ("words", "values", "domains")
NUMBER_KEYS = {"min": "Smallest:", "max": "Largest:", "min_count": "At least (times):", "within_days": "In the last (days):"}
VALUE_HINTS = {"seniority_in": ", ".join(s.value for s in Seniority),
               "lifecycle_in": ", ".join(s.value for s in LifecycleStage)}


def _tr(text: str) -> str:
    return QCoreApplication.translate("IndicatorEditor", text)


def rule_text(h: IndicatorInfo) -> str:
    """"Employees between: 250 – any", "Engagement: pricing page visit ×2 in 14 days"."""
    if not h.checkable:
        return _tr("Written only (not checkable)")
    p = h.params or {}
    head = _tr(CRITERION_TEXT.get(h.criterion, h.criterion))
    if h.criterion == "employees_between":
        return f"{head}: {p.get('min') if p.get('min') is not None else _tr('any')} – " \
               f"{p.get('max') if p.get('max') is not None else _tr('any')}"
    if h.criterion == "engagement":
        days = _tr(" in {0} days").format(p["within_days"]) if p.get("within_days") else ""
        return f"{head}: {p['kind'].replace('_', ' ')} ×{p['min_count']}{days}"
    for key in LIST_KEYS:
        if p.get(key):
            return f"{head}: {', '.join(p[key])}"
    return head


@dataclass(frozen=True)
class HpiRow:
    hpi: IndicatorInfo
    #: Leads meeting it now; None while counting (or written only).
    leads: int | None = None


class HpiTableModel(QAbstractTableModel):
    HEADERS = ("HPI", "Rule", "Active", "Leads meeting")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[IndicatorInfo] = []
        self.counts: dict[uuid.UUID, int] | None = None

    def set_rows(self, rows: list[IndicatorInfo]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.counts = None
        self.endResetModel()

    def set_counts(self, counts: dict[uuid.UUID, int] | None) -> None:
        self.counts = counts
        if self.rows:
            self.dataChanged.emit(self.index(0, 3), self.index(len(self.rows) - 1, 3))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self.HEADERS):
            return _tr(self.HEADERS[section])
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        h, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return h.name
            if column == 1:
                return rule_text(h)
            if column == 2:
                return _tr("Active") if h.active else _tr("Retired")
            if column == 3:
                if not h.checkable:
                    return "—"
                return _tr("counting…") if self.counts is None else f"{self.counts.get(h.id, 0):,}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return rule_text(h) if column == 1 else h.description or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and not h.active:
            from PySide6.QtWidgets import QApplication

            return QApplication.palette().placeholderText()
        if role == Qt.ItemDataRole.UserRole:
            return h
        return None


class ParamsForm(QWidget):
    """The parameters of one criterion: a field per parameter the criterion takes."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(0, 0, 0, 0)
        self.page: QWidget | None = None
        self.layout_ = QFormLayout()
        self.criterion: str | None = None
        self.widgets: dict[str, QWidget] = {}
        self.personas: list = []

    def set_personas(self, personas) -> None:
        self.personas = list(personas)

    def show_criterion(self, criterion: str | None, params: dict | None = None) -> None:
        """Build a fresh page of fields for ``criterion`` (None: written only), filled with ``params``."""
        if self.page is not None:
            self.outer.removeWidget(self.page)
            self.page.hide()  # gone now; deleted when the event loop gets to it
            self.page.deleteLater()
        self.page = QWidget(self)
        self.layout_ = QFormLayout(self.page)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.outer.addWidget(self.page)
        self.widgets = {}
        self.criterion = criterion
        self._fill_page(criterion, params)
        self.page.show()

    def _fill_page(self, criterion: str | None, params: dict | None) -> None:
        if criterion is None:
            note = QLabel(_tr("A written HPI: the team checks it by asking. Leads cannot be matched against it."))
            note.setWordWrap(True)
            self.layout_.addRow(note)
            return
        params = params or {}
        spec = CRITERIA[criterion]
        for key in spec.keys:
            widget = self._widget(criterion, key, params.get(key))
            widget.setObjectName(f"param_{key}")
            self.widgets[key] = widget
            self.layout_.addRow(self._label(criterion, key), widget)
        help_label = QLabel(spec.help)
        help_label.setWordWrap(True)
        help_label.setEnabled(False)
        self.layout_.addRow(help_label)

    def _label(self, criterion: str, key: str) -> str:
        if key in NUMBER_KEYS:
            return _tr(NUMBER_KEYS[key])
        return {"kind": _tr("Kind:"), "persona_id": _tr("Persona:"), "words": _tr("Words:"),
                "domains": _tr("Domains:")}.get(key, _tr("Values:"))

    def _widget(self, criterion: str, key: str, value) -> QWidget:
        if key in LIST_KEYS:
            edit = QLineEdit(", ".join(value) if isinstance(value, list) else (value or ""))
            edit.setPlaceholderText(VALUE_HINTS.get(criterion, _tr("comma-separated, e.g. logistics, retail")))
            return edit
        if key in NUMBER_KEYS:
            spin = QSpinBox()
            optional = key in ("min", "max", "within_days")
            spin.setRange(0 if optional else 1, 1_000_000)
            if optional:
                spin.setSpecialValueText(_tr("any"))  # 0 = no limit
            spin.setValue(int(value) if value is not None else (0 if optional else 1))
            return spin
        if key == "kind":
            combo = QComboBox()
            for kind in EngagementKind:
                combo.addItem(kind.value.replace("_", " "), kind.value)
            combo.setCurrentIndex(max(0, combo.findData(value or EngagementKind.PRICING_PAGE_VISIT.value)))
            return combo
        combo = QComboBox()  # persona_id
        for persona in self.personas:
            combo.addItem(persona.name, str(persona.id))
        combo.setCurrentIndex(max(0, combo.findData(value)) if value else 0)
        return combo

    def params(self) -> dict:
        out = {}
        for key, widget in self.widgets.items():
            if isinstance(widget, QLineEdit):
                out[key] = [x.strip() for x in widget.text().split(",") if x.strip()]
            elif isinstance(widget, QSpinBox):
                if widget.value() or key not in ("min", "max", "within_days"):
                    out[key] = widget.value()
            elif isinstance(widget, QComboBox):
                out[key] = widget.currentData()
        return out
