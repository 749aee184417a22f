"""My day as a Qt table model: section rows (SLA breaches, overdue, due today, upcoming)
each followed by its activities.

Flat rows, so the view stays a plain table: a section row spans the columns and cannot be
selected; an activity row carries its :class:`~leaddesk.services.followups.agenda.AgendaItem`
under ``Roles.ROW``. Overdue rows say so in words ("overdue by 2 days") and in colour (the
theme's red for light or dark), so the mark never depends on colour alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QLocale, QModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette

from leaddesk.models.enums import ActivityKind
from leaddesk.services.followups.agenda import Agenda, AgendaItem
from leaddesk.ui.formatting import display_locale, format_date
from leaddesk.ui.itemmodels.roles import Roles

COLUMNS = ("when", "what", "with", "status")
WHEN, WHAT, WITH, STATUS = range(4)
#: The sections in the order they show. "breaches" only appears when the agenda carries
#: SLA breaches (an attribute ``breaches``: a list of AgendaItem-like rows, added by the SLA
#: timers); the others are day_agenda's buckets.
SECTIONS = ("breaches", "overdue", "today", "upcoming")
#: Roles.SORT holds the section key of a row ("overdue", ...) for tests and the delegate.
SECTION_ROLE = Roles.SORT


@dataclass(frozen=True)
class _Row:
    section: str
    item: AgendaItem | None = None  # None: the section's title row
    count: int = 0


def overdue_colour(palette: QPalette | None = None) -> QColor:
    """The red that marks late work, readable on the palette's base (light or dark)."""
    palette = palette or QGuiApplication.palette()
    dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
    return QColor("#ef5350" if dark else "#c62828")


class DayModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[_Row] = []
        self._agenda: Agenda | None = None
        self._locale: QLocale = display_locale()

    # --- content --------------------------------------------------------------------------
    def set_agenda(self, agenda: Agenda) -> None:
        self.beginResetModel()
        self._agenda = agenda
        rows: list[_Row] = []
        for key in SECTIONS:
            items = list(getattr(agenda, key, None) or [])
            if key == "breaches" and not items:
                continue  # no SLA section unless the service reports breaches
            rows.append(_Row(key, None, len(items)))
            rows.extend(_Row(key, item) for item in items)
        self._rows = rows
        self.endResetModel()

    @property
    def agenda(self) -> Agenda | None:
        return self._agenda

    def item_at(self, row: int) -> AgendaItem | None:
        return self._rows[row].item if 0 <= row < len(self._rows) else None

    def section_at(self, row: int) -> str | None:
        return self._rows[row].section if 0 <= row < len(self._rows) else None

    def is_title(self, row: int) -> bool:
        return 0 <= row < len(self._rows) and self._rows[row].item is None

    def row_of(self, activity_id) -> int:
        for i, r in enumerate(self._rows):
            if r.item is not None and r.item.id == activity_id:
                return i
        return -1

    def items_in(self, section: str) -> list[AgendaItem]:
        return [r.item for r in self._rows if r.section == section and r.item is not None]

    # --- Qt -------------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(COLUMNS):
            return (self.tr("When"), self.tr("What"), self.tr("With"), self.tr("Status"))[section]
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if self._rows[index.row()].item is None:
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        row = self._rows[index.row()]
        if role == SECTION_ROLE:
            return row.section
        if row.item is None:
            return self._title_data(row, index.column(), role)
        item = row.item
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(row, index.column(), accessible=role == Qt.ItemDataRole.AccessibleTextRole)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        if role == Qt.ItemDataRole.ForegroundRole and row.section in ("overdue", "breaches") \
                and index.column() in (WHEN, STATUS):
            return overdue_colour()
        if role == Qt.ItemDataRole.FontRole and row.section in ("overdue", "breaches") and index.column() == STATUS:
            font = QFont()
            font.setBold(True)
            return font
        if role == Roles.ROW:
            return item
        if role == Roles.ID:
            return item.id
        return None

    # --- text -----------------------------------------------------------------------------
    def section_title(self, key: str) -> str:
        return {"breaches": self.tr("SLA breaches"), "overdue": self.tr("Overdue"),
                "today": self.tr("Due today"), "upcoming": self.tr("Upcoming")}[key]

    def _title_data(self, row: _Row, column: int, role):
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column != 0:
                return None
            if row.count == 0:
                empty = {"breaches": "", "overdue": self.tr("nothing late"), "today": self.tr("nothing left today"),
                         "upcoming": self.tr("nothing planned this week")}[row.section]
                return f"{self.section_title(row.section)} · {empty}"
            return f"{self.section_title(row.section)} · {row.count}"
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and row.section in ("overdue", "breaches") and row.count:
            return overdue_colour()
        return None

    def kind_label(self, kind: ActivityKind) -> str:
        return {ActivityKind.CALL: self.tr("Call"), ActivityKind.EMAIL: self.tr("E-mail"),
                ActivityKind.MEETING: self.tr("Meeting"), ActivityKind.TASK: self.tr("Task"),
                ActivityKind.NOTE: self.tr("Note")}.get(kind, str(kind))

    def when_text(self, item: AgendaItem) -> str:
        local = item.local_due
        today = self._agenda.day if self._agenda is not None else dt.date.today()
        time = self._locale.toString(local.time().replace(tzinfo=None), QLocale.FormatType.ShortFormat)
        if local.date() == today:
            return time
        if local.date() == today + dt.timedelta(days=1):
            return self.tr("Tomorrow {0}").format(time)
        if local.date() == today - dt.timedelta(days=1):
            return self.tr("Yesterday {0}").format(time)
        return f"{self._locale.dayName(local.isoweekday(), QLocale.FormatType.ShortFormat)} " \
               f"{format_date(local.date(), self._locale, today=today)} {time}"

    @staticmethod
    def with_text(item: AgendaItem) -> str:
        """"Contact · Deal" (a deal's name already says its company), else "Contact ·
        Account"; each part isolated (FSI ... PDI) so an Arabic name does not reorder the rest."""
        parts = (item.contact, item.opportunity or item.account)
        return " · ".join(f"\u2068{p}\u2069" for p in parts if p)

    def _status(self, row: _Row) -> str:
        item = row.item
        if row.section == "breaches":
            return getattr(item, "breach", None) or self.tr("SLA breached")
        if item.overdue:
            return item.overdue
        return {"today": self.tr("due today"), "upcoming": ""}.get(row.section, "")

    def _text(self, row: _Row, column: int, *, accessible: bool) -> str:
        item = row.item
        if accessible:
            parts = [self.section_title(row.section), self.kind_label(item.kind), item.subject,
                     getattr(item, "cadence", ""), self.with_text(item), self.when_text(item), self._status(row)]
            return ", ".join(p for p in parts if p)
        if column == WHEN:
            return self.when_text(item)
        if column == WHAT:
            return self.what_text(item)
        if column == WITH:
            return self.with_text(item)
        return self._status(row)

    def what_text(self, item: AgendaItem) -> str:
        """"Call: Intro call", with "· step 2 of 5 · New inbound lead" for a cadence step."""
        cadence = getattr(item, "cadence", "")
        text = f"{self.kind_label(item.kind)}: {item.subject}"
        return f"{text} · {cadence}" if cadence else text

    def _tooltip(self, row: _Row) -> str:
        item = row.item
        lines = [self.what_text(item), self.with_text(item), self.when_text(item)]
        if item.duration_minutes:
            lines.append(self.tr("{0} min").format(item.duration_minutes))
        status = self._status(row)
        if status:
            lines.append(status)
        lines.append(self.tr("Enter: done · Ctrl+R: reschedule · Ctrl+O: open"))
        return "\n".join(p for p in lines if p)
