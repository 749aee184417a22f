"""How the contact editor marks a bad field and checks it again while the user types.

A mixin of :class:`~leaddesk.ui.people.contact_editor.ContactEditorDialog`: which widget a
field error names (e-mail and phone rows included), the banner shown for it, and the checks
``FormErrors`` reruns while a field is marked. Apart from the dialog because these are
rules about the form's fields only: no database, they run on the UI thread.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QWidget

from leaddesk.errors import ValidationError
from leaddesk.services import validation as v
from leaddesk.services.people import contacts, phones
from leaddesk.ui.widgets.stage_badges import country_input


class ContactFormChecks:
    """The contact editor's field marking and checks (mixed into the dialog)."""

    # --- inline errors ----------------------------------------------------------------
    def widget_for(self, field: str | None) -> QWidget | None:
        if not field:
            return None
        for kind, rows in (("emails", self.emails), ("phones", self.phones)):
            if field.startswith(f"{kind}["):
                try:
                    index = int(field[len(kind) + 1:-1])
                    return rows.editor(self._row_map[kind][index])
                except (ValueError, IndexError, KeyError, AttributeError):
                    return None
        return self.fields.get(field)

    def show_inline_error(self, message: str, field: str | None = None, *, conflict: bool = False) -> None:
        widget = self.errors.widget_for(field)
        if widget is not None:
            self.errors.watch(widget)  # an e-mail or phone row made after the form was built
        self.errors.show_message(message, field, conflict=conflict and self.contact_id is not None)

    def clear_error(self) -> None:
        self.errors.clear()

    # --- checks while a field is marked (no database: they run on the UI thread) ---------
    def _check_names(self) -> None:
        contacts.clean_contact({"given_name": self.fields["given_name"].text(),
                                "family_name": self.fields["family_name"].text()}, partial=True)
        if not (self.fields["given_name"].text().strip() or self.fields["family_name"].text().strip()):
            raise ValidationError(self.tr("Give at least a first or a last name."), field="given_name")

    def _marked_text(self) -> str:
        widget = self.errors.widget_for(self.errors.invalid_field)
        return widget.text() if isinstance(widget, QLineEdit) else ""

    def _check_email(self) -> None:
        v.normalize_email(self._marked_text(), field=self.errors.invalid_field or "emails")

    def _check_phone(self) -> None:
        field = self.errors.invalid_field or "phones[0]"
        try:
            index = int(field[len("phones["):-1])
        except ValueError:
            index = 0
        label = self.tr("Phone") if len(self._row_map["phones"]) <= 1 else self.tr("Phone {0}").format(index + 1)
        try:
            region = country_input(self.fields["country"].text())
            region = v.country(region) if region else self.default_region
        except ValidationError:
            region = self.default_region
        phones.parse_phone(self._marked_text(), region=region or v.DEFAULT_REGION, label=label, field=field)

    def _check_country(self) -> None:
        v.country(country_input(self.fields["country"].text()))
