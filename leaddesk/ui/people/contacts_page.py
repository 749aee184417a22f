"""The Contacts/Leads page: a filtered, paged list of people with a detail panel beside it.

Keyboard: Ctrl+N new contact, Enter edits the selected row, Delete deletes it (after
asking), F5 reloads, Ctrl+F goes to the filter. The list refreshes itself when contacts or
accounts change. The filter text matches anywhere in the name, company or e-mail as the
user types; a header click sorts by that column (in SQL, on a worker thread).
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.services.people import lists
from leaddesk.services.records import as_uuid
from leaddesk.ui import state
from leaddesk.ui.itemmodels.paged_table_model import PagedTableModel
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.jobs import app_signals
from leaddesk.ui.people._contact_actions import ContactActions
from leaddesk.ui.people._contact_columns import (
    COLUMN_WEIGHTS,
    HEADER_KEY,
    MIN_WIDTH,
    PHONE_COLUMN,
    SCORE_COLUMN,
    STAGE_COLUMN,
    TEMPERATURE_COLUMN,
    contact_columns,
)
from leaddesk.ui.people.contact_detail import ContactDetail
from leaddesk.ui.people.contact_editor import ContactEditorDialog
from leaddesk.ui.qualification.temperature import TemperatureBadgeDelegate, grade_label
from leaddesk.services.qualification.dto import Grade
from leaddesk.ui.widgets.stage_badges import STAGES, StageBadgeDelegate, stage_label, stage_long_label

#: Entities whose change can alter the list (rows, first e-mail/phone, company names).
#: "ContactDetail"/"AccountDetail" are what ui.jobs reports for writes returning a bare DTO.
LIST_ENTITIES = frozenset({"contact", "contact_email", "contact_phone", "account", "ContactDetail", "AccountDetail",
                           "app_user"})

PAGE_SIZE = 200
#: How many pages to read while looking for a contact to select (select_contact).
MAX_SEARCH_PAGES = 25


class ContactsPage(ContactActions, QWidget):
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
        # Several rows may be selected (Shift/Ctrl+click) for "Reassign…"; the detail
        # panel and the other actions follow the current row.
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (keyboard users)
        self.table.setWordWrap(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setItemDelegateForColumn(STAGE_COLUMN, StageBadgeDelegate(self.table))
        self.table.setItemDelegateForColumn(TEMPERATURE_COLUMN, TemperatureBadgeDelegate(self.table))
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
        heat = max([metrics.horizontalAdvance(grade_label(g)) + 2 * StageBadgeDelegate.H_PAD + 16 for g in Grade]
                   + [metrics.horizontalAdvance(self.model.headerData(TEMPERATURE_COLUMN,
                                                                      Qt.Orientation.Horizontal)) + 34])
        rest = max(0, self.table.viewport().width() - phone - stage - score - heat)
        total = sum(COLUMN_WEIGHTS.values())
        self._fitting = True
        try:
            # Narrow windows: the weighted columns shrink to MIN_WIDTH (then the table scrolls).
            for column, weight in COLUMN_WEIGHTS.items():
                header.resizeSection(column, max(MIN_WIDTH, int(rest * weight / total)))
            header.resizeSection(PHONE_COLUMN, phone)
            header.resizeSection(STAGE_COLUMN, stage)
            header.resizeSection(SCORE_COLUMN, score)
            header.resizeSection(TEMPERATURE_COLUMN, heat)
        finally:
            self._fitting = False

    def _on_section_resized(self, *_args) -> None:
        if not self._fitting:
            self._user_sized = True

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
        for action in (self.edit_action, self.stage_action, self.delete_action, self.reassign_action,
                       self.cadence_action):
            action.setEnabled(has)

    def _target(self, contact_id=None) -> uuid.UUID | None:
        if contact_id is not None:
            return as_uuid(contact_id)
        return self.current_contact_id() or self.detail.contact_id

    def save_state(self) -> None:
        state.save_header(HEADER_KEY, self.table.horizontalHeader())
        state.save_splitter(type(self).__name__, self.splitter)
