"""The two short contact formats QR codes use besides vCard: NTT Docomo's MECARD
(``MECARD:N:Doe,John;TEL:+1555...;EMAIL:j@x.com;;``) and the older BIZCARD
(``BIZCARD:N:John;X:Doe;T:CTO;C:ACME;B:+1555...;E:j@x.com;;``). No library reads them
(zxing-cpp only decodes the code's text), so the small grammar is here: ``KEY:value``
fields ended by ``;``, with ``\\`` escaping ``; : , \\``.

A MECARD TEL says nothing of its type: it is "mobile" or "office" when the numbering
plan tells (a German 0170 number is a mobile, a 030 one a fixed line), else "other"."""

from __future__ import annotations

from leaddesk.capture import _vcard_values as values
from leaddesk.capture._vcard_read import split_formatted
from leaddesk.capture.fields import FIELD_NAMES, Address, CardFields, Phone, PhoneType


def _split(text: str, sep: str) -> list[str]:
    """Split on ``sep`` where it is not escaped; the escapes stay for :func:`_unescape`."""
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current += ["\\", char]
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if current or escaped:
        parts.append("".join(current) + ("\\" if escaped else ""))
    return parts


def _unescape(text: str) -> str:
    out, escaped = [], False
    for char in text:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(char)
    return "".join(out).strip()


def _pairs(payload: str) -> list[tuple[str, str]]:
    """The ``KEY:value`` fields after the ``MECARD:``/``BIZCARD:`` prefix."""
    body = payload.split(":", 1)[1] if ":" in payload else ""
    pairs = []
    for field in _split(body.replace("\r", "").replace("\n", ""), ";"):
        key, sep, value = field.partition(":")
        if sep and key.strip():
            pairs.append((key.strip().upper(), value))
    return pairs


def _phone_list(raw: list[tuple[str, PhoneType]], regions: list[str]) -> list[Phone]:
    phones: list[Phone] = []
    for number, kind in raw:
        if number:
            phone = values.phone(number, kind, regions)
            if kind == "other":
                phone.type = values.kind_by_number(phone)
            if all(p.number != phone.number for p in phones):
                phones.append(phone)
    return phones


def _free_address(text: str) -> Address | None:
    """An address written as one line: its last part is the country when it names one."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        return None
    country = values.country_code(parts[-1]) if len(parts) > 1 else None
    street = ", ".join(parts[:-1] if country else parts)
    return Address(street=street or None, country=country, text=", ".join(parts))


def _mecard_address(raw: str) -> Address | None:
    parts = [_unescape(p) for p in _split(raw, ",")]
    if len(parts) != 7:  # not Docomo's seven components: free text as most generators write
        return _free_address(_unescape(raw))
    box, room, street, city, region, code, country = parts
    street_text = ", ".join(p for p in (street, room, box) if p) or None
    if not (street_text or city or region or code or country):
        return None
    return Address(street=street_text, city=city or None, region=region or None, postal_code=code or None,
                   country=values.country_code(country),
                   text=", ".join(p for p in (street_text, city, region, code, country) if p))


def _finish(fields: CardFields, default_region: str | None, raw_phones: list[tuple[str, PhoneType]]) -> CardFields:
    regions = [fields.address.country] if fields.address and fields.address.country else []
    regions += values.tld_region([*fields.emails, *([fields.website] if fields.website else [])])
    if default_region:
        regions.append(default_region.upper())
    fields.phones = _phone_list(raw_phones, list(dict.fromkeys(regions)))
    fields.confidence = {name: 1.0 for name in FIELD_NAMES if getattr(fields, name)}
    return fields


def parse_mecard(payload: str, *, default_region: str | None = None) -> CardFields:
    fields = CardFields(source="qr", raw_text=payload)
    phones: list[tuple[str, PhoneType]] = []
    notes: list[str] = []
    for key, raw in _pairs(payload):
        value = _unescape(raw)
        if key == "N" and not (fields.given_name or fields.family_name):
            names = [_unescape(p) for p in _split(raw, ",")]
            if len(names) >= 2 and names[0] and names[1]:
                fields.family_name, fields.given_name = names[0], names[1]
            else:
                fields.given_name, fields.family_name = split_formatted(value) if value else (None, None)
        elif key in ("TEL", "TEL-AV"):
            phones.append((value, "other"))
        elif key == "EMAIL" and value and value.lower() not in (e.lower() for e in fields.emails):
            fields.emails.append(value)
        elif key == "ORG" and value and not fields.company:
            fields.company = value
        elif key == "TITLE" and value and not fields.title:
            fields.title = value
        elif key == "URL" and value and not fields.website:
            fields.website = value
        elif key == "ADR" and value and not fields.address:
            fields.address = _mecard_address(raw)
        elif key in ("NOTE", "MEMO") and value:
            notes.append(value)
    fields.note = "\n".join(notes) or None
    return _finish(fields, default_region, phones)


def parse_bizcard(payload: str, *, default_region: str | None = None) -> CardFields:
    fields = CardFields(source="qr", raw_text=payload)
    phones: list[tuple[str, PhoneType]] = []
    kinds: dict[str, PhoneType] = {"B": "office", "M": "mobile", "F": "fax"}
    for key, raw in _pairs(payload):
        value = _unescape(raw)
        if not value:
            continue
        if key == "N":
            fields.given_name = value
        elif key == "X":
            fields.family_name = value
        elif key == "T":
            fields.title = value
        elif key == "C":
            fields.company = value
        elif key == "A":
            fields.address = _free_address(value)
        elif key in kinds:
            phones.append((value, kinds[key]))
        elif key == "E" and value.lower() not in (e.lower() for e in fields.emails):
            fields.emails.append(value)
    return _finish(fields, default_region, phones)
