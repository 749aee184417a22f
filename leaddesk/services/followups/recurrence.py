"""Recurring activities: an RFC 5545 RRULE on an activity, evaluated in the rep's zone.

Completing an activity that has an ``rrule`` schedules its next occurrence (see
``activities.complete_activity``). The rule is evaluated on the *local* wall-clock time of
the occurrence in the rep's zone, so "every Monday at 9:00" stays at 9:00 across a DST
change; the result is stored in UTC. Only the RRULE part is stored (no DTSTART: the
activity's own due time is the start), and UNTIL ends the series (COUNT is refused:
each occurrence starts the rule again).
"""

from __future__ import annotations

import datetime as dt

from dateutil import rrule as du

from leaddesk.errors import ValidationError

UTC = dt.timezone.utc
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
#: The "Repeat" choices of the log dialog (custom = any RRULE the rep types).
PRESETS = ("none", "daily", "weekly", "monthly", "custom")


def clean_rrule(value) -> str | None:
    """The rule upper-cased and without a leading ``RRULE:``; None for empty; a
    ValidationError for anything dateutil cannot read or that has no FREQ."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    text = text.upper()
    if len(text) > 300 or "FREQ=" not in text or "DTSTART" in text or "\n" in text:
        raise ValidationError(f"'{value}' is not a repeat rule (write an RRULE such as FREQ=WEEKLY;BYDAY=MO).",
                              field="rrule")
    if "COUNT=" in text:
        raise ValidationError("A repeat rule with COUNT is not supported (each occurrence starts the rule "
                              "again): end it with UNTIL=YYYYMMDD instead.", field="rrule")
    try:
        du.rrulestr(text, dtstart=dt.datetime(2026, 1, 5, 9, 0))
    except (ValueError, TypeError) as exc:
        raise ValidationError(f"'{value}' is not a repeat rule ({exc}).", field="rrule") from exc
    return text


def preset_rrule(preset: str, local_due: dt.datetime | None = None) -> str | None:
    """The RRULE of a Repeat choice: daily, weekly on the due day's weekday, monthly."""
    if preset in (None, "", "none"):
        return None
    if preset == "daily":
        return "FREQ=DAILY"
    if preset == "weekly":
        day = _WEEKDAYS[(local_due or dt.datetime.now()).weekday()]
        return f"FREQ=WEEKLY;BYDAY={day}"
    if preset == "monthly":
        return "FREQ=MONTHLY"
    raise ValidationError(f"'{preset}' is not a repeat choice.", field="rrule")


def describe(rule: str | None) -> str:
    """A few words for a list: "daily", "weekly on MO", or the rule itself."""
    if not rule:
        return ""
    if rule == "FREQ=DAILY":
        return "daily"
    if rule == "FREQ=MONTHLY":
        return "monthly"
    if rule.startswith("FREQ=WEEKLY;BYDAY=") and rule[18:] in _WEEKDAYS:
        return f"weekly on {rule[18:]}"
    return rule


def next_occurrence(rule: str, due_at: dt.datetime, tz: dt.tzinfo, *, after: dt.datetime | None = None,
                    ) -> dt.datetime | None:
    """The first occurrence of ``rule`` (started at ``due_at``) after ``after`` (default:
    after ``due_at``), in UTC; None when the series has ended. Evaluated on naive local
    wall-clock times in ``tz``, so the hour stays put across DST."""
    local_start = due_at.astimezone(tz).replace(tzinfo=None)
    floor = max(due_at, after) if after is not None else due_at
    local_floor = floor.astimezone(tz).replace(tzinfo=None)
    nxt = du.rrulestr(clean_rrule(rule), dtstart=local_start).after(local_floor, inc=False)
    if nxt is None:
        return None
    return nxt.replace(tzinfo=tz).astimezone(UTC)
