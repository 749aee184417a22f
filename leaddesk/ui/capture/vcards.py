"""Capture ▸ Import vCards (.vcf)… and Export vCards…: a file in, its cards saved as leads
of the current event (in a worker, with progress, then a summary); the contacts selected
(or the list as filtered, or everyone) out to one .vcf file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.ui import errors, state
from leaddesk.ui.capture._event_choice import EventChoice
from leaddesk.ui.jobs import run_read, run_write

VCF_FILTER = "vCards (*.vcf *.vcard);;All files (*)"
FOLDER_KEY = "VcfImport/folder"


class _Progress(QObject):
    """Created on the UI thread; the worker's progress hook emits it (queued across threads)."""

    moved = Signal(int, int)


class VcfImportDialog(QDialog):
    """The file, what to do with a card that is someone already here, the event; Import runs
    it in the write pool and shows created / updated / skipped / errors."""

    imported = Signal(object)  # services.capture.vcards.VcfImportResult

    def __init__(self, db: Database, path: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.path = path
        self.result = None
        self.setWindowTitle(self.tr("Import vCards"))
        self.events = EventChoice(db)
        self.on_duplicate = QComboBox()
        for value, text in (("skip", self.tr("Skip the card")), ("update", self.tr("Update that contact")),
                            ("create", self.tr("Create a new contact anyway"))):
            self.on_duplicate.addItem(text, value)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat(self.tr("%v of %m cards"))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow(self.tr("File:"), QLabel(Path(path).name))
        form.addRow(self.tr("Someone already &here:"), self.on_duplicate)
        form.addRow(self.events)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton(self.tr("&Import"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setDefault(True)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self.resize(460, self.sizeHint().height())

    def start(self) -> None:
        from leaddesk.services.capture import vcards

        db, path, policy, event = self.db, self.path, self.on_duplicate.currentData(), self.events.event_id()
        hook = _Progress(self)
        hook.moved.connect(self._moved)
        self.import_button.setEnabled(False)
        self.summary.setText(self.tr("Importing…"))

        def work():
            data = Path(path).read_bytes()
            return vcards.import_vcf(db, data, event_id=event, on_duplicate=policy,
                                     progress=lambda done, total: hook.moved.emit(done, total))

        run_write(self, work).success(self._done).failure(self._failed).run()

    def _moved(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _done(self, result) -> None:
        self.result = result
        text = self.tr("{0} created, {1} updated, {2} skipped, {3} with errors.").format(
            result.created, result.updated, result.skipped, len(result.errors))
        if result.errors:
            text += "\n" + "\n".join(result.errors[:8]) + ("\n…" if len(result.errors) > 8 else "")
        self.summary.setText(text)
        self.progress.setValue(self.progress.maximum())
        self.buttons.clear()
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close).setDefault(True)
        self.buttons.rejected.connect(self.accept)
        self.imported.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self.import_button.setEnabled(True)
        self.summary.setText(self.tr("Nothing was imported."))
        errors.show_error(self, exc)


def import_vcards(window, path: str | None = None) -> VcfImportDialog | None:
    """Capture ▸ Import vCards (.vcf)…: choose the file, then the dialog."""
    parent = window if isinstance(window, QWidget) else None
    if path is None:
        path, _f = QFileDialog.getOpenFileName(parent, QDialog.tr("Import vCards"), str(state.value(FOLDER_KEY, "")),
                                               VCF_FILTER)
        if not path:
            return None
        state.set_value(FOLDER_KEY, str(Path(path).parent))
    dialog = VcfImportDialog(window.db, path, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def contacts_to_export(window) -> tuple[list | None, str]:
    """(contact ids or None for everyone, how to name them): the rows selected in the
    contact list, else the list as filtered, else every contact."""
    page = getattr(window, "contacts_page", None)
    if page is None:
        return None, QDialog.tr("all contacts")
    table, model = page.table, page.model
    rows = sorted(index.row() for index in table.selectionModel().selectedRows())
    if len(rows) > 1:
        return [model.row_at(r).id for r in rows], QDialog.tr("the {0} selected contacts").format(len(rows))
    filters = page.current_filters()
    if any(filters.get(key) for key in ("stage", "owner_id", "text")):
        ids = [model.row_at(r).id for r in range(model.rowCount())]
        return ids, QDialog.tr("the {0} contacts in the list").format(len(ids))
    return None, QDialog.tr("all contacts")


def export_vcards(window, path: str | None = None):
    """Capture ▸ Export vCards…: to one .vcf file, written in a worker."""
    from leaddesk.services.capture import vcards

    parent = window if isinstance(window, QWidget) else None
    ids, what = contacts_to_export(window)
    if path is None:
        start = str(Path(str(state.value(FOLDER_KEY, ""))) / "contacts.vcf")
        path, _f = QFileDialog.getSaveFileName(parent, QDialog.tr("Export {0} as vCards").format(what), start,
                                               VCF_FILTER)
        if not path:
            return None
        state.set_value(FOLDER_KEY, str(Path(path).parent))
    db, target = window.db, Path(path)

    def work() -> int:
        text = vcards.export_vcf(db, ids)
        target.write_text(text, encoding="utf-8")
        return text.count("BEGIN:VCARD")

    def done(count: int) -> None:
        message = QDialog.tr("Exported {0} cards to {1}.").format(count, target.name)
        show = getattr(window, "_show_status", None)
        if show is not None:
            show(message)
        else:
            QMessageBox.information(parent, QDialog.tr("Export vCards"), message)

    return run_read(parent, work).success(done).run()
