"""Input checks with messages a user understands. Each raises ValidationError(field=...)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from leaddesk.errors import ValidationError
from leaddesk.sync.field_values import refuse_forbidden

# phonenumbers, email_validator and pycountry are imported where first used: together they
# cost ~0.15 s, which the app's cold start should not pay before the first form is saved.

DEFAULT_REGION = "DE"

#: Web-mail providers: a lead with only such addresses gave no company address.
FREE_EMAIL_DOMAINS = (
    "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com", "msn.com", "aol.com",
    "icloud.com", "me.com", "gmx.de", "gmx.net", "web.de", "mail.ru", "yandex.ru", "yandex.com",
    "proton.me", "protonmail.com", "qq.com", "163.com",
)


def clean_text(value: str | None, *, field: str, max_len: int, required: bool = False) -> str | None:
    """Trim, NFC-normalise (so NFD and NFC spellings compare equal) and check length."""
    if value is None:
        if required:
            raise ValidationError(f"{_label(field)} is required.", field=field)
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{_label(field)} must be text.", field=field)
    refuse_forbidden(field, value)  # NUL, lone surrogates, control characters (the journal checks every save too)
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        if required:
            raise ValidationError(f"{_label(field)} is required.", field=field)
        return None
    if len(value) > max_len:
        raise ValidationError(f"{_label(field)} is too long ({len(value)} characters, at most {max_len}).", field=field)
    return value


def sort_key(text: str) -> str:
    """Case-folded, accent-free key for sorting and prefix search ("Müller" ~ "muller")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_email(address: str, *, field: str = "email") -> tuple[str, str]:
    """Return (as typed but trimmed, normalised for matching). Syntax only, no DNS lookups."""
    from email_validator import EmailNotValidError, validate_email

    shown = clean_text(address, field=field, max_len=320, required=True)
    try:
        result = validate_email(shown, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise ValidationError(f"'{shown}' is not a valid e-mail address: {exc}", field=field) from exc
    local, _, domain = result.normalized.rpartition("@")
    ascii_domain = result.ascii_domain or domain
    return shown, f"{local.lower()}@{ascii_domain.lower()}"


def normalize_phone(raw: str, *, region: str | None = None, field: str = "phone") -> tuple[str, str]:
    """Return (as typed, E.164). Numbers without a country code use ``region``."""
    import phonenumbers

    shown = clean_text(raw, field=field, max_len=64, required=True)
    try:
        parsed = phonenumbers.parse(shown, (region or DEFAULT_REGION).upper())
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(f"'{shown}' is not a phone number: {exc._msg}", field=field) from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValidationError(
            f"'{shown}' is not a possible phone number for {phonenumbers.region_code_for_number(parsed) or region}.",
            field=field,
        )
    return shown, phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def money(value, *, field: str, allow_none: bool = True) -> Decimal | None:
    """An amount >= 0 with at most two decimals. Floats are refused (they are inexact)."""
    if value is None or value == "":
        if allow_none:
            return None
        raise ValidationError(f"{_label(field)} is required.", field=field)
    if isinstance(value, float):
        raise ValidationError(f"{_label(field)} must be given exactly (text or Decimal), not as a float.", field=field)
    try:
        amount = Decimal(str(value).replace(",", "").strip()) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationError(f"{_label(field)} '{value}' is not an amount.", field=field) from exc
    if not amount.is_finite():
        raise ValidationError(f"{_label(field)} '{value}' is not an amount.", field=field)
    if amount < 0:
        raise ValidationError(f"{_label(field)} cannot be negative.", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(f"{_label(field)} has more than two decimals.", field=field)
    if amount >= Decimal("1e16"):
        raise ValidationError(f"{_label(field)} is too large.", field=field)
    return amount.quantize(Decimal("0.01"))


def currency(code: str | None, *, field: str = "currency", allow_none: bool = False) -> str | None:
    if code is None or (isinstance(code, str) and not code.strip()):
        if allow_none:
            return None
        raise ValidationError("A currency is required (ISO code such as EUR or USD).", field=field)
    import pycountry

    code = str(code).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code) or pycountry.currencies.get(alpha_3=code) is None:
        raise ValidationError(f"'{code}' is not a known currency code (e.g. EUR, USD, TRY, IRR, THB).", field=field)
    return code


#: Everyday names that ISO (and so pycountry) does not list.
COUNTRY_ALIASES = {
    "turkey": "TR", "turkiye": "TR", "uk": "GB", "great britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "persia": "IR", "holland": "NL", "russia": "RU", "south korea": "KR", "korea": "KR",
    "north korea": "KP", "taiwan": "TW", "ivory coast": "CI", "czechia": "CZ", "uae": "AE", "emirates": "AE",
    "ksa": "SA", "america": "US", "burma": "MM", "macedonia": "MK", "swaziland": "SZ", "cape verde": "CV",
}


def country(value: str | None, *, field: str = "country") -> str | None:
    """ISO 3166 alpha-2 from a code or an English name ("DE", "DEU", "Germany")."""
    if value is None or not str(value).strip():
        return None
    import pycountry

    text = str(value).strip()
    found = None
    if len(text) == 2:
        found = pycountry.countries.get(alpha_2=text.upper())
    elif len(text) == 3:
        found = pycountry.countries.get(alpha_3=text.upper())
    if found is None and sort_key(text) in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[sort_key(text)]
    if found is None:
        try:
            found = pycountry.countries.lookup(text)
        except LookupError:
            found = None
    if found is None:
        raise ValidationError(f"'{text}' is not a country LeadDesk knows (use a name or ISO code).", field=field)
    return found.alpha_2


def percent(value, *, field: str, allow_none: bool = True) -> int | None:
    if value is None or value == "":
        if allow_none:
            return None
        raise ValidationError(f"{_label(field)} is required.", field=field)
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{_label(field)} must be a whole number from 0 to 100.", field=field) from exc
    if not 0 <= number <= 100:
        raise ValidationError(f"{_label(field)} must be from 0 to 100 (got {number}).", field=field)
    return number


def non_negative_int(value, *, field: str, allow_none: bool = True) -> int | None:
    if value is None or value == "":
        if allow_none:
            return None
        raise ValidationError(f"{_label(field)} is required.", field=field)
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{_label(field)} must be a whole number.", field=field) from exc
    if number < 0:
        raise ValidationError(f"{_label(field)} cannot be negative.", field=field)
    return number


def domain_of(website: str | None) -> str | None:
    """``https://www.Example.com/x`` -> ``example.com``."""
    if not website:
        return None
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", website.strip().lower()).split("/")[0].split(":")[0]
    host = host.removeprefix("www.")
    if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", host.encode("idna").decode("ascii") if host else ""):
        raise ValidationError(f"'{website}' is not a web address.", field="website")
    return host


def choice(enum_cls, value, field: str):
    """``value`` as a member of ``enum_cls`` (accepts the member or its text)."""
    if isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(str(value).strip().lower())
    except ValueError as exc:
        allowed = ", ".join(m.value for m in enum_cls)
        raise ValidationError(f"'{value}' is not a valid {field.replace('_', ' ')} ({allowed}).", field=field) from exc


def date_value(value, *, field: str) -> dt.date | None:
    """A calendar date (a ``date`` or ``YYYY-MM-DD`` text); a date *and time* is refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    label = field.replace("_", " ").capitalize()
    if isinstance(value, dt.datetime):
        raise ValidationError(f"{label} must be a date without a time of day.", field=field)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError(f"{label} '{value}' is not a date (use YYYY-MM-DD).", field=field)


#: Field names that read badly capitalised, as the forms label them ("E-mail", not "Email").
_LABELS = {"email": "E-mail", "emails": "E-mail"}


def _label(field: str) -> str:
    return _LABELS.get(field.split("[")[0]) or field.replace("_", " ").capitalize()
