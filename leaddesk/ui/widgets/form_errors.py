"""Inline form errors: the field named by a ValidationError is highlighted, the sentence
is shown under the form, and the dialog stays open with nothing written."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from leaddesk.errors import Conflict, LeadDeskError, ValidationError

INVALID_STYLE = "border: 2px solid #d93025; border-radius: 3px;"


class FormErrors:
    def __init__(self, label: QLabel, fields: dict[str, QWidget]):
        self.label = label
        self.fields = fields
        label.setWordWrap(True)
        label.setStyleSheet("color: #d93025;")
        label.hide()

    def clear(self) -> None:
        self.label.hide()
        self.label.clear()
        for widget in self.fields.values():
            if widget.property("invalid"):
                widget.setProperty("invalid", False)
                widget.setStyleSheet("")

    def show(self, exc: BaseException) -> bool:
        """Show a domain error inline; False for errors that are not the form's business."""
        if not isinstance(exc, LeadDeskError):
            return False
        self.clear()
        self.label.setText(str(exc))
        self.label.show()
        if isinstance(exc, ValidationError) and exc.field:
            key = exc.field.split("[")[0]
            widget = self.fields.get(exc.field) or self.fields.get(key)
            if widget is not None:
                widget.setProperty("invalid", True)
                widget.setStyleSheet(INVALID_STYLE)
                widget.setFocus()
        return True

    @staticmethod
    def is_conflict(exc: BaseException) -> bool:
        return isinstance(exc, Conflict)
