"""Capture ▸ Events…: the team's campaigns and events (trade shows, conferences, webinars
...) with their dates, place and cost, the leads each produced and what a lead cost; and
the choice of the current event that new captures are tagged with.

A filter box narrows the list (every word typed, in any column or the notes); "Show
deleted" lists deleted events, which Restore brings back. New/Edit open the event editor
(event_editor.py). Campaigns are the team's configuration (CONFIG in models/access.py):
managers and admins change them; a rep sees the list and picks the current event, the
editing buttons are disabled with a tooltip saying who may edit (and the services refuse
a rep's change anyway). Every read and write runs as a job (ui/jobs.py).
"""

from __future__ import annotations

import datetime as dt
import html
import uuid

from PySide6.QtCore import QByteArray, QModelIndex, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.models.access import CONFIG
from leaddesk.services.marketing import campaigns
from leaddesk.services.marketing.campaigns import CampaignRow
from leaddesk.ui import state
from leaddesk.ui.jobs import app_signals, run_read, run_write
from leaddesk.ui.marketing._campaign_model import NAME, CampaignFilterProxy, CampaignTableModel
from leaddesk.ui.marketing.current_event import (
    bind_database,
    current_event_id,
    current_event_signals,
    database_key,
    set_current_event,
)
from leaddesk.ui.marketing.event_editor import EventEditorDialog
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.widgets.form_errors import FormErrors

#: Tables whose change alters what the list shows (campaigns, and the leads they count).
WATCHED = frozenset({"campaign", "contact", "contact_card"})
GEOMETRY_KEY = "EventsDialog/geometry"


class EventTableView(QTableView):
    """Enter on a row activates it (edit, or pick it for a rep) and stops there, instead of
    also reaching the dialog's default button (Close)."""

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activated.emit(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)


def may_edit_campaigns(db: Database) -> bool:
    """Managers and admins change campaigns (no signed-in user on a standalone file: no
    rules apply, as in the services)."""
    subject = db.write.subject
    return subject is None or subject.role in CONFIG.writers


class EventsDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None, *, today: dt.date | None = None):
        super().__init__(parent)
        self.db = db
        self.key = database_key(db)
        bind_database(db)
        self.editable = may_edit_campaigns(db)
        self._names: dict[uuid.UUID, str] = {}
        self._generation = 0
        self._select_next: uuid.UUID | None = None
        self.setWindowTitle(self.tr("Events and campaigns"))

        self.read_only_note = QLabel(self.tr("Only managers and admins can add, change or delete events; you can "
                                             "pick the event your captures are tagged with."))
        self.read_only_note.setObjectName("readOnlyNote")
        self.read_only_note.setWordWrap(True)
        self.read_only_note.setStyleSheet("QLabel#readOnlyNote { background: #fff8e1; border: 1px solid #ffe082;"
                                          " border-radius: 4px; padding: 6px; }")
        self.read_only_note.setVisible(not self.editable)

        self.filter = QLineEdit()
        self.filter.setObjectName("eventFilter")
        self.filter.setPlaceholderText(self.tr("Filter by name, kind, place, notes…"))
        self.filter.setClearButtonEnabled(True)
        self.show_deleted = QCheckBox(self.tr("Show &deleted"))
        self.model = CampaignTableModel(self, today=today)
        self.proxy = CampaignFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = EventTableView()
        self.table.setObjectName("eventTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the service's order until a header is clicked
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)

        self.new_button = QPushButton(self.tr("&New event…"))
        self.edit_button = QPushButton(self.tr("&Edit…"))
        self.delete_button = QPushButton(self.tr("De&lete"))
        self.restore_button = QPushButton(self.tr("&Restore"))
        self.use_button = QPushButton(self.tr("&Use as current event"))
        self.use_button.setObjectName("useAsCurrentEvent")
        self.clear_button = QPushButton(self.tr("No current e&vent"))
        self.current_label = QLabel()
        self.current_label.setObjectName("currentEvent")
        self.current_label.setTextFormat(Qt.TextFormat.RichText)
        self.current_label.setStyleSheet("background: transparent; border: none;")
        self.current_label.setWordWrap(True)
        for b in (self.new_button, self.edit_button, self.delete_button, self.restore_button, self.use_button,
                  self.clear_button):
            b.setAutoDefault(False)
        if not self.editable:
            who = self.tr("Only managers and admins can change events (they are the team's configuration).")
            for b in (self.new_button, self.edit_button, self.delete_button, self.restore_button):
                b.setToolTip(who)
        else:
            self.delete_button.setToolTip(self.tr("Leads keep the event as their source; Show deleted brings it back"))
        self.use_button.setToolTip(self.tr("Tag new captures (photos, QR codes, vCards) with this event"))

        self.filter.textChanged.connect(self.proxy.set_filter_text)
        self.show_deleted.toggled.connect(lambda _on: self.reload())
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self._update_buttons())
        self.table.activated.connect(lambda _i: self.edit_event() if self.editable else self.use_as_current())
        self.new_button.clicked.connect(self.new_event)
        self.edit_button.clicked.connect(self.edit_event)
        self.delete_button.clicked.connect(self.delete_event)
        self.restore_button.clicked.connect(self.restore_event)
        self.use_button.clicked.connect(self.use_as_current)
        self.clear_button.clicked.connect(lambda: set_current_event(None, self.db))
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.filter.setFocus)
        QShortcut(QKeySequence.StandardKey.New, self, activated=self.new_event)

        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.show_deleted)
        buttons = QHBoxLayout()
        for b in (self.new_button, self.edit_button, self.delete_button, self.restore_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.current_panel = QFrame()
        self.current_panel.setObjectName("currentEventPanel")
        self.current_panel.setStyleSheet("QFrame#currentEventPanel { background: #e8f1fb; border: 1px solid #b6d0ee;"
                                         " border-radius: 4px; }")
        strip = QHBoxLayout(self.current_panel)
        strip.setContentsMargins(10, 6, 6, 6)
        strip.addWidget(self.current_label, 1)
        strip.addWidget(self.clear_button)
        strip.addWidget(self.use_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.read_only_note)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.current_panel)
        layout.addWidget(close)
        self.errors = FormErrors(self, {"name": self.table})
        self.errors.install(layout)

        current_event_signals.current_event_changed.connect(self._on_current_event_changed)
        app_signals.data_changed.connect(self._on_data_changed)
        self.resize(1000, 520)
        geometry = state.value(GEOMETRY_KEY)
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        self.model.set_current(current_event_id(db))
        self.reload()

    # --- reading --------------------------------------------------------------------------------
    def reload(self, select: uuid.UUID | None = None) -> None:
        """Read the list again, keeping the selected row (or selecting ``select``). Only the
        latest read is shown: an older one finishing later (worker threads) is dropped."""
        if select is not None:
            self._select_next = select
        self._generation += 1
        generation = self._generation
        deleted = self.show_deleted.isChecked()
        run_read(self, lambda: campaigns.list_campaign_rows(self.db, deleted=deleted)).success(
            lambda rows: self._fill(rows, deleted, generation)).run()

    def _fill(self, rows: list[CampaignRow], deleted: bool, generation: int) -> None:
        if generation != self._generation:
            return
        keep = self._select_next or self.current_campaign_id()
        self._select_next = None
        if not deleted:
            self._names = {r.campaign.id: r.campaign.name for r in rows}
        self.model.set_rows(rows)
        self.model.set_current(current_event_id(self.db))
        self.select_campaign(keep)
        self._update_buttons()
        self._show_current()

    def _on_data_changed(self, changes, _initiator) -> None:
        if changes is None or changes.entities & WATCHED:
            self.reload()

    # --- selection ------------------------------------------------------------------------------
    def current_row(self) -> CampaignRow | None:
        index = self.table.currentIndex()
        return index.data(Roles.ROW) if index.isValid() else None

    def current_campaign_id(self) -> uuid.UUID | None:
        row = self.current_row()
        return None if row is None else row.campaign.id

    def select_campaign(self, campaign_id: uuid.UUID | None) -> bool:
        row = self.model.row_of(campaign_id) if campaign_id is not None else -1
        index = self.proxy.mapFromSource(self.model.index(row, NAME)) if row >= 0 else QModelIndex()
        if not index.isValid():
            self.table.setCurrentIndex(self.proxy.index(0, NAME))
            return False
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index)
        return True

    def _update_buttons(self) -> None:
        row = self.current_row()
        deleted = self.show_deleted.isChecked()
        self.new_button.setEnabled(self.editable)
        self.edit_button.setEnabled(self.editable and row is not None and not deleted)
        self.delete_button.setEnabled(self.editable and row is not None and not deleted)
        self.delete_button.setVisible(not deleted)
        self.restore_button.setEnabled(self.editable and row is not None and deleted)
        self.restore_button.setVisible(deleted)
        current = current_event_id(self.db)
        self.use_button.setEnabled(row is not None and not deleted and row.campaign.id != current)
        self.clear_button.setEnabled(current is not None)

    # --- the current event ----------------------------------------------------------------------
    def use_as_current(self) -> None:
        row = self.current_row()
        if row is not None and not self.show_deleted.isChecked():
            set_current_event(row.campaign.id, self.db)

    def _on_current_event_changed(self, key: str, event_id) -> None:
        if key == self.key:
            self.model.set_current(event_id)
            self._update_buttons()
            self._show_current()

    def _show_current(self) -> None:
        current = current_event_id(self.db)
        if current is None:
            self.current_label.setText(self.tr("No current event: new captures are not tagged with an event."))
        else:
            name = html.escape(self._names.get(current, self.tr("an event not in this list")))
            self.current_label.setText(self.tr("Current event: <b>{0}</b>. New captures are tagged with it.")
                                       .format(name))

    # --- writing --------------------------------------------------------------------------------
    def new_event(self) -> EventEditorDialog | None:
        return self._open_editor(None) if self.editable else None

    def edit_event(self) -> EventEditorDialog | None:
        row = self.current_row()
        if row is None or not self.editable or self.show_deleted.isChecked():
            return None
        return self._open_editor(row.campaign)

    def _open_editor(self, campaign) -> EventEditorDialog:
        self.errors.clear()
        editor = EventEditorDialog(self.db, campaign, self)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.saved.connect(lambda detail: self.reload(select=detail.id))
        editor.setModal(True)
        editor.show()
        return editor

    def ask_delete(self, name: str) -> bool:
        answer = QMessageBox.question(
            self, self.tr("Delete event"),
            self.tr("Delete “{0}”? Its leads keep it as their source, and Show deleted brings it back.").format(name))
        return answer == QMessageBox.StandardButton.Yes

    def delete_event(self) -> None:
        row = self.current_row()
        if row is None or not self.editable or not self.ask_delete(row.campaign.name):
            return
        c = row.campaign
        self._write(lambda: campaigns.delete_campaign(self.db, c.id, expected_version=c.version),
                    then=lambda _r: self._forget_if_current(c.id))

    def restore_event(self) -> None:
        row = self.current_row()
        if row is None or not self.editable:
            return
        c = row.campaign
        self._write(lambda: campaigns.restore_campaign(self.db, c.id, expected_version=c.version))

    def _forget_if_current(self, campaign_id: uuid.UUID) -> None:
        if campaign_id == current_event_id(self.db):
            set_current_event(None, self.db)  # captures cannot be tagged with a deleted event

    def _write(self, fn, then=None) -> None:
        self.errors.clear()
        job = run_write(self, fn).failure(self._failed)
        if then is not None:
            job.success(then)
        job.run()

    def _failed(self, exc: BaseException) -> None:
        if not self.errors.show(exc):
            from leaddesk.ui.errors import show_error

            show_error(self, exc)
        self.reload()

    def done(self, result: int) -> None:
        state.set_value(GEOMETRY_KEY, self.saveGeometry())
        super().done(result)
