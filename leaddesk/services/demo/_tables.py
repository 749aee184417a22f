"""The demo's vocabulary, read from the TOML files in ``data/`` into the values the generator draws from.

The words of the demo (countries with their cities, names, companies and phone plans;
industries, job titles, lead sources, reasons, needs, products, the team, trade shows,
campaigns, personas, indicators, engagement signals) are data, kept in human-editable
UTF-8 files beside this module rather than in code. This module reads them once, through
:mod:`importlib.resources` (so it works from a wheel or a zip), and turns them into the
same Python values the generator used when they were literals: tuples in file order,
enum members where the files hold an enum's value, :class:`~decimal.Decimal` for
exchange rates. Order matters everywhere: the seeded generator draws by position.
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources

from leaddesk.models.enums import CampaignKind, EngagementKind, LeadSource, Role, Seniority


def _load(name: str) -> dict:
    return tomllib.loads((resources.files(__package__) / "data" / name).read_text(encoding="utf-8"))


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _pairs(items: list) -> tuple[tuple[str, str], ...]:
    """``[[native, latin], ...]`` -> pairs, the native spelling in NFC."""
    return tuple((_nfc(native), latin) for native, latin in items)


def _words(items: list) -> tuple[str, ...]:
    return tuple(_nfc(w) for w in items)


# =========================================================================================
# Vocabulary: locales
# =========================================================================================

@dataclass(frozen=True)
class _Locale:
    code: str                      # Faker locale
    country: str                   # ISO 3166 alpha-2
    currency: str
    weight: float                  # share of accounts and contacts
    cc: str                        # country calling code
    trunk: str                     # national trunk prefix ("0", or "" in Spain/US)
    mobile: tuple[tuple[str, int], ...]   # (national prefix, national number length)
    landline_len: int
    #: (city, region, landline area code, postal code prefix)
    cities: tuple[tuple[str, str, str, str], ...]
    postal_len: int
    tlds: tuple[str, ...]
    free_mail: tuple[str, ...]
    #: curated names: male, female, family as (native, latin); None = Faker pools
    names: tuple | None = None
    #: curated company brands (native, latin) and forms (native, latin slug, industry)
    brands: tuple = ()
    forms: tuple = ()
    streets: tuple = ()
    street_format: str = "{street} {n}"
    digits: str = "0123456789"     # digits used in street numbers (Persian uses its own)


def _locale(d: dict) -> _Locale:
    extra = {}
    if "male" in d:
        extra["names"] = (_pairs(d["male"]), _pairs(d["female"]), _pairs(d["family"]))
    for key in ("street_format", "digits"):
        if key in d:
            extra[key] = d[key]
    return _Locale(
        d["code"], d["country"], d["currency"], d["weight"], d["cc"], d["trunk"],
        tuple((prefix, length) for prefix, length in d["mobile"]), d["landline_len"],
        tuple(tuple(city) for city in d["cities"]), d["postal_len"], tuple(d["tlds"]), tuple(d["free_mail"]),
        brands=_pairs(d.get("brands", ())), forms=tuple(tuple(form) for form in d.get("forms", ())),
        streets=_words(d.get("streets", ())), **extra,
    )


_locales = _load("locales.toml")
LOCALES: tuple[_Locale, ...] = tuple(_locale(d) for d in _locales["locale"])
#: Units per EUR (approximate, for revenue figures).
FX_PER_EUR = {currency: Decimal(rate) for currency, rate in _locales["fx_per_eur"].items()}
_LEGAL_WORDS = frozenset(_locales["legal_words"])

# =========================================================================================
# Vocabulary: companies, people, titles
# =========================================================================================

_market = _load("market.toml")
#: Industries with their weight (the product sells warehouse and fleet software).
INDUSTRIES = tuple((name, weight) for name, weight in _market["industries"])

_people = _load("people.toml")
DEPARTMENTS = tuple(name for name, _ in _people["departments"])
DEPARTMENT_WEIGHTS = tuple(weight for _, weight in _people["departments"])
TITLES: dict[str, dict[Seniority, tuple[str, ...]]] = {
    dept: {Seniority(sen): tuple(titles) for sen, titles in by_seniority.items()}
    for dept, by_seniority in _people["titles"].items()
}
EXECUTIVE_TITLES = {Seniority(sen): tuple(titles) for sen, titles in _people["executive_titles"].items()}

# =========================================================================================
# Vocabulary: sources, reasons, texts
# =========================================================================================

SOURCES = tuple((LeadSource(source), weight) for source, weight in _market["sources"])
SOURCE_CAMPAIGN_KINDS = {
    LeadSource(source): tuple(CampaignKind(kind) for kind in kinds)
    for source, kinds in _market["source_campaign_kinds"].items()
}

_sales = _load("sales.toml")
NURTURE_REASONS = tuple(_sales["nurture_reasons"])
LOST_ON_TIMING = _sales["lost_on_timing"]
NO_BUYER_REASONS = tuple(_sales["no_buyer_reasons"])
DQ_REASONS = tuple((reason, weight) for reason, weight in _sales["dq_reasons"])
LOST_REASON_WEIGHTS = dict(_sales["lost_reason_weights"])
LOST_NOTES = tuple(_sales["lost_notes"])
NEEDS = tuple(_sales["needs"])
TIMINGS = tuple((timing, days) for timing, days in _sales["timings"])
PRODUCTS = {pipeline: tuple(products) for pipeline, products in _sales["products"].items()}
NEXT_STEPS = tuple(_sales["next_steps"])

# =========================================================================================
# Vocabulary: the demo team
# =========================================================================================

_team = _load("team.toml")
TEAM_NAMES = tuple(team["name"] for team in _team["team"])
#: Open leads a rep of each team takes (None: no cap).
TEAM_CAPS = tuple(team.get("lead_cap") for team in _team["team"])
#: (name, e-mail, role, team, territory locales with weight, median minutes, attempts)
PEOPLE = tuple(
    (p["name"], p["mailbox"], Role(p["role"]), TEAM_NAMES.index(p["team"]), dict(p["territory"]),
     p["minutes"], p["attempts"])
    for p in _team["person"]
)
USER_DOMAIN = _team["user_domain"]

# =========================================================================================
# Vocabulary: campaigns, personas, indicators, engagement
# =========================================================================================

#: (name, city, country, months ago, cost in EUR, days) of the trade shows; each has two editions.
TRADE_SHOWS = tuple(
    (t["name"], t["city"], t["country"], t["months_ago"], t["cost_eur"], t["days"]) for t in _market["trade_show"]
)
#: (name, kind, months ago it started, months it ran (0 = still running), cost in EUR, location)
OTHER_CAMPAIGNS = tuple(
    (c["name"], CampaignKind(c["kind"]), c["months_ago"], c["months"], c["cost_eur"], c.get("location"))
    for c in _market["campaign"]
)
PERSONAS = tuple(
    (p["name"], p["description"], list(p["job_titles"]), list(p["seniorities"]), list(p["departments"]),
     list(p["industries"]), p.get("company_size_min"), p.get("company_size_max"), p["avoid"])
    for p in _market["persona"]
)
_persona_names = [p[0] for p in PERSONAS]
PERSONA_OF_DEPARTMENT = {dept: _persona_names.index(name) for dept, name in _market["persona_of_department"].items()}
#: (name, description, criterion or None, params) of the HPIs.
INDICATORS = tuple((i["name"], i["description"], i.get("criterion"), dict(i.get("params", {})))
                   for i in _market["indicator"])

INTEREST_KINDS = tuple((EngagementKind(kind), weight) for kind, weight in _market["interest_kinds"])
ENGAGEMENT_DETAILS = {
    EngagementKind(kind): tuple(details) for kind, details in _market["engagement_details"].items()
}

del _locales, _market, _people, _sales, _team, _persona_names
