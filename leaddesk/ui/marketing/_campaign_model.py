"""The events dialog's list: one row per campaign (:class:`CampaignRow` from the service),
read-only (edited in the event editor), and a filter proxy over every column's text."""

from __future__ import annotations

import datetime as dt
import uuid

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont

from leaddesk.services.marketing.campaigns import CampaignRow, period_of
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.marketing._texts import date_range_text, kind_text, money_text


def _tr(text: str) -> str:
    return QCoreApplication.translate("Events", text)


NAME, KIND, DATES, PLACE, COST, CAPTURED, LEADS, CPL = range(8)
_NUMERIC = {COST, CAPTURED, LEADS, CPL}


class CampaignTableModel(QAbstractTableModel):
    """Name | Kind | Dates | Place | Cost | Captured | Leads | Cost per lead; the current
    event's name in bold."""

    def __init__(self, parent=None, *, today: dt.date | None = None):
        super().__init__(parent)
        self._rows: list[CampaignRow] = []
        self._current: uuid.UUID | None = None
        self._today = today
        self._titles = (_tr("Name"), _tr("Kind"), _tr("Dates"), _tr("Place"), _tr("Cost"), _tr("Captured"),
                        _tr("Leads"), _tr("Cost per lead"))
        self._header_tips = {
            CAPTURED: _tr("People whose card (photo, QR code or vCard) was captured at this event"),
            LEADS: _tr("Contacts attributed to this campaign, whatever their stage now"),
            CPL: _tr("Cost divided by the leads (empty without a cost or a lead)"),
        }

    # --- content ------------------------------------------------------------------------------
    def set_rows(self, rows) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[CampaignRow]:
        return list(self._rows)

    def row_of(self, campaign_id) -> int:
        return next((i for i, r in enumerate(self._rows) if r.campaign.id == campaign_id), -1)

    def set_current(self, campaign_id: uuid.UUID | None) -> None:
        """Mark the current event (its name in bold)."""
        old, self._current = self._current, campaign_id
        for ident in {old, campaign_id} - {None}:
            row = self.row_of(ident)
            if row >= 0:
                index = self.index(row, NAME)
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.FontRole, Qt.ItemDataRole.ToolTipRole])

    @property
    def today(self) -> dt.date:
        return self._today or dt.date.today()

    # --- Qt's interface ----------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._titles)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._titles):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._titles[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._header_tips.get(section)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and column == NAME and row.campaign.id == self._current:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Roles.ROW:
            return row
        if role == Roles.ID:
            return row.campaign.id
        if role == Roles.SORT:
            return self._sort_key(row, column)
        return None

    def _display(self, row: CampaignRow, column: int) -> str:
        c = row.campaign
        if column == NAME:
            return c.name
        if column == KIND:
            return kind_text(c.kind)
        if column == DATES:
            return date_range_text(c.starts_on, c.ends_on, today=self.today)
        if column == PLACE:
            return c.location or ""
        if column == COST:
            return money_text(c.cost, c.currency)
        if column == CAPTURED:
            return str(row.captured)
        if column == LEADS:
            return str(row.leads)
        return money_text(row.cost_per_lead, c.currency)

    def _tooltip(self, row: CampaignRow, column: int) -> str | None:
        c = row.campaign
        if column == NAME:
            lines = [c.name]
            if c.id == self._current:
                lines.append(_tr("The current event: new captures are tagged with it."))
            if c.notes:
                lines.append(c.notes if len(c.notes) <= 300 else c.notes[:299] + "…")
            return "\n".join(lines)
        if column == DATES:
            period = period_of(c.starts_on, c.ends_on, self.today)
            return {"running": _tr("Running now"), "upcoming": _tr("Upcoming"), "past": _tr("Over"),
                    "undated": _tr("No dates")}[period]
        return None

    def _sort_key(self, row: CampaignRow, column: int):
        c = row.campaign
        if column == DATES:
            return (c.starts_on or dt.date.min).toordinal()
        if column == COST:
            return float(c.cost or 0)
        if column == CAPTURED:
            return row.captured
        if column == LEADS:
            return row.leads
        if column == CPL:
            return float(row.cost_per_lead or 0)
        return self._display(row, column).casefold()


class CampaignFilterProxy(QSortFilterProxyModel):
    """Keeps the rows whose text (any column) holds every word typed in the filter box."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._words: list[str] = []
        self.setSortRole(Roles.SORT)

    def set_filter_text(self, text: str) -> None:
        self.beginFilterChange()
        self._words = [w.casefold() for w in text.split()]
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        if not self._words:
            return True
        model = self.sourceModel()
        text = " ".join(str(model.index(source_row, col, source_parent).data() or "")
                        for col in range(model.columnCount(source_parent))).casefold()
        notes = model.index(source_row, NAME, source_parent).data(Roles.ROW).campaign.notes or ""
        text += " " + notes.casefold()
        return all(w in text for w in self._words)
