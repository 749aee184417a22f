"""The review form beside the card image: every field the reader filled, each with how sure
it was, the doubtful ones (below :data:`LOW_CONFIDENCE`) highlighted with a tooltip until
the rep touches them.

The highlight is a dynamic property (``lowConfidence``) styled by one sheet whose colours
come from the palette's lightness, so it reads on the light and the dark theme alike.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QWidget,
)

from leaddesk.capture.fields import Address, CardFields
from leaddesk.ui.capture._field_rows import PhoneRows, ValueRows

#: Below this a field is highlighted for the rep to check.
LOW_CONFIDENCE = 0.6
#: Editors per confidence key (the address shares one confidence).
ADDRESS_PARTS = ("street", "postal_code", "city", "region", "country")
LINE_FIELDS = ("given_name", "family_name", "title", "company", "website") + ADDRESS_PARTS


def highlight_sheet(dark: bool) -> str:
    """Amber border and tint for doubtful fields: a deeper amber on light bases, a lighter one
    on dark bases, so both the border and the percentage keep their contrast."""
    accent = "#F0A54A" if dark else "#A85A00"
    tint = "rgba(240, 165, 74, 0.18)" if dark else "rgba(255, 170, 60, 0.20)"
    return (f'QLineEdit[lowConfidence="true"] {{ border: 2px solid {accent}; border-radius: 3px;'
            f' background-color: {tint}; padding: 1px 2px; }}'
            f'QLabel[lowConfidence="true"] {{ color: {accent}; font-weight: bold; }}'
            'QLabel#confidence { padding-left: 4px; }')


def street_shown(address: Address) -> str:
    """The street field: the street read, else what the printed line says before the town
    (nothing printed is lost when the reader split only the town off), else nothing."""
    if address.street or not address.text:
        return address.street or ""
    if not any(getattr(address, k) for k in ADDRESS_PARTS):
        return address.text  # only the printed line is known
    first = address.text.split(",")[0].strip()
    town = [p for p in (address.postal_code, address.city) if p]
    return first if first and not any(p in first for p in town) else ""


class ReviewForm(QWidget):
    """Fill with :meth:`set_fields`, read back with :meth:`fields`."""

    #: The rep changed something (not emitted by set_fields).
    edited = Signal()
    #: A line edit appeared (e-mail and phone rows grow): the window filters its keys.
    editor_added = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._loaded = CardFields()
        self._low: set[str] = set()
        self.editors: dict[str, QLineEdit] = {}
        self.conf_labels: dict[str, QLabel] = {}
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setVerticalSpacing(5)
        self._form = form
        for key, label, hint in (("given_name", self.tr("&Given name:"), ""),
                                 ("family_name", self.tr("&Family name:"), ""),
                                 ("title", self.tr("Job &title:"), ""),
                                 ("company", self.tr("Co&mpany:"), "")):
            form.addRow(label, self._line(key, hint))
        self.emails = ValueRows(self.tr("name@company.com"), self.tr("Add an e-mail"))
        self.phones = PhoneRows(self.tr("+49 30 1234567"), self.tr("Add a phone"))
        for rows in (self.emails, self.phones):
            rows.edited.connect(self._on_edited)
            rows.editor_added.connect(self._on_editor_added)
        form.addRow(self.tr("&E-mails:"), self._with_confidence(self.emails, "emails"))
        form.addRow(self.tr("&Phones:"), self._with_confidence(self.phones, "phones"))
        form.addRow(self.tr("&Website:"), self._line("website", "www.company.com"))
        form.addRow(self.tr("&Address:"), self._line("street", self.tr("Street and number")))
        town = QHBoxLayout()
        town.setSpacing(4)
        town.addWidget(self._editor("postal_code", self.tr("Postal code")), 1)
        town.addWidget(self._editor("city", self.tr("City")), 3)
        town.addSpacing(self._conf_width() + 2)  # level with the fields above
        form.addRow("", town)
        place = QHBoxLayout()
        place.setSpacing(4)
        place.addWidget(self._editor("region", self.tr("Region or state")), 3)
        place.addWidget(self._editor("country", self.tr("Country")), 1)
        self.editors["country"].setProperty("baseToolTip", self.tr("Two letters: DE, US, PT …"))
        self.editors["country"].setToolTip(self.editors["country"].property("baseToolTip"))
        place.addSpacing(self._conf_width() + 2)
        form.addRow("", place)
        self.note = QPlainTextEdit()
        self.note.setTabChangesFocus(True)
        self.note.setPlaceholderText(self.tr("Anything else from the card or the talk at the booth"))
        self.note.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.note.textChanged.connect(self._on_edited)
        form.addRow(self.tr("&Note:"), self._padded(self.note))
        self.raw_text = QPlainTextEdit()
        self.raw_text.setReadOnly(True)
        self.raw_text.setTabChangesFocus(True)
        self.raw_text.setMinimumHeight(self.fontMetrics().lineSpacing() * 3 + 12)  # grows with the window
        self.raw_text.setToolTip(self.tr("Every line read from the card, top to bottom (kept on the contact)"))
        form.addRow(self.tr("Text read:"), self._padded(self.raw_text, grow=True))
        self._filling = False
        self._apply_sheet()

    # --- building -------------------------------------------------------------------------
    def _editor(self, key: str, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(key)
        edit.setPlaceholderText(placeholder)
        edit.textEdited.connect(lambda _t, k=key: self._on_field_edited(k))
        self.editors[key] = edit
        self._on_editor_added(edit)
        return edit

    def _line(self, key: str, placeholder: str = "") -> QWidget:
        edit = self._editor(key, placeholder)
        return self._with_confidence(edit, "address" if key == "street" else key)

    def _with_confidence(self, widget: QWidget, key: str) -> QWidget:
        label = QLabel()
        label.setObjectName("confidence")
        label.setAccessibleName(self.tr("How sure the reader is"))
        label.setFixedWidth(self._conf_width())
        # As tall as one line edit, the text centred on it: level with the first row's text.
        label.setFixedHeight(QLineEdit().sizeHint().height())
        label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.conf_labels[key] = label
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        row.addWidget(widget, 1)
        row.addWidget(label, 0, Qt.AlignmentFlag.AlignTop)
        box.setFocusProxy(widget)  # the row label's Alt+letter lands in the field
        return box

    def _padded(self, widget: QWidget, *, grow: bool = False) -> QWidget:
        """``widget`` with the confidence column's room on its right, level with the rows above."""
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(widget, 1)
        row.addSpacing(self._conf_width() + 2)
        box.setFocusProxy(widget)
        box.setSizePolicy(QSizePolicy.Policy.Preferred,  # no gap below a fixed-height field
                          QSizePolicy.Policy.Expanding if grow else QSizePolicy.Policy.Fixed)
        return box

    def _conf_width(self) -> int:
        bold = self.font()
        bold.setBold(True)
        return QFontMetrics(bold).horizontalAdvance("100 %") + 10

    def _apply_sheet(self) -> None:
        self.setStyleSheet(highlight_sheet(self.palette().base().color().lightness() < 128))

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # the theme changed
            self._apply_sheet()

    def _on_editor_added(self, edit: QLineEdit) -> None:
        self.editor_added.emit(edit)

    # --- filling and reading ----------------------------------------------------------------
    def set_fields(self, fields: CardFields) -> None:
        self._filling = True
        try:
            self._loaded = fields
            for key in ("given_name", "family_name", "title", "company", "website"):
                self.editors[key].setText(getattr(fields, key) or "")
            address = fields.address or Address()
            for key in ADDRESS_PARTS:
                self.editors[key].setText(getattr(address, key) or "")
            self.editors["street"].setText(street_shown(address))
            self.emails.set_values(list(fields.emails))
            self.phones.set_phones(list(fields.phones))
            self.note.setPlainText(fields.note or "")
            self.raw_text.setPlainText(fields.raw_text or "")
            self._show_confidence(fields)
        finally:
            self._filling = False

    def _show_confidence(self, fields: CardFields) -> None:
        self._low = set()
        for key, label in self.conf_labels.items():
            value = fields.confidence.get(key)
            filled = self._has_value(fields, key)
            low = value is not None and value < LOW_CONFIDENCE and filled
            label.setText(f"{round(value * 100)} %" if value is not None and filled else "")
            label.setToolTip(self._tip(value, fields.source) if value is not None and filled else "")
            if low:
                self._low.add(key)
            self._mark(key, low)

    def _tip(self, value: float, source: str) -> str:
        if source in ("qr", "vcard"):
            return self.tr("Given exactly by the card's code or file")
        if value < LOW_CONFIDENCE:
            return self.tr("Read with low confidence ({0} %): check it against the card").format(round(value * 100))
        return self.tr("Read with {0} % confidence").format(round(value * 100))

    @staticmethod
    def _has_value(fields: CardFields, key: str) -> bool:
        value = getattr(fields, key, None)
        return bool(value.one_line() if isinstance(value, Address) else value)

    def _widgets_of(self, key: str) -> list[QWidget]:
        if key == "emails":
            return list(self.emails.line_edits())
        if key == "phones":
            return list(self.phones.line_edits())
        if key == "address":
            return [self.editors[k] for k in ADDRESS_PARTS]
        return [self.editors[key]] if key in self.editors else []

    def _mark(self, key: str, low: bool) -> None:
        tip = self.conf_labels[key].toolTip() if low else ""
        for widget in [*self._widgets_of(key), self.conf_labels[key]]:
            if widget.property("lowConfidence") != low:
                widget.setProperty("lowConfidence", low)
                widget.style().unpolish(widget)
                widget.style().polish(widget)
            if widget is not self.conf_labels[key]:
                base = widget.property("baseToolTip") or ""  # its own hint (an invalid number ...)
                widget.setToolTip("\n".join(t for t in (tip, base) if t))

    def _on_field_edited(self, key: str) -> None:
        self._on_edited()
        group = "address" if key in ADDRESS_PARTS else key
        if group in self._low:  # the rep looked at it: no longer doubtful
            self._low.discard(group)
            self._mark(group, False)

    def _on_edited(self) -> None:
        if self._filling:
            return
        sender = self.sender()
        for group, rows in (("emails", self.emails), ("phones", self.phones)):
            if sender is rows and group in self._low:
                self._low.discard(group)
                self._mark(group, False)
        self.edited.emit()

    def low_confidence_fields(self) -> list[str]:
        """The fields still highlighted, in the form's order."""
        return [k for k in self.conf_labels if k in self._low]

    def fields(self) -> CardFields:
        """What the form shows now, as CardFields (the reader's confidence, source and raw
        text kept)."""
        text = {k: self.editors[k].text().strip() or None for k in self.editors}
        parts = {k: text[k] for k in ADDRESS_PARTS}
        if parts["country"]:
            parts["country"] = parts["country"].upper()
        address = Address(**parts) if any(parts.values()) else None
        if address is not None and self._loaded.address is not None:
            loaded = self._loaded.address
            if all(getattr(loaded, k) == parts[k] for k in ADDRESS_PARTS):
                address.text = loaded.text  # unchanged: keep the printed line
        return replace(self._loaded, given_name=text["given_name"], family_name=text["family_name"],
                       title=text["title"], company=text["company"], website=text["website"],
                       emails=self.emails.values(), phones=self.phones.phones(), address=address,
                       note=self.note.toPlainText().strip() or None,
                       confidence=dict(self._loaded.confidence))

    def snapshot(self) -> tuple:
        """Comparable view of what the form shows (the discard guard)."""
        return (tuple(e.text() for e in self.editors.values()), self.emails.snapshot(), self.phones.snapshot(),
                self.note.toPlainText())

    def focus_first(self) -> None:
        """Focus the first doubtful field (the rep checks it), else the given name."""
        for key in self.low_confidence_fields():
            widgets = self._widgets_of(key)
            if widgets:
                widgets[0].setFocus()
                widgets[0].selectAll()
                return
        self.editors["given_name"].setFocus()

    def line_edits(self) -> list[QLineEdit]:
        return [*self.editors.values(), *self.emails.line_edits(), *self.phones.line_edits()]
