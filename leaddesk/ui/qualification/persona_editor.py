"""Qualification ▸ Buyer personas…: the managers' persona editor.

The list of personas (the "avoid" profiles of closed-lost segments marked) beside a form
with every field of the selected one, and a live "matches N leads" line for the persona
as it is being edited (counted by the service in a read job, a moment after the last key).
Saving or deleting a persona re-matches every lead to its best persona in a background
job with a progress bar; the contact list refreshes when it is done. Reps see everything
read-only: personas are team configuration (the service refuses their edits too).
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import QObject, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.errors import LeadDeskError
from leaddesk.services.qualification import personas
from leaddesk.services.records import Changes
from leaddesk.ui.jobs import app_signals, run_background, run_read, run_write
from leaddesk.ui.qualification._persona_form import PersonaForm
from leaddesk.ui.qualification._persona_list_model import PersonaListModel
from leaddesk.ui.widgets.form_errors import FormErrors
from leaddesk.ui.widgets.form_guard import DiscardGuard

#: Milliseconds after the last edit before the match count is asked for.
COUNT_DELAY_MS = 300


class _Progress(QObject):
    """Carries the re-match's progress from its worker thread to the progress bar."""

    step = Signal(int, int)


class PersonaEditorDialog(QDialog):
    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.db = db
        self.setWindowTitle(self.tr("Buyer personas"))
        self.resize(960, 560)
        self.refusal = personas.editing_refused(db)
        self.current: personas.PersonaDetail | None = None
        self._count_generation = 0
        self._rematching = self._rematch_again = False
        self._select_after_load: uuid.UUID | None = None

        self.model = PersonaListModel(self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setObjectName("personaList")
        self.list.setMinimumWidth(220)
        self.list.selectionModel().currentChanged.connect(self._on_current_changed)
        self.new_button = QPushButton(self.tr("&New persona"))
        self.delete_button = QPushButton(self.tr("&Delete"))
        self.new_button.clicked.connect(self.new_persona)
        self.delete_button.clicked.connect(self.delete_persona)
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(self.new_button)
        row.addWidget(self.delete_button)
        left_box.addLayout(row)

        self.form = PersonaForm()
        self.form.changed.connect(self._on_edited)
        self.guard = DiscardGuard(self, self.form.values, what=self.tr("this persona"))
        self.match_count = QLabel()
        self.match_count.setObjectName("matchCount")
        font = self.match_count.font()
        font.setBold(True)
        self.match_count.setFont(font)
        self.review_button = QPushButton(self.tr("Mark &reviewed"))
        self.review_button.clicked.connect(self.mark_reviewed)
        self.save_button = QPushButton(self.tr("&Save"))
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton(self.tr("Re&vert"))
        self.revert_button.clicked.connect(lambda: self._show(self.current))
        right = QWidget()
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(0, 0, 0, 0)
        right_box.addWidget(self.match_count)
        right_box.addWidget(self.form, 1)
        actions = QHBoxLayout()
        actions.addWidget(self.review_button)
        actions.addStretch(1)
        actions.addWidget(self.revert_button)
        actions.addWidget(self.save_button)
        right_box.addLayout(actions)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([240, 740])
        self.read_only_note = QLabel(self.refusal or "")
        self.read_only_note.setObjectName("readOnlyNote")
        self.read_only_note.setWordWrap(True)
        self.read_only_note.setVisible(bool(self.refusal))
        self.progress = QProgressBar()
        self.progress.setFormat(self.tr("Matching leads to personas… %v of %m"))
        self.progress.hide()
        self.status = QLabel()
        self.status.setObjectName("rematchStatus")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.read_only_note)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)
        self.errors = FormErrors(self, {"name": self.form.name, **self.form.lists,
                                        "company_size_min": self.form.size_min,
                                        "company_size_max": self.form.size_max, **self.form.texts,
                                        "description": self.form.description})
        self.errors.install(layout)
        self._progress = _Progress(self)
        self._progress.step.connect(self._on_progress)
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(COUNT_DELAY_MS)
        self._count_timer.timeout.connect(self.count_matches)
        if self.refusal:
            self.form.set_read_only(True)
            for b in (self.new_button, self.delete_button, self.review_button, self.save_button, self.revert_button):
                b.hide()
        self._update_buttons()
        self.reload()

    # --- the list -----------------------------------------------------------------------

    def reload(self, select: uuid.UUID | None = None) -> None:
        self._select_after_load = select if select is not None else (self.current.id if self.current else None)
        run_read(self, lambda: personas.list_personas(self.db)).success(self._fill).run()

    def _fill(self, rows) -> None:
        wanted = self._select_after_load
        with QSignalBlocker(self.list.selectionModel()):
            self.model.set_personas(rows)
        row = self.model.row_of(wanted) if wanted is not None else -1
        if row < 0 and self.model.rowCount() and self.current is None and not self.dirty():
            row = 0
        if row >= 0:
            self.list.setCurrentIndex(self.model.index(row))  # shows it (currentChanged)
        elif wanted is not None:
            self._show(None)

    def _on_current_changed(self, current, previous) -> None:
        if not self.guard.confirm_discard():  # keep editing: back to the persona being edited
            with QSignalBlocker(self.list.selectionModel()):
                self.list.setCurrentIndex(previous)
            return
        self._show(self.model.personas[current.row()] if current.isValid() else None)

    def _show(self, persona) -> None:
        self.current = persona
        self.errors.clear()
        self.form.load(persona)
        self.guard.mark_clean()
        self._update_buttons()
        self.count_matches()

    def dirty(self) -> bool:
        return self.guard.is_dirty()

    def reject(self) -> None:
        if self.guard.confirm_discard():
            super().reject()

    def _update_buttons(self) -> None:
        dirty = self.dirty()
        self.save_button.setEnabled(dirty or self.current is None)
        self.revert_button.setEnabled(dirty)
        self.delete_button.setEnabled(self.current is not None)
        self.review_button.setEnabled(self.current is not None and not dirty)

    def _on_edited(self) -> None:
        self._update_buttons()
        self._count_timer.start()

    # --- the live count -----------------------------------------------------------------

    def count_matches(self) -> None:
        """Ask (in a read job) how many leads the persona as edited matches."""
        self._count_timer.stop()
        self._count_generation += 1
        generation, values = self._count_generation, self.form.values()
        self.match_count.setText(self.tr("Counting matching leads…"))
        run_read(self, lambda: personas.count_matches(self.db, values)).success(
            lambda result: self._show_count(generation, result)).failure(
            lambda exc: self._count_failed(generation, exc)).run()

    def _show_count(self, generation: int, result) -> None:
        if generation != self._count_generation:
            return  # an older count: the form changed since
        matched, total = result
        text = self.tr("Matches 1 lead") if matched == 1 else self.tr("Matches {0} leads").format(f"{matched:,}")
        self.match_count.setText(text + self.tr(" of {0} (a match scores {1} or more)")
                                 .format(f"{total:,}", personas.BEST_MATCH_MINIMUM))
        self.match_count.setStyleSheet("")

    def _count_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._count_generation:
            return
        if not isinstance(exc, LeadDeskError):
            raise exc
        self.match_count.setText(self.tr("Cannot count matches: {0}").format(exc))
        self.match_count.setStyleSheet("color: #b3261e;")

    # --- writing ------------------------------------------------------------------------

    def new_persona(self) -> None:
        if not self.guard.confirm_discard():
            return
        with QSignalBlocker(self.list.selectionModel()):
            self.list.clearSelection()
            self.list.setCurrentIndex(self.model.index(-1))
        self._show(None)
        self.form.tabs.setCurrentIndex(0)
        self.form.name.setFocus()

    def save(self) -> None:
        values, current = self.form.values(), self.current
        self.errors.clear()
        if current is None:
            work = lambda: personas.create_persona(self.db, **values)  # noqa: E731
        else:
            work = lambda: personas.update_persona(self.db, current.id, expected_version=current.version,  # noqa: E731
                                                   **values)
        run_write(self, work).success(self._saved).failure(self.errors.show).run()

    def _saved(self, persona) -> None:
        self.current = persona
        self.guard.mark_clean()  # saved: what the form shows is the persona now
        self.reload(select=persona.id)
        self.rematch()

    def delete_persona(self) -> None:
        p = self.current
        if p is None or not self.ask_confirm(self.tr("Delete the persona \"{0}\"? Leads matched to it are "
                                                     "matched again (it can be restored from the trash).")
                                             .format(p.name)):
            return
        run_write(self, lambda: personas.delete_persona(self.db, p.id, expected_version=p.version)).success(
            self._deleted).failure(self.errors.show).run()

    def _deleted(self, _changes) -> None:
        self.current = None
        self.guard.mark_clean()
        self.reload()
        self.rematch()

    def ask_confirm(self, text: str) -> bool:
        answer = QMessageBox.question(self, self.tr("Delete persona"), text)
        return answer == QMessageBox.StandardButton.Yes

    def mark_reviewed(self) -> None:
        p = self.current
        if p is not None:
            run_write(self, lambda: personas.mark_reviewed(self.db, p.id, expected_version=p.version)).success(
                lambda done: self.reload(select=done.id)).failure(self.errors.show).run()

    # --- re-matching every lead ---------------------------------------------------------

    def rematch(self) -> None:
        """Re-match every lead in the background (once more after this one if asked again)."""
        if self._rematching:
            self._rematch_again = True
            return
        self._rematching, self._rematch_again = True, False
        self.status.clear()
        self.progress.setRange(0, 0)
        self.progress.show()
        step = self._progress.step.emit
        run_background(self, lambda: personas.rematch_all(self.db, progress=step)).success(
            self._rematched).failure(self._rematch_failed).run()

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _rematched(self, result) -> None:
        self._finish_rematch()
        self.status.setText(self.tr("Leads matched again: {0} of {1} changed persona.")
                            .format(f"{result.changed:,}", f"{result.scored:,}"))
        app_signals.data_changed.emit(Changes(frozenset({"contact"})), self)
        self.count_matches()

    def _rematch_failed(self, exc: BaseException) -> None:
        self._finish_rematch()
        self.errors.show(exc)

    def _finish_rematch(self) -> None:
        self._rematching = False
        self.progress.hide()
        if self._rematch_again:
            QTimer.singleShot(0, self.rematch)


def open_persona_editor(window) -> PersonaEditorDialog:
    """Qualification ▸ Buyer personas… (one window; asking again brings it to the front)."""
    dialog = getattr(window, "_persona_editor", None)
    try:
        if dialog is not None and dialog.isVisible():
            dialog.raise_()
            dialog.activateWindow()
            return dialog
    except RuntimeError:  # deleted with its window
        pass
    dialog = PersonaEditorDialog(window.db, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window._persona_editor = dialog
    dialog.show()
    return dialog
