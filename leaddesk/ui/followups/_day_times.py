"""The times My day offers: the next step's default (two working days on) and the
reschedule choices (+1 hour, tomorrow 9:00, next week, custom), in the rep's zone.

Plain datetime arithmetic (no widgets), so the rules read and are tested on their own.
Local wall-clock times are built in the zone and turned into UTC once, so a DST change in
between keeps "9:00" at 9:00.
"""

from __future__ import annotations

import datetime as dt

UTC = dt.timezone.utc
MORNING = dt.time(9, 0)


def _round_up_quarter(moment: dt.datetime) -> dt.datetime:
    moment = moment.replace(second=0, microsecond=0)
    extra = (-moment.minute) % 15
    return moment + dt.timedelta(minutes=extra)


def add_working_days(day: dt.date, n: int) -> dt.date:
    """``n`` working days (Monday to Friday) after ``day``."""
    while n > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def _at(day: dt.date, time: dt.time, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=tz).astimezone(UTC)


def next_step_default(now: dt.datetime, tz: dt.tzinfo, working_days: int = 2) -> dt.datetime:
    """Two working days from now, at now's local time rounded up to the quarter hour
    (kept within 8:00-18:00: an evening's follow-up goes to 9:00)."""
    local = _round_up_quarter(now.astimezone(tz))
    day = add_working_days(local.date(), working_days)
    time = local.time().replace(tzinfo=None)
    if not dt.time(8, 0) <= time <= dt.time(18, 0):
        time = MORNING
    return _at(day, time, tz)


def reschedule_choices(now: dt.datetime, tz: dt.tzinfo) -> dict[str, dt.datetime]:
    """UTC instants for "hour" (+1 h from now), "tomorrow" (9:00 tomorrow) and "next_week"
    (Monday of next week at 9:00)."""
    local = now.astimezone(tz)
    monday = local.date() + dt.timedelta(days=7 - local.weekday())
    return {"hour": _round_up_quarter(now.astimezone(UTC) + dt.timedelta(hours=1)),
            "tomorrow": _at(local.date() + dt.timedelta(days=1), MORNING, tz),
            "next_week": _at(monday, MORNING, tz)}
