"""The table of :mod:`leaddesk.ui.followups.sla_figures`: one row per rep with speed-to-lead,
persistence, open breaches and no-shows (:class:`~leaddesk.services.followups.sla.RepFigures`)."""

from __future__ import annotations

import uuid

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from leaddesk.services.followups.sla import RepFigures
from leaddesk.ui.itemmodels.roles import Roles

(REP, LEADS, MEDIAN, P90, WITHIN, ATTEMPTS, MET, BREACHES, MEETINGS, NO_SHOWS) = range(10)
BREACH_RED = QColor("#b00020")


def _tr(text: str) -> str:
    return QCoreApplication.translate("SlaFigures", text)


def minutes_text(minutes: float | None) -> str:
    """12 min, 3.5 h, 2.0 days; – for none."""
    if minutes is None:
        return "–"
    if minutes < 60:
        return _tr("{0:.0f} min").format(minutes)
    if minutes < 48 * 60:
        return _tr("{0:.1f} h").format(minutes / 60)
    return _tr("{0:.1f} days").format(minutes / 1440)


def share_text(part: int, whole: int) -> str:
    return "–" if not whole else f"{part / whole:.0%} ({part}/{whole})"


class SlaFiguresModel(QAbstractTableModel):
    """Rep | Leads (touched) | Median to first touch | 90% within | Within SLA | Attempts in the
    first days (avg) | Met the minimum | Open breaches | Meetings | No-shows."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[RepFigures] = []
        self.breaches: dict[uuid.UUID | None, int] | None = None  # None: not read yet
        self.meetings: dict[uuid.UUID | None, tuple[int, int]] | None = None
        self.persistence: dict[uuid.UUID | None, tuple] | None = None
        self._titles = (_tr("Rep"), _tr("Leads (touched)"), _tr("Median to first touch"), _tr("90% within"),
                        _tr("Within SLA"), _tr("Attempts (avg)"), _tr("Met the minimum"), _tr("Open breaches"),
                        _tr("Meetings"), _tr("No-shows"))
        self._tips = (
            _tr("The rep who owns the leads."),
            _tr("Leads whose clock (assignment, else capture) started in the period, and how many were touched."),
            _tr("Half the touched leads had their first attempt within this time (speed-to-lead)."),
            _tr("Nine in ten touched leads had their first attempt within this time."),
            _tr("Leads first touched within their source's target, of all the rep's leads in the period."),
            _tr("Attempts (calls, e-mails, meetings) per lead in its first days, over leads whose first days "
                "are over (persistence)."),
            _tr("Leads that got at least the team's minimum of attempts in their first days."),
            _tr("Leads of the rep waiting for a first touch past their due time, now."),
            _tr("Meetings done in the period (held or missed)."),
            _tr("Meetings the prospect missed, and their share."),
        )

    def set_figures(self, rows: list[RepFigures], breaches: dict | None = None) -> None:
        """New rows; breach and meeting columns show "…" until :meth:`set_counts`."""
        self.beginResetModel()
        self.rows = list(rows)
        self.breaches = None if breaches is None else dict(breaches)
        self.meetings = self.persistence = None
        self.endResetModel()

    def set_counts(self, breaches: dict, meetings: dict, persistence: dict | None = None) -> None:
        """The open breaches, the (meetings, no-shows) and the persistence (average, met,
        judged) per owner, read after the rows."""
        self.breaches, self.meetings = dict(breaches), dict(meetings)
        self.persistence = None if persistence is None else dict(persistence)
        if self.rows:
            self.dataChanged.emit(self.index(0, ATTEMPTS), self.index(len(self.rows) - 1, NO_SHOWS))

    def persistence_of(self, f: RepFigures) -> tuple | None:
        """(average attempts, met the minimum, judged), or None while not read."""
        if f.judged is not None:
            return f.avg_attempts, f.met_minimum, f.judged
        return None if self.persistence is None else self.persistence.get(f.owner_id, (None, 0, 0))

    def meeting_counts(self, f: RepFigures) -> tuple[int, int] | None:
        if f.meetings is not None:
            return f.meetings, f.no_shows or 0
        return None if self.meetings is None else self.meetings.get(f.owner_id, (0, 0))

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self._titles)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 - Qt's name
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._titles):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._titles[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tips[section]
        return None

    def text(self, f: RepFigures, column: int) -> str:
        breaches = "…" if self.breaches is None else str(self.breaches.get(f.owner_id, 0))
        meet = self.meeting_counts(f)
        held, missed = meet or (0, 0)
        tries = self.persistence_of(f)
        avg, met, judged = tries or (None, 0, 0)
        return (
            f.name,
            f"{f.leads} ({f.touched})",
            minutes_text(f.median_minutes),
            minutes_text(f.p90_minutes),
            share_text(f.within_sla, f.leads),
            "…" if tries is None else "–" if avg is None else f"{avg:.1f}",
            "…" if tries is None else share_text(met, judged),
            breaches,
            "…" if meet is None else str(held),
            "…" if meet is None else share_text(missed, held) if held else "0",
        )[column]

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.rows) or not 0 <= index.column() < 10:
            return None
        f, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(f, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column != REP:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == BREACHES and (self.breaches or {}).get(f.owner_id):
            return QBrush(BREACH_RED)
        if role == Roles.ID:
            return f.owner_id
        if role == Roles.ROW:
            return f
        return None
