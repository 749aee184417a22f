"""Team ▸ Duplicates: pairs of contacts or accounts found after sync, compared side by side.

"Show" picks the kind (contacts or accounts, each with its count). Left, the queue
(:class:`DuplicateCandidatesModel`, surest first) and the recent merges of that kind;
right, the two records with, for every field whose values differ, a choice of the value
to keep. "Merge into left/right" picks the record that stays; everything of the other
(a contact's e-mails, phones, activities and deals; an account's contacts, deals and
activities) moves to it. A merge can be undone from the banner right after it, or later
from "Recent merges". All database work runs in jobs (``ui/jobs.py``); writes announce
themselves on ``app_signals.data_changed``.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.services.people import account_duplicates, duplicates
from leaddesk.ui import errors as ui_errors
from leaddesk.ui.formatting import format_moment
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.jobs import app_signals, run_read, run_write
from leaddesk.ui.people._duplicate_candidates_model import DuplicateCandidatesModel
from leaddesk.ui.people._duplicate_comparison import ContactComparison
from leaddesk.ui.people._duplicate_terms import ACCOUNT, CONTACT, KINDS, LEFT, RIGHT, _kind, tr


class DuplicateReviewDialog(QDialog):
    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.db = db
        self.last_merge_id = None
        self.last_merge_kind = CONTACT
        self.kind = CONTACT
        self.counts = {CONTACT: 0, ACCOUNT: 0}
        self.setWindowTitle(tr("Review duplicates"))
        self.resize(1180, 660)
        self.model = DuplicateCandidatesModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in ((0, 120), (1, 120), (2, 46)):
            header.resizeSection(col, width)
        self.table.selectionModel().currentRowChanged.connect(self.on_candidate_changed)
        self.merges = QListWidget()
        self.merges.setWordWrap(True)
        self.merges.setAlternatingRowColors(True)
        self.merges.currentRowChanged.connect(lambda _r: self._update_buttons())
        self.undo_selected_button = QPushButton(tr("&Undo selected merge"))
        self.undo_selected_button.clicked.connect(self.undo_selected)
        merges_page = QWidget()
        merges_layout = QVBoxLayout(merges_page)
        merges_layout.addWidget(self.merges, 1)
        merges_layout.addWidget(self.undo_selected_button, 0, Qt.AlignmentFlag.AlignRight)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.table, tr("To review"))
        self.tabs.addTab(merges_page, tr("Recent merges"))
        self.kind_box = QComboBox()
        self.kind_box.setToolTip(tr("Review duplicate contacts (people) or duplicate accounts (companies)."))
        for kind in (CONTACT, ACCOUNT):
            self.kind_box.addItem("", kind)
        self._update_kind_labels()
        self.kind_box.currentIndexChanged.connect(self.on_kind_changed)
        kind_label = QLabel(tr("&Show:"))
        kind_label.setBuddy(self.kind_box)
        kind_row = QHBoxLayout()
        kind_row.addWidget(kind_label)
        kind_row.addWidget(self.kind_box)
        kind_row.addStretch(1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(kind_row)
        left_layout.addWidget(self.tabs, 1)

        self.comparison = ContactComparison()
        self.empty = QLabel(tr("No possible duplicates to review.\nNew ones are looked for after every sync."))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setEnabled(False)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.comparison)
        self.merge_left_button = QPushButton(tr("Merge into &left"))
        self.merge_right_button = QPushButton(tr("Merge into &right"))
        self.dismiss_button = QPushButton(tr("&Not a duplicate"))
        self.merge_left_button.clicked.connect(lambda: self.merge_into(LEFT))
        self.merge_right_button.clicked.connect(lambda: self.merge_into(RIGHT))
        self.dismiss_button.clicked.connect(self.dismiss)
        actions = QHBoxLayout()
        actions.addWidget(self.dismiss_button)
        actions.addStretch(1)
        actions.addWidget(self.merge_left_button)
        actions.addWidget(self.merge_right_button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(6, 0, 0, 0)
        right_layout.addWidget(self.stack, 1)
        right_layout.addLayout(actions)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([490, 690])

        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.undo_button = QPushButton(tr("&Undo merge"))
        self.undo_button.clicked.connect(lambda: self.undo(self.last_merge_id))
        self.undo_button.hide()
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.banner, 1)
        bottom.addWidget(self.undo_button)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)
        app_signals.data_changed.connect(self.on_data_changed)
        self._update_texts()
        self._update_buttons()
        self.reload()

    # --- loading ----------------------------------------------------------------------------

    def reload(self) -> None:
        kind, db = self.kind, self.db

        def load():
            contact_pairs = duplicates.list_candidates(db)
            account_pairs = account_duplicates.list_candidates(db)
            return kind, contact_pairs, account_pairs

        def merges():
            service = account_duplicates if kind == ACCOUNT else duplicates
            return kind, service.list_merges(db)

        run_read(self, load).success(self._fill).run()
        run_read(self, merges).success(self._fill_merges).run()

    def _fill(self, result) -> None:
        kind, contact_pairs, account_pairs = result
        self.counts = {CONTACT: len(contact_pairs), ACCOUNT: len(account_pairs)}
        self._update_kind_labels()
        if kind != self.kind:
            return  # the kind changed meanwhile; its own reload fills the list
        candidates = account_pairs if kind == ACCOUNT else contact_pairs
        current = self.current_candidate()
        self.model.set_candidates(candidates, kind)
        self.tabs.setTabText(0, tr("To review (%1)").replace("%1", QLocale().toString(len(candidates))))
        row = self.model.row_of(current.id) if current is not None else -1
        if self.model.rowCount():
            self.table.selectRow(max(row, 0))
        else:
            self.on_candidate_changed(QModelIndex())

    def _fill_merges(self, result) -> None:
        kind, merges = result
        if kind != self.kind:
            return
        self.merges.clear()
        for m in merges:
            when = format_moment(m.at)
            text = tr("%1 merged into %2").replace("%1", m.loser_name).replace("%2", m.survivor_name)
            text += "\n" + (tr("%1 by %2").replace("%1", when).replace("%2", m.by_name) if m.by_name else when)
            item = QListWidgetItem(text)
            item.setData(Roles.ID, m.id)
            item.setData(Roles.ROW, m)
            self.merges.addItem(item)
        self._update_buttons()

    def _update_kind_labels(self) -> None:
        loc = QLocale()
        for i, (kind, text) in enumerate(((CONTACT, tr("Contacts (%1)")), (ACCOUNT, tr("Accounts (%1)")))):
            self.kind_box.setItemText(i, text.replace("%1", loc.toString(self.counts[kind])))

    def _update_texts(self) -> None:
        noun = tr("account") if self.kind == ACCOUNT else tr("contact")
        self.merge_left_button.setToolTip(tr("The left %1 stays; the right one is merged into it.").replace("%1", noun))
        self.merge_right_button.setToolTip(tr("The right %1 stays; the left one is merged into it.").replace("%1", noun))
        self.empty.setText(tr("No possible duplicate accounts to review.\nNew ones are looked for after every sync.")
                           if self.kind == ACCOUNT else
                           tr("No possible duplicate contacts to review.\nNew ones are looked for after every sync."))

    def show_kind(self, kind: str) -> None:
        """Show the pairs of ``kind`` ("contact" or "account")."""
        self.kind_box.setCurrentIndex(self.kind_box.findData(kind))

    def on_kind_changed(self, _index: int) -> None:
        kind = self.kind_box.currentData()
        if kind == self.kind:
            return
        self.kind = kind
        self.model.set_candidates([], kind)
        self.merges.clear()
        self.on_candidate_changed(QModelIndex())
        self._update_texts()
        self.reload()

    def on_data_changed(self, _changes, initiator) -> None:
        if initiator is not self:
            self.reload()

    def current_candidate(self):
        index = self.table.currentIndex()
        return self.model.candidate(index.row()) if index.isValid() else None

    def on_candidate_changed(self, current: QModelIndex, _previous=None) -> None:
        if current.isValid():
            self.comparison.show_pair(self.model.candidate(current.row()))
            self.stack.setCurrentWidget(self.comparison)
        else:
            self.stack.setCurrentWidget(self.empty)
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = self.current_candidate() is not None
        for button in (self.merge_left_button, self.merge_right_button, self.dismiss_button):
            button.setEnabled(has)
        self.undo_selected_button.setEnabled(self.merges.currentItem() is not None)

    # --- decisions --------------------------------------------------------------------------

    def merge_into(self, survivor: int) -> None:
        cand = self.current_candidate()
        if cand is None:
            return
        keep, gone = (cand.a, cand.b) if survivor == LEFT else (cand.b, cand.a)
        choices = self.comparison.choices(survivor)
        kind = _kind(cand)
        service = account_duplicates if kind == ACCOUNT else duplicates
        run_write(self, lambda: service.merge(self.db, keep.id, gone.id, choices=choices, candidate_id=cand.id)) \
            .success(lambda merge_id: self._merged(merge_id, keep, gone, kind)).failure(self._failed).run()

    def _merged(self, merge_id, keep, gone, kind: str = CONTACT) -> None:
        self.last_merge_id = merge_id
        self.last_merge_kind = kind
        self._say(tr("Merged %1 into %2. Every %3 is now on %2.")
                  .replace("%1", gone.display_name).replace("%2", keep.display_name).replace("%3", tr(KINDS[kind][1])))
        self.undo_button.show()
        self.reload()

    def dismiss(self) -> None:
        cand = self.current_candidate()
        if cand is None:
            return
        run_write(self, lambda: duplicates.dismiss(self.db, cand.id)) \
            .success(lambda _r: self._dismissed(cand)).failure(self._failed).run()

    def _dismissed(self, cand) -> None:
        self._say(tr("%1 and %2 are marked as different %3; they will not be suggested again.")
                  .replace("%1", cand.a.display_name).replace("%2", cand.b.display_name)
                  .replace("%3", tr(KINDS[_kind(cand)][2])))
        self.undo_button.hide()
        self.reload()

    def undo_selected(self) -> None:
        item = self.merges.currentItem()
        if item is not None:
            self.undo(item.data(Roles.ID), item.data(Roles.ROW).entity)

    def undo(self, merge_id, kind: str | None = None) -> None:
        if merge_id is None:
            return
        kind = kind or (self.last_merge_kind if merge_id == self.last_merge_id else self.kind)
        service = account_duplicates if kind == ACCOUNT else duplicates
        run_write(self, lambda: service.undo_merge(self.db, merge_id)) \
            .success(self._undone).failure(self._failed).run()

    def _undone(self, result) -> None:
        if result.merge_id == self.last_merge_id:
            self.last_merge_id = None
            self.undo_button.hide()
        self._say(result.message)
        self.reload()

    def _failed(self, exc) -> None:
        ui_errors.show_error(self, exc)
        self.reload()

    def _say(self, text: str) -> None:
        self.banner.setText(text)


def open_duplicate_review(main_window) -> DuplicateReviewDialog:
    """Open the review (for the main window's menu: Team ▸ Duplicates…)."""
    dialog = DuplicateReviewDialog(main_window.db, main_window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
