"""Growing lists of rows for the review form: the card's e-mails, and its phones (number and
type). One row per value read, an empty row to type one more, "+" adds a row."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from leaddesk.capture.fields import Phone

#: (value, label) of the phone types a card can say, in the combo's order.
PHONE_TYPES = ("mobile", "office", "fax", "other")


def tr(text: str) -> str:
    return QCoreApplication.translate("capture", text)


def phone_type_labels() -> dict[str, str]:
    return {"mobile": tr("Mobile"), "office": tr("Office"), "fax": tr("Fax"), "other": tr("Other")}


class ValueRows(QWidget):
    """Rows of line edits (e-mails); subclassed for phones."""

    edited = Signal()
    #: A line edit was added (the form styles it and filters its keys).
    editor_added = Signal(object)

    def __init__(self, placeholder: str, add_tip: str, parent=None):
        super().__init__(parent)
        self._placeholder = placeholder
        self.rows: list[QWidget] = []
        self._box = QVBoxLayout()
        self._box.setContentsMargins(0, 0, 0, 0)
        self._box.setSpacing(3)
        self.add_button = QToolButton()
        self.add_button.setText("+")
        self.add_button.setToolTip(add_tip)
        self.add_button.setAutoRaise(True)
        self.add_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.add_button.clicked.connect(lambda: self.add_row().setFocus())
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        outer.addLayout(self._box, 1)
        outer.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignTop)

    def _new_editor(self) -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(self._placeholder)
        edit.textEdited.connect(lambda _t: self.edited.emit())
        self.editor_added.emit(edit)
        return edit

    def add_row(self, value: str = "") -> QLineEdit:
        edit = self._new_editor()
        edit.setText(value)
        self.rows.append(edit)
        self._box.addWidget(edit)
        self._fix_tab_order()
        return edit

    def _fix_tab_order(self) -> None:
        editors = self.line_edits()
        for a, b in zip(editors, editors[1:]):
            QWidget.setTabOrder(a, b)

    def clear_rows(self) -> None:
        for row in self.rows:
            self._box.removeWidget(row)
            row.hide()  # gone from view now, not when the event loop gets to deleting it
            row.deleteLater()
        self.rows = []

    def set_values(self, values: list[str]) -> None:
        self.clear_rows()
        for value in values or [""]:
            self.add_row(value)
        self._proxy_first()

    def _proxy_first(self) -> None:
        editors = self.line_edits()
        self.setFocusProxy(editors[0] if editors else None)

    def values(self) -> list[str]:
        return [v for v in (row.text().strip() for row in self.rows) if v]

    def line_edits(self) -> list[QLineEdit]:
        return list(self.rows)

    def snapshot(self) -> tuple:
        return tuple(self.values())


class PhoneRow(QWidget):
    def __init__(self, number: QLineEdit, parent=None):
        super().__init__(parent)
        self.number = number
        self.kind = QComboBox()
        labels = phone_type_labels()
        for value in PHONE_TYPES:
            self.kind.addItem(labels[value], value)
        self.kind.setToolTip(tr("Mobile, office, fax or other"))
        #: Kept from the reader: the number as read and as printed, and libphonenumber's verdict.
        self.original = ""
        self.raw = ""
        self.valid = True
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(number, 1)
        row.addWidget(self.kind)


class PhoneRows(ValueRows):
    """Rows of number + type."""

    def add_row(self, value: str = "", kind: str = "other", *, raw: str = "", valid: bool = True) -> QLineEdit:
        edit = self._new_editor()
        edit.setText(value)
        row = PhoneRow(edit)
        row.kind.setCurrentIndex(max(0, PHONE_TYPES.index(kind) if kind in PHONE_TYPES else 3))
        row.kind.currentIndexChanged.connect(lambda _i: self.edited.emit())
        row.original, row.raw, row.valid = value, raw, valid
        if not valid:
            edit.setProperty("baseToolTip", tr("Not a valid number for its country as far as the phone rules "
                                               "know; kept as printed ({0}). Check it against the card.")
                             .format(raw or value))
            edit.setToolTip(edit.property("baseToolTip"))
        self.rows.append(row)
        self._box.addWidget(row)
        self._fix_tab_order()
        return edit

    def _fix_tab_order(self) -> None:
        chain = [w for row in self.rows for w in (row.number, row.kind)]
        for a, b in zip(chain, chain[1:]):
            QWidget.setTabOrder(a, b)

    def set_phones(self, phones: list[Phone]) -> None:
        self.clear_rows()
        for phone in phones:
            self.add_row(phone.number, phone.type, raw=phone.raw, valid=phone.valid)
        if not phones:
            self.add_row()
        self._proxy_first()

    def phones(self) -> list[Phone]:
        out = []
        for row in self.rows:
            number = row.number.text().strip()
            if number:
                same = number == row.original  # an edited number is the rep's, printed as typed
                out.append(Phone(number=number, type=row.kind.currentData(), raw=row.raw if same else number,
                                 valid=row.valid if same else True))
        return out

    def line_edits(self) -> list[QLineEdit]:
        return [row.number for row in self.rows]

    def snapshot(self) -> tuple:
        return tuple((p.number, p.type) for p in self.phones())
