"""Which OCR lines are a postal address, and how they split into street, postal code, city,
region and country."""

from __future__ import annotations

import re

from leaddesk.capture._words import fold, label_kind, tokens, words
from leaddesk.capture.fields import Address
from leaddesk.capture.phones import country_of_name

_US_STATES = set("AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY "
                 "NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC AS FM GU MH MP PW PR VI AA AE AP".split())
#: (pattern, country or None): a postal code and the city after (or before) it.
_POSTAL = [
    (re.compile(r"(?:^|,\s*)(?P<city>[^\d,]+?),?\s+(?P<region>[A-Z]{2})\.?,?\s+(?P<pc>\d{5}(?:-\d{4})?)\b"), "US"),
    (re.compile(r"^(?P<city>[^\d]*?)[\s,]*(?P<pc>\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})\b"), "GB"),
    (re.compile(r"(?P<pc>\b[1-9]\d{3}\s?[A-Z]{2})\b\s*(?P<city>.*)$"), "NL"),
    (re.compile(r"(?P<pc>\b\d{4}-\d{3})\b\s*(?P<city>.*)$"), "PT"),
    (re.compile(r"(?:^|\s)(?:(?P<cc>[A-Z]{1,2})-)?(?P<pc>\d{5})(?:\s+|(?=[^\W\d]))(?P<city>[^\d,]{2,}.*)$"), None),
    (re.compile(r"^(?P<city>[^\d,]{2,}?),?\s+(?P<pc>\d{5})\b"), None),
    (re.compile(r"(?P<weak>)(?:^|\s)(?:(?P<cc>[A-Z]{1,2})-)?(?P<pc>\d{4})(?:\s+|(?=[^\W\d]))(?P<city>[^\d,]{2,}.*)$"), None),
    (re.compile(r"(?P<weak>)(?P<pc>\b\d{6})\b\s*(?P<city>[^\d,]*)$"), None),
]
#: The country letters Europeans print before a postal code ("D-70565").
_PLATE = {"D": "DE", "DE": "DE", "A": "AT", "AT": "AT", "CH": "CH", "F": "FR", "FR": "FR", "I": "IT", "IT": "IT",
          "B": "BE", "BE": "BE", "NL": "NL", "L": "LU", "E": "ES", "P": "PT", "DK": "DK", "S": "SE", "N": "NO",
          "FI": "FI", "PL": "PL", "CZ": "CZ"}
_HOUSE_NO = re.compile(r"(?:^|\s|,)(?:no[:.]?\s*)?\d{1,5}(?:\s?[a-zA-Z])?(?:[/-]\d{1,4})?(?:,|\s|$)", re.IGNORECASE)


def postal_parts(text: str) -> dict | None:
    """postal code, city (and region, country) when ``text`` is a postal-code line."""
    for pattern, country in _POSTAL:
        m = pattern.search(text.strip())
        if not m:
            continue
        city = (m.groupdict().get("city") or "").strip(" ,-")
        if country == "US" and m.group("region") not in _US_STATES:
            continue
        if not city and country not in ("GB", "NL"):
            continue
        if city and (sum(ch.isalpha() for ch in city) < 2 or re.search(r"\d{3}", city)):
            continue
        if country == "GB" and len(re.sub(r"\s", "", m.group("pc"))) < 5:
            continue
        cc = m.groupdict().get("cc")
        parts = {"weak": m.groupdict().get("weak") is not None, "before": text.strip()[: m.start()].strip(" ,;"), "postal_code": m.group("pc"), "city": city or None, "country": country or _PLATE.get(cc or ""),
                 "region": m.groupdict().get("region")}
        if city and "," in city:  # "20457 Hamburg, Germany": the country after the city
            head, _, tail = city.rpartition(",")
            named = country_of_name(tail.strip())
            if named and head.strip():
                parts["city"], parts["country"] = head.strip(), parts["country"] or named
                city = parts["city"]
        if city and "/" in city:  # Turkish "34000 Kadıköy/İstanbul": the province is the city
            district, _, province = city.partition("/")
            parts["city"] = province.strip() or district.strip()
        return parts
    return None


def is_street(text: str) -> bool:
    """A street line: a street word (or a glued-on ending) and a house number."""
    toks = tokens(text)
    w = words()
    has_word = any(t.rstrip(".") in w.street_words for t in toks) or any(
        t.rstrip(".").endswith(e.rstrip(".")) and len(t) > len(e) + 2 for t in toks for e in w.street_endings)
    has_number = bool(_HOUSE_NO.search(text))
    return has_word and (has_number or bool(re.search(r"\b(?:po box|postfach|bp|ص\.ب)\b", fold(text))))


def starts_or_ends_with_number(text: str) -> bool:
    t = text.strip()
    return bool(re.match(r"^\d{1,5}[a-zA-Z]?\b[\s,]+[^\d\s]", t) or re.search(r"[^\d\s][\s,]+\d{1,5}[a-zA-Z]?$", t))


def is_country_line(text: str) -> str | None:
    """ISO code when the whole line is a country's name ("Deutschland", "United Kingdom")."""
    t = text.strip(" ,.")
    return country_of_name(t) if len(t.split()) <= 4 else None


def classify(text: str) -> str | None:
    """'postal', 'street', 'country' or None for one line; 'postal?' for a postal code only
    a few countries write that may as well be a house number ("1600 Amphitheatre Pkwy")."""
    if is_country_line(text):
        return "country"
    p = postal_parts(text)
    if p and not p["weak"]:
        return "postal"
    if is_street(text):
        return "street"
    return "postal?" if p else None


def _without_label(text: str) -> str:
    """"Adresse: Hauptstr. 5" -> "Hauptstr. 5"."""
    m = words().label_pattern.match(text.strip())
    if m and label_kind(m.group(1)) == "address" and len(m.group(1)) > 1:
        return text.strip()[m.end():].strip()
    return text


def build(lines: list[str], kinds: list[str | None]) -> Address:
    """An :class:`Address` from the address lines in printed order."""
    lines = [_without_label(s) for s in lines]
    addr = Address(text=", ".join(s.strip() for s in lines))
    street: list[str] = []
    for text, kind in zip(lines, kinds):
        if kind == "country":
            addr.country = is_country_line(text)
        elif kind == "postal" and addr.postal_code is None:
            p = postal_parts(text)
            if re.search(r"[^\W\d]{2,}", p["before"]):  # "Hauptstr. 5, 10115 Berlin" on one line
                street.append(p["before"])
            addr.postal_code, addr.city, addr.region = p["postal_code"], p["city"] or addr.city, p["region"]
            addr.country = addr.country or p["country"]
        elif kind == "city" and addr.city is None:
            addr.city = text.strip(" ,")
        else:
            street.append(text.strip(" ,"))
    addr.street = ", ".join(street) or None
    return addr
