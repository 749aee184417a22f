"""Issue #13 figure: the reminder check that runs once a minute, on the large demo (200,000
activities), both engines.

    python benchmarks/bench_reminders.py [--scale large] [--engines sqlite,postgres] [--fresh]
                                         [--pg-db NAME]

For the rep with the most open follow-ups:

* first start: ``reminders.due_reminders`` when nothing was ever shown (every open overdue
  follow-up is a reminder missed while the app was closed; at most 200 come per check),
  then ``mark_shown`` of those, repeated until none is left (the demo's backlog, once);
* the per-minute check: ``due_reminders`` with nothing pending, the median and max of 60
  calls on an open connection (the app's steady state), and with one reminder falling due.
  Target < 5 ms.

The marks and the one reschedule are undone at the end (``reminded_for``, ``snoozed_until`` set back to NULL by
plain SQL), so the demo database stays as it was. ``--pg-db`` names another PostgreSQL
database that holds the demo (a copy, to leave the shared one alone).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import create_engine, text  # noqa: E402

import _demo_dbs  # noqa: E402
from bench_agenda import busiest_rep  # noqa: E402
from leaddesk.services.followups import activities, reminders  # noqa: E402


def _ms(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def bench(kind: str, scale: str, fresh: bool) -> None:
    url = _demo_dbs.ensure(kind, scale, fresh=fresh)
    db = _demo_dbs.open_db(url)
    try:
        owner, open_count = busiest_rep(db)
        db.write.actor_id = owner
        now = dt.datetime.now(dt.timezone.utc)
        with db.reader() as s:
            s.execute(text("SELECT 1"))
        first_ms, backlog, rounds = 0.0, 0, 0
        while True:
            t0 = time.perf_counter()
            due = reminders.due_reminders(db, owner, now)
            reminders.mark_shown(db, [r.id for r in due], now) if due else None
            first_ms += (time.perf_counter() - t0) * 1000
            if not due:
                break
            backlog, rounds = backlog + len(due), rounds + 1
        idle = [_ms(lambda: reminders.due_reminders(db, owner, now + dt.timedelta(seconds=i))) for i in range(60)]
        target = activities.list_activities(db, owner_id=owner, open_only=True, limit=1)
        one = None
        if target:
            activities.reschedule_activity(db, target[0].id, now + dt.timedelta(minutes=2))
            later = now + dt.timedelta(minutes=3)
            one = [_ms(lambda: reminders.due_reminders(db, owner, later)) for _ in range(15)]
            # the one moved is due (others may fall due in those minutes: the demo's clock moves on)
            assert target[0].id in {r.id for r in reminders.due_reminders(db, owner, later)}
            activities.reschedule_activity(db, target[0].id, target[0].due_at)  # as it was
    finally:
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE activity SET reminded_for = NULL, snoozed_until = NULL "
                              "WHERE reminded_for IS NOT NULL OR snoozed_until IS NOT NULL"))
        db.dispose()
    print(f"{kind:<10} busiest rep: {open_count:,} open follow-ups; first start: {backlog:,} missed reminders "
          f"shown in {rounds} checks, {first_ms:.0f} ms in all (check + mark shown)")
    print(f"{'':<10} per-minute check, nothing due: median {statistics.median(idle):.2f} ms, max {max(idle):.2f} ms"
          + (f"; one due: median {statistics.median(one):.2f} ms, max {max(one):.2f} ms" if one else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large", choices=["small", "large"])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--fresh", action="store_true", help="rebuild the demo databases")
    parser.add_argument("--pg-db", help="the PostgreSQL database holding the demo (default leaddesk_bench_<scale>)")
    args = parser.parse_args()
    if args.pg_db:
        _demo_dbs.pg_url = lambda _scale: (create_engine(_demo_dbs.PG_ADMIN).url.set(database=args.pg_db)
                                          .render_as_string(hide_password=False))
    for kind in args.engines.split(","):
        bench(kind.strip(), args.scale, args.fresh)


if __name__ == "__main__":
    main()
