"""E-mail addresses, websites and phone numbers found in one OCR line, with the OCR slips a
card photo usually brings (spaces around ``@`` and dots, ``(at)``, ``O`` for ``0``)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from leaddesk.capture._words import label_kind, words
from leaddesk.capture.phones import parse_phone

_AT = re.compile(r"\s*(?:\(at\)|\[at\]|\{at\}|\s+at\s+|[©®])\s*", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+%'-]+\s*@\s*[\w-]+(?:\s?\.\s?[\w-]+)*(?:\s?\.\s?|,(?=[a-z]{2,3}(?:\s|$)))[a-z]{2,}",
                    re.IGNORECASE)
_SCHEME = r"(?:https?\s*:\s*/\s*/\s*)"
_URL = re.compile(_SCHEME + r"?(?:www\d?\s*[.,]\s*)?[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:/[\w./%#?=&-]*)?",
                  re.IGNORECASE)
_GENERIC_TLDS = {"com", "net", "org", "info", "biz", "io", "app", "dev", "tech", "online", "shop", "store", "eu",
                 "gov", "edu", "int", "pro", "group", "global", "world", "site", "cloud", "agency", "digital",
                 "company", "solutions", "systems", "consulting", "media", "design", "email", "asia", "berlin",
                 "hamburg", "koeln", "bayern", "paris", "london", "nyc", "swiss", "istanbul"}
#: Typical OCR slips in a top-level domain.
_TLD_SLIPS = {"corn": "com", "c0m": "com", "cam": "com", "con": "com", "cOm": "com", "de.": "de", "n1": "nl"}
#: A run of digits that may be a phone number, with its optional extension.
_RUN = re.compile(r"(?<![\d@])(?<!\d\.)(?:\+\s?|00\s?)?\(?\+?\d[\d\s()./\-–]{4,}\d"
                  r"(?:\s*(?:x|ext\.?|extn\.?|dw\.?|durchwahl)\s*\d{1,5})?(?![\w@])", re.IGNORECASE)


@functools.cache
def _cctlds() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_2.lower() for c in pycountry.countries) | {"uk"}


def _known_tld(tld: str) -> bool:
    return tld.lower() in _GENERIC_TLDS or tld.lower() in _cctlds()


def fix_email_text(text: str) -> str:
    """The line with "(at)", "©" and spaces around "@" turned back into a plain "@"."""
    if "@" not in text and _AT.search(text):
        m = _AT.search(text)
        tail = text[m.end():]
        if re.search(r"[\w.+-]$", text[: m.start()]) and re.match(r"[^\W\d][\w-]*\s?[.,(]", tail):  # a domain follows: "name (at) firma.de", "name at firma (dot) de"
            text = text[:m.start()] + "@" + tail
    text = re.sub(r"\s*\((?:dot|punkt|punto|point)\)\s*|\s+dot\s+", ".", text, flags=re.IGNORECASE)
    if "@" in text:  # "max . muster @ firma . de"
        text = re.sub(r"\s*@\s*", "@", text)
        text = re.sub(r"(?<=[^\W\d])\s*\.\s*(?=[^\W\d])", ".", text)
    return text


def _clean_email(found: str) -> str | None:
    e = re.sub(r"\s+", "", found).strip(".-'").lower()
    local, _, domain = e.partition("@")
    domain = domain.replace(",", ".")
    host, _, tld = domain.rpartition(".")
    tld = _TLD_SLIPS.get(tld, tld)
    if not local or not host or not _known_tld(tld):
        return None
    return f"{local}@{host}.{tld}"


def find_emails(text: str) -> tuple[list[str], str]:
    """E-mail addresses in ``text`` and the text with them cut out."""
    text = fix_email_text(text)
    found: list[str] = []
    rest = text
    for m in _EMAIL.finditer(text):
        e = _clean_email(m.group(0))
        if e:
            found.append(e)
            rest = rest.replace(m.group(0), " ")
    return found, rest


def find_website(text: str, *, labelled: bool = False) -> tuple[str | None, str]:
    """The first web address in ``text`` (an e-mail's domain is not one: cut e-mails out
    first), and the text without it. Without ``www.`` or a scheme the top-level domain must
    be known and printed in lower case, so that "Co.KG" or "S.A." is never read as a site."""
    fixed = re.sub(r"\b[Ww](?=www[.,])", "W ", text)  # the label "W" glued on: "Wwww.firma.de"
    fixed = re.sub(r"\bwww\s*[,.]\s*", "www.", fixed, flags=re.IGNORECASE)
    for m in _URL.finditer(fixed):
        raw = m.group(0)
        explicit = bool(re.match(_SCHEME + "|www", raw, re.IGNORECASE))
        url = re.sub(r"\s+", "", raw).rstrip("./,")
        host = re.sub(r"^https?://", "", url, flags=re.IGNORECASE).split("/")[0]
        tld = host.rsplit(".", 1)[-1]
        tld_fixed = _TLD_SLIPS.get(tld.lower(), tld)
        if not _known_tld(tld_fixed):
            continue
        if not explicit and not labelled and (tld != tld.lower() or len(host.split(".")[-2]) < 2):
            continue
        if not explicit and host.count(".") == 1 and len(host) < 5:
            continue
        if tld_fixed != tld:
            url = url.replace(host, host[: len(host) - len(tld)] + tld_fixed, 1)
        scheme, _, rest = url.rpartition("://")
        host_part, slash, path = rest.partition("/")
        url = (scheme.lower() + "://" if scheme else "") + host_part.lower() + slash + path
        return url, fixed.replace(raw, " ")
    return None, text


@dataclass
class PhoneRun:
    raw: str
    kind: str | None
    start: int
    end: int


def _split_run(run: str, regions) -> list[str]:
    """One run that may hold two numbers ("+49 30 1234567 +49 170 7654321", "030 123 / 0170 456")."""
    parts = [p.strip(" /") for p in re.split(r"\s(?=\+)|\s+/\s+|\s{3,}", run) if p.strip(" /")]
    if len(parts) > 1 and all(len(re.sub(r"\D", "", p)) >= 6 for p in parts):  # not "030 / 123456"
        return [q for p in parts for q in _split_run(p, regions)]
    digits = re.sub(r"\D", "", run)
    if len(digits) <= 13:
        return [run]
    for m in re.finditer(r"[\s/]+", run):
        a, b = run[: m.start()], run[m.end():]
        if len(re.sub(r"\D", "", a)) >= 6 and len(re.sub(r"\D", "", b)) >= 6:
            pa, pb = parse_phone(a, regions=regions), parse_phone(b, regions=regions)
            if pa.valid and pb.valid:
                return [a.strip(), b.strip()]
    return [run]


def _last_label(chunk: str) -> str | None:
    kind = None
    for m in words().label_pattern.finditer(chunk):
        k = label_kind(m.group(1))
        word = m.group(1)
        if len(word) == 1 and chunk[m.end(1):m.end(1) + 1].isalpha():
            continue  # "Tomas" does not start with the label "T"
        if k in ("office", "mobile", "fax", "other"):
            kind = k
    return kind


def find_phone_runs(text: str, regions) -> list[PhoneRun]:
    """Phone numbers in ``text`` with the label printed before each (or in brackets after)."""
    runs = list(_RUN.finditer(text))
    out: list[PhoneRun] = []
    prev_end = 0
    for i, m in enumerate(runs):
        raw = m.group(0).strip()
        if len(re.sub(r"\D", "", raw)) < 6:
            continue
        before = text[prev_end:m.start()]
        kind = _last_label(before)
        if m.start() and text[m.start() - 1].isalpha() and kind is None:
            continue  # glued to a word that is not a label: an id such as "DE123456789"
        after = text[m.end(): runs[i + 1].start() if i + 1 < len(runs) else len(text)]
        if kind is None:
            bracket = re.match(r"\s*[(\[]\s*([^)\]]{1,20})[)\]]", after)
            if bracket:
                kind = _last_label(bracket.group(1))
        pieces = _split_run(raw, regions)
        for j, piece in enumerate(pieces):
            out.append(PhoneRun(piece, kind if j == 0 else _last_label(piece) or kind, m.start(), m.end()))
        prev_end = m.end()
    return out


def residue(text: str, runs: list[PhoneRun]) -> str:
    """What is left of a line once its phone numbers and labels are cut out."""
    for r in sorted(runs, key=lambda r: -r.start):
        text = text[: r.start] + " " + text[r.end:]
    text = words().label_pattern.sub(" ", text)
    return re.sub(r"[\s|·•:/,;.()\-–]+", " ", text).strip()
