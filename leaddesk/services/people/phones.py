"""Phone numbers as people type them: checked with libphonenumber, kept as typed plus E.164.

What is refused, and why:

* letters ("abc123"): libphonenumber skips leading text and would store "123" as a
  number; a typing slip must not become a phone. An extension at the end ("ext. 12",
  "x12") is fine.
* text libphonenumber cannot read as a number at all, or a number too short or too long
  for its country, or one that only works dialled locally (no area code), since its E.164
  form would be wrong.

What is *not* refused: a number of a possible length that libphonenumber's metadata calls
invalid (a range not yet in its tables, a new mobile prefix). The metadata lags behind
real numbering plans, and a rep typing a customer's real number must not be blocked.

Numbers without "+country code" are read in a default region: the record's own country
if it has one, else the team's ``default_region`` setting when someone set it, else the
territory of the user's locale (``LC_ALL``/``LC_MESSAGES``/``LANG``), else the setting's
default.
"""

from __future__ import annotations

import os
import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from leaddesk.db import Database
from leaddesk.errors import ValidationError

MAX_LENGTH = 64
#: An extension at the end of a number: "ext. 12", "extension 12", "x12", "#12", ";ext=12".
_EXTENSION = re.compile(r"(?:;\s*ext=|\bext(?:ension)?\.?|\bx|#)\s*\d{1,7}\s*$", re.IGNORECASE)
_LOCALE_TERRITORY = re.compile(r"^[A-Za-z]{2,3}[_-]([A-Za-z]{2})\b")


def parse_phone(raw: str | None, *, region: str | None, label: str = "Phone",
                field: str = "phone") -> tuple[str, str]:
    """(the text as typed, trimmed; its E.164 form). ``label`` is the field's name as the
    form shows it, so the message says which field is wrong."""
    import phonenumbers

    if raw is None or not str(raw).strip():
        raise ValidationError(f"{label}: type a phone number or remove the row.", field=field)
    shown = unicodedata.normalize("NFC", str(raw)).strip()
    if len(shown) > MAX_LENGTH:
        raise ValidationError(f"{label}: “{shown[:20]}…” is too long for a phone number "
                              f"({len(shown)} characters, at most {MAX_LENGTH}).", field=field)
    if any(ch.isalpha() for ch in _EXTENSION.sub("", shown)):
        raise ValidationError(f"{label}: “{shown}” is not a phone number. Use digits, spaces and + ( ) - / only "
                              "(an extension may follow as “ext. 12”).", field=field)
    try:
        parsed = phonenumbers.parse(shown, region.upper() if region else None)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            why = ("starts with an unknown country code" if shown.lstrip().startswith(("+", "00"))
                   else "has no country code: start it with + and the country code")
        elif exc.error_type in (phonenumbers.NumberParseException.TOO_SHORT_NSN,
                                phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD):
            why = "is too short"
        elif exc.error_type == phonenumbers.NumberParseException.TOO_LONG:
            why = "is too long"
        else:
            why = "is not a phone number"
        raise ValidationError(f"{label}: “{shown}” {why}.", field=field) from exc
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    country = phonenumbers.region_code_for_country_code(parsed.country_code)
    where = _country_name(country)
    if reason == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        raise ValidationError(f"{label}: “{shown}” is too short for a number in {where}: add the area code.",
                              field=field)
    if reason == phonenumbers.ValidationResult.INVALID_COUNTRY_CODE:
        raise ValidationError(f"{label}: “{shown}” starts with an unknown country code.", field=field)
    if reason in (phonenumbers.ValidationResult.TOO_SHORT, phonenumbers.ValidationResult.INVALID_LENGTH):
        raise ValidationError(f"{label}: “{shown}” has too few digits for a number in {where}.", field=field)
    if reason == phonenumbers.ValidationResult.TOO_LONG:
        raise ValidationError(f"{label}: “{shown}” has too many digits for a number in {where}.", field=field)
    return shown, phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _country_name(code: str | None) -> str:
    if not code or code == "001":
        return "that country"
    import pycountry

    found = pycountry.countries.get(alpha_2=code)
    return getattr(found, "common_name", None) or getattr(found, "name", None) or code


def locale_region(environ=None) -> str | None:
    """The territory of the user's locale ("de_AT.UTF-8" -> "AT"), None for C/POSIX."""
    environ = os.environ if environ is None else environ
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(key)
        if value:
            match = _LOCALE_TERRITORY.match(value)
            return match.group(1).upper() if match else None
    return None


def default_region(db: Database, *, environ=None) -> str:
    """Where numbers typed without "+code" are read: the team's ``default_region`` when it
    was set, else the locale's territory, else the setting's default."""
    with db.reader() as s:
        return session_default_region(s, environ=environ)


def session_default_region(session: Session, *, environ=None) -> str:
    """:func:`default_region` inside a transaction that is already open."""
    from leaddesk.models import TeamSetting
    from leaddesk.services import settings as team_settings

    stored = session.scalar(select(TeamSetting.value).where(
        TeamSetting.id == team_settings.setting_id("default_region"), TeamSetting.deleted.is_(False)))
    if isinstance(stored, str) and stored.strip():
        return stored.strip().upper()
    return locale_region(environ) or team_settings.SPECS["default_region"].default
