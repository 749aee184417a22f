"""The opportunity forms' common parts: :class:`FormDialog` (error banner, OK/Cancel, a
question before typed changes are discarded), the optional date field, the notes box and the
contact choices, and the small conversions between Qt widgets and service values (dates,
amounts as the user's locale writes them, combo box rows).

Apart from the dialogs themselves (:mod:`.opportunity_dialogs`, ``_new_opportunity_dialog``)
and shared with the pipeline page's filter bar, which reads dates and amounts the same way.
"""

from __future__ import annotations

import datetime as dt
import uuid

from PySide6.QtCore import QDate, QLocale, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QPlainTextEdit,
    QVBoxLayout, QWidget,
)

from leaddesk.errors import Conflict, LeadDeskError, NotFound, ValidationError
from leaddesk.ui import errors
from leaddesk.ui.formatting import display_locale
from leaddesk.ui.widgets.form_errors import FormErrors
from leaddesk.ui.widgets.form_guard import DiscardGuard, fields_snapshot

COMMON_CURRENCIES = ("EUR", "USD", "GBP", "CHF", "TRY", "IRR", "SAR", "AED", "THB", "JPY")


def qdate(value: dt.date) -> QDate:
    return QDate(value.year, value.month, value.day)


def pydate(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


def combo_index(combo: QComboBox, value) -> int:
    """The row whose item data equals ``value`` (-1: none). ``QComboBox.findData`` compares
    Python objects such as ``uuid.UUID`` by identity, so equal ids would not match."""
    return next((i for i in range(combo.count()) if combo.itemData(i) == value), -1)


def amount_text(text: str, locale: QLocale | None = None) -> str:
    """What the user typed, as the service reads amounts ("12.500,50" in German -> "12500.50")."""
    locale = locale or display_locale()
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    group, point = locale.groupSeparator(), locale.decimalPoint()
    if group:
        text = text.replace(group, "")
    if point and point != ".":
        text = text.replace(point, ".")
    return text


class OptionalDate(QWidget):
    """A date that may be empty: a check box turns the date edit on and off."""

    changed = Signal()

    def __init__(self, label: str = "", default: dt.date | None = None, parent=None):
        super().__init__(parent)
        self.check = QCheckBox(label)
        self.check.setToolTip(self.tr("Clear when there is no date yet"))
        self.edit = QDateEdit()
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat(display_locale().dateFormat(QLocale.FormatType.ShortFormat))
        self.edit.setDate(qdate(default or dt.date.today()))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check)
        layout.addWidget(self.edit, 1)
        self.check.toggled.connect(self.edit.setEnabled)
        self.check.toggled.connect(lambda _=None: self.changed.emit())
        self.edit.dateChanged.connect(lambda _=None: self.changed.emit())
        self.set_value(default)
        self.setFocusProxy(self.edit)

    def value(self) -> dt.date | None:
        return pydate(self.edit.date()) if self.check.isChecked() else None

    def set_value(self, value: dt.date | None) -> None:
        self.check.setChecked(value is not None)
        self.edit.setEnabled(value is not None)
        if value is not None:
            self.edit.setDate(qdate(value))


class FormDialog(QDialog):
    """Common parts: the forms' error banner (form_errors.py: Reload for conflicts, the field
    highlighted until fixed), OK/Cancel, and a question before typed changes are discarded."""

    def __init__(self, title: str, parent=None, *, ok_text: str | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.fields: dict[str, QWidget] = {}
        self.errors = FormErrors(self, reload=self.reload)
        self.errors.fields = self.fields  # one map: fields set directly are found too
        self.error_label = self.errors.label
        self.reload_button = self.errors.reload_button
        self.form = QFormLayout()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok_text:
            self.ok_button.setText(ok_text)
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.buttons)
        self.errors.install(layout)
        #: Marks the form clean when first shown; dialogs that load call ``guard.mark_clean()``.
        self.guard = DiscardGuard(self, fields_snapshot(self.fields))
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.submit)

    @property
    def invalid_field(self) -> str | None:
        return self.errors.invalid_field

    def add_field(self, key: str, label: str, widget: QWidget) -> QWidget:
        self.fields[key] = widget
        widget.setObjectName(key)
        self.form.addRow(label, widget)
        self.errors.watch(widget)
        return widget

    def submit(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def reload(self) -> None:
        self.clear_error()

    def set_busy(self, busy: bool) -> None:
        self.ok_button.setEnabled(not busy)

    def showEvent(self, event) -> None:
        self.guard.mark_if_new()
        super().showEvent(event)

    def reject(self) -> None:
        """Esc, Cancel and the window's close button: ask first if something was typed."""
        if self.guard.confirm_discard():
            super().reject()

    # --- errors -------------------------------------------------------------------------------
    def show_error(self, exc: BaseException) -> None:
        """Inline for what the user can fix here; a dialog for anything else."""
        self.set_busy(False)
        if isinstance(exc, ValidationError):
            self.show_inline_error(str(exc), exc.field)
        elif isinstance(exc, Conflict):
            self.show_inline_error(self.tr(
                "Someone else changed this opportunity after you opened it, so nothing was saved (their change "
                "is kept). Reload to see their version, then apply your change again."), conflict=True)
        elif isinstance(exc, (NotFound, LeadDeskError)):
            self.show_inline_error(str(exc))
        else:
            errors.show_error(self, exc)

    def show_inline_error(self, message: str, field: str | None = None, *, conflict: bool = False) -> None:
        self.errors.show_message(message, field, conflict=conflict)

    def clear_error(self) -> None:
        self.errors.clear()

    def _clear_invalid(self, *_args) -> None:
        """The marked field was edited: its message no longer describes what is typed."""
        if self.errors.is_shown() and self.errors.invalid_field is not None:
            self.errors.clear()


def _notes_edit(placeholder: str) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setTabChangesFocus(True)
    edit.setPlaceholderText(placeholder)
    edit.setFixedHeight(80)
    return edit


def fill_contacts(combo: QComboBox, choices, none_text: str, current: uuid.UUID | None = None,
                  other_text: str = "") -> None:
    """Fill a deal's contact choices ("no contact" first); a current contact who is not
    among them (moved to another account since) stays choosable."""
    combo.clear()
    combo.addItem(none_text, "")
    for ident, name in choices:
        combo.addItem(name, ident)
    if current is not None and combo_index(combo, current) < 0:
        combo.addItem(other_text, current)
    combo.setCurrentIndex(max(0, combo_index(combo, current or "")))
