"""Ask before a filled-in form is thrown away.

Esc, Cancel and the window's close button all end in ``QDialog.reject()`` (Qt's
``closeEvent`` calls it too), so a dialog overrides ``reject`` once::

    def reject(self):
        if self.guard.confirm_discard():
            super().reject()

A form is dirty when what it shows differs from what it showed when it was opened (or
last loaded: call :meth:`DiscardGuard.mark_clean` after filling it). A clean form closes
at once; a dirty one asks "Discard changes?" with "Keep editing" as the safe default.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDateEdit,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QSpinBox,
    QTextEdit,
    QWidget,
)


def widget_value(widget: QWidget) -> object:
    """What a field shows, comparable between two moments."""
    value = getattr(widget, "value", None)
    if callable(value) and not isinstance(widget, QSpinBox):
        return value()  # composite fields (OptionalDate) say what they hold
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, (QPlainTextEdit, QTextEdit)):
        return widget.toPlainText()
    if isinstance(widget, QComboBox):
        return (widget.currentIndex(), widget.currentText() if widget.isEditable() else None)
    if isinstance(widget, QSpinBox):
        return widget.value()
    if isinstance(widget, QDateEdit):
        return widget.date().toString()
    if isinstance(widget, QAbstractButton):
        return widget.isChecked()
    return None


def fields_snapshot(fields: dict[str, QWidget]) -> Callable[[], object]:
    """A snapshot function over a form's field widgets (new fields are picked up)."""
    return lambda: tuple((key, widget_value(w)) for key, w in sorted(fields.items()))


class DiscardGuard(QObject):
    def __init__(self, dialog: QWidget, snapshot: Callable[[], object], *, what: str | None = None):
        super().__init__(dialog)
        self.dialog = dialog
        self.snapshot = snapshot
        self.what = what
        self._clean: object = None
        self._marked = False

    def mark_clean(self) -> None:
        """What the form shows now is what it started with (after opening or loading)."""
        self._clean = self.snapshot()
        self._marked = True

    def mark_if_new(self) -> None:
        if not self._marked:
            self.mark_clean()

    def is_dirty(self) -> bool:
        return self._marked and self.snapshot() != self._clean

    def confirm_discard(self) -> bool:
        """True: the dialog may close (nothing typed, or the user chose to discard)."""
        return not self.is_dirty() or self.ask()

    def ask(self) -> bool:
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Discard changes?"),
                          self.tr("You changed this form but did not save it.") if self.what is None else
                          self.tr("You changed {0} but did not save it.").format(self.what),
                          QMessageBox.StandardButton.NoButton, self.dialog)
        box.setInformativeText(self.tr("Discard what you typed, or keep editing?"))
        discard = box.addButton(self.tr("&Discard"), QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(self.tr("&Keep editing"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.exec()
        return box.clickedButton() is discard
