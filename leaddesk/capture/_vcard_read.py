"""One card's content lines -> :class:`CardFields`.

The CRM keeps one title, company, web site and postal address per person, so where a
card holds several the reader takes, in order: the one typed ``work``, the preferred
one (``pref``), the first. The others are not lost: they go to the note, one line each
("Other address: ..."), as do the ORG units ("Department: ...") and e-mail values
that are not addresses. Every e-mail and phone is kept.

Names come from N; a card with an empty N (or none, as in RFC 2426's own example) takes
them from FN. Phone types: ``cell``/``mobile``/``iphone`` -> mobile, any ``fax`` (work or
home) -> fax, ``work``/``main`` -> office, everything else (``home``, ``voice`` alone,
``pager``, a custom label) -> other. A grouped property's Apple label
(``item1.TEL`` + ``item1.X-ABLabel``) counts as its type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vobject.base import ContentLine

from leaddesk.capture import _vcard_values as values
from leaddesk.capture.fields import FIELD_NAMES, Address, CardFields, Phone

#: Titles and suffixes an FN may carry around the name.
_PREFIXES = {"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "herr", "frau", "mme", "m", "mlle"}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq", "mba", "msc"}


@dataclass
class _Card:
    """The properties of one card, by upper-case name, in file order."""

    lines: dict[str, list[ContentLine]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> list[ContentLine]:
        return self.lines.get(name, [])

    def label(self, line: ContentLine) -> str | None:
        return self.labels.get((line.group or "").upper()) if line.group else None


def card_fields(lines: list[ContentLine], *, raw_text: str, default_region: str | None) -> tuple[CardFields, list[str]]:
    """The fields of one card, and what was left out of it (sentences without the card)."""
    card = _Card()
    for line in lines:
        name = line.name.upper()
        if name == "X-ABLABEL" and line.group:
            card.labels[line.group.upper()] = re.sub(r"^_\$!<(.*)>!\$_$", r"\1", values.text(line.value))
        else:
            card.lines.setdefault(name, []).append(line)
    problems: list[str] = []
    extras: list[str] = []

    given, family = _names(card)
    company, units = _organisation(card)
    if units:
        extras.append(f"Department: {units}")
    title = _first_text(card, "TITLE") or _first_text(card, "ROLE")
    emails, not_emails = _emails(card)
    extras += [f"Other e-mail: {e}" for e in not_emails]
    address, other_addresses, countries = _addresses(card)
    extras += [f"Other address: {a.one_line()}" for a in other_addresses]
    websites = _ordered(card, "URL")
    extras += [f"Other web site: {w}" for w in websites[1:]]
    regions = [*countries, *values.tld_region([*emails, *websites[:1]])]
    if default_region:
        regions.append(default_region.upper())
    phones = _phones(card, list(dict.fromkeys(regions)))
    photo, damaged = _photo(card)
    if damaged:
        problems.append("its photo is damaged and was left out")

    notes = list(dict.fromkeys(n for n in (values.text(line.value) for line in card.get("NOTE")) if n))
    note = "\n".join([*notes, *extras]) or None
    fields = CardFields(
        given_name=given, family_name=family, title=title, company=company, emails=emails, phones=phones,
        website=websites[0] if websites else None, address=address, note=note, source="vcard",
        raw_text=raw_text, photo=photo,
    )
    fields.confidence = {name: 1.0 for name in FIELD_NAMES if getattr(fields, name)}
    return fields, problems


def _first_text(card: _Card, name: str) -> str | None:
    return next((t for t in (values.text(line.value) for line in card.get(name)) if t), None)


def _names(card: _Card) -> tuple[str | None, str | None]:
    for line in card.get("N"):
        family, given, additional, _prefix, _suffix = values.fields(line.value, 5)
        if given or family:
            return given or None, family or None
    formatted = _first_text(card, "FN")
    company, _ = _organisation(card)
    if not formatted or "@" in formatted or formatted == company or not any(c.isalpha() for c in formatted):
        # An FN that is the company (Apple's company cards), an e-mail or a number is no
        # one's name.
        return None, None
    return split_formatted(formatted)


def split_formatted(name: str) -> tuple[str | None, str | None]:
    """FN -> (given, family): "Doe, John" is family first; titles and suffixes dropped."""
    if "," in name and name.count(",") == 1:
        family, given = (p.strip() for p in name.split(","))
        if family and given and " " not in family:
            return given, family
    words = name.split()
    while len(words) > 1 and words[0].lower().rstrip(".") in _PREFIXES:
        words.pop(0)
    while len(words) > 1 and words[-1].lower().replace(".", "").rstrip(",") in _SUFFIXES:
        words.pop()
    if not words:
        return None, None
    if len(words) == 1:
        return words[0], None
    return words[0], " ".join(words[1:])


def _organisation(card: _Card) -> tuple[str | None, str | None]:
    for line in card.get("ORG"):
        parts = values.fields(line.value, 0)
        if parts:
            return parts[0], ", ".join(parts[1:]) or None
    return None, None


def _emails(card: _Card) -> tuple[list[str], list[str]]:
    found: list[tuple[bool, str]] = []
    for line in card.get("EMAIL"):
        value = re.sub(r"^mailto:", "", values.text(line.value), flags=re.IGNORECASE).strip()
        if value:
            found.append(("pref" not in values.types(line), value))
    found.sort(key=lambda pair: pair[0])  # stable: the preferred first, else file order
    emails: dict[str, str] = {}
    others: list[str] = []
    for _, value in found:
        if re.fullmatch(r"[^@\s]+@[^@\s]+", value):
            emails.setdefault(value.lower(), value)
        elif value not in others:
            others.append(value)
    return list(emails.values()), others


def _preference(line: ContentLine, card: _Card) -> int:
    kinds = values.types(line)
    label = (card.label(line) or "").lower()
    if "work" in kinds or "work" in label:
        return 0
    if "pref" in kinds:
        return 1
    return 2


def _ordered(card: _Card, name: str) -> list[str]:
    """The property's text values, the one to keep first."""
    lines = sorted(card.get(name), key=lambda line: _preference(line, card))
    return list(dict.fromkeys(t for t in (values.text(line.value) for line in lines) if t))


def _addresses(card: _Card) -> tuple[Address | None, list[Address], list[str]]:
    lines = sorted(card.get("ADR"), key=lambda line: _preference(line, card))
    addresses = [a for a in (_address(line.value) for line in lines) if a]
    countries = [a.country for a in addresses if a.country]
    unique: list[Address] = []
    for address in addresses:
        if all(address != kept for kept in unique):
            unique.append(address)
    return (unique[0] if unique else None), unique[1:], list(dict.fromkeys(countries))


def _address(value: str) -> Address | None:
    box, extended, street, city, region, code, country = values.fields(value, 7)
    street_parts = [p.strip() for part in (street, extended, box) for p in part.split("\n") if p.strip()]
    if not (city or region or code or country) and street_parts:
        # Free text in one component (Google writes the whole label into it): its last
        # line is the country when it names one.
        if len(street_parts) > 1 and values.country_code(street_parts[-1]):
            country = street_parts.pop()
    if not (street_parts or city or region or code or country):
        return None
    street_text = ", ".join(street_parts) or None
    text = ", ".join(p for p in (street_text, city, region, code, country) if p)
    return Address(street=street_text, city=city or None, region=region or None, postal_code=code or None,
                   country=values.country_code(country), text=text)


def _phones(card: _Card, regions: list[str]) -> list[Phone]:
    phones: list[Phone] = []
    for line in card.get("TEL"):
        raw = values.text(line.value)
        if not raw:
            continue
        kind = values.phone_type(values.types(line), card.label(line))
        parsed = values.phone(raw, kind, regions)
        if all((p.number, p.type) != (parsed.number, parsed.type) for p in phones):
            phones.append(parsed)
    return phones


def _photo(card: _Card) -> tuple[bytes | None, bool]:
    damaged = False
    for line in card.get("PHOTO"):
        data, held = values.photo_bytes(line)
        if data:
            return data, False
        damaged = damaged or held
    return None, damaged
