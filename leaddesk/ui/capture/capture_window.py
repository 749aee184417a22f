"""Capture ▸ Capture business cards…: a stack of card photos turned into leads of the
current event, by keyboard.

Images come by the file dialog (Ctrl+O), drag and drop (files or a folder) and paste
(Ctrl+V: an image, or file paths); a camera where Qt Multimedia exists. They queue on the
left and are read one after the other in the capture pool (the OCR engine is warmed up
there as the window opens), never on the UI thread. The card read is shown beside its
review form: Enter saves it (duplicates offered first) and shows the next one, Ctrl+Right
skips, Ctrl+Left goes back, Esc closes (asking first if cards are left unsaved).
"""

from __future__ import annotations


from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.ui import state
from leaddesk.ui.capture._sources import camera_support
from leaddesk.ui.capture._card_image import CardImageView
from leaddesk.ui.capture._event_choice import EventChoice
from leaddesk.ui.capture._intake import CaptureIntake
from leaddesk.ui.capture._queue_model import DONE, ERROR, READ, READING, SKIPPED, CaptureQueueModel, QueueItem
from leaddesk.ui.capture._same_person import SamePersonPanel
from leaddesk.ui.capture._saving import CaptureSaving
from leaddesk.ui.capture.review_form import ReviewForm
from leaddesk.ui.widgets.form_guard import DiscardGuard

NEXT_KEY, BACK_KEY = "Ctrl+Right", "Ctrl+Left"


class _KeyRouter(QObject):
    """Lets the window's keys win over a line edit's own (Ctrl+Left/Right move by word,
    Ctrl+V pastes text): the window's when the clipboard holds images or files."""

    def eventFilter(self, _obj, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride:
            combo = event.keyCombination().toCombined()
            if combo in (QKeySequence(NEXT_KEY)[0].toCombined(), QKeySequence(BACK_KEY)[0].toCombined()):
                return True  # not accepted: the window's shortcut runs
            if event.matches(QKeySequence.StandardKey.Paste) and _clipboard_has_cards():
                return True
        return False


def _clipboard_has_cards() -> bool:
    mime = QGuiApplication.clipboard().mimeData()
    return mime is not None and (mime.hasImage() or any(u.isLocalFile() for u in mime.urls()))


class CaptureWindow(CaptureIntake, CaptureSaving, QDialog):
    card_saved = Signal(object)  # services.capture.capture.CaptureSaved

    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.db = db
        self.setWindowTitle(self.tr("Capture business cards"))
        self.setWindowFlags(Qt.WindowType.Window | Qt.WindowType.WindowMinMaxButtonsHint
                            | Qt.WindowType.WindowCloseButtonHint)
        self.setAcceptDrops(True)
        self.model = CaptureQueueModel(self)
        self.current_row = -1
        self._reading = False
        self._pasted = 0
        self.engine_state = "loading"
        self._keys = _KeyRouter(self)
        self._build()
        self._init_saving()
        self._layout_top()
        self.guard = DiscardGuard(self, self.form.snapshot)
        self._show_nothing()
        self._warm_up()

    # --- building -------------------------------------------------------------------------
    def _build(self) -> None:
        self.events = EventChoice(self.db)
        self.open_button = QPushButton(self.tr("Open &images…"))
        self.open_button.setToolTip(self.tr("Card photos, several at once (Ctrl+O); or drop files or a folder "
                                            "here, or paste an image (Ctrl+V)"))
        self.open_button.clicked.connect(self.open_files)
        self.camera_button = QPushButton(self.tr("&Camera…"))
        usable, why = camera_support()
        self.camera_button.setToolTip(why)
        self.camera_button.setVisible(usable)
        if not usable:  # say why there is no camera button where the rep looks for one
            self.open_button.setToolTip(self.open_button.toolTip() + "\n" + why)
        self.camera_button.clicked.connect(self.open_camera)
        self.queue = QListView()
        self.queue.setObjectName("captureQueue")
        self.queue.setModel(self.model)
        self.queue.setWordWrap(True)
        self.queue.setSpacing(2)
        self.queue.setMinimumWidth(150)
        self.queue.selectionModel().currentRowChanged.connect(lambda cur, _prev: self.show_row(cur.row()))
        self.image = CardImageView()
        self.form = ReviewForm()
        self.form.editor_added.connect(lambda edit: edit.installEventFilter(self._keys))
        for edit in self.form.line_edits():
            edit.installEventFilter(self._keys)
        self.form.edited.connect(lambda: self.say(""))
        self.same_person = SamePersonPanel()
        self.back_button = QPushButton(self.tr("◀ Back"))
        self.back_button.setToolTip(self.tr("The card before (Ctrl+Left)"))
        self.skip_button = QPushButton(self.tr("Skip ▶"))
        self.skip_button.setToolTip(self.tr("Leave this card out and show the next (Ctrl+Right)"))
        self.save_button = QPushButton(self.tr("&Save && next"))
        self.save_button.setToolTip(self.tr("Save the card as a lead of the event and show the next (Enter)"))
        for button in (self.open_button, self.camera_button, self.back_button, self.skip_button):
            button.setAutoDefault(False)
        self.save_button.setDefault(True)
        self.back_button.clicked.connect(self.go_back)
        self.skip_button.clicked.connect(self.skip_card)
        self.save_button.clicked.connect(self.accept_card)
        self.progress = QProgressBar()
        self.progress.setFormat(self.tr("No cards yet"))
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status = QLabel()
        self.status.setObjectName("captureStatus")
        self.status.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("captureMessage")
        self.message.setWordWrap(True)
        for keys, slot in ((("Ctrl+Return", "Ctrl+Enter"), self.accept_card), ((NEXT_KEY,), self.skip_card),
                           ((BACK_KEY,), self.go_back), ((QKeySequence.StandardKey.Open,), self.open_files),
                           ((QKeySequence.StandardKey.Paste,), self.paste)):
            for key in keys:
                QShortcut(QKeySequence(key), self, slot)
        self.model.dataChanged.connect(self._update_progress)
        self.model.rowsInserted.connect(self._update_progress)

    def _layout_top(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.events, 1)
        top.addStretch(1)
        top.addWidget(self.open_button)
        top.addWidget(self.camera_button)
        right = QWidget()
        side = QVBoxLayout(right)
        side.setContentsMargins(4, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.form)
        self.form_scroll = scroll
        side.addWidget(scroll, 1)
        side.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.skip_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        side.addLayout(buttons)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.queue)
        # The same-person panel goes under the card: a card is wider than tall, so the room
        # is there, and the form beside it keeps every field in view.
        left = QWidget()
        beside = QVBoxLayout(left)
        beside.setContentsMargins(0, 0, 0, 0)
        beside.addWidget(self.image, 1)
        beside.addWidget(self.same_person)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([190, 560, 500])
        state.restore_splitter(type(self).__name__, self.splitter)
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.status, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(bottom)
        self.resize(1260, 680)
        geometry = state.value(f"{type(self).__name__}/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)

    # --- moving through the queue -----------------------------------------------------------
    def current_item(self) -> QueueItem | None:
        return self.model.item(self.current_row)

    def select_row(self, row: int) -> None:
        self.queue.setCurrentIndex(self.model.index(row, 0))
        if row == self.current_row:
            self.show_row(row)

    def show_row(self, row: int) -> None:
        self._keep_edits()
        self.current_row = row
        item = self.current_item()
        self.same_person.dismiss()
        self._pending = None
        if item is None:
            self._show_nothing()
            return
        read = item.read
        if read is None or not self.image.set_image(getattr(read, "stored_jpeg", None)):
            self.image.set_message(item.detail if item.status == ERROR else self.tr("Reading {0}…").format(item.name)
                                   if item.status in ("waiting", READING) else item.name)
        fields = item.fields
        if fields is not None:
            self.form.set_fields(fields)
        editable = item.status == READ
        self.form.setEnabled(editable)
        self.save_button.setEnabled(editable)
        self.skip_button.setEnabled(item.status not in DONE)
        self.back_button.setEnabled(row > 0)
        self.guard.mark_clean()
        if item.status in DONE:
            self.say(item.detail or "")
        elif editable:
            self.form.focus_first()
        self._update_progress()

    def _keep_edits(self) -> None:
        item = self.current_item()
        if item is not None and item.status == READ and self.guard.is_dirty():
            item.edited = self.form.fields()

    def _show_nothing(self) -> None:
        self.form.setEnabled(False)
        self.save_button.setEnabled(False)
        self.skip_button.setEnabled(False)
        self.back_button.setEnabled(self.model.rowCount() > 0)
        self.image.set_message(self.tr("All cards are done.") if self.model.rowCount() else
                               self.tr("Open card photos (Ctrl+O), drop them here or paste them (Ctrl+V)."))

    def form_guard_clean(self) -> None:
        self.guard.mark_clean()

    def go_next(self, *, say_error: bool = True) -> None:
        row = self.model.next_to_review(self.current_row)
        if row < 0:
            self._keep_edits()
            self.current_row = -1
            self.queue.clearSelection()
            self._show_nothing()
            self._update_progress()
            return
        self.select_row(row)

    def skip_card(self) -> None:
        item = self.current_item()
        if item is None or item.status in DONE:
            return
        self._keep_edits()
        self.model.update(item, status=SKIPPED, detail=self.tr("Skipped"))
        self.go_next()

    def go_back(self) -> None:
        if self.current_row <= 0:
            return
        row = self.current_row - 1
        item = self.model.item(row)
        if item is not None and item.status == SKIPPED:  # back to a skipped card: review it after all
            self.model.update(item, status=READ if item.read is not None else ERROR, detail="")
        self.select_row(row)

    # --- status -----------------------------------------------------------------------------
    def say(self, text: str) -> None:
        self.message.setText(text)

    def _update_progress(self, *_args) -> None:
        counts = self.model.counts()
        total = self.model.rowCount()
        done = sum(counts[s] for s in DONE)
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        # an empty queue is "no cards yet", not "0 of 1" (the range keeps a maximum of 1)
        self.progress.setFormat(self.tr("%v of %m cards done") if total else self.tr("No cards yet"))
        parts = [self.tr("{0} saved").format(counts["saved"])]
        if counts["read"]:
            parts.append(self.tr("{0} to review").format(counts["read"]))
        if counts["waiting"] + counts["reading"]:
            parts.append(self.tr("{0} to read").format(counts["waiting"] + counts["reading"]))
        for key, text in (("skipped", self.tr("{0} skipped")), ("error", self.tr("{0} unreadable"))):
            if counts[key]:
                parts.append(text.format(counts[key]))
        engine = {"loading": self.tr("OCR engine loading…"), "failed": self.tr("OCR engine unavailable")}.get(
            self.engine_state, self.tr("OCR engine ready"))
        self.status.setText(" · ".join(parts) + " — " + engine)

    # --- closing ------------------------------------------------------------------------------
    def unsaved_count(self) -> int:
        return sum(1 for i in self.model.items() if i.status not in DONE)

    def reject(self) -> None:
        """Esc: close; asks first when read cards would be lost. With the same-person panel
        open, Esc only closes the panel (back to the form)."""
        if self.same_person.isVisible():
            self.same_person.dismiss()
            self._pending = None
            self.say("")
            self.form.focus_first()
            return
        pending = self.unsaved_count()
        if pending or self.guard.is_dirty():
            self.guard.what = self.tr("this batch of cards ({0} not saved yet)").format(max(pending, 1))
            if not self.guard.ask():
                return
        state.save_splitter(type(self).__name__, self.splitter)
        state.set_value(f"{type(self).__name__}/geometry", self.saveGeometry())
        super().reject()


def open_capture_window(window) -> CaptureWindow:
    """Capture ▸ Capture business cards… for ``window.db`` (one per window)."""
    parent = window if isinstance(window, QWidget) else None
    for existing in (parent.findChildren(CaptureWindow) if parent is not None else ()):
        existing.show()
        existing.raise_()
        existing.activateWindow()
        return existing
    dialog = CaptureWindow(window.db, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
