"""Duplicates at the door: the people already in LeadDesk a card may be, with why, and the
three ways on: update the one chosen (an undoable merge), create a new contact anyway, or
skip the card. Enter updates the highlighted person (the window routes it here)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout


class SamePersonPanel(QFrame):
    #: services.capture.capture.SamePerson chosen for "Update"
    update_chosen = Signal(object)
    create_chosen = Signal()
    skip_chosen = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("samePerson")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("QFrame#samePerson { border: 1px solid palette(highlight); border-radius: 4px; }")
        self.title = QLabel()
        self.title.setWordWrap(True)
        bold = self.title.font()
        bold.setBold(True)
        self.title.setFont(bold)
        self.list = QListWidget()
        self.list.setObjectName("samePeople")
        self.list.currentRowChanged.connect(self._on_row)
        self.list.itemDoubleClicked.connect(lambda _item: self.choose_update())
        self.update_button = QPushButton()
        self.create_button = QPushButton(self.tr("C&reate anyway"))
        self.create_button.setToolTip(self.tr("Save the card as a new contact all the same"))
        self.skip_button = QPushButton(self.tr("S&kip card"))
        for button in (self.update_button, self.create_button, self.skip_button):
            button.setAutoDefault(False)
        self.update_button.clicked.connect(self.choose_update)
        self.create_button.clicked.connect(self.create_chosen)
        self.skip_button.clicked.connect(self.skip_chosen)
        buttons = QHBoxLayout()
        buttons.addWidget(self.update_button)
        buttons.addWidget(self.create_button)
        buttons.addWidget(self.skip_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.candidates: list = []
        self.hide()

    def show_candidates(self, candidates: list) -> None:
        self.candidates = list(candidates)
        self.list.clear()
        for person in self.candidates:
            head = " · ".join(p for p in (person.display_name, person.company) if p)
            why = ", ".join(person.reasons)
            item = QListWidgetItem(self.tr("{0} — {1} %: {2}").format(head, person.score, why) if why else
                                   self.tr("{0} — {1} %").format(head, person.score))
            item.setToolTip(why)
            self.list.addItem(item)
        self.title.setText(self.tr("This card may be someone already in LeadDesk. Enter updates the "
                                   "highlighted contact (every value kept, undoable).")
                           if len(self.candidates) > 0 else "")
        self.list.setCurrentRow(0)
        rows = max(1, min(len(self.candidates), 4))  # as tall as its people (up to 4): the form keeps its room
        self.list.setFixedHeight(self.list.sizeHintForRow(0) * rows + 2 * self.list.frameWidth() + 10)
        self.show()
        self.list.setFocus()

    def current(self):
        row = self.list.currentRow()
        return self.candidates[row] if 0 <= row < len(self.candidates) else None

    def _on_row(self, _row: int) -> None:
        person = self.current()
        self.update_button.setText(self.tr("&Update {0}").format(person.display_name) if person else
                                   self.tr("&Update"))
        self.update_button.setEnabled(person is not None)

    def choose_update(self) -> None:
        person = self.current()
        if person is not None:
            self.update_chosen.emit(person)

    def dismiss(self) -> None:
        self.candidates = []
        self.list.clear()
        self.hide()
