"""How cards come into the capture window and get read, mixed into the window: the file
dialog, drag and drop, paste and the camera add to the queue; the capture pool warms the
OCR engine up, then reads the queue one card after the other (never on the UI thread).
A card that cannot be read is marked as an error in the queue and the batch goes on.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog

from leaddesk.capture.fields import CaptureError
from leaddesk.ui import state
from leaddesk.ui.capture._reading import read_one, warm_up
from leaddesk.ui.capture._sources import FILE_FILTER, items_from_mime, items_from_paths
from leaddesk.ui.capture._queue_model import DONE, ERROR, READ, READING, QueueItem
from leaddesk.ui.jobs import run_capture


class CaptureIntake:
    """The intake of :class:`~leaddesk.ui.capture.capture_window.CaptureWindow`."""

    # --- the engine -----------------------------------------------------------------------
    def _warm_up(self) -> None:
        run_capture(self, warm_up).success(lambda _r: self._engine_is("ready")).failure(
            lambda exc: self._engine_is("failed", exc)).run()

    def _engine_is(self, value: str, exc: BaseException | None = None) -> None:
        self.engine_state = value
        if exc is not None:
            self.say(self.tr("The OCR engine did not load ({0}); QR codes may still be read.").format(exc))
        self._update_progress()

    # --- adding cards -----------------------------------------------------------------------
    def add_paths(self, paths) -> int:
        return self.add_items(items_from_paths(paths))

    def add_items(self, items: list[QueueItem]) -> int:
        self.model.add(items)
        if items and (self.current_row < 0 or self.current_item().status in DONE):
            self.select_row(self.model.row_of(items[0]))
        self._read_next()
        return len(items)

    def open_files(self) -> None:
        folder = str(state.value("CaptureWindow/folder", ""))
        paths, _f = QFileDialog.getOpenFileNames(self, self.tr("Open card photos"), folder,
                                                 self.tr(FILE_FILTER))
        if paths:
            state.set_value("CaptureWindow/folder", str(Path(paths[0]).parent))
            self.add_paths(paths)

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        items = items_from_mime(mime, pasted_so_far=self._pasted) if mime is not None else []
        self._pasted += sum(isinstance(i.source, bytes) for i in items)
        if not items:
            self.say(self.tr("The clipboard holds no image and no image files."))
        self.add_items(items)

    def open_camera(self):
        from leaddesk.ui.capture._camera import CameraDialog

        dialog = CameraDialog(self)
        dialog.photo_taken.connect(lambda data: self.add_items(
            [QueueItem(self.tr("Photo {0}").format(len(self.model.items()) + 1), data)]))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        items = items_from_mime(event.mimeData(), pasted_so_far=self._pasted)
        if items:
            event.acceptProposedAction()
            self.add_items(items)

    # --- reading, one card after the other ------------------------------------------------------
    def _read_next(self) -> None:
        if self._reading:
            return
        item = self.model.next_waiting()
        if item is None:
            return
        self._reading = True
        self.model.update(item, status=READING)
        db, source, name, event_id = self.db, item.source, item.name, self.events.event_id()
        # In the worker: the event's country (a database read) is where phones printed
        # without "+code" are read, when the card itself does not say.
        run_capture(self, lambda: read_one(source, name=name, default_region=region_of(db, event_id))).success(
            lambda read: self._on_read(item, read)).failure(lambda exc: self._on_read_failed(item, exc)).finally_(
            self._read_done).run()


    def _on_read(self, item: QueueItem, read) -> None:
        self.model.update(item, status=READ, read=read, detail=self.tr("Read in {0:.1f} s").format(
            sum(getattr(read, "timings", {}).values())))
        if self.current_item() is item:
            self.show_row(self.current_row)

    def _on_read_failed(self, item: QueueItem, exc: BaseException) -> None:
        text = str(exc) if isinstance(exc, CaptureError) else self.tr("{0} could not be read: {1}").format(
            item.name, exc)
        self.model.update(item, status=ERROR, detail=text)
        self.say(text)
        if self.current_item() is item:
            self.go_next(say_error=False)

    def _read_done(self) -> None:
        self._reading = False
        self._read_next()


def region_of(db, event_id) -> str | None:
    """The event's country (ISO code) for phone parsing, None when unknown. Runs in a worker."""
    if event_id is None:
        return None
    from leaddesk.errors import NotFound
    from leaddesk.services.capture import events

    try:
        return events.default_region_of_event(db, event_id)
    except NotFound:  # deleted meanwhile: the card still reads, only without the hint
        return None
