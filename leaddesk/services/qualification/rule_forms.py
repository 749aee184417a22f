"""What a scoring rule's editor shows for each criterion, as data: the label of the
criterion, the fields of its parameter form, and a rule's parameters said in words.

The rule editor (``leaddesk.ui.qualification.rule_editor``) builds its parameter form from
:data:`PARAM_FIELDS`, and turns what was typed back into ``params`` with
:func:`params_from_form`; the criterion's own ``clean`` in
:mod:`~leaddesk.services.qualification.scoring_criteria` still checks them when the rule is
saved. A criterion missing here (one added later) gets one free-text field per parameter
key, so it stays editable. Pure: no session, no Qt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from leaddesk.models.enums import EngagementKind, LifecycleStage, Seniority
from leaddesk.services.qualification.scoring_criteria import CRITERIA, criterion_of

#: Field kinds: free words (comma-separated), e-mail domains, a set of enum choices, ISO
#: country codes, a whole number, one enum choice, a persona (chosen from the live ones), a
#: high-probability indicator (chosen from the team's, or none).
WORDS, DOMAINS, CHOICES, COUNTRIES, WHOLE, CHOICE, PERSONA, INDICATOR = (
    "words", "domains", "choices", "countries", "whole", "choice", "persona", "indicator")


@dataclass(frozen=True)
class ParamField:
    key: str
    kind: str
    label: str
    help: str = ""
    #: the allowed values of a CHOICES/CHOICE field
    choices: tuple[str, ...] = ()
    required: bool = True
    minimum: int | None = None


def _values(enum_cls) -> tuple[str, ...]:
    return tuple(m.value for m in enum_cls if m.value != "unknown")


def _words(label: str, help_: str, key: str = "values") -> tuple[ParamField, ...]:
    return (ParamField(key, WORDS, label, help_),)


#: criterion -> (its label in the editor, its parameter fields in form order).
PARAM_FIELDS: dict[str, tuple[str, tuple[ParamField, ...]]] = {
    "job_title_contains": ("Job title contains", _words(
        "Words", "Whole words, comma-separated (e.g. warehouse, logistics); titles in other languages "
        "that mean the same match too.", "words")),
    "seniority_in": ("Seniority is one of", (ParamField("values", CHOICES, "Seniorities", choices=_values(Seniority)),)),
    "department_in": ("Department is one of", _words("Departments", "Comma-separated, e.g. finance, logistics.")),
    "industry_in": ("Company's industry is one of", _words("Industries", "Comma-separated, e.g. retail, logistics.")),
    "employees_between": ("Company size (employees) between", (
        ParamField("min", WHOLE, "At least", "Leave empty for no lower bound.", required=False, minimum=0),
        ParamField("max", WHOLE, "At most", "Leave empty for no upper bound.", required=False, minimum=0))),
    "country_in": ("Country is one of", (
        ParamField("values", COUNTRIES, "Countries", "ISO codes, comma-separated (e.g. DE, TR, TH)."),)),
    "email_domain_in": ("E-mail address at one of the domains", (
        ParamField("domains", DOMAINS, "Domains", "Comma-separated; 'edu' matches every *.edu address."),)),
    "free_email": ("Only free web-mail addresses", (
        ParamField("domains", DOMAINS, "Domains", "Empty: the built-in list (gmail.com, outlook.com …).",
                   required=False),)),
    "competitor_domain": ("E-mail at a competitor's domain", (
        ParamField("domains", DOMAINS, "Competitors' domains", "Comma-separated, e.g. rival.com.",
                   required=False),)),
    "engagement": ("Engagement", (
        ParamField("kind", CHOICE, "Kind", choices=tuple(k.value for k in EngagementKind)),
        ParamField("min_count", WHOLE, "At least (times)", minimum=1),
        ParamField("within_days", WHOLE, "In the last (days)", "Leave empty for ever.", required=False, minimum=1))),
    "persona_match": ("Matches the persona", (ParamField("persona_id", PERSONA, "Persona"),)),
    "hpi_met": ("High-probability indicators met", (
        ParamField("indicator_id", INDICATOR, "Indicator", "One HPI; or none, and count how many are met.",
                   required=False),
        ParamField("min_count", WHOLE, "Or at least (HPIs met)", "Used when no single HPI is chosen.",
                   required=False, minimum=1))),
    "lifecycle_in": ("Lifecycle stage is one of", (
        ParamField("values", CHOICES, "Stages", choices=tuple(s.value for s in LifecycleStage)),)),
}


#: The criterion's sentence for the editor where ``Criterion.help`` names parameter keys.
HELP = {
    "engagement": "at least so many engagements of the kind, in the last so many days (or ever)",
    "employees_between": "the contact's company has between the two numbers of employees",
    "competitor_domain": "an e-mail address is at one of the competitors' domains listed here",
    "hpi_met": "the lead meets the chosen high-probability indicator, or at least so many of the team's active ones",
}


def criterion_help(criterion: str) -> str:
    text = HELP.get(criterion) or (CRITERIA[criterion].help if criterion in CRITERIA else "")
    return text[:1].upper() + text[1:] + "." if text else ""


def criterion_label(criterion: str) -> str:
    found = PARAM_FIELDS.get(criterion)
    return found[0] if found else criterion.replace("_", " ").capitalize()


def param_fields(criterion: str) -> tuple[ParamField, ...]:
    """The form's fields for ``criterion`` (a criterion not described here: one text field per key)."""
    found = PARAM_FIELDS.get(criterion)
    if found:
        return found[1]
    return tuple(ParamField(k, WORDS, k.replace("_", " ").capitalize(), required=False)
                 for k in criterion_of(criterion).keys)


def params_from_form(criterion: str, form: Mapping[str, object]) -> dict:
    """``params`` from what the form holds (texts, lists, numbers; empty = not given).
    Not checked here: ``create_rule``/``update_rule`` check them against the criterion."""
    params: dict = {}
    for f in param_fields(criterion):
        value = form.get(f.key)
        if isinstance(value, str):
            value = value.strip()
            if f.kind in (WORDS, DOMAINS, COUNTRIES, CHOICES):
                value = [x.strip() for x in value.split(",") if x.strip()]
        if value in (None, "", [], ()):
            if f.kind == WHOLE and f.key == "min_count":
                params[f.key] = 1
            elif f.required and f.kind != WHOLE:
                params[f.key] = value if value not in (None, "") else []
            continue
        params[f.key] = list(value) if isinstance(value, tuple) else value
    if criterion == "hpi_met":  # one HPI, or a count of them: never both
        params.pop("min_count", None) if params.get("indicator_id") else params.setdefault("min_count", 1)
    if criterion not in CRITERIA:
        return params
    return {k: v for k, v in params.items() if k in CRITERIA[criterion].keys}


#: Values said differently from their stored form.
SAID = {"c_level": "C-level", "vp": "VP", "mql": "MQL", "sql": "SQL", "iql": "IQL"}


def _join(values) -> str:
    return ", ".join(str(v) for v in values)


def describe_params(criterion: str, params: Mapping | None, *, persona_names: Mapping | None = None,
                    indicator_names: Mapping | None = None) -> str:
    """A rule's parameters in words, e.g. ``pricing page visit ×1 in 30 days`` or ``50–5,000``."""
    p = {k: v for k, v in (params or {}).items() if not str(k).startswith("_")}  # bound HPI checks
    if criterion == "hpi_met":
        ident = p.get("indicator_id")
        if ident:
            return str((indicator_names or {}).get(str(ident), "an HPI no longer there"))
        return f"at least {p.get('min_count', 1)} of the team's HPIs"
    if criterion == "employees_between":
        low, high = p.get("min"), p.get("max")
        if low is not None and high is not None:
            return f"{low:,}–{high:,}"
        return f"at least {low:,}" if low is not None else f"at most {high:,}" if high is not None else ""
    if criterion == "engagement":
        kind = str(p.get("kind", "")).replace("_", " ")
        out = f"{kind} ×{p.get('min_count') or 1}"
        days = p.get("within_days")
        return out + (f" in {days} days" if days else " (ever)")
    if criterion == "persona_match":
        ident = p.get("persona_id")
        return str((persona_names or {}).get(str(ident), "a persona no longer there" if ident else ""))
    if criterion == "free_email" and not p.get("domains"):
        return "gmail.com, outlook.com … (built-in list)"
    if criterion == "competitor_domain" and not p.get("domains"):
        return "no domain listed yet"
    parts = []
    for key in sorted(p):
        value = p[key]
        parts.append(_join(SAID.get(v, v.replace("_", " ")) if isinstance(v, str) and key != "domains" else v
                           for v in value)
                     if isinstance(value, (list, tuple)) else f"{key}={value}")
    return "; ".join(parts)
