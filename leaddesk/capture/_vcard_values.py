"""Values shared by the vCard and MECARD readers: unescaped text, the types a property
carries, photos, countries, and phone numbers (with ``capture.phones`` when it is there)."""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Iterable, Sequence

import phonenumbers
import pycountry
from PIL import Image, UnidentifiedImageError
from vobject.base import ContentLine
from vobject.icalendar import stringToTextValues
from vobject.vcard import splitFields

from leaddesk.capture.fields import Phone, PhoneType

from leaddesk.capture.phones import parse_phone, region_of_domain

#: Country names and short forms pycountry does not know, upper case, dots removed.
_COUNTRY_ALIASES = {
    "UK": "GB", "ENGLAND": "GB", "SCOTLAND": "GB", "WALES": "GB", "GREAT BRITAIN": "GB",
    "US": "US", "U S": "US", "AMERICA": "US", "UNITED STATES OF AMERICA": "US",
    "DEUTSCHLAND": "DE", "ÖSTERREICH": "AT", "SCHWEIZ": "CH", "SUISSE": "CH", "ESPAÑA": "ES",
    "ITALIA": "IT", "NEDERLAND": "NL", "HOLLAND": "NL", "BELGIQUE": "BE", "BELGIË": "BE",
    "SVERIGE": "SE", "NORGE": "NO", "DANMARK": "DK", "SUOMI": "FI", "POLSKA": "PL",
    "RUSSIA": "RU", "SOUTH KOREA": "KR", "KOREA": "KR", "VIETNAM": "VN", "UAE": "AE",
    "CZECH REPUBLIC": "CZ", "TURKEY": "TR", "IRAN": "IR", "TAIWAN": "TW", "BRASIL": "BR",
}
#: Generic top-level domains say nothing about the country.

_PNG = b"\x89PNG\r\n\x1a\n"


def text(value: str) -> str:
    """A text value with vCard escapes undone (``\\n``, ``\\,``, ``\\;``, ``\\\\``, and the
    ``\\:`` Google and Apple write in URLs). A 2.1 value keeps its bare commas."""
    value = stringToTextValues(value.replace("\\:", ":"), listSeparator=None)[0]
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def fields(value: str, count: int) -> list[str]:
    """A structured value (N, ADR, ORG) as ``count`` strings; a component written as a list
    is joined with ", "."""
    parts = []
    for part in splitFields(value.replace("\\:", ":")):
        if isinstance(part, list):
            part = ", ".join(p.strip() for p in part if p.strip())
        parts.append(part.strip().strip(",").strip())
    return (parts + [""] * count)[:count] if count else [p for p in parts if p]


def types(line: ContentLine) -> set[str]:
    """Every type a property carries, lower case: ``TYPE=cell,voice``, ``TYPE=CELL;TYPE=VOICE``,
    ``TYPE="work,voice"``, 2.1 bare ``TEL;CELL;VOICE``, and PREF in any of its spellings."""
    found: set[str] = set()
    for value in line.params.get("TYPE", []):
        found.update(v.strip().strip('"').lower() for v in value.split(","))
    found.update(v.lower() for v in line.singletonparams)
    if line.params.get("PREF"):
        found.add("pref")
    found.discard("")
    return found


def is_base64(line: ContentLine) -> bool:
    encoding = {v.upper() for v in line.params.get("ENCODING", [])}
    return bool(encoding & {"B", "BASE64"}) or "BASE64" in {v.upper() for v in line.singletonparams}


def decode_base64(value: str) -> bytes | None:
    """Lenient base64: whitespace dropped, a short tail cut, padding restored."""
    data = re.sub(r"[^A-Za-z0-9+/=_-]", "", value).rstrip("=")
    if len(data) % 4 == 1:
        data = data[:-1]
    data += "=" * (-len(data) % 4)
    try:
        return base64.b64decode(data, altchars=b"-_" if "-" in data or "_" in data else None)
    except (binascii.Error, ValueError):
        return None


def photo_bytes(line: ContentLine) -> tuple[bytes | None, bool]:
    """(the image as JPEG or PNG, whether the property held one at all). A link to a photo
    on the web is not fetched (capture works offline); a damaged image is left out; a GIF,
    BMP or other format Pillow reads becomes a PNG (what a contact card keeps)."""
    value = line.value.strip().replace("\\,", ",").replace("\\;", ";") if isinstance(line.value, str) else ""
    if value.lower().startswith("data:"):
        header, _, payload = value.partition(",")
        data = decode_base64(payload) if ";base64" in header.lower() else None
    elif is_base64(line):
        data = decode_base64(value)
    else:
        return None, False
    if not data:
        return None, True
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if image.format in ("JPEG", "PNG"):
                return data, True
            out = io.BytesIO()
            image.save(out, "PNG")
            return out.getvalue(), True
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        return None, True


def photo_mime(data: bytes) -> str:
    """``image/png`` or ``image/jpeg`` for what :func:`photo_bytes` returns."""
    return "image/png" if data.startswith(_PNG) else "image/jpeg"


def country_code(name: str | None) -> str | None:
    """ISO 3166-1 alpha-2 for a country name, short form or code as people write them."""
    if not name:
        return None
    spaced = re.sub(r"\s+", " ", name.replace(".", " ").replace(",", " ")).strip().upper()
    if not spaced:
        return None
    joined = re.sub(r"\s+", " ", name.replace(".", "").replace(",", " ")).strip().upper()  # U.S.A. -> USA
    for key in dict.fromkeys((spaced, joined)):
        if key in _COUNTRY_ALIASES:
            return _COUNTRY_ALIASES[key]
        for candidate in (key, re.sub(r"^THE ", "", key)):
            try:
                return pycountry.countries.lookup(candidate).alpha_2
            except LookupError:
                continue
    return None


def tld_region(addresses: Iterable[str]) -> list[str]:
    """Country-code top-level domains of e-mail addresses or web sites, as regions (the
    rule of ``phones.region_of_domain``: vanity and generic ccTLDs name no country)."""
    return list(dict.fromkeys(r for r in map(region_of_domain, addresses) if r))


def phone(raw: str, kind: PhoneType, regions: Sequence[str]) -> Phone:
    """A number in E.164 when it parses in one of ``regions`` (or with its own ``+`` or
    ``00`` prefix), ``valid`` saying whether libphonenumber also calls it a real number;
    else as written with ``valid=False``. Never dropped for being invalid: the rules of
    ``capture/phones.py``, with the vCard's own type and text kept."""
    raw = re.sub(r"^tel:", "", raw.strip(), flags=re.IGNORECASE)
    printed = re.sub(r";ext=", " ext. ", raw, flags=re.IGNORECASE)
    result = parse_phone(printed, type_hint=kind, regions=regions)
    result.type = kind
    result.raw = raw
    return result


def kind_by_number(phone: Phone) -> PhoneType:
    """For a number whose format gives no type (a MECARD TEL): mobile or office when the
    numbering plan tells them apart (most of Europe does, North America does not)."""
    if not phone.valid:
        return "other"
    kind = phonenumbers.number_type(phonenumbers.parse(phone.number.split(";", 1)[0]))
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return "mobile"
    if kind == phonenumbers.PhoneNumberType.FIXED_LINE:
        return "office"
    return "other"


def phone_type(kinds: Iterable[str], label: str | None = None) -> PhoneType:
    """mobile / office / fax / other from a property's types and its label (an Apple
    ``X-ABLabel`` such as ``_$!<WorkFAX>!$_``). A home number is "other": the CRM keeps
    business numbers apart, not home from other."""
    words = {k.lower() for k in kinds}
    if label:
        words.update(re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", label).lower()))
        words.update(re.findall(r"[a-z]+", label.lower()))
    if words & {"fax", "telefax"}:
        return "fax"
    if words & {"cell", "mobile", "iphone", "cellular", "handy", "gsm"}:
        return "mobile"
    if words & {"work", "main", "office", "business", "company"}:
        return "office"
    return "other"
