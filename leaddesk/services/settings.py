"""Team-wide preferences that change business behaviour (SLA targets, caps, defaults).

Every key is declared once here, with its default and a sentence for the settings screen.
Stored values live in ``team_setting`` (id = UUIDv5 of the key, so two offline edits of one
key are one row that merges field by field).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import Team, TeamSetting, User

SETTINGS_NAMESPACE = uuid.UUID("5b0c7f2e-6a4e-4c55-9d1e-6c2f2f1d7a10")


#: Minutes to first touch per lead source (``LeadSource`` values) by default: a web lead
#: within 5 minutes, a trade-show card within a working day (domain brief).
SLA_SOURCE_DEFAULTS = {"web_form": 5, "trade_show": 24 * 60, "business_card": 24 * 60}


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: Any
    kind: type
    help: str
    minimum: int | None = None


SPECS: dict[str, SettingSpec] = {
    s.key: s
    for s in (
        SettingSpec("default_currency", "EUR", str, "Currency of new opportunities."),
        SettingSpec("default_region", "DE", str, "Country used for phone numbers typed without +code."),
        SettingSpec("lead_cap", 500, int, "Most open leads one rep should hold.", 1),
        SettingSpec("lead_cap_by_rep", {}, dict, "Reps' own caps: most open leads this rep should hold "
                    "(others: her team's cap, else the cap above)."),
        SettingSpec("lead_cap_by_team", {}, dict, "Teams' own caps: most open leads a rep of this team should "
                    "hold (others: the cap above)."),
        SettingSpec("stale_lead_days", 60, int, "Leads untouched this long count as neglected.", 1),
        SettingSpec("sla_assign_hours", 4, int, "A new lead must be assigned to a rep within this many hours.", 0),
        SettingSpec("sla_first_touch_minutes", 5, int, "Sales follows up a new web lead within this many minutes.", 0),
        SettingSpec("sla_first_touch_by_source", dict(SLA_SOURCE_DEFAULTS), dict,
                    "Minutes to first touch for leads from these sources (others: the time above)."),
        SettingSpec("sla_first_week_calls", 6, int, "Attempts (calls, e-mails, meetings) a rep makes to a new "
                    "lead in its first days.", 0),
        SettingSpec("sla_attempt_days", 7, int, "The first days of a lead in which the attempts are counted.", 1),
        SettingSpec("score_hot", 60, int, "Score at or above which a lead is hot (handed to sales).", 0),
        SettingSpec("score_warm", 30, int, "Score at or above which a lead is warm.", 0),
        SettingSpec("monthly_lead_target", 200, int, "Leads marketing delivers a month (SLA).", 0),
        SettingSpec("bant_required", ["budget", "authority", "need", "timing"], list,
                    "BANT parts that must be 'yes' before a lead becomes sales-qualified."),
        SettingSpec("requalify_days", 90, int, "A nurtured lead is qualified again after this many days.", 1),
        SettingSpec("auto_handoff", True, bool,
                    "Hand a lead to sales (MQL, assigned round-robin) when its score reaches 'hot'."),
        SettingSpec("cadences", [
            {"key": "new-inbound", "name": "New inbound lead", "steps": [
                {"day": 0, "kind": "call", "subject": "First call"},
                {"day": 1, "kind": "email", "subject": "Follow-up e-mail"},
                {"day": 3, "kind": "call", "subject": "Second call"},
                {"day": 7, "kind": "call", "subject": "Third call"},
                {"day": 14, "kind": "email", "subject": "Last e-mail"}]},
            {"key": "trade-show", "name": "Trade-show follow-up", "steps": [
                {"day": 1, "kind": "email", "subject": "Nice to meet you at the show"},
                {"day": 2, "kind": "call", "subject": "Call after the show"},
                {"day": 5, "kind": "call", "subject": "Second call"},
                {"day": 10, "kind": "call", "subject": "Last call"}]},
        ], list, ("Series of follow-up steps applied to leads: each step is due its day after the start, "
            "at its time (default 09:00) in the rep's zone; a reply, qualifying or disqualifying stops it.")),
    )
}


#: Lifecycle stages in which a lead's first-touch clock runs (the SLA): the others (nurture,
#: disqualified, opportunity, customer) have none.
SLA_CLOCKED_STAGES = ("lead", "iql", "mql", "sql")


def first_touch_minutes(values: dict[str, Any], source) -> int:
    """Minutes to first touch for a lead from ``source`` (a ``LeadSource`` or its value, or
    None) by the settings ``values`` (``sla_first_touch_by_source``, else
    ``sla_first_touch_minutes``)."""
    key = getattr(source, "value", source)
    by_source = values.get("sla_first_touch_by_source") or {}
    return int(by_source.get(key, values["sla_first_touch_minutes"])) if key else int(values["sla_first_touch_minutes"])


def setting_id(key: str) -> uuid.UUID:
    return uuid.uuid5(SETTINGS_NAMESPACE, key)


def _spec(key: str) -> SettingSpec:
    try:
        return SPECS[key]
    except KeyError as exc:
        raise ValidationError(f"There is no setting named '{key}'.", field="key") from exc


BANT_PARTS = ("budget", "authority", "need", "timing")
CADENCE_KINDS = ("call", "email", "meeting", "task")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _cadence_error(text: str) -> ValidationError:
    return ValidationError(text, field="cadences")


def _clean_step(step: Any, where: str) -> dict:
    if not isinstance(step, dict) or set(step) - {"day", "kind", "subject", "time"}:
        raise _cadence_error(f"{where}: a step has day, kind, subject and optionally time (HH:MM).")
    day = step.get("day")
    if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 366:
        raise _cadence_error(f"{where}: the day must be a whole number from 0 to 366.")
    kind = str(step.get("kind") or "").strip().lower()
    if kind not in CADENCE_KINDS:
        raise _cadence_error(f"{where}: the kind must be one of {', '.join(CADENCE_KINDS)}.")
    subject = str(step.get("subject") or "").strip()
    if not subject or len(subject) > 300:
        raise _cadence_error(f"{where}: write a subject (up to 300 characters).")
    out = {"day": day, "kind": kind, "subject": subject}
    if step.get("time") not in (None, ""):
        if not isinstance(step["time"], str) or not _HHMM.match(step["time"].strip()):
            raise _cadence_error(f"{where}: the time must be HH:MM (24 hours), not {step['time']!r}.")
        out["time"] = step["time"].strip()
    return out


def clean_cadences(value: Any) -> list[dict]:
    """The team's cadence templates, checked strictly: each ``{"key": slug, "name": text,
    "steps": [{"day": int >= 0, "kind": call|email|meeting|task, "subject": text,
    "time": "HH:MM" (optional)}]}``; keys unique, at least one step, steps by day."""
    if not isinstance(value, list):
        raise _cadence_error("cadences must be a list of cadences.")
    out, keys = [], set()
    for n, item in enumerate(value, 1):
        if not isinstance(item, dict) or set(item) - {"key", "name", "steps"}:
            raise _cadence_error(f"Cadence {n}: a cadence has a key, a name and steps.")
        key = str(item.get("key") or "").strip()
        if not _SLUG.match(key) or len(key) > 60:
            raise _cadence_error(f"Cadence {n}: the key must be lower-case letters, digits and dashes "
                                 f"(up to 60), not {key!r}.")
        if key in keys:
            raise _cadence_error(f"Two cadences have the key {key!r}.")
        keys.add(key)
        name = str(item.get("name") or "").strip()
        if not name or len(name) > 120:
            raise _cadence_error(f"Cadence {key}: write a name (up to 120 characters).")
        steps = item.get("steps")
        if not isinstance(steps, list) or not steps:
            raise _cadence_error(f"Cadence {name}: it needs at least one step.")
        cleaned = [_clean_step(s, f"Cadence {name}, step {i}") for i, s in enumerate(steps, 1)]
        out.append({"key": key, "name": name, "steps": sorted(cleaned, key=lambda s: s["day"])})
    return out


def _coerce(spec: SettingSpec, value: Any) -> Any:
    if spec.kind is bool:
        if not isinstance(value, bool):
            raise ValidationError(f"{spec.key} must be yes or no.", field=spec.key)
        return value
    if spec.key == "cadences":
        return clean_cadences(value)
    if spec.key == "bant_required":
        parts = [str(p).strip().lower() for p in (value or [])]
        unknown = sorted(set(parts) - set(BANT_PARTS))
        if unknown or isinstance(value, str):
            raise ValidationError(f"bant_required takes parts of {', '.join(BANT_PARTS)}; "
                                  f"not {', '.join(unknown) or value}.", field=spec.key)
        return [p for p in BANT_PARTS if p in parts]
    if spec.key in CAP_MAPS:
        return _coerce_caps(spec.key, value)
    if spec.kind is dict:
        return _coerce_minutes_by_source(spec.key, value)
    try:
        coerced = spec.kind(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{spec.key} must be a {spec.kind.__name__}.", field=spec.key) from exc
    if spec.minimum is not None and coerced < spec.minimum:
        raise ValidationError(f"{spec.key} must be at least {spec.minimum}.", field=spec.key)
    if spec.key == "default_currency":
        from leaddesk.services.validation import currency

        coerced = currency(coerced, field=spec.key)
    if spec.key == "default_region":
        from leaddesk.services.validation import country

        coerced = country(coerced, field=spec.key)
    return coerced


def _coerce_minutes_by_source(key: str, value: Any) -> dict[str, int]:
    """``{source: minutes}``: every key a lead source, every value a whole number >= 0."""
    from leaddesk.models.enums import LeadSource

    if not isinstance(value, dict):
        raise ValidationError(f"{key} must map lead sources to minutes.", field=key)
    known = {m.value for m in LeadSource}
    out: dict[str, int] = {}
    for source, minutes in value.items():
        name = str(source).strip().lower()
        if name not in known:
            raise ValidationError(f"'{source}' is not a lead source (use one of: {', '.join(sorted(known))}).",
                                  field=key)
        if isinstance(minutes, bool) or not isinstance(minutes, (int, str)):
            raise ValidationError(f"The minutes for {name} must be a whole number.", field=key)
        try:
            number = int(minutes)
        except ValueError as exc:
            raise ValidationError(f"The minutes for {name} must be a whole number.", field=key) from exc
        if number < 0:
            raise ValidationError(f"The minutes for {name} must be at least 0.", field=key)
        out[name] = number
    return dict(sorted(out.items()))


#: Caps per rep (``app_user`` ids) and per team (``team`` ids): managers' configuration, so
#: they live here and not on the user and team rows, which only admins change (revision 0016).
CAP_MAPS = {"lead_cap_by_rep": "app_user", "lead_cap_by_team": "team"}


def _coerce_caps(key: str, value: Any) -> dict[str, int]:
    """``{id: cap}``: every key the id of a user (``lead_cap_by_rep``) or a team
    (``lead_cap_by_team``), every value a whole number >= 1. Ids are stored in their
    canonical text form; :func:`_check_known` checks them against the table."""
    what = "rep" if key == "lead_cap_by_rep" else "team"
    if not isinstance(value, dict):
        raise ValidationError(f"{key} must map {what} ids to caps.", field=key)
    out: dict[str, int] = {}
    for ident, cap in value.items():
        try:
            name = str(uuid.UUID(str(ident)))
        except ValueError as exc:
            raise ValidationError(f"'{ident}' is not a {what} id.", field=key) from exc
        if isinstance(cap, bool) or not isinstance(cap, (int, str)) or not str(cap).strip().lstrip("-").isdigit():
            raise ValidationError(f"A {what}'s cap must be a whole number of open leads, not {cap!r}.", field=key)
        if int(cap) < 1:
            raise ValidationError(f"A {what}'s cap must be at least 1 open lead.", field=key)
        out[name] = int(cap)
    return dict(sorted(out.items()))


def _check_known(s, cleaned: dict[str, Any]) -> None:
    """Refuse a cap for an id that is no user (or no team) of this database, deleted ones
    included (a cap kept for a deleted rep is harmless and is not refused at the next save)."""
    for key, table in CAP_MAPS.items():
        if key not in cleaned or not cleaned[key]:
            continue
        model = User if table == "app_user" else Team
        ids = [uuid.UUID(i) for i in cleaned[key]]
        known = set(s.scalars(select(model.id).where(model.id.in_(ids))))
        unknown = [str(i) for i in ids if i not in known]
        if unknown:
            what = "user" if table == "app_user" else "team"
            raise ValidationError(f"There is no {what} with the id {unknown[0]}: its cap was not saved.", field=key)


def get_settings(db: Database) -> dict[str, Any]:
    with db.reader() as s:
        stored = {r.key: r.value for r in s.scalars(select(TeamSetting).where(TeamSetting.deleted.is_(False)))}
    return {key: stored.get(key, spec.default) for key, spec in SPECS.items()}


def read_in(session, *keys: str) -> dict[str, Any]:
    """The given settings, read by primary key in a session the caller already has open
    (a search reads its thresholds in its own read transaction)."""
    ids = {setting_id(_spec(k).key): k for k in keys}
    rows = session.execute(select(TeamSetting.id, TeamSetting.value)
                           .where(TeamSetting.id.in_(list(ids)), TeamSetting.deleted.is_(False))).all()
    stored = {ids[r.id]: r.value for r in rows}
    return {k: stored.get(k, SPECS[k].default) for k in keys}


def get_setting(db: Database, key: str) -> Any:
    spec = _spec(key)
    with db.reader() as s:
        row = s.get(TeamSetting, setting_id(key))
    return spec.default if row is None or row.deleted else row.value


def _store(s, key: str, value: Any) -> None:
    row = s.get(TeamSetting, setting_id(key))
    if row is None:
        s.add(TeamSetting(id=setting_id(key), key=key, value=value))
    elif row.value != value or row.deleted:
        row.value = value
        row.deleted = False


def set_in(s, key: str, value: Any) -> Any:
    """Check and store one setting in a unit of work the caller already has open (a change
    that reads the stored value first, as a cap setting's one entry, is then one write)."""
    value = _coerce(_spec(key), value)
    _check_known(s, {key: value})
    _store(s, key, value)
    return value


def set_setting(db: Database, key: str, value: Any) -> Any:
    spec = _spec(key)
    value = _coerce(spec, value)
    with db.unit_of_work() as s:
        _check_known(s, {key: value})
        _store(s, key, value)
    return value


def set_settings(db: Database, values: dict[str, Any]) -> dict[str, Any]:
    """Save several settings in one unit of work (a settings screen's Save): every value is
    checked first, and nothing is written unless all are acceptable. Also refuses a warm
    threshold at or above the hot one (as they would be after the save). Returns the
    stored values of the keys given (unchanged values are not rewritten)."""
    cleaned = {key: _coerce(_spec(key), value) for key, value in values.items()}
    with db.unit_of_work() as s:
        _check_known(s, cleaned)
        if {"score_hot", "score_warm"} & set(cleaned):
            after = read_in(s, "score_hot", "score_warm") | cleaned
            if after["score_warm"] >= after["score_hot"]:
                field = "score_warm" if "score_warm" in cleaned else "score_hot"
                raise ValidationError(f"The warm score ({after['score_warm']}) must be below the hot score "
                                      f"({after['score_hot']}).", field=field)
        for key, value in cleaned.items():
            _store(s, key, value)
    return cleaned
