"""A few editable rows (value, kind, remove) plus an "Add" button: the e-mails or phones of a form.

Apart from the contact editor that assembles it (a field editor apart from its dialog): it
knows nothing of contacts, only of rows of text with a kind.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QPushButton, QToolButton, QVBoxLayout, QWidget


class ListRows(QWidget):
    """A few editable rows (value, kind, remove) plus an "Add" button: e-mails or phones."""

    edited = Signal()

    def __init__(self, kinds: list[tuple[object, str]], placeholder: str, add_text: str, parent=None):
        super().__init__(parent)
        self._kinds = kinds
        self._placeholder = placeholder
        self.rows: list[tuple[QWidget, QLineEdit, QComboBox]] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self.add_button = QPushButton(add_text)
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(lambda: self.add_row().setFocus())
        bar = QHBoxLayout()
        bar.addWidget(self.add_button)
        bar.addStretch(1)
        self._layout.addLayout(bar)

    def add_row(self, value: str = "", kind=None) -> QLineEdit:
        box = QWidget(self)
        line = QHBoxLayout(box)
        line.setContentsMargins(0, 0, 0, 0)
        edit = QLineEdit(value)
        edit.setPlaceholderText(self._placeholder)
        edit.textEdited.connect(self.edited)
        combo = QComboBox()
        for data, label in self._kinds:
            combo.addItem(label, data)
        if kind is not None:
            combo.setCurrentIndex(max(0, combo.findData(kind)))
        remove = QToolButton()
        remove.setText("✕")
        remove.setToolTip(self.tr("Remove"))
        remove.setAutoRaise(True)
        remove.clicked.connect(lambda: self.remove_row(box))
        line.addWidget(edit, 1)
        line.addWidget(combo)
        line.addWidget(remove)
        self._layout.insertWidget(len(self.rows), box)
        self.rows.append((box, edit, combo))
        self.setFocusProxy(self.rows[0][1])  # the label's mnemonic lands in the first row
        return edit

    def remove_row(self, box: QWidget) -> None:
        self.rows = [r for r in self.rows if r[0] is not box]
        box.hide()
        box.deleteLater()
        if not self.rows:
            self.add_row()
        self.setFocusProxy(self.rows[0][1])

    def set_items(self, items: list[tuple[str, object]]) -> None:
        for box, _, _ in self.rows:
            box.hide()
            box.deleteLater()
        self.rows = []
        self.setFocusProxy(None)
        for value, kind in items:
            self.add_row(value, kind)
        if not self.rows:
            self.add_row()

    def items(self) -> list[tuple[int, str, object]]:
        """(row number, text, kind) of every non-empty row, in order."""
        return [(i, edit.text().strip(), combo.currentData()) for i, (_, edit, combo) in enumerate(self.rows)
                if edit.text().strip()]

    def editor(self, row: int) -> QLineEdit | None:
        return self.rows[row][1] if 0 <= row < len(self.rows) else None
