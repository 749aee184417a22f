"""A ``VTIMEZONE`` for an IANA zone written with yearly ``RRULE``s ("last Sunday of March at
02:00"), the form every calendar reader follows. (icalendar's own lists each past and future
change as an ``RDATE``, which the dateutil reader behind vobject ignores, so vobject would
put a Berlin series at the winter offset all year.)

The rules are read off the zone's changes in one year (the year a series starts): right for
every zone whose rule has not changed since, which is what a calendar needs for a series of
follow-ups.
"""

from __future__ import annotations

import calendar
import datetime as dt

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

UTC = dt.timezone.utc
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _changes(tz: dt.tzinfo, year: int) -> list[dt.datetime]:
    """The UTC instants in ``year`` at which ``tz``'s offset changes (to the minute)."""
    out = []
    day = dt.datetime(year, 1, 1, tzinfo=UTC)
    while day.year == year:
        nxt = day + dt.timedelta(days=1)
        if day.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
            minute = day
            while minute.astimezone(tz).utcoffset() == day.astimezone(tz).utcoffset():
                minute += dt.timedelta(minutes=1)
            out.append(minute)
        day = nxt
    return out


def _nth(local: dt.datetime) -> int:
    """-1 for the last such weekday of its month, else 1, 2, 3 or 4."""
    last = calendar.monthrange(local.year, local.month)[1]
    return -1 if local.day + 7 > last else (local.day - 1) // 7 + 1


def _same_rule_in(year: int, local: dt.datetime) -> dt.datetime:
    """The wall-clock time the rule of ``local`` (its month, nth weekday, time) gives in ``year``."""
    nth, days = _nth(local), calendar.monthrange(year, local.month)[1]
    matching = [d for d in range(1, days + 1) if dt.date(year, local.month, d).weekday() == local.weekday()]
    return dt.datetime.combine(dt.date(year, local.month, matching[nth if nth < 0 else nth - 1]), local.time())


def vtimezone(tz: dt.tzinfo, name: str, year: int) -> Timezone:
    comp = Timezone()
    comp.add("tzid", name)
    changes = _changes(tz, year)
    if not changes:
        std = TimezoneStandard()
        offset = dt.datetime(year, 1, 1, tzinfo=UTC).astimezone(tz).utcoffset()
        std.add("dtstart", dt.datetime(1970, 1, 1))
        std.add("tzoffsetfrom", offset)
        std.add("tzoffsetto", offset)
        std.add("tzname", dt.datetime(year, 1, 1, tzinfo=UTC).astimezone(tz).tzname() or name)
        comp.add_component(std)
        return comp
    for at in changes:
        before = (at - dt.timedelta(minutes=1)).astimezone(tz).utcoffset()
        after = at.astimezone(tz)
        sub = TimezoneDaylight() if after.dst() else TimezoneStandard()
        local = (at + before).replace(tzinfo=None)  # the wall clock the change happens at
        # the rule starts a year early: a reader takes the offset at a time from the last
        # onset before it, and in the southern hemisphere the year begins in summer time
        sub.add("dtstart", _same_rule_in(year - 1, local))
        sub.add("rrule", {"FREQ": "YEARLY", "BYMONTH": local.month,
                          "BYDAY": f"{_nth(local)}{_DAYS[local.weekday()]}"})
        sub.add("tzoffsetfrom", before)
        sub.add("tzoffsetto", after.utcoffset())
        sub.add("tzname", after.tzname() or name)
        comp.add_component(sub)
    return comp
