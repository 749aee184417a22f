"""One part of the BANT form: a focusable row whose status is set by a single key (Y, P, N,
U or 1-4) while the row has focus, with four buttons for the mouse, a visible key hint, the
part's note and its details (laid out by the form)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from leaddesk.models.enums import BantPartStatus

S = BantPartStatus
#: Keys that set a status while a row has focus.
STATUS_KEYS = {
    Qt.Key.Key_Y: S.YES, Qt.Key.Key_P: S.PARTIAL, Qt.Key.Key_N: S.NO, Qt.Key.Key_U: S.UNKNOWN,
    Qt.Key.Key_1: S.YES, Qt.Key.Key_2: S.PARTIAL, Qt.Key.Key_3: S.NO, Qt.Key.Key_4: S.UNKNOWN,
}
ORDER = (S.YES, S.PARTIAL, S.NO, S.UNKNOWN)
#: A status's colour in the buttons (works on the light and the dark palette).
#: Width of the details' labels, so the fields line up across the rows.
LABEL_WIDTH = 120
COLOURS = {S.YES: "#2e7d32", S.PARTIAL: "#b26a00", S.NO: "#c62828", S.UNKNOWN: "#616161"}


def status_label(status: S) -> str:
    return {S.YES: QCoreApplication.translate("BantForm", "Yes"),
            S.PARTIAL: QCoreApplication.translate("BantForm", "Partial"),
            S.NO: QCoreApplication.translate("BantForm", "No"),
            S.UNKNOWN: QCoreApplication.translate("BantForm", "Unknown")}[status]


def line_edit(placeholder: str, name: str, *, max_length: int = 300) -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    edit.setObjectName(name)
    edit.setMaxLength(max_length)
    edit.setClearButtonEnabled(True)
    return edit


class PartRow(QFrame):
    """Budget, Authority, Need or Timing. ``status()``/``set_status()``; emits ``changed``."""

    changed = Signal()

    def __init__(self, part: str, title: str, required: bool, parent=None):
        super().__init__(parent)
        self.part = part
        self.setObjectName(f"bantPart_{part}")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(f"QFrame#bantPart_{part} {{ border: 1px solid palette(mid); border-radius: 4px; }}"
                           f"QFrame#bantPart_{part}:focus {{ border: 2px solid palette(highlight); }}")
        self.title = QLabel(title + (" *" if required else ""))
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.title.setMinimumWidth(90)
        if required:
            self.title.setToolTip(self.tr("The team requires this part to be 'yes' for SQL"))
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: dict[S, QToolButton] = {}
        head = QHBoxLayout()
        head.addWidget(self.title)
        for status in ORDER:
            button = QToolButton()
            button.setText(status_label(status))
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the row takes the keys; Tab skips the buttons
            button.setObjectName(f"{part}_{status.value}")
            button.setStyleSheet(f"QToolButton:checked {{ background: {COLOURS[status]}; color: white; "
                                 f"font-weight: bold; }}")
            button.setMinimumWidth(64)
            self.group.addButton(button)
            self.buttons[status] = button
            head.addWidget(button)
        self.hint = QLabel(self.tr("Y yes · P partial · N no · U unknown"))
        self.hint.setObjectName("bantKeyHint")
        self.hint.setEnabled(False)
        head.addStretch(1)
        head.addWidget(self.hint)
        self.buttons[S.UNKNOWN].setChecked(True)
        self.group.buttonToggled.connect(lambda _b, checked: checked and self.changed.emit())
        self.note = line_edit(self.tr("Note"), f"{part}_note", max_length=5000)
        self.details = QFormLayout()
        self.details.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.details.addRow(self._label(self.tr("Note:"), self.note), self.note)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(head)
        layout.addLayout(self.details)

    def _label(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setMinimumWidth(LABEL_WIDTH)  # the same column in all four rows
        label.setBuddy(buddy)
        return label

    def add_detail(self, label: str, widget: QWidget) -> QWidget:
        self.details.insertRow(self.details.rowCount() - 1, self._label(label, widget), widget)  # the note stays last
        return widget

    def status(self) -> S:
        return next(s for s, b in self.buttons.items() if b.isChecked())

    def set_status(self, status: S) -> None:
        self.buttons[S(status)].setChecked(True)

    def keyPressEvent(self, event) -> None:
        status = STATUS_KEYS.get(Qt.Key(event.key()))
        if status is not None and not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
                                       & ~Qt.KeyboardModifier.ShiftModifier):
            self.set_status(status)
            event.accept()
            return
        super().keyPressEvent(event)
