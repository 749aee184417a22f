"""A camera viewfinder that hands each photo to the capture queue. Imported only where Qt
Multimedia exists (see ``_sources.camera_support``); Space or the button takes a photo."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QCamera, QImageCapture, QMediaCaptureSession
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPushButton, QVBoxLayout

from leaddesk.ui.capture._sources import image_bytes


class CameraDialog(QDialog):
    #: PNG bytes of each photo taken
    photo_taken = Signal(bytes)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Photograph cards"))
        self.camera = QCamera(self)
        self.capture = QImageCapture(self)
        self.session = QMediaCaptureSession(self)
        self.session.setCamera(self.camera)
        self.session.setImageCapture(self.capture)
        view = QVideoWidget()
        view.setMinimumSize(480, 320)
        self.session.setVideoOutput(view)
        self.capture.imageCaptured.connect(self._on_captured)
        shoot = QPushButton(self.tr("&Take photo (Space)"))
        shoot.setShortcut(Qt.Key.Key_Space)
        shoot.clicked.connect(lambda: self.capture.capture())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(shoot, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(view, 1)
        layout.addWidget(buttons)
        self.camera.start()

    def _on_captured(self, _ident: int, image: QImage) -> None:
        self.photo_taken.emit(image_bytes(image))

    def done(self, result: int) -> None:
        self.camera.stop()
        super().done(result)
