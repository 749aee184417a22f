"""Where card images come from: files and folders (dialog, drag and drop, pasted paths),
pasted images, and a camera where this Qt has Qt Multimedia (PySide6-Essentials has not)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from PySide6.QtCore import QBuffer, QCoreApplication, QIODevice, QMimeData
from PySide6.QtGui import QImage

from leaddesk.ui.capture._queue_model import QueueItem

#: What a folder is searched for (a file named on its own is always tried: a bad one shows
#: its error in the queue).
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif"})
FILE_FILTER = "Images (*.jpg *.jpeg *.png *.bmp *.tif *.tiff *.webp *.gif);;All files (*)"


def tr(text: str) -> str:
    return QCoreApplication.translate("capture", text)


def items_from_paths(paths) -> list[QueueItem]:
    """One item per file; a folder gives its images, by name (batch mode)."""
    items: list[QueueItem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            items += [QueueItem(p.name, str(p)) for p in sorted(path.iterdir())
                      if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
        elif str(raw).strip():
            items.append(QueueItem(path.name, str(path)))
    return items


def image_bytes(image: QImage) -> bytes:
    """A pasted or photographed image as PNG bytes (what the reader takes)."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def items_from_mime(mime: QMimeData, *, pasted_so_far: int = 0) -> list[QueueItem]:
    """Files (URLs or pasted paths, one a line) first; else an image on the clipboard."""
    paths = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    if not paths and mime.hasText():
        lines = [line.strip().strip('"') for line in mime.text().splitlines() if line.strip()]
        lines = [line.removeprefix("file://") for line in lines]
        if lines and all(Path(line).exists() for line in lines):
            paths = lines
    if paths:
        return items_from_paths(paths)
    if mime.hasImage():
        image = QImage(mime.imageData())
        if not image.isNull():
            return [QueueItem(tr("Pasted image {0}").format(pasted_so_far + 1), image_bytes(image))]
    return []


def camera_support() -> tuple[bool, str]:
    """(usable, why not): Qt Multimedia importable and a camera attached."""
    if importlib.util.find_spec("PySide6.QtMultimedia") is None:
        return False, tr("No camera support in this installation: Qt Multimedia is not installed "
                         "(PySide6-Essentials leaves it out). Take photos with another app and open them.")
    from PySide6.QtMultimedia import QMediaDevices

    if not QMediaDevices.videoInputs():
        return False, tr("No camera found.")
    return True, tr("Take a photo of a card with the camera")
