"""Issue #13 figures: a rep's day (``leaddesk agenda``) and the .ics export on the large demo
(200,000 activities), both engines.

    python benchmarks/bench_agenda.py [--scale large] [--engines sqlite,postgres] [--fresh]

* agenda, time to first rows: ``services.followups.agenda.day_agenda`` for the rep with the
  most open follow-ups (overdue, today, next 7 days, names joined), from the call to the
  rows in hand: the first (cold) call on an open connection and the median of 15 warm ones.
  Target <= 100 ms.
* export: ``calendar_export.export_calendar`` for the same rep (median of 3).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import func, select  # noqa: E402

from _demo_dbs import ensure, open_db  # noqa: E402
from leaddesk.models import Activity  # noqa: E402
from leaddesk.services.followups import agenda, calendar_export  # noqa: E402


def _ms(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def busiest_rep(db):
    with db.reader() as s:
        return s.execute(select(Activity.owner_id, func.count())
                         .where(Activity.done_at.is_(None), Activity.deleted.is_(False), Activity.due_at.is_not(None))
                         .group_by(Activity.owner_id).order_by(func.count().desc()).limit(1)).one()


def bench(kind: str, scale: str, fresh: bool) -> None:
    url = ensure(kind, scale, fresh=fresh)
    db = open_db(url)
    try:
        with db.reader() as s:
            total = s.scalar(select(func.count()).select_from(Activity))
        owner, open_count = busiest_rep(db)
        now = dt.datetime.now(dt.timezone.utc)
        with db.reader() as s:  # the connection is open (the app's is): "cold" is the first agenda on it
            s.execute(select(1))
        cold = _ms(lambda: agenda.day_agenda(db, owner, tz="Europe/Berlin", now=now))
        warm = [_ms(lambda: agenda.day_agenda(db, owner, tz="Europe/Berlin", now=now)) for _ in range(15)]
        day = agenda.day_agenda(db, owner, tz="Europe/Berlin", now=now)
        export = [_ms(lambda: calendar_export.export_calendar(db, owner, now=now)) for _ in range(3)]
        data = calendar_export.export_calendar(db, owner, now=now)
        size, items = len(data), data.count(b"BEGIN:VEVENT") + data.count(b"BEGIN:VTODO")
    finally:
        db.dispose()
    print(f"{kind:<10} {total:>8,} activities; busiest rep has {open_count:,} open follow-ups -> "
          f"{len(day.overdue)} overdue, {len(day.today)} today, {len(day.upcoming)} upcoming")
    print(f"{'':<10} agenda to first rows: cold {cold:.1f} ms, warm median {statistics.median(warm):.1f} ms "
          f"(max {max(warm):.1f}); export-ics median {statistics.median(export):.0f} ms "
          f"({items:,} events and to-dos, {size:,} bytes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large", choices=["small", "large"])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--fresh", action="store_true", help="rebuild the demo databases")
    args = parser.parse_args()
    for kind in args.engines.split(","):
        bench(kind.strip(), args.scale, args.fresh)


if __name__ == "__main__":
    main()
