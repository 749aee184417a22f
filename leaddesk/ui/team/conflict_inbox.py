"""The conflict inbox (sync notes 3.10): every conflict sync decided, grouped by record,
per field Kept / Other / Original with who and when; "Keep" or "Use other" for the
selection, or for everything at once.

Conflicts are informational: sync already applied a winner and nothing is lost, so the
dialog is never in the way (non-modal, one per window). Database work runs in
``run_read``/``run_write`` jobs; writes announce themselves on ``app_signals.data_changed``
(views refresh, the status-bar badge recounts).
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.services.team import conflicts
from leaddesk.ui import state
from leaddesk.ui.jobs import run_read, run_write
from leaddesk.ui.team._conflict_tree_model import (
    EDITED_DELETED_COLOR,
    FIELD,
    KEPT,
    ORIGINAL,
    OTHER,
    REJECTED_COLOR,
    WHEN,
    WHO,
    ConflictTreeModel,
    local_time,
)


class ConflictInboxDialog(QDialog):
    #: (open conflicts) after each load
    loaded = Signal(int)

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.busy = False
        self.setWindowTitle(self.tr("Sync conflicts"))
        self.setObjectName("conflictInbox")
        self.resize(1060, 560)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setObjectName("conflictStatus")
        self.status.hide()

        self.model = ConflictTreeModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in ((FIELD, 190), (KEPT, 170), (OTHER, 170), (ORIGINAL, 130), (WHO, 190), (WHEN, 120)):
            self.tree.setColumnWidth(column, width)
        state.restore_header(type(self).__name__, header)
        self.tree.selectionModel().selectionChanged.connect(self._update_buttons)
        self.tree.selectionModel().currentChanged.connect(self._show_detail)
        self.detail = QLabel()
        self.detail.setObjectName("conflictDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.detail.setStyleSheet("QLabel#conflictDetail { background: palette(base); border: 1px solid palette(mid);"
                                  " border-radius: 4px; padding: 6px 8px; }")
        self.detail.setMinimumHeight(self.detail.fontMetrics().lineSpacing() * 4 + 16)

        self.keep_button = QPushButton(self.tr("&Keep"))
        self.keep_button.setToolTip(self.tr("Close the selected conflicts; the kept value stays."))
        self.other_button = QPushButton(self.tr("&Use other"))
        self.other_button.setToolTip(self.tr("Apply the other value as a new edit; it syncs to everyone."))
        self.keep_all_button = QPushButton(self.tr("Keep &all"))
        self.other_all_button = QPushButton(self.tr("Use other for a&ll…"))
        self.keep_button.clicked.connect(self.keep_selected)
        self.other_button.clicked.connect(self.use_other_selected)
        self.keep_all_button.clicked.connect(self.keep_all)
        self.other_all_button.clicked.connect(self.use_other_all)
        actions = QHBoxLayout()
        for button in (self.keep_button, self.other_button):
            actions.addWidget(button)
        actions.addStretch(1)
        for button in (self.keep_all_button, self.other_all_button):
            actions.addWidget(button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.detail)
        layout.addWidget(self.status)
        layout.addLayout(actions)
        layout.addWidget(close)
        self._update_buttons()
        self.reload()

    # --- loading --------------------------------------------------------------------------
    def reload(self) -> None:
        run_read(self, lambda: conflicts.list_conflicts(self.db)).success(self._fill).run()

    def _fill(self, records) -> None:
        keep = {self.model.record_of(i).row_id for i in self.tree.selectionModel().selectedRows()}
        self.model.set_records(records)
        root = QModelIndex()
        for row in range(self.model.rowCount()):
            self.tree.setFirstColumnSpanned(row, root, True)
        self.tree.expandAll()
        for row, record in enumerate(self.model.records):
            if record.row_id in keep:
                self.tree.selectionModel().select(
                    self.model.index(row, 0), self.tree.selectionModel().SelectionFlag.Select
                    | self.tree.selectionModel().SelectionFlag.Rows)
        count, records_n = self.model.open_count, len(self.model.records)
        if count:
            what = (self.tr("1 open conflict") if count == 1 else self.tr("{0} open conflicts").format(count))
            where = (self.tr("on 1 record") if records_n == 1 else self.tr("on {0} records").format(records_n))
            self.summary.setText(what + " " + where + ". " + self.tr(
                "Sync has already applied the kept value everywhere and nothing is lost: "
                "“Use other” applies the other value as a new edit."))
        else:
            self.summary.setText(self.tr("No open conflicts. Everything you and your team changed is in place."))
        self._update_buttons()
        self._show_detail(self.tree.currentIndex())
        self.loaded.emit(count)

    def _show_detail(self, index: QModelIndex, _previous=None) -> None:
        line, record = self.model.line_of(index), self.model.record_of(index)
        if record is None:
            self.detail.setText(self.tr("Select a conflict to see both values in full, who made them and when."))
            return
        head = f"<b>{escape(record.entity_label)} · {escape(record.title)}</b>"
        if line is None:
            count = len(record.fields)
            self.detail.setText(head + "<br>" + (
                self.tr("1 field in conflict. “Keep” or “Use other” on this row answers it.") if count == 1 else
                self.tr("{0} fields in conflict. “Keep” or “Use other” on this row answers all of them.").format(
                    count)))
            return
        original = line.original if line.original is not None else self.tr("unknown")
        rows = [
            head + f" — {escape(line.label)} <span style='color:{self._kind_color(line)}'>"
                   f"({escape(line.kind_label)})</span>",
            self.tr("<b>Kept:</b> {0} <i>({1}, {2})</i>").format(
                escape(line.kept), escape(line.kept_by), local_time(line.kept_at)),
            self.tr("<b>Other:</b> {0} <i>({1}, {2})</i>").format(
                escape(line.other), escape(line.other_by), local_time(line.other_at)),
            self.tr("<b>Original:</b> {0}").format(escape(original)),
        ]
        if line.note:
            rows.append(escape(line.note))
        self.detail.setText("<br>".join(rows))

    def _kind_color(self, line) -> str:
        if line.kind == "rejected":
            return REJECTED_COLOR.name()
        if line.kind == "edit_deleted":
            return EDITED_DELETED_COLOR.name()
        return self.palette().color(QPalette.ColorRole.PlaceholderText).name()

    # --- actions ----------------------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        return self.model.ids_of(self.tree.selectionModel().selectedRows())

    def _update_buttons(self, *_args) -> None:
        has_selection = bool(self.tree.selectionModel().selectedRows())
        has_any = bool(self.model.records)
        self.keep_button.setEnabled(has_selection and not self.busy)
        self.other_button.setEnabled(has_selection and not self.busy)
        self.keep_all_button.setEnabled(has_any and not self.busy)
        self.other_all_button.setEnabled(has_any and not self.busy)

    def keep_selected(self) -> None:
        ids = self.selected_ids()
        if ids:
            self._write(lambda: conflicts.keep(self.db, ids))

    def use_other_selected(self) -> None:
        ids = self.selected_ids()
        if ids:
            self._write(lambda: conflicts.use_other(self.db, ids))

    def keep_all(self) -> None:
        ids = self.model.ids_of(self.model.index(r, 0) for r in range(self.model.rowCount()))
        if ids:
            self._write(lambda: conflicts.keep_all(self.db, ids))

    def use_other_all(self) -> None:
        ids = self.model.ids_of(self.model.index(r, 0) for r in range(self.model.rowCount()))
        if ids and self.confirm(self.tr(
                "Apply the other value of all {0} conflict(s) as new edits? They replace the values "
                "in use now, for everyone, at the next sync.").format(len(ids))):
            self._write(lambda: conflicts.use_other_all(self.db, ids))

    def confirm(self, text: str) -> bool:
        answer = QMessageBox.question(self, self.tr("Use other for all"), text,
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def _write(self, fn) -> None:
        self.busy = True
        self.status.hide()
        self._update_buttons()
        run_write(self, fn).success(self._written).finally_(self._done).run()

    def _written(self, result) -> None:
        if result.skipped:
            first = result.skipped[0][1]
            self.status.setText(self.tr("{0} conflict(s) could not be applied and stay open. {1}").format(
                len(result.skipped), first))
            self.status.setStyleSheet(f"color: {REJECTED_COLOR.name()};")
            self.status.show()

    def _done(self) -> None:
        self.busy = False
        self.reload()

    def closeEvent(self, event) -> None:
        state.save_header(type(self).__name__, self.tree.header())
        super().closeEvent(event)

    def done(self, result: int) -> None:
        state.save_header(type(self).__name__, self.tree.header())
        super().done(result)


def open_conflict_inbox(main_window) -> ConflictInboxDialog:
    """Show the inbox for ``main_window.db`` (one per window: an open one is raised and
    reloaded). Wire this to a menu entry and to the status-bar badge."""
    parent = main_window if isinstance(main_window, QWidget) else None
    for dialog in (parent.findChildren(ConflictInboxDialog) if parent is not None else ()):
        if dialog.db is main_window.db:
            dialog.reload()
            dialog.show()
            dialog.raise_()
            dialog.activateWindow()
            return dialog
    dialog = ConflictInboxDialog(main_window.db, parent)
    dialog.show()
    return dialog

