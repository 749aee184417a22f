"""The activity timeline of a contact, an opportunity or an account.

:class:`TimelineModel` is a flat table (when, kind, subject, outcome or state, who) of
:class:`~leaddesk.services.followups.timeline.TimelineEntry`, newest first: scheduled
activities by their due time, done ones by when they happened. An open activity whose due
time has passed is marked *Overdue* (text and colour, not colour alone). :class:`TimelineView`
loads a record's timeline in a read job (capped: the newest 200, with "200 of 5,120 shown"
below), and reloads itself when activities change (``app_signals.data_changed``). Its
context menu stops the cadence of a step ("Stop cadence…", with a reason).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QMenu, QTreeView, QVBoxLayout, QWidget

from leaddesk.db import Database
from leaddesk.models.enums import ActivityKind, ActivityOutcome
from leaddesk.services.followups import cadences
from leaddesk.services.followups.timeline import DEFAULT_CAP, Timeline, TimelineEntry, load_timeline
from leaddesk.services.records import Changes
from leaddesk.ui.followups._cadence_stops import StopCadenceFlow
from leaddesk.ui.followups._log_defaults import kind_label, outcome_label
from leaddesk.ui.formatting import format_moment
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.jobs import app_signals, run_read, run_write
from leaddesk.ui.widgets.when_shown import WhenShown

WHEN, KIND, SUBJECT, OUTCOME, WHO = range(5)
_KIND_COLOURS = {ActivityKind.CALL: "#2e7d32", ActivityKind.EMAIL: "#1565c0", ActivityKind.MEETING: "#6a1b9a",
                 ActivityKind.TASK: "#ef6c00", ActivityKind.NOTE: "#546e7a"}
_KIND_LETTERS = {ActivityKind.CALL: "C", ActivityKind.EMAIL: "E", ActivityKind.MEETING: "M",
                 ActivityKind.TASK: "T", ActivityKind.NOTE: "N"}
OVERDUE_COLOUR = QColor("#b3261e")
_icons: dict[ActivityKind, QIcon] = {}


def kind_icon(kind: ActivityKind) -> QIcon:
    """A small round badge with the kind's letter, one colour per kind."""
    if kind not in _icons:
        pix = QPixmap(16, 16)
        pix.fill(Qt.GlobalColor.transparent)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setBrush(QColor(_KIND_COLOURS.get(kind, "#546e7a")))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(QRectF(0.5, 0.5, 15, 15))
        p.setPen(QColor("white"))
        font = QFont()
        font.setPixelSize(10)
        font.setBold(True)
        p.setFont(font)
        p.drawText(QRectF(0, 0, 16, 16), Qt.AlignmentFlag.AlignCenter, _KIND_LETTERS.get(kind, "?"))
        p.end()
        _icons[kind] = QIcon(pix)
    return _icons[kind]


class TimelineModel(QAbstractTableModel):
    def __init__(self, parent=None, *, now=None):
        super().__init__(parent)
        self._rows: list[TimelineEntry] = []
        self._now = now  # tests pin the clock
        self.total = 0

    def set_timeline(self, timeline: Timeline | None) -> None:
        self.beginResetModel()
        self._rows = list(timeline.entries) if timeline is not None else []
        self.total = timeline.total if timeline is not None else 0
        self.endResetModel()

    def entry(self, row: int) -> TimelineEntry:
        return self._rows[row]

    def now(self) -> dt.datetime:
        return self._now or dt.datetime.now(dt.timezone.utc)

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else 5

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < 5:
            return (self.tr("When"), self.tr("Kind"), self.tr("Subject"), self.tr("Outcome"), self.tr("Who"))[section]
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def state_text(self, e: TimelineEntry) -> str:
        if e.outcome == ActivityOutcome.CANCELLED:  # a stopped cadence's steps
            return self.tr("Cancelled")
        if e.done_at is not None:  # a note has no outcome
            return outcome_label(e.kind, e.outcome) or ("" if e.kind == ActivityKind.NOTE else self.tr("Done"))
        return self.tr("Overdue") if e.is_overdue(self.now()) else self.tr("Scheduled")

    def subject_text(self, e: TimelineEntry) -> str:
        """The subject, then "step 2 of 5 · New inbound lead" for a cadence step and the
        repeat ("weekly on MO") of a recurring activity."""
        extra = [x for x in (e.cadence, self.tr("repeats {0}").format(e.repeat) if e.repeat else "") if x]
        return "  —  ".join([e.subject, *extra])

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        e, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (format_moment(e.when), kind_label(e.kind), self.subject_text(e), self.state_text(e),
                    e.owner_name or "")[col]
        if role == Qt.ItemDataRole.DecorationRole and col == KIND:
            return kind_icon(e.kind)
        if role == Qt.ItemDataRole.ForegroundRole and e.is_overdue(self.now()) and col in (WHEN, OUTCOME):
            return QBrush(OVERDUE_COLOUR)
        if role == Qt.ItemDataRole.FontRole and e.done_at is None:
            font = QFont()
            font.setItalic(not e.is_overdue(self.now()))
            font.setBold(e.is_overdue(self.now()))
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return e.body or None
        if role == Roles.ROW:
            return e
        if role == Roles.ID:
            return e.id
        return None


class TimelineView(QWidget):
    """A record's timeline; ``show_for(contact_id=...)`` (or opportunity/account) loads it."""

    #: (Timeline) after each load (tests and the count label)
    loaded = Signal(object)

    def __init__(self, db: Database, parent=None, *, cap: int = DEFAULT_CAP, title: str | None = None):
        super().__init__(parent)
        self.db = db
        self.cap = cap
        self.record: dict | None = None
        self._generation = 0
        self._when_shown = WhenShown(self, self.reload)
        self._settle = False
        self.title = QLabel(title if title is not None else self.tr("Activities"))
        bold = self.title.font()
        bold.setBold(True)
        self.title.setFont(bold)
        self.model = TimelineModel(self)
        self.view = QTreeView()
        self.view.setObjectName("timeline")
        self.view.setRootIsDecorated(False)
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setModel(self.model)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._popup_menu)
        self.menu: QMenu | None = None
        self.stop_flow: StopCadenceFlow | None = None
        header = self.view.header()
        header.setStretchLastSection(False)
        for col, mode in ((WHEN, QHeaderView.ResizeMode.ResizeToContents),
                          (KIND, QHeaderView.ResizeMode.ResizeToContents),
                          (SUBJECT, QHeaderView.ResizeMode.Stretch),
                          (OUTCOME, QHeaderView.ResizeMode.ResizeToContents),
                          (WHO, QHeaderView.ResizeMode.ResizeToContents)):
            header.setSectionResizeMode(col, mode)
        self.count = QLabel()
        self.count.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count)
        app_signals.data_changed.connect(self._on_data_changed)

    def show_for(self, *, contact_id=None, opportunity_id=None, account_id=None) -> None:
        record = {k: v for k, v in (("contact_id", contact_id), ("opportunity_id", opportunity_id),
                                    ("account_id", account_id)) if v is not None}
        self.record = record or None
        self._settle = contact_id is not None
        if self.record is None:
            self._generation += 1
            self.model.set_timeline(None)
            self.count.setText("")
            return
        self.reload()

    def reload(self) -> None:
        if self.record is None:
            return
        self._generation += 1
        generation, db, record, cap = self._generation, self.db, dict(self.record), self.cap
        run_read(self, lambda: load_timeline(db, limit=cap, **record)).success(
            lambda t: self._loaded(generation, t)).run()

    def _loaded(self, generation: int, timeline: Timeline) -> None:
        if generation != self._generation:
            return  # another record was chosen meanwhile
        self.model.set_timeline(timeline)
        shown = len(timeline.entries)
        if not shown:
            self.count.setText(self.tr("No activities yet. Ctrl+L logs one."))
        elif timeline.total > shown:
            self.count.setText(self.tr("The newest {0} of {1} activities.").format(shown, timeline.total))
        else:
            self.count.setText(self.tr("%n activities.", "", shown))
        self.loaded.emit(timeline)
        self._settle_cadences(timeline)

    # --- the context menu -----------------------------------------------------------------
    def open_runs(self) -> set:
        """The runs shown with an open step (those "Stop cadence…" can stop)."""
        return {self.model.entry(r).cadence_run for r in range(self.model.rowCount())
                if self.model.entry(r).cadence_run is not None and self.model.entry(r).done_at is None}

    def context_menu(self, row: int) -> QMenu | None:
        """The menu of the entry at ``row``: "Stop cadence…" on a step of a running cadence."""
        if not 0 <= row < self.model.rowCount():
            return None
        entry = self.model.entry(row)
        menu = QMenu(self)
        menu.setObjectName("timelineMenu")
        action = menu.addAction(self.tr("S&top cadence…"))
        action.setObjectName("stopCadence")
        action.setEnabled(entry.cadence_run is not None and entry.cadence_run in self.open_runs())
        if entry.cadence_run is None:
            action.setToolTip(self.tr("Not a cadence step."))
        action.triggered.connect(lambda _c=False, e=entry: self.stop_cadence(e))
        self.menu = menu
        return menu

    def _popup_menu(self, pos) -> None:
        menu = self.context_menu(self.view.indexAt(pos).row())
        if menu is not None:
            menu.popup(self.view.viewport().mapToGlobal(pos))

    def stop_cadence(self, entry: TimelineEntry) -> StopCadenceFlow | None:
        """Ask why, then stop the run of ``entry`` (its rows refresh on the change)."""
        if entry.cadence_run is None:
            return None
        what = self.tr("{0}  —  {1}").format(entry.subject, entry.cadence) if entry.cadence else entry.subject
        self.stop_flow = StopCadenceFlow(self, self.db, run_id=entry.cadence_run, what=what).start()
        return self.stop_flow

    def _settle_cadences(self, timeline: Timeline) -> None:
        """A contact with open cadence steps: stop the runs its reply or stage change ended
        (``cadences.settle_runs``, a write job; once per contact shown or per change of
        contacts, so the reload it causes does not settle again)."""
        cid = (self.record or {}).get("contact_id")
        if not self._settle or cid is None:
            return
        self._settle = False
        if any(e.cadence and e.done_at is None for e in timeline.entries):
            db = self.db
            run_write(self, lambda: _settle(db, cid)).run()


    def _on_data_changed(self, changes, _initiator) -> None:
        if self.record is None:
            return
        entities = getattr(changes, "entities", frozenset()) if changes is not None else None
        if entities is None or entities & {"contact", "engagement_event", "lifecycle_event"}:
            self._settle = "contact_id" in self.record  # a reply or a stage change may end a cadence
        if entities is not None and "activity" not in entities and not self._settle:
            return
        self._when_shown.run()


def _settle(db: Database, contact_id) -> Changes:
    """Settle one contact's cadence runs; the changes say "activity" only if a run stopped
    (an empty change set refreshes nothing, so a view does not settle again and again)."""
    stopped = cadences.settle_runs(db, [contact_id])
    return Changes.of("activity", *(s.run for s in stopped)) if stopped else Changes()
