"""One error style for every form.

A form's error is a banner at the top of the dialog, under its title and above the
fields: the sentence on a pale red panel, with a Reload button when someone else changed
the record meanwhile. The field the error is about is outlined in the same red and gets
the cursor. The error goes away as soon as its field is fixed: each edit re-runs the
field's check when the form gave one (so "abc123" stays marked until it is a phone
number), and otherwise any edit of the marked field clears it (the sentence no longer
describes what is typed). Nothing here writes: the dialog stays open with nothing saved.

Every dialog with fields uses :class:`FormErrors`; the contact editor, the account editor,
the opportunity dialogs, the user editor, the lost reasons and the join dialog share it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QBoxLayout, QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from leaddesk.errors import Conflict, LeadDeskError, ValidationError

#: The error red (text, outline and the banner's edge), readable on light and dark themes.
ERROR_RED = "#c62828"
#: Rules the dialog gets: the marked field's outline and the banner's look.
STYLE = (
    f'*[invalid="true"] {{ border: 1px solid {ERROR_RED}; border-radius: 3px; }}'
    "QFrame#formErrorBanner { background: #fdecea; border: 1px solid #f4c7c3;"
    f" border-left: 4px solid {ERROR_RED}; border-radius: 4px; }}"
    "QFrame#formErrorBanner QLabel#formError { color: #8c1d18; background: transparent; border: none; }"
)
#: Edit signals that mean "the user changed this field".
EDIT_SIGNALS = ("textEdited", "textChanged", "editTextChanged", "currentIndexChanged", "valueChanged", "dateChanged", "toggled",
                "changed", "edited")

Check = Callable[[], None]


class FormErrors(QObject):
    """The banner, the marked field and the checks of one form.

    ``fields`` maps the service's field names (``ValidationError.field``) to widgets;
    ``resolve`` finds widgets for names the map does not hold (``phones[1]``); ``checks``
    re-validate a field while it is marked (raise ``ValidationError`` while still wrong).
    Put :attr:`banner` at the top of the dialog with :meth:`install`.
    """

    def __init__(self, dialog: QWidget, fields: dict[str, QWidget] | None = None, *,
                 resolve: Callable[[str], QWidget | None] | None = None,
                 checks: dict[str, Check] | None = None, reload: Callable[[], None] | None = None):
        super().__init__(dialog)
        self.dialog = dialog
        self.fields: dict[str, QWidget] = {}
        self.checks: dict[str, Check] = dict(checks or {})
        self._resolve = resolve
        self.invalid_field: str | None = None
        self._invalid: QWidget | None = None
        self._watched: set[int] = set()
        if STYLE not in (dialog.styleSheet() or ""):
            dialog.setStyleSheet((dialog.styleSheet() or "") + STYLE)
        self.banner = QFrame(dialog)
        self.banner.setObjectName("formErrorBanner")
        self.label = QLabel(self.banner)
        self.label.setObjectName("formError")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setAccessibleName(self.tr("Error"))
        self.reload_button = QPushButton(self.tr("Reload"), self.banner)
        self.reload_button.setAutoDefault(False)
        self.reload_button.setToolTip(self.tr("Load the latest version and discard the changes in this form"))
        self.reload_button.hide()
        self._can_reload = reload is not None
        if reload is not None:
            self.reload_button.clicked.connect(reload)
        row = QHBoxLayout(self.banner)
        row.setContentsMargins(10, 6, 6, 6)
        row.addWidget(self.label, 1)
        row.addWidget(self.reload_button, 0, Qt.AlignmentFlag.AlignTop)
        self.banner.hide()
        for key, widget in (fields or {}).items():
            self.add_field(key, widget)

    # --- building -----------------------------------------------------------------------
    def install(self, layout: QBoxLayout) -> None:
        """Put the banner at the top of the dialog's main layout."""
        layout.insertWidget(0, self.banner)

    def add_field(self, key: str, widget: QWidget, check: Check | None = None) -> QWidget:
        self.fields[key] = widget
        if check is not None:
            self.checks[key] = check
        self.watch(widget)
        return widget

    def watch(self, widget: QWidget) -> None:
        """Re-check the error whenever ``widget`` is edited."""
        if id(widget) in self._watched:
            return
        self._watched.add(id(widget))
        for name in EDIT_SIGNALS:
            signal = getattr(widget, name, None)
            if signal is not None and hasattr(signal, "connect"):
                signal.connect(lambda *_a, w=widget: self._on_edited(w))
                if name in ("textEdited", "textChanged"):
                    break  # one text signal is enough (QLineEdit has both)

    def widget_for(self, field: str | None) -> QWidget | None:
        if not field:
            return None
        widget = self.fields.get(field)
        if widget is None and self._resolve is not None:
            widget = self._resolve(field)
        if widget is None:
            widget = self.fields.get(field.split("[")[0])
        return widget

    # --- showing ------------------------------------------------------------------------
    def show(self, exc: BaseException) -> bool:
        """Show a domain error in the banner (and mark its field); False for errors that are
        not the form's business (the caller shows those in a dialog)."""
        if not isinstance(exc, LeadDeskError):
            return False
        field = exc.field if isinstance(exc, ValidationError) else None
        self.show_message(str(exc), field, conflict=isinstance(exc, Conflict))
        return True

    def show_message(self, text: str, field: str | None = None, *, conflict: bool = False) -> None:
        self._unmark()
        self.label.setText(text)
        self.banner.show()
        self.reload_button.setVisible(conflict and self._can_reload)
        self.invalid_field = field
        widget = self.widget_for(field)
        if widget is not None:
            self._mark(widget)
            widget.setFocus()

    def clear(self) -> None:
        self.label.clear()
        self.banner.hide()
        self.reload_button.hide()
        self.invalid_field = None
        self._unmark()

    def is_shown(self) -> bool:
        return not self.banner.isHidden()

    @staticmethod
    def is_conflict(exc: BaseException) -> bool:
        return isinstance(exc, Conflict)

    # --- fixing -------------------------------------------------------------------------
    def _on_edited(self, widget: QWidget) -> None:
        if not self.is_shown() or self.invalid_field is None:
            return
        check = self.checks.get(self.invalid_field) or self.checks.get(self.invalid_field.split("[")[0])
        if check is None:
            if widget is self._invalid or _contains(self._invalid, widget):
                self.clear()
            return
        try:
            check()
        except ValidationError as exc:
            if widget is self._invalid or _contains(self._invalid, widget):
                self.label.setText(str(exc))  # still wrong: say what is wrong now
            return
        self.clear()

    def _mark(self, widget: QWidget) -> None:
        self._invalid = widget
        _set_invalid(widget, True)

    def _unmark(self) -> None:
        widget, self._invalid = self._invalid, None
        if widget is not None:
            try:
                _set_invalid(widget, False)
            except RuntimeError:  # the row was removed meanwhile
                pass


def _contains(parent: QWidget | None, widget: QWidget) -> bool:
    return parent is not None and parent.isAncestorOf(widget)


def _set_invalid(widget: QWidget, invalid: bool) -> None:
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()
