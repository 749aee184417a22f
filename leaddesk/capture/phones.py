"""Phone numbers read from a card: parsed with libphonenumber, in the region the card says.

A card rarely prints its country: the region comes from what it does print, in this order
(:func:`infer_regions`): the country-code top-level domain of its e-mail or website
(``.de``, ``.co.uk``), a country named in the text or a postal code only one country writes
(``SW1A 1AA``, ``1017 AB``, ``1000-100``), the ``+NN`` prefix of another number on the card,
then the default the caller knows (the event's country). :func:`parse_phone` tries them in
turn. A number libphonenumber calls invalid is never dropped: it comes back in E.164 if it
parses at all, else as printed, with ``valid=False`` for review.
"""

from __future__ import annotations

import functools
import gettext
import re
from collections.abc import Sequence

import phonenumbers
from phonenumbers import PhoneNumberType as _T

from leaddesk.capture.fields import Phone, PhoneType

#: ccTLDs that businesses everywhere use for their look, not their country (.io, .co, .me ...).
_GENERIC_CCTLDS = {"io", "co", "me", "tv", "ai", "ly", "fm", "cc", "to", "ws", "gg", "sh", "ac", "so", "im", "vc",
                   "la", "is", "it_", "app", "eu"}
_TLD_ALIAS = {"uk": "GB"}

#: Postal codes written in only one country's shape (the 5-digit codes are left out: half
#: of Europe and the US write them).
_POSTAL_SHAPES = [
    (re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b"), "GB"),
    (re.compile(r"\b[1-9]\d{3} ?[A-Z]{2}\b"), "NL"),
    (re.compile(r"\b\d{4}-\d{3}\b"), "PT"),
    (re.compile(r"\b[A-Z]\d[A-Z] ?\d[A-Z]\d\b"), "CA"),
    (re.compile(r"\b[A-Z]{2},? \d{5}(?:-\d{4})?\b"), "US"),
    (re.compile(r"\b\d{3}-\d{4}\b(?=.*(?:Japan|日本|Tokyo|Osaka))"), "JP"),
    (re.compile(r"\b(?:D|DE)-\d{5}\b"), "DE"),
    (re.compile(r"\b(?:A|AT)-\d{4}\b"), "AT"),
    (re.compile(r"\b(?:CH)-\d{4}\b"), "CH"),
    (re.compile(r"\b(?:F|FR)-\d{5}\b"), "FR"),
    (re.compile(r"\b(?:I|IT)-\d{5}\b"), "IT"),
]
_US_STATES = set("AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY "
                 "NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC AS FM GU MH MP PW PR VI AA AE AP".split())
_PREFIX = re.compile(r"(?:\+|\b00)\s?(\d{1,3})[\s\-./()]")
#: Languages whose country names (from pycountry's translations) are recognised in an address.
_NAME_LANGUAGES = ("de", "fr", "es", "it", "nl", "tr", "pt", "fa", "ar", "th", "pl", "cs", "sv", "da", "fi", "ro",
                   "hu", "el", "ru")
_DIACRITICS = re.compile("[\u064b-\u0652\u0670\u0640]")  # Arabic vowel marks and tatweel: printed or not
_THAI = re.compile("[\u0e00-\u0e7f]")


def _plain(text: str) -> str:
    return _DIACRITICS.sub("", text).casefold()


@functools.cache
def _country_names() -> dict[str, str]:
    """Country name (plain: case-folded, no Arabic vowel marks) -> ISO code: English names
    and the languages above, all from pycountry ("Iran, Islamic Republic of" also as "Iran")."""
    import pycountry

    names: dict[str, str] = {}
    translations = [gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
                    for lang in _NAME_LANGUAGES]
    for c in pycountry.countries:
        forms = {c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)}
        for form in list(forms):
            if form:
                forms |= {t.gettext(form) for t in translations}
        for form in list(forms):
            if form:
                forms |= {re.split(r"\s*[,،]\s*", form)[0]}
        for form in forms:
            if form and (len(form) >= 4 or (_THAI.search(form) and len(form) >= 3)):
                names.setdefault(_plain(form), c.alpha_2)
    names.update({"usa": "US", "u.s.a.": "US", "uk": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
                  "holland": "NL", "türkiye": "TR", "turkiye": "TR", "deutschland": "DE", "uae": "AE",
                  "u.a.e.": "AE", "great britain": "GB"})
    return names


@functools.cache
def _country_patterns() -> tuple[re.Pattern, re.Pattern]:
    names = sorted(_country_names(), key=len, reverse=True)
    worded = [re.escape(n) for n in names if not _THAI.search(n)]
    thai = [re.escape(n) for n in names if _THAI.search(n)]  # Thai writes no spaces between words
    return (re.compile(r"(?<!\w)(" + "|".join(worded) + r")(?!\w)", re.IGNORECASE),
            re.compile("(" + "|".join(thai) + ")"))


def country_in(text: str) -> str | None:
    """ISO code of the first country named in ``text`` (any of the languages above), or None."""
    plain = _plain(text)
    for pattern in _country_patterns():
        m = pattern.search(plain)
        if m:
            return _country_names()[m.group(1)]
    return None


def _country_of_line(line: str) -> str | None:
    """A country an address line ends with: the whole line, after a comma or dash, or on a
    line with a postal code ("10115 Berlin Deutschland"); not a surname such as "Jordan"."""
    plain = _plain(line.strip(" .,;"))
    for is_thai, pattern in enumerate(_country_patterns()):
        for m in pattern.finditer(plain):
            if plain[m.end():].strip(" .") == "":
                before = plain[: m.start()].rstrip()
                if not before or before[-1] in ",،-–·|/" or re.search(r"\d", before) or is_thai:
                    return _country_names()[m.group(1)]
    return None


def country_of_name(name: str) -> str | None:
    """ISO code of a country named exactly ``name`` ("Deutschland", "España", "USA"), or None."""
    return _country_names().get(_plain(name.strip()))


def region_of_domain(domain: str | None) -> str | None:
    """``muster.de`` -> ``DE``; ``acme.co.uk`` -> ``GB``; generic and vanity TLDs -> None."""
    if not domain:
        return None
    host = re.sub(r"^[a-z]+://", "", domain.strip().lower()).split("/")[0].split("@")[-1]
    tld = host.rsplit(".", 1)[-1]
    if len(tld) != 2 or tld in _GENERIC_CCTLDS:
        return None
    region = _TLD_ALIAS.get(tld, tld.upper())
    return region if region in phonenumbers.SUPPORTED_REGIONS else None


def infer_regions(text: str, *, emails: Sequence[str] = (), website: str | None = None,
                  default_region: str | None = None) -> list[str]:
    """The regions to parse a card's national numbers in, most likely first (see the module doc)."""
    found: list[str | None] = [region_of_domain(d) for d in (*emails, website)]
    found += [_country_of_line(line) for line in text.splitlines()]
    for pattern, region in _POSTAL_SHAPES:
        m = pattern.search(text)
        if m and (region != "US" or m.group(0)[:2] in _US_STATES):
            found.append(region)
    for m in _PREFIX.finditer(text):
        found.append(phonenumbers.region_code_for_country_code(int(m.group(1))))
    found.append(default_region.upper() if default_region else None)
    out: list[str] = []
    for r in found:
        if r and r != "ZZ" and r in phonenumbers.SUPPORTED_REGIONS and r not in out:
            out.append(r)
    return out


def _clean(raw: str) -> str:
    s = raw.strip().strip(".,;:|")
    s = re.sub(r"(?<=\d)[oO](?=\d)|(?<=\d)[oO]\b|\b[oO](?=\d)", "0", s)  # OCR reads 0 as O
    s = re.sub(r"(?<=\d)[lI](?=\d)|(?<![^\W\d])[lI](?=\d)", "1", s)
    s = re.sub(r"^\s*00\s?(?=[1-9])", "+", s)  # 0049 ... -> +49 ...
    s = re.sub(r"(\+\d{1,3})\s*\(0\)\s*", r"\1 ", s)  # +49 (0)30 -> +49 30
    s = re.sub(r"^\+\s+", "+", s)
    return s


def phone_type_of(number: phonenumbers.PhoneNumber) -> PhoneType:
    """What a number with no label is: mobile when libphonenumber says so, else office."""
    kind = phonenumbers.number_type(number)
    if kind in (_T.MOBILE, _T.PAGER):
        return "mobile"
    if kind in (_T.FIXED_LINE, _T.FIXED_LINE_OR_MOBILE, _T.VOIP, _T.UAN, _T.TOLL_FREE, _T.SHARED_COST):
        return "office"
    return "other"


def parse_phone(raw: str, *, type_hint: str | None = None, regions: Sequence[str] = ()) -> Phone:
    """``raw`` as printed -> :class:`Phone`: E.164 when it parses (``valid`` says whether
    libphonenumber also calls it a real number), else the text as printed with ``valid=False``.

    ``type_hint`` comes from the card's label (mobile/office/fax/other); without one the type
    is what libphonenumber knows of the number (see :func:`phone_type_of`)."""
    text = _clean(raw)
    candidates: list[phonenumbers.PhoneNumber] = []
    texts = [text]
    if re.match(r"^\S\s+\S", text):  # an icon read as "0" or "C" before the number
        texts.append(text.split(None, 1)[1])
    for t in texts:
        for region in ([None] if t.startswith("+") else []) + [r for r in regions if r]:
            try:
                num = phonenumbers.parse(t, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(num):
                candidates.insert(0, num)
                break
            candidates.append(num)
        if candidates and phonenumbers.is_valid_number(candidates[0]):
            break
    possible = [n for n in candidates if phonenumbers.is_possible_number_with_reason(n)
                == phonenumbers.ValidationResult.IS_POSSIBLE]
    best = candidates[0] if candidates and phonenumbers.is_valid_number(candidates[0]) else (
        possible[0] if possible else None)
    hint = type_hint if type_hint in ("mobile", "office", "fax", "other") else None
    if best is None:
        return Phone(number=raw.strip(), type=hint or "other", raw=raw.strip(), valid=False)
    valid = phonenumbers.is_valid_number(best)
    e164 = phonenumbers.format_number(best, phonenumbers.PhoneNumberFormat.E164)
    if best.extension:
        e164 += f";ext={best.extension}"
    return Phone(number=e164, type=hint or (phone_type_of(best) if valid else "other"), raw=raw.strip(),
                 valid=valid)
