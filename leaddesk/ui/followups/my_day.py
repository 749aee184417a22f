"""My day: the signed-in rep's overdue, due-today and upcoming activities (SLA breaches
first when the SLA timers report them), with one key for each thing a rep does to them.

Keys on a row: Enter or Ctrl+D marks it done (outcome picker, then the next-step prompt,
two working days on by default), Ctrl+R reschedules (+1 h, tomorrow 9:00, next week,
custom), Ctrl+O opens the linked record, F5 reloads; on a cadence step the context menu
also has "Stop cadence…". The page reads
:func:`leaddesk.services.followups.agenda.day_agenda` in a worker, again after any write
to activities or their records (``app_signals.data_changed``) and every minute (time moves:
what was due today becomes overdue). ``clock`` and ``tz`` are injectable for tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.models.enums import ActivityKind
from leaddesk.services.followups import activities, agenda, my_day
from leaddesk.services.records import Changes
from leaddesk.ui.followups._cadence_stops import StopCadenceFlow
from leaddesk.ui.followups._day_model import STATUS, WHAT, WHEN, WITH, DayModel
from leaddesk.ui.followups._day_times import next_step_default, reschedule_choices
from leaddesk.ui.followups._done_dialogs import CustomTimeDialog, NextStepDialog, OutcomePicker
from leaddesk.ui.jobs import app_signals, run_read, run_write

UTC = dt.timezone.utc
REFRESH_MS = 60_000
#: Writes to these tables can change what the day shows (None: unknown, reload).
DAY_ENTITIES = frozenset({"activity", "ActivityDetail", "contact", "account", "opportunity"})


class _DayTable(QTableView):
    """Enter on a row is "done" (a table would otherwise start editing or do nothing)."""

    enter_pressed = Signal()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            self.enter_pressed.emit()
            return
        super().keyPressEvent(event)


class MyDayPage(QWidget):
    #: (entity, id): "contact", "opportunity" or "account" and its id
    open_requested = Signal(str, object)
    status_message = Signal(str)
    loaded = Signal()

    def __init__(self, db: Database, *, clock: Callable[[], dt.datetime] | None = None,
                 tz: dt.tzinfo | str | None = None, parent=None):
        super().__init__(parent)
        self.db = db
        self.clock = clock or (lambda: dt.datetime.now(UTC))
        self.tz = tz if isinstance(tz, dt.tzinfo) else agenda.zone(tz)
        self.model = DayModel(self)
        self._pending_select = None
        self._announcing = False
        self.outcome_picker: OutcomePicker | None = None
        self.next_step_dialog: NextStepDialog | None = None
        self.reschedule_menu: QMenu | None = None
        self.custom_dialog: CustomTimeDialog | None = None

        self.title = QLabel(self.tr("My day"))
        self.title.setObjectName("pageTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title.setFont(font)
        self.summary = QLabel()
        self.hint = QLabel(self.tr("Enter: done  ·  Ctrl+R: reschedule  ·  Ctrl+O: open the record"))
        self.hint.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addSpacing(12)
        top.addWidget(self.summary, 1)
        top.addWidget(self.hint)

        self.table = _DayTable()
        self.table.setObjectName("myDay")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(WHEN, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(WHAT, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(WITH, QHeaderView.ResizeMode.ResizeToContents)  # names are short; "What" takes the rest
        header.setSectionResizeMode(STATUS, QHeaderView.ResizeMode.ResizeToContents)
        self.table.enter_pressed.connect(self.mark_done)
        self.table.doubleClicked.connect(lambda _i: self.open_record())
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(9, 9, 9, 9)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

        self.done_action = self._add_action(self.tr("Mark &done…"), "Ctrl+D", self.mark_done)
        self.reschedule_action = self._add_action(self.tr("&Reschedule…"), "Ctrl+R", self.reschedule)
        self.open_action = self._add_action(self.tr("&Open the record"), "Ctrl+O", self.open_record)
        self.reload_action = self._add_action(self.tr("Re&load"), "F5", self.load, context_menu=False)
        self.stop_action = QAction(self.tr("S&top cadence…"), self)
        self.stop_action.triggered.connect(lambda _c=False: self.stop_cadence())
        self.table.addAction(self.stop_action)
        self.stop_flow: StopCadenceFlow | None = None
        self.table.selectionModel().currentChanged.connect(lambda *_a: self._update_stop_action())
        self._update_stop_action()

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.load)
        app_signals.data_changed.connect(self.on_data_changed)

    def _add_action(self, text: str, key: str, slot, *, context_menu: bool = True) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda _c=False: slot())
        self.addAction(action)
        if context_menu:
            self.table.addAction(action)
        return action

    # --- loading --------------------------------------------------------------------------
    def load(self) -> None:
        owner = self.db.write.actor_id
        if owner is None:
            self.summary.setText(self.tr("No user is signed in: nothing to show."))
            return
        if not self.timer.isActive():
            self.timer.start()
        current = self.current_item()
        if current is not None and self._pending_select is None:
            self._pending_select = (current.id, self.table.currentIndex().row())
        now, tz = self.clock(), self.tz
        run_read(self, lambda: my_day.my_day(self.db, owner, tz=tz, now=now)).success(self._on_loaded).run()

    def _on_loaded(self, day: agenda.Agenda) -> None:
        stopped = getattr(day, "stopped", ())
        if stopped:  # the read stopped cadence runs: other views (timelines, lists) refresh
            self._announcing = True
            try:
                app_signals.data_changed.emit(Changes.of("activity", *(s.run for s in stopped)), self)
            finally:
                self._announcing = False
        self.model.set_agenda(day)
        self.table.clearSpans()
        for row in range(self.model.rowCount()):
            if self.model.is_title(row):
                self.table.setSpan(row, 0, 1, self.model.columnCount())
        counts = (len(day.overdue), len(day.today), len(day.upcoming))
        when = self.locale().toString(day.day, "dddd d MMMM")
        self.summary.setText(self.tr("{0}: {1} overdue · {2} due today · {3} upcoming").format(when, *counts))
        wanted, self._pending_select = self._pending_select, None
        row = -1
        if wanted is not None:
            row = self.model.row_of(wanted[0])
            if row < 0:  # it went (done, moved): take whatever now sits where it was
                row = self._item_row_from(min(wanted[1], self.model.rowCount() - 1))
        if row < 0:
            row = self._item_row_from(0)
        if row >= 0:
            self.table.setCurrentIndex(self.model.index(row, WHAT))
        self._update_stop_action()
        self.loaded.emit()

    def _item_row_from(self, start: int) -> int:
        for row in list(range(max(start, 0), self.model.rowCount())) + list(range(max(start, 0) - 1, -1, -1)):
            if self.model.item_at(row) is not None:
                return row
        return -1

    def on_data_changed(self, changes, _initiator) -> None:
        if self.model.agenda is None or self._announcing:
            return  # never loaded yet: it loads when first opened
        if changes is None or not set(getattr(changes, "entities", ())).isdisjoint(DAY_ENTITIES):
            self.load()

    def current_item(self) -> agenda.AgendaItem | None:
        index = self.table.currentIndex()
        return self.model.item_at(index.row()) if index.isValid() else None

    # --- done -----------------------------------------------------------------------------
    def _activity(self) -> agenda.AgendaItem | None:
        """The current row if it is an activity (an SLA breach row may be a lead: open only)."""
        item = self.current_item()
        return item if isinstance(item, agenda.AgendaItem) and not isinstance(item, my_day.BreachItem) else None

    def mark_done(self) -> None:
        item = self._activity()
        if item is None:
            return

        picker = OutcomePicker(item.subject, meeting=item.kind == ActivityKind.MEETING, parent=self)
        self.outcome_picker = picker
        picker.accepted.connect(lambda: self._complete(item, *picker.choice(), picker.note_text()))
        picker.finished.connect(lambda _r: picker.deleteLater())
        picker.open()

    def _complete(self, item, key: str, outcome, note: str) -> None:
        self.outcome_picker = None
        now = self.clock()

        def write():
            return activities.complete_activity(self.db, item.id, outcome, note=note or None,
                                                expected_version=item.version, now=now)

        run_write(self, write).success(lambda _d: self._ask_next_step(item, key)).run()

    def _ask_next_step(self, item, key: str) -> None:
        if key == "no_show" and item.kind is ActivityKind.MEETING:
            # The service booked "Reschedule: <meeting>" for the owner with the no-show.
            self.status_message.emit(self.tr("No-show recorded; a task to reschedule it is on your list."))
            return
        subject = self.tr("Reschedule: {0}").format(item.subject) if key in ("no_show", "rescheduled") \
            else self.tr("Follow up: {0}").format(item.subject)
        if item.subject.startswith(("Follow up: ", "Reschedule: ")):
            subject = item.subject
        dialog = NextStepDialog(subject, item.kind, next_step_default(self.clock(), self.tz), self.tz, self)
        self.next_step_dialog = dialog
        dialog.accepted.connect(lambda: self._schedule_next(item, *dialog.values()))
        dialog.rejected.connect(lambda: self.status_message.emit(self.tr("Done; no next step scheduled.")))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.open()

    def _schedule_next(self, item, subject: str, kind, due: dt.datetime) -> None:
        self.next_step_dialog = None

        def write():
            return activities.schedule_activity(self.db, kind, subject, due, contact_id=item.contact_id,
                                                opportunity_id=item.opportunity_id, account_id=item.account_id,
                                                owner_id=self.db.write.actor_id)

        run_write(self, write).success(
            lambda _d: self.status_message.emit(self.tr("Done; next step scheduled."))).run()

    # --- reschedule -----------------------------------------------------------------------
    def reschedule(self) -> QMenu | None:
        item = self._activity()
        if item is None:
            return None
        times = reschedule_choices(self.clock(), self.tz)
        menu = QMenu(self)
        menu.setObjectName("rescheduleMenu")
        for key, label in (("hour", self.tr("In &1 hour")), ("tomorrow", self.tr("&Tomorrow 9:00")),
                           ("next_week", self.tr("&Next week (Monday 9:00)"))):
            action = menu.addAction(label)
            action.setData(key)
            action.triggered.connect(lambda _c=False, when=times[key]: self._move(item, when))
        custom = menu.addAction(self.tr("&Custom…"))
        custom.setData("custom")
        custom.triggered.connect(lambda _c=False: self._custom(item))
        self.reschedule_menu = menu
        rect = self.table.visualRect(self.table.currentIndex())
        menu.popup(self.table.viewport().mapToGlobal(rect.bottomLeft()))
        return menu

    def _custom(self, item) -> None:
        dialog = CustomTimeDialog(max(item.due_at, self.clock()), self.tz, self)
        self.custom_dialog = dialog
        dialog.accepted.connect(lambda: self._move(item, dialog.value()))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.open()

    def _move(self, item, when: dt.datetime) -> None:
        self._pending_select = (item.id, self.table.currentIndex().row())
        run_write(self, lambda: activities.reschedule_activity(self.db, item.id, when,
                                                               expected_version=item.version)).run()

    # --- stop a cadence -------------------------------------------------------------------
    def _step(self) -> agenda.AgendaItem | None:
        item = self._activity()
        return item if item is not None and getattr(item, "cadence", "") else None

    def _update_stop_action(self) -> None:
        self.stop_action.setVisible(self._step() is not None)  # only a cadence step's menu has it

    def stop_cadence(self) -> StopCadenceFlow | None:
        """Ask why, then stop the run of the current step (its rows go on the change)."""
        item = self._step()
        if item is None:
            return None
        flow = StopCadenceFlow(self, self.db, activity_id=item.id, what=f"{item.subject} · {item.cadence}")
        flow.stopped.connect(lambda done: self.status_message.emit(done.message()))
        self.stop_flow = flow.start()
        return flow

    # --- open -----------------------------------------------------------------------------
    def open_record(self) -> None:
        item = self.current_item()
        if item is None:
            return
        for entity, ident in (("contact", item.contact_id), ("opportunity", item.opportunity_id),
                              ("account", item.account_id)):
            if ident is not None:
                self.open_requested.emit(entity, ident)
                return

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.model.agenda is not None and self.clock() - self.model.agenda.now > dt.timedelta(seconds=30):
            self.load()  # back on the page after a while: time moved
        self.table.setFocus()
