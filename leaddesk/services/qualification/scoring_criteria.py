"""Lead scoring's pure rules: the criteria a scoring rule may use, and the score itself.

Each criterion checks (and normalises) its rule's ``params`` and tests a contact's
:class:`~leaddesk.services.qualification.dto.ContactFacts`; :func:`evaluate` adds up the
points of the rules that match into fit, interest, a grade and a quadrant. Apart from
:mod:`leaddesk.services.qualification.scoring`, which stores rules and gathers the facts
from the database: nothing here opens a session, so the rules are tested (and read)
without one.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from leaddesk.errors import ValidationError
from leaddesk.models.enums import EngagementKind, LifecycleStage, ScoreFamily, Seniority
from leaddesk.services import validation as v
from leaddesk.services.validation import FREE_EMAIL_DOMAINS, choice
from leaddesk.services.qualification.dto import (
    ContactFacts,
    Grade,
    Quadrant,
    RuleInfo,
    ScoreBreakdown,
    ScoreReason,
    Thresholds,
)
from leaddesk.services.qualification.personas import phrase_in
from leaddesk.services.qualification.titles import names_any
from leaddesk.services.records import as_uuid

FIELDS = ("name", "family", "criterion", "params", "points", "active", "position")
MAX_POINTS = 100
ITEM_NAMES = {"words": "word of the job title", "domains": "e-mail domain"}
#: At most this many active high-probability indicators (HPIs): the domain brief's 3-5.
HPI_LIMIT = 5
#: Where :func:`bind_hpis` puts the HPI rules an ``hpi_met`` rule checks, in its params:
#: ((criterion, params), ...). Never stored: added to the rules as scoring reads them.
HPI_CHECKS = "_hpis"


# --- the criteria vocabulary: params checks (normalising) and tests ---------------------

def _bad(key: str, message: str) -> ValidationError:
    return ValidationError(message, field=f"params.{key}" if key else "params")


def _list(params: dict, key: str, item: Callable[[Any], Any]) -> dict:
    values = params.get(key)
    if isinstance(values, str):
        values = [x for x in values.split(",") if x.strip()]
    if not isinstance(values, (list, tuple)) or not values:
        raise _bad(key, f"Give at least one {ITEM_NAMES.get(key, 'value')}.")
    out = []
    for value in values:
        cleaned = item(value)
        if cleaned not in out:
            out.append(cleaned)
    return {key: out}


def _text(key: str) -> Callable[[Any], str]:
    def clean(value) -> str:
        text = value.strip().casefold() if isinstance(value, str) else ""
        if not text or len(text) > 200:
            raise _bad(key, f"'{value}' is not a usable value for '{key}' (1 to 200 characters).")
        return text
    return clean


def _member(enum_cls, key: str) -> Callable[[Any], str]:
    def clean(value) -> str:
        try:
            return choice(enum_cls, value, key).value
        except ValidationError as exc:
            raise _bad(key, str(exc)) from exc
    return clean


def _domain(key: str) -> Callable[[Any], str]:
    def clean(value) -> str:
        text = str(value).strip().lower().lstrip("@.") if value is not None else ""
        if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*", text):
            raise _bad(key, f"'{value}' is not an e-mail domain (e.g. example.com, or edu for any *.edu).")
        return text
    return clean


def _country(value) -> str:
    try:
        found = v.country(value, field="params.values")
    except ValidationError as exc:
        raise _bad("values", str(exc)) from exc
    if found is None:
        raise _bad("values", "An empty country is not a usable value.")
    return found


def _whole(params: dict, key: str, *, minimum: int, required: bool, default=None) -> int | None:
    value = params.get(key, default)
    if value is None:
        if required:
            raise _bad(key, f"Give '{key}'.")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().lstrip("-").isdigit():
        raise _bad(key, f"'{key}' must be a whole number (got '{value}').")
    if int(value) < minimum:
        raise _bad(key, f"'{key}' must be at least {minimum} (got {value}).")
    return int(value)


def _employees(params: dict) -> dict:
    low = _whole(params, "min", minimum=0, required=False)
    high = _whole(params, "max", minimum=0, required=False)
    if low is None and high is None:
        raise _bad("min", "Give a smallest ('min') or a largest ('max') number of employees, or both.")
    if low is not None and high is not None and low > high:
        raise _bad("max", f"'max' ({high}) is smaller than 'min' ({low}).")
    return {"min": low, "max": high}


def _engagement(params: dict) -> dict:
    if params.get("kind") in (None, ""):
        raise _bad("kind", "Say which kind of engagement counts (e.g. pricing_page_visit).")
    return {"kind": _member(EngagementKind, "kind")(params["kind"]),
            "min_count": _whole(params, "min_count", minimum=1, required=True, default=1),
            "within_days": _whole(params, "within_days", minimum=1, required=False)}


def _persona(params: dict) -> dict:
    try:
        return {"persona_id": str(as_uuid(params.get("persona_id"), field="params.persona_id"))}
    except ValidationError as exc:
        raise _bad("persona_id", "Choose the persona this rule looks for.") from exc


def _hpi(params: dict) -> dict:
    by_id, by_count = params.get("indicator_id") not in (None, ""), params.get("min_count") not in (None, "")
    if by_id == by_count:
        raise _bad("", "Give either the HPI to look for ('indicator_id') or how many HPIs must be met "
                       "('min_count'), not both.")
    if by_id:
        try:
            return {"indicator_id": str(as_uuid(params["indicator_id"], field="params.indicator_id"))}
        except ValidationError as exc:
            raise _bad("indicator_id", "Choose the HPI this rule looks for.") from exc
    count = _whole(params, "min_count", minimum=1, required=True)
    if count > HPI_LIMIT:
        raise _bad("min_count", f"A team has at most {HPI_LIMIT} active HPIs: 'min_count' must be 1 to {HPI_LIMIT}.")
    return {"min_count": count}


def _hpis_met(p: dict, f: ContactFacts) -> bool:
    """At least min_count (or, for one indicator_id, 1) of the bound HPI rules match."""
    need, met = p.get("min_count") or 1, 0
    for criterion, params in p.get(HPI_CHECKS, ()):
        if CRITERIA[criterion].test(params, f):
            met += 1
            if met >= need:
                return True
    return False


def _has(needles: Iterable[str], value: str | None) -> bool:
    return bool(value) and any(phrase_in(n, value) for n in needles)


def _in_domains(domain: str, wanted: Iterable[str]) -> bool:
    return any(domain == w or domain.endswith("." + w) for w in wanted)


def _between(p: dict, n: int | None) -> bool:
    return n is not None and (p["min"] is None or n >= p["min"]) and (p["max"] is None or n <= p["max"])


@dataclass(frozen=True)
class Criterion:
    family: ScoreFamily  # the usual family, used when a rule gives none
    keys: tuple[str, ...]
    clean: Callable[[dict], dict]
    test: Callable[[dict, ContactFacts], bool]
    help: str


FIT, INTEREST = ScoreFamily.FIT, ScoreFamily.INTEREST
CRITERIA: dict[str, Criterion] = {
    "job_title_contains": Criterion(
        FIT, ("words",), lambda p: _list(p, "words", _text("words")),
        lambda p, f: _has(p["words"], f.job_title) or names_any(p["words"], f.job_title),
        "job title contains one of the words (whole words), or names the same in another language"),
    "seniority_in": Criterion(
        FIT, ("values",), lambda p: _list(p, "values", _member(Seniority, "values")),
        lambda p, f: f.seniority in p["values"], "seniority is one of the values"),
    "department_in": Criterion(
        FIT, ("values",), lambda p: _list(p, "values", _text("values")),
        lambda p, f: _has(p["values"], f.department), "department names one of the values"),
    "industry_in": Criterion(
        FIT, ("values",), lambda p: _list(p, "values", _text("values")),
        lambda p, f: _has(p["values"], f.industry), "the account's industry names one of the values"),
    "employees_between": Criterion(
        FIT, ("min", "max"), _employees, lambda p, f: _between(p, f.employees),
        "the account has min..max employees"),
    "country_in": Criterion(
        FIT, ("values",), lambda p: _list(p, "values", _country),
        lambda p, f: f.country in p["values"], "country (the contact's, else the account's) is one of the values"),
    "email_domain_in": Criterion(
        FIT, ("domains",), lambda p: _list(p, "domains", _domain("domains")),
        lambda p, f: any(_in_domains(d, p["domains"]) for d in f.email_domains),
        "an e-mail address is at one of the domains or their subdomains"),
    "free_email": Criterion(
        FIT, ("domains",), lambda p: _list(p, "domains", _domain("domains")) if p.get("domains") else {},
        lambda p, f: bool(f.email_domains) and all(
            _in_domains(d, p.get("domains") or FREE_EMAIL_DOMAINS) for d in f.email_domains),
        "every e-mail address is a free web-mail one (gmail ...)"),
    "competitor_domain": Criterion(
        FIT, ("domains",), lambda p: _list(p, "domains", _domain("domains")) if p.get("domains") else {"domains": []},
        lambda p, f: any(_in_domains(d, p["domains"]) for d in f.email_domains),
        "an e-mail address is at a competitor's domain (list the competitors' domains in the rule)"),
    "engagement": Criterion(
        INTEREST, ("kind", "min_count", "within_days"), _engagement,
        lambda p, f: f.engagement.get((p["kind"], p["within_days"]), 0) >= p["min_count"],
        "at least min_count engagements of the kind (in the last within_days days)"),
    "persona_match": Criterion(
        FIT, ("persona_id",), _persona, lambda p, f: f.persona_id is not None and str(f.persona_id) == p["persona_id"],
        "the contact is assigned to the persona"),
    "lifecycle_in": Criterion(
        FIT, ("values",), lambda p: _list(p, "values", _member(LifecycleStage, "values")),
        lambda p, f: f.lifecycle_stage in p["values"], "the lifecycle stage is one of the values"),
    "hpi_met": Criterion(
        FIT, ("indicator_id", "min_count"), _hpi, _hpis_met,
        "the lead meets the high-probability indicator (indicator_id), or at least min_count of the active ones"),
}


def criterion_of(name) -> Criterion:
    try:
        return CRITERIA[name]
    except (KeyError, TypeError) as exc:
        raise ValidationError(f"'{name}' is not a scoring criterion. Choose one of: {', '.join(CRITERIA)}.",
                              field="criterion") from exc


def clean_params(criterion: str, params: Mapping | None) -> dict:
    """Check a rule's parameters for its criterion; returns them normalised (lower case ...)."""
    spec = criterion_of(criterion)
    params = {} if params is None else params
    if not isinstance(params, Mapping):
        raise _bad("", "Rule parameters must be a set of named values.")
    unknown = sorted(set(params) - set(spec.keys))
    if unknown:
        allowed = ", ".join(spec.keys) or "none"
        raise _bad("", f"'{criterion}' takes no parameter {', '.join(unknown)} (it takes: {allowed}).")
    return spec.clean(dict(params))


# --- pure evaluation --------------------------------------------------------------------

def evaluate(rules: Iterable[RuleInfo], facts: ContactFacts, thresholds: Thresholds = Thresholds()) -> ScoreBreakdown:
    """Score one contact (pure). Inactive rules and unknown criteria are skipped."""
    fit = interest = 0
    reasons = []
    for rule in rules:
        spec = CRITERIA.get(rule.criterion)
        if not rule.active or spec is None or not rule.points or not spec.test(rule.params, facts):
            continue
        family = ScoreFamily(rule.family)
        if family is ScoreFamily.FIT:
            fit += rule.points
        else:
            interest += rule.points
        reasons.append(ScoreReason(rule.name, family, rule.points))
    total = fit + interest
    grade = Grade.HOT if total >= thresholds.hot else Grade.WARM if total >= thresholds.warm else Grade.COLD
    high_fit, high_interest = thresholds.is_high(fit), thresholds.is_high(interest)
    quadrant = (
        (Quadrant.SALES_NOW if high_interest else Quadrant.NURTURE) if high_fit
        else (Quadrant.QUALIFY_CAREFULLY if high_interest else Quadrant.DISQUALIFY)
    )
    return ScoreBreakdown(fit, interest, total, grade, quadrant, tuple(reasons))


def engagement_keys(rules: Iterable) -> list[tuple[str, int | None]]:
    """The (kind, within_days) counts the rules need: scoring rules (with the HPIs their
    ``hpi_met`` rules are bound to) and HPIs themselves (anything with ``criterion``,
    ``params`` and ``active``)."""
    keys = set()
    for r in rules:
        if not r.active:
            continue
        checks = r.params.get(HPI_CHECKS, ()) if r.criterion == "hpi_met" else ((r.criterion, r.params),)
        keys.update((p["kind"], p.get("within_days")) for c, p in checks if c == "engagement")
    return sorted(keys, key=lambda k: (k[0], k[1] or 0))


def bind_hpis(rules: Iterable[RuleInfo], hpis: Iterable) -> list[RuleInfo]:
    """``rules`` with each ``hpi_met`` rule's params given the HPI rules it checks (under
    :data:`HPI_CHECKS`): the one of its ``indicator_id``, or every active checkable HPI for
    ``min_count``. An HPI that is retired, deleted or only written makes such a rule match
    nothing. ``hpis`` are checked HPIs (``id``, ``criterion``, ``params``, ``active``)."""
    checkable = [(str(h.id), h.criterion, h.params) for h in hpis
                 if h.active and h.criterion in CRITERIA and h.criterion != "hpi_met"]
    out = []
    for rule in rules:
        if rule.criterion == "hpi_met":
            wanted = rule.params.get("indicator_id")
            checks = tuple((c, p) for i, c, p in checkable if wanted is None or i == wanted)
            rule = dataclasses.replace(rule, params={**rule.params, HPI_CHECKS: checks})
        out.append(rule)
    return out


# --- rules ------------------------------------------------------------------------------

def _points(value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().lstrip("-").isdigit():
        raise ValidationError(f"Points must be a whole number (got '{value}').", field="points")
    points = int(value)
    if not -MAX_POINTS <= points <= MAX_POINTS:
        raise ValidationError(f"Points must be from -{MAX_POINTS} to {MAX_POINTS} (got {points}).", field="points")
    return points


def clean_rule(data: dict, *, partial: bool = False) -> dict:
    """Fields of a rule, checked one by one; params are checked later against the criterion."""
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError(f"Unknown scoring rule field(s): {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    out: dict = {}
    if "name" in data or not partial:
        out["name"] = v.clean_text(data.get("name"), field="name", max_len=200, required=True)
    if "criterion" in data or not partial:
        criterion_of(data.get("criterion"))
        out["criterion"] = data["criterion"]
    if "points" in data or not partial:
        out["points"] = _points(data.get("points"))
    if data.get("family") is not None:
        out["family"] = choice(ScoreFamily, data["family"], "family")
    if "active" in data:
        out["active"] = bool(data["active"])
    if "position" in data:
        out["position"] = v.non_negative_int(data["position"], field="position", allow_none=False)
    if "params" in data:
        out["params"] = data["params"]
    return out
