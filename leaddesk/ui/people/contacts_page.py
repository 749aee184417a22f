"""The Contacts/Leads page: a filtered, paged list of people with a detail panel beside it.

Keyboard: Ctrl+N new contact, Enter edits the selected row, Delete deletes it (after
asking), F5 reloads, Ctrl+F goes to the filter. The list refreshes itself when contacts or
accounts change. The filter text matches anywhere in the name, company or e-mail as the
user types; a header click sorts by that column (in SQL, on a worker thread).
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.services.people import contacts, lists
from leaddesk.services.records import as_uuid
from leaddesk.ui import state
from leaddesk.ui.itemmodels.paged_table_model import Column, PagedTableModel
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.jobs import app_signals, run_write
from leaddesk.ui.people.contact_detail import ContactDetail
from leaddesk.ui.people.contact_editor import ContactEditorDialog
from leaddesk.ui.widgets.stage_badges import STAGES, StageBadgeDelegate, ltr, stage_label, stage_long_label

#: Entities whose change can alter the list (rows, first e-mail/phone, company names).
#: "ContactDetail"/"AccountDetail" are what ui.jobs reports for writes returning a bare DTO.
LIST_ENTITIES = frozenset({"contact", "contact_email", "contact_phone", "account", "ContactDetail", "AccountDetail",
                           "app_user"})

#: Until the user sizes a column, Phone, Stage and Score get what their text needs and the
#: other columns share the rest in these proportions (then the user's widths, kept by
#: ui/state.py, win).
COLUMN_WEIGHTS = {0: 1.2, 1: 1.0, 2: 1.0, 3: 1.3, 7: 0.8}
MIN_WIDTH = 56
PHONE_COLUMN = 4
STAGE_COLUMN = 5
SCORE_COLUMN = 6
OWNER_COLUMN = 7
#: Settings key of the column widths (v2: score and owner columns were added).
HEADER_KEY = "ContactsPage.v2"
PAGE_SIZE = 200
#: How many pages to read while looking for a contact to select (select_contact).
MAX_SEARCH_PAGES = 25


def contact_columns(tr) -> list[Column]:
    right = Qt.AlignmentFlag.AlignRight
    return [
        Column(tr("Name"), lambda r: r.display_name, sort="name"),
        Column(tr("Job title"), lambda r: r.job_title),
        Column(tr("Company"), lambda r: r.account_name, sort="company"),
        Column(tr("E-mail"), lambda r: ltr(r.email)),
        Column(tr("Phone"), lambda r: ltr(r.phone)),
        Column(tr("Stage"), lambda r: stage_label(r.lifecycle_stage), sort="stage"),
        Column(tr("Score"), lambda r: r.score, align=right, sort="score",
               tooltip=tr("Fit plus interest (lead scoring)")),
        Column(tr("Owner"), lambda r: r.owner_name or "", sort="owner"),
    ]


class ContactsPage(QWidget):
    contact_activated = Signal(object)  # contact id (Enter / double-click on a row)
    status_message = Signal(str)  # "Deleted …", "Saved …" (the main window may show it)

    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.db = db
        self.editor: ContactEditorDialog | None = None
        self._pending: uuid.UUID | None = None
        self._pending_explicit = False
        self._search_budget = 0
        self._stale = False
        self._loaded_once = False
        self.model = PagedTableModel(contact_columns(self.tr), self._make_fetch(), page_size=PAGE_SIZE, parent=self)
        self._build()
        self._build_actions()
        self.model.loading_changed.connect(self._update_count)
        self.model.page_loaded.connect(self._on_page_loaded)
        self.model.modelReset.connect(self._update_count)
        app_signals.data_changed.connect(self.on_data_changed)
        self._update_count()

    # --- building ---------------------------------------------------------------------
    def _build(self) -> None:
        self.title = QLabel(self.tr("Contacts"))
        self.title.setObjectName("pageTitle")

        self.stage_filter = QComboBox()
        self.stage_filter.setObjectName("stageFilter")
        self.stage_filter.addItem(self.tr("All stages"), None)
        for stage in STAGES:
            self.stage_filter.addItem(stage_long_label(stage), stage)
        self.stage_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.text_filter = QLineEdit()
        self.text_filter.setObjectName("contactFilter")
        self.text_filter.setPlaceholderText(self.tr("Filter by name, company or e-mail"))
        self.text_filter.setClearButtonEnabled(True)
        self.text_filter.setMinimumWidth(220)
        self.text_filter.setAccessibleName(self.tr("Filter contacts"))
        self._filter_timer = QTimer(self, singleShot=True, interval=250)
        self._filter_timer.timeout.connect(self.on_filter_changed)
        self.text_filter.textChanged.connect(lambda _t: self._filter_timer.start())
        stage_caption = QLabel(self.tr("St&age:"))
        stage_caption.setBuddy(self.stage_filter)
        self.mine_only = QCheckBox(self.tr("&Mine only"))
        self.mine_only.setObjectName("mineOnly")
        if self.db.write.actor_id is None:
            self.mine_only.setEnabled(False)
            self.mine_only.setToolTip(self.tr("No user is signed in on this database."))
        else:
            self.mine_only.setToolTip(self.tr("Only contacts I own"))
        self.count_label = QLabel()
        self.count_label.setObjectName("countLabel")
        self.message_label = QLabel()
        self.message_label.setObjectName("statusMessage")
        self._message_timer = QTimer(self, singleShot=True, interval=8000)
        self._message_timer.timeout.connect(self.message_label.clear)
        self.new_button = QPushButton(self.tr("&New contact…"))
        self.new_button.setToolTip(self.tr("New contact (Ctrl+N)"))
        self.new_button.clicked.connect(self.new_contact)
        self.stage_filter.currentIndexChanged.connect(self.on_filter_changed)
        self.mine_only.toggled.connect(self.on_filter_changed)

        bar = QHBoxLayout()
        bar.addWidget(self.text_filter, 1)
        bar.addSpacing(12)
        bar.addWidget(stage_caption)
        bar.addWidget(self.stage_filter)
        bar.addSpacing(12)
        bar.addWidget(self.mine_only)
        bar.addSpacing(12)
        bar.addWidget(self.count_label)
        bar.addStretch(0)
        bar.addWidget(self.message_label)
        bar.addSpacing(12)
        bar.addWidget(self.new_button)

        self.table = QTableView()
        self.table.setObjectName("contactsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (keyboard users)
        self.table.setWordWrap(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setItemDelegateForColumn(STAGE_COLUMN, StageBadgeDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(self.model.sort_column, self.model.sort_order)
        self._fitting = False
        self._user_sized = self._restore_header(header)
        # Sorting runs in SQL: a click on a sortable header reloads; others keep the indicator.
        self.table.setSortingEnabled(True)
        header.sortIndicatorChanged.connect(self._on_sort_indicator)
        self.model.sort_changed.connect(lambda *_a: self.load() if self._loaded_once else None)
        header.sectionResized.connect(self._on_section_resized)
        self.table.viewport().installEventFilter(self)
        self.table.activated.connect(self.on_row_activated)
        self.table.selectionModel().currentRowChanged.connect(self.on_current_changed)

        self.detail = ContactDetail(self.db)
        self.detail.edit_requested.connect(self.edit_contact)
        self.detail.delete_requested.connect(self.delete_contact)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([850, 350])
        state.restore_splitter(type(self).__name__, self.splitter)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)

    def _restore_header(self, header: QHeaderView) -> bool:
        """The user's saved column widths, if any (True when restored)."""
        before = header.saveState()
        state.restore_header(HEADER_KEY, header)
        return header.saveState() != before

    def _on_sort_indicator(self, column: int, order: Qt.SortOrder) -> None:
        if (column, order) != (self.model.sort_column, self.model.sort_order):
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            header.setSortIndicator(self.model.sort_column, self.model.sort_order)
            header.blockSignals(False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self.table.viewport() and not self._user_sized:
            self.fit_columns()
        return super().eventFilter(watched, event)

    def fit_columns(self) -> None:
        """Share the visible width between the columns (until the user sizes one)."""
        header = self.table.horizontalHeader()
        metrics = self.table.fontMetrics()
        phone = metrics.horizontalAdvance("+971 50 555 0101") + 16
        stage = max(metrics.horizontalAdvance(stage_label(s)) for s in STAGES) + 2 * StageBadgeDelegate.H_PAD + 16
        score = max(metrics.horizontalAdvance(self.model.headerData(SCORE_COLUMN, Qt.Orientation.Horizontal)),
                    metrics.horizontalAdvance("000")) + 34  # room for the sort arrow
        rest = max(0, self.table.viewport().width() - phone - stage - score)
        total = sum(COLUMN_WEIGHTS.values())
        self._fitting = True
        try:
            # Narrow windows: the weighted columns shrink to MIN_WIDTH (then the table scrolls).
            for column, weight in COLUMN_WEIGHTS.items():
                header.resizeSection(column, max(MIN_WIDTH, int(rest * weight / total)))
            header.resizeSection(PHONE_COLUMN, phone)
            header.resizeSection(STAGE_COLUMN, stage)
            header.resizeSection(SCORE_COLUMN, score)
        finally:
            self._fitting = False

    def _on_section_resized(self, *_args) -> None:
        if not self._fitting:
            self._user_sized = True

    def _build_actions(self) -> None:
        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        self.new_action = QAction(self.tr("&New contact…"), self)
        self.new_action.setShortcut(QKeySequence(QKeySequence.StandardKey.New))
        self.new_action.triggered.connect(self.new_contact)
        self.edit_action = QAction(self.tr("&Edit…"), self)
        self.edit_action.triggered.connect(lambda: self.edit_contact())
        self.stage_action = QAction(self.tr("Change &stage…"), self)
        self.stage_action.triggered.connect(self.change_stage)
        self.delete_action = QAction(self.tr("&Delete"), self)
        self.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.delete_action.triggered.connect(lambda: self.delete_contact())
        self.reload_action = QAction(self.tr("&Reload"), self)
        self.reload_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.reload_action.triggered.connect(self.reload)
        self.find_action = QAction(self.tr("&Filter"), self)
        self.find_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
        self.find_action.triggered.connect(self.focus_filter)
        for action in (self.new_action, self.edit_action, self.stage_action, self.delete_action, self.reload_action,
                       self.find_action):
            action.setShortcutContext(ctx)
        # Ctrl+N, F5 and Ctrl+F work anywhere on the page; Delete only in the table (not
        # while reading the history list). Right-click on a row offers the same actions.
        self.addActions([self.new_action, self.reload_action, self.find_action])
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        separator = QAction(self)
        separator.setSeparator(True)
        self.table.addActions([self.edit_action, self.stage_action, self.delete_action, separator, self.new_action])
        self._update_actions()

    # --- loading ----------------------------------------------------------------------
    def _make_fetch(self, stage=None, owner_id=None, text=None, sort="name", descending=False):
        """A page fetcher with the filters and sort fixed now (it runs on a worker thread,
        so it must not read the widgets)."""
        db = self.db

        def fetch(after, limit):
            return lists.list_contact_rows(db, after=after, limit=limit, stage=stage, owner_id=owner_id, text=text,
                                           sort=sort, descending=descending)

        return fetch

    def current_filters(self) -> dict:
        """The filter bar and the sorted column as list_contact_rows arguments."""
        mine = self.mine_only.isChecked() and self.db.write.actor_id is not None
        sort, descending = self.model.sort_key()
        return {"stage": self.stage_filter.currentData(), "owner_id": self.db.write.actor_id if mine else None,
                "text": self.text_filter.text().strip() or None, "sort": sort or "name", "descending": descending}

    def focus_filter(self) -> None:
        self.text_filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.text_filter.selectAll()

    def load(self) -> None:
        """Load the first page (keeping the selection if there is one)."""
        self._loaded_once = True
        self._stale = False
        self._keep_selection()
        self.model.set_fetch(self._make_fetch(**self.current_filters()))

    def reload(self) -> None:
        self.load()

    def on_filter_changed(self, *_args) -> None:
        self._filter_timer.stop()
        self.load()

    def on_data_changed(self, changes, _initiator) -> None:
        if not self._loaded_once:
            return
        if changes is not None and not (getattr(changes, "entities", frozenset()) & LIST_ENTITIES):
            return
        if self.isVisible():
            self.load()
        else:
            self._stale = True  # refresh when shown: hidden pages stay cheap

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.load()

    def _keep_selection(self) -> None:
        current = self.current_contact_id()
        if current is not None and self._pending is None:
            self._pending = current
            self._pending_explicit = False
            self._search_budget = max(0, (self.model.rowCount() - 1) // PAGE_SIZE)

    def _on_page_loaded(self, _rows: int) -> None:
        self._update_count()
        self._try_select()

    def _update_count(self, *_args) -> None:
        n = self.model.rowCount()
        if self.model.loading:
            text = self.tr("Loading…")
        elif n == 0 and (self.stage_filter.currentData() is not None or self.mine_only.isChecked()
                         or self.text_filter.text().strip()):
            text = self.tr("No contacts match these filters.")
        elif n == 0:
            text = self.tr("No contacts yet: press Ctrl+N to add one.")
        elif self.model.canFetchMore():
            text = self.tr("%n contact(s) shown, scroll for more", "", n)
        else:
            text = self.tr("%n contact(s)", "", n)
        self.count_label.setText(text)

    # --- selection --------------------------------------------------------------------
    def current_contact_id(self) -> uuid.UUID | None:
        index = self.table.currentIndex()
        return index.data(Roles.ID) if index.isValid() else None

    def row_of(self, contact_id) -> int | None:
        for row in range(self.model.rowCount()):
            if self.model.row_at(row).id == contact_id:
                return row
        return None

    def select_contact(self, contact_id) -> None:
        """Show ``contact_id`` in the detail panel and select its row (loading further
        pages if needed). A contact hidden by the filters is still shown in the panel."""
        cid = as_uuid(contact_id)
        if self.detail.contact_id != cid:
            self.detail.show_contact(cid)
        self._pending, self._pending_explicit, self._search_budget = cid, True, MAX_SEARCH_PAGES
        if not self.model.loading:
            self._try_select()

    def _try_select(self) -> None:
        if self._pending is None or self.model.loading:
            return
        row = self.row_of(self._pending)
        if row is not None:
            self._pending, self._pending_explicit = None, False
            index = self.model.index(row, 0)
            self.table.setCurrentIndex(index)
            self.table.scrollTo(index)
            return
        if self.model.canFetchMore() and self._search_budget > 0:
            self._search_budget -= 1
            self.model.fetchMore()  # _on_page_loaded comes back here
            return
        explicit, self._pending, self._pending_explicit = self._pending_explicit, None, False
        if not explicit:
            self.detail.show_contact(None)  # it left the list (deleted or filtered out)
        self._update_actions()

    def on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        cid = current.data(Roles.ID) if current.isValid() else None
        if cid is not None and cid != self.detail.contact_id:
            self.detail.show_contact(cid)
        elif cid is None and self._pending is None:
            self.detail.show_contact(None)
        self._update_actions()

    def _update_actions(self) -> None:
        has = self.current_contact_id() is not None or self.detail.contact_id is not None
        for action in (self.edit_action, self.stage_action, self.delete_action):
            action.setEnabled(has)

    def _target(self, contact_id=None) -> uuid.UUID | None:
        if contact_id is not None:
            return as_uuid(contact_id)
        return self.current_contact_id() or self.detail.contact_id

    # --- actions ----------------------------------------------------------------------
    def on_row_activated(self, index: QModelIndex) -> None:
        cid = index.data(Roles.ID)
        if cid is not None:
            self.contact_activated.emit(cid)
            self.edit_contact(cid)

    def new_contact(self) -> ContactEditorDialog:
        return self._open_editor(ContactEditorDialog(self.db, None, self))

    def edit_contact(self, contact_id=None) -> ContactEditorDialog | None:
        cid = self._target(contact_id)
        if cid is None:
            return None
        return self._open_editor(ContactEditorDialog(self.db, cid, self))

    def _open_editor(self, dialog: ContactEditorDialog) -> ContactEditorDialog:
        dialog.saved.connect(self.on_contact_saved)
        dialog.open_existing_requested.connect(self.select_contact)
        dialog.finished.connect(lambda _result: self._editor_closed(dialog))
        self.editor = dialog
        dialog.open()
        return dialog

    def _editor_closed(self, dialog: ContactEditorDialog) -> None:
        if self.editor is dialog:
            self.editor = None
        dialog.deleteLater()
        self.table.setFocus()

    def on_contact_saved(self, detail) -> None:
        self.select_contact(detail.id)
        self.show_message(self.tr("Saved {0}.").format(detail.display_name))

    def change_stage(self) -> None:
        cid = self._target()
        if cid is None:
            return
        if self.detail.contact is not None and self.detail.contact.id == cid:
            self.detail.change_stage()
        else:
            self.select_contact(cid)

    def delete_contact(self, contact_id=None) -> None:
        cid = self._target(contact_id)
        if cid is None:
            return
        row = self.row_of(cid)
        shown = self.detail.contact if self.detail.contact is not None and self.detail.contact.id == cid else None
        name = shown.display_name if shown else (self.model.row_at(row).display_name if row is not None else "")
        if not self.confirm_delete(name):
            return
        following = None
        if row is not None and self.model.rowCount() > 1:
            following = self.model.row_at(row + 1 if row + 1 < self.model.rowCount() else row - 1).id
        db, version = self.db, shown.version if shown else None
        run_write(self, lambda: contacts.delete_contact(db, cid, expected_version=version)).success(
            lambda _changes: self._on_deleted(name, following)).run()

    def _on_deleted(self, name: str, following) -> None:
        self.show_message(self.tr("Deleted {0}. It is in the trash and can be restored.").format(name))
        if following is not None:
            self.select_contact(following)
        else:
            self.detail.show_contact(None)
        self.table.setFocus()

    def confirm_delete(self, name: str) -> bool:
        answer = QMessageBox.question(
            self, self.tr("Delete contact"),
            self.tr("Delete {0}?\n\nThe contact is moved to the trash and can be restored.").format(name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self._message_timer.start()
        self.status_message.emit(text)

    def save_state(self) -> None:
        state.save_header(HEADER_KEY, self.table.horizontalHeader())
        state.save_splitter(type(self).__name__, self.splitter)
