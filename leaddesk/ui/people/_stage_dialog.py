"""The "Change stage" dialog: the next lifecycle stage, and the reason some stages need.

Apart from the contact panel that opens it: the dialog does not write, so it needs neither
the database nor the panel (the panel stores what it submits).
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
)

from leaddesk.models.enums import LifecycleStage
from leaddesk.ui.widgets.form_errors import FormErrors
from leaddesk.ui.widgets.form_guard import DiscardGuard
from leaddesk.ui.widgets.stage_badges import NEEDS_REASON, STAGES, stage_colours, stage_long_label


def stage_icon(stage: LifecycleStage, size: int = 12) -> QIcon:
    """A small dot in the stage's badge colour."""
    _bg, fg = stage_colours(stage)
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(fg)
    painter.setBrush(fg)
    painter.drawEllipse(QRectF(0.5, 0.5, size - 1, size - 1))
    painter.end()
    return QIcon(pixmap)


class StageDialog(QDialog):
    """Pick the next lifecycle stage; Nurture and Disqualified need a reason.

    The dialog does not write: ``submitted(stage, reason)`` goes to whoever opened it,
    which calls ``accept()`` when stored or ``show_error()`` to keep it open."""

    submitted = Signal(object, object)  # LifecycleStage, reason (str | None)

    def __init__(self, current: LifecycleStage, name: str, parent=None):
        super().__init__(parent)
        self.current = LifecycleStage(current)
        self.setWindowTitle(self.tr("Change stage — {0}").format(name))
        self.stages = QListWidget()
        self.stages.setObjectName("stages")
        for stage in STAGES:
            text = stage_long_label(stage)
            if stage == self.current:
                text = self.tr("{0} (current)").format(text)
            item = QListWidgetItem(stage_icon(stage), text)
            item.setData(Qt.ItemDataRole.UserRole, stage)
            self.stages.addItem(item)
        self.stages.setCurrentRow(STAGES.index(self.current))
        rows = self.stages.sizeHintForRow(0) * self.stages.count() + 2 * self.stages.frameWidth() + 4
        self.stages.setFixedHeight(rows)
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("reason")
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(70)
        self.reason.setPlaceholderText(self.tr("Why? e.g. “BANT incomplete: no budget until Q3”"))
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.errors = FormErrors(self, {"reason": self.reason})  # the forms' one error style
        self.error_label = self.errors.label
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Change stage"))
        self.ok_button.setDefault(True)  # Enter in the list submits
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        reason_label = QLabel(self.tr("&Reason:"))
        reason_label.setBuddy(self.reason)
        stages_caption = QLabel(self.tr("&New stage:"))
        stages_caption.setBuddy(self.stages)
        layout = QVBoxLayout(self)
        layout.addWidget(stages_caption)
        layout.addWidget(self.stages)
        layout.addWidget(reason_label)
        layout.addWidget(self.reason)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)
        self.errors.install(layout)
        self.setMinimumWidth(420)
        self.stages.currentRowChanged.connect(self._update)
        self.reason.textChanged.connect(self._update)
        self.stages.setFocus()
        self._update()
        self.guard = DiscardGuard(self, lambda: (self.stages.currentRow(), self.reason.toPlainText()),
                                  what=self.tr("the reason"))
        self.guard.mark_clean()

    def reject(self) -> None:
        """Esc, Cancel and the window's close button: ask first if a reason was typed."""
        if not self.reason.toPlainText().strip() or self.guard.confirm_discard():
            super().reject()

    def chosen_stage(self) -> LifecycleStage:
        item = self.stages.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else self.current

    def reason_text(self) -> str | None:
        return self.reason.toPlainText().strip() or None

    def select_stage(self, stage: LifecycleStage | str) -> None:
        self.stages.setCurrentRow(STAGES.index(LifecycleStage(stage)))

    def can_submit(self) -> bool:
        stage = self.chosen_stage()
        return stage != self.current and (stage not in NEEDS_REASON or bool(self.reason_text()))

    def _update(self, *_args) -> None:
        stage = self.chosen_stage()
        if stage in NEEDS_REASON:
            self.hint.setText(self.tr("A reason is required for {0}: it is kept in the history.").format(
                stage_long_label(stage)))
        else:
            self.hint.setText(self.tr("A reason is optional."))
        self.ok_button.setEnabled(self.can_submit())
        self.errors.clear()

    def submit(self) -> None:
        if self.can_submit():
            self.ok_button.setEnabled(False)
            self.submitted.emit(self.chosen_stage(), self.reason_text())

    def show_error(self, message: str) -> None:
        self.errors.show_message(message)
        self.ok_button.setEnabled(self.can_submit())
