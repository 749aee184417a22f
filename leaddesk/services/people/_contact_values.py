"""What a contact form sends, checked without the database: enum values read leniently,
texts checked under the labels the form shows, and e-mail and phone lists cleaned and
deduplicated (phones read by :mod:`.phones`).

Apart from :mod:`.contacts`, which writes contacts and their children, because these rules
are pure: they take typed values and return clean ones or raise
:class:`~leaddesk.errors.ValidationError`.
"""

from __future__ import annotations

from collections.abc import Sequence

from leaddesk.errors import ValidationError
from leaddesk.models.enums import EmailKind, PhoneKind
from leaddesk.services import validation as v
from leaddesk.services.people import phones as phone_numbers

#: Field names as the contact form shows them, for messages ("First name is too long").
LABELS = {"given_name": "First name", "family_name": "Last name"}


def _enum(enum_cls, value, field):
    return None if value is None else v.choice(enum_cls, value, field)


def _clean_text(value, key: str, limit: int) -> str | None:
    """validation.clean_text, its message naming the field as the form does."""
    try:
        return v.clean_text(value, field=key, max_len=limit)
    except ValidationError as exc:
        generic = key.replace("_", " ").capitalize()
        message = str(exc)
        if key in LABELS and message.startswith(generic):
            message = LABELS[key] + message[len(generic):]
        raise ValidationError(message, field=exc.field) from exc


def _names(obj_or_values) -> tuple[str | None, str | None]:
    get = obj_or_values.get if isinstance(obj_or_values, dict) else lambda k: getattr(obj_or_values, k)
    return get("given_name"), get("family_name")


def clean_emails(emails: Sequence) -> list[tuple[str, str, EmailKind]]:
    out, seen = [], set()
    for i, item in enumerate(emails or ()):
        address, kind = (item, EmailKind.WORK) if isinstance(item, str) else (item.address, item.kind)
        shown, norm = v.normalize_email(address, field=f"emails[{i}]")
        if norm not in seen:
            seen.add(norm)
            out.append((shown, norm, _enum(EmailKind, kind, "email kind")))
    return out


def clean_phones(phones: Sequence, region: str | None) -> list[tuple[str, str, PhoneKind]]:
    """(as typed, E.164, kind) per phone; numbers without "+code" are read in ``region``."""
    out, seen = [], set()
    items = list(phones or ())
    for i, item in enumerate(items):
        number, kind = (item, PhoneKind.WORK) if isinstance(item, str) else (item.number, item.kind)
        label = "Phone" if len(items) == 1 else f"Phone {i + 1}"
        raw, e164 = phone_numbers.parse_phone(number, region=region, label=label, field=f"phones[{i}]")
        if e164 not in seen:
            seen.add(e164)
            out.append((raw, e164, _enum(PhoneKind, kind, "phone kind")))
    return out
