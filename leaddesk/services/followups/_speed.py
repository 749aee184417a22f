"""Speed-to-lead as the database computes it: each lead's owner, source and minutes from
its clock start to its first touch, read as plain numbers and text.

The figures screen's first rows need nothing else, and turning 10,000 rows of UUIDs and
aware datetimes into Python objects cost more than the query (about 100 ms of the 145 ms
for 90 days on the large demo). The minutes come out of the database (``julianday`` on
SQLite, ``extract(epoch ...)`` on PostgreSQL); owners are made UUIDs once per rep.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Float, String, cast, func, select, type_coerce

from leaddesk.models import Contact


def _minutes(pg: bool, start, touch):
    if pg:
        return cast(func.extract("epoch", touch - start), Float) / 60.0
    # julianday's double is exact to about 10 µs: rounded to whole milliseconds, a
    # difference comes out as the row-by-row arithmetic gives it (3 minutes is 3.0)
    return func.round((func.julianday(touch) - func.julianday(start)) * 86400000.0) / 60000.0


def lead_minutes(session, start, where: Sequence) -> list[tuple[uuid.UUID, str | None, float | None]]:
    """``(owner, source value, minutes to first touch or None)`` of the contacts ``where``
    selects; ``start`` is the clock-start expression (``sla._START``)."""
    pg = session.get_bind().dialect.name == "postgresql"
    owner = cast(Contact.owner_id, String) if pg else type_coerce(Contact.owner_id, String)
    rows = session.execute(select(owner, type_coerce(Contact.source, String),
                                  _minutes(pg, start, Contact.first_touch_at)).where(*where)).all()
    owners: dict = {}
    out = []
    for raw, source, minutes in rows:
        who = owners.get(raw)
        if who is None:
            who = owners[raw] = uuid.UUID(raw)
        out.append((who, source, minutes))
    return out


def add_speeds(acc: dict, rows, minutes_for) -> None:
    """Count ``rows`` (:func:`lead_minutes`) into ``acc[owner]``: leads, their speeds in
    minutes, how many within their source's target (``minutes_for(source)``)."""
    targets: dict = {}
    for owner, source, minutes in rows:
        a = acc[owner]
        a["leads"] += 1
        if minutes is not None:
            minutes = max(0.0, minutes)
            target = targets.get(source)
            if target is None:
                target = targets[source] = minutes_for(source)
            a["speeds"].append(minutes)
            a["within"] += minutes <= target


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)
