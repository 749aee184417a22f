"""Issue #13 figures: SLA breaches and the per-rep speed-to-lead & persistence figures on
the large demo (100,000+ contacts, 200,000 activities), both engines.

    python benchmarks/bench_sla.py [--scale large] [--engines sqlite,postgres] [--fresh]

* breaches, time to first rows: ``services.followups.sla.breaches`` (the 200 most overdue
  untouched leads) for the whole team (a manager) and for the rep with the most leads
  (My day's "breaches first"): the first (cold) call on an open connection, then the
  median of 15 warm ones. Target <= 100 ms.
* breach counts per rep (``breach_counts``, the figures screen's column), median of 5.
* figures screen, over the last 30 and 90 days (median of 5): its first rows
  (``rep_figures(meetings=False, attempts=False)``: the reps with speed-to-lead) and then the
  rest (``breach_counts`` + ``rep_meetings`` + ``unassigned_overdue`` + ``rep_persistence``:
  the persistence, breach, meeting and no-show columns), as ``ui/followups/sla_figures.py``
  reads them.
* one lead's timer: ``lead_sla`` (median of 15).
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
from leaddesk.models import Activity, Contact  # noqa: E402
from leaddesk.services.followups import sla  # noqa: E402
from leaddesk.ui.followups.sla_figures import load_first_rows, load_rest  # noqa: E402


def _ms(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def _median(fn, n: int) -> float:
    return statistics.median(_ms(fn) for _ in range(n))


def bench(kind: str, scale: str, fresh: bool) -> None:
    url = ensure(kind, scale, fresh=fresh)
    db = open_db(url)
    try:
        with db.reader() as s:
            contacts = s.scalar(select(func.count()).select_from(Contact))
            activities = s.scalar(select(func.count()).select_from(Activity))
            rep, rep_leads = s.execute(select(Contact.owner_id, func.count()).where(Contact.owner_id.is_not(None))
                                       .group_by(Contact.owner_id).order_by(func.count().desc()).limit(1)).one()
            lead = s.scalar(select(Contact.id).where(Contact.owner_id == rep).limit(1))
            s.execute(select(1))
        now = dt.datetime.now(dt.timezone.utc)
        cold = _ms(lambda: sla.breaches(db, now=now))
        team = _median(lambda: sla.breaches(db, now=now), 15)
        mine = _median(lambda: sla.breaches(db, owner_id=rep, now=now), 15)
        counts = _median(lambda: sla.breach_counts(db, now=now), 5)
        total = sum(sla.breach_counts(db, now=now).values())
        figures = {days: _median(lambda d=days: load_first_rows(db, d, now), 5) for days in (30, 90)}
        rest = {days: _median(lambda d=days: load_rest(db, d, now), 5) for days in (30, 90)}
        reps = len(sla.rep_figures(db, since=now - dt.timedelta(days=90), until=now))
        timer = _median(lambda: sla.lead_sla(db, lead, now=now), 15)
    finally:
        db.dispose()
    print(f"{kind:<10} {contacts:,} contacts, {activities:,} activities; {total:,} open breaches; "
          f"busiest rep holds {rep_leads:,} leads; {reps} reps with figures over 90 days")
    print(f"{'':<10} breaches (team, 200 rows): cold {cold:.1f} ms, warm median {team:.1f} ms; "
          f"one rep's: {mine:.1f} ms; counts per rep {counts:.1f} ms")
    print(f"{'':<10} figures screen first rows: 30 days {figures[30]:.1f} ms, 90 days {figures[90]:.1f} ms; "
          f"the rest: {rest[30]:.1f} / {rest[90]:.1f} ms; one lead's timer {timer:.1f} ms")


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
