"""Push and pull as a rep's own login, under row-level security (the production path).

    python scripts/team_demo.py            # the team server and two joined laptops
    python benchmarks/bench_sync_rls.py [--changes 5000] [--out /tmp/leaddesk-team]

Julia (rep) edits ``--changes`` fields of her own contacts offline through the services
(untimed), then pushes as ``ld_demo_julia`` (timed: the hub screens every row with the
access rules, RLS checks every write, COPY goes through a temp table); Daniel (rep, same
team, who sees the team's contacts) pulls them (timed). ``benchmarks/bench_sync.py``
measures the same path (own logins under RLS) with the full mix of changes on a hub of its
own; this script is the quick check on the demo team.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from leaddesk.bootstrap import open_database  # noqa: E402
from leaddesk.config import Settings  # noqa: E402
from leaddesk.models import Contact  # noqa: E402
from leaddesk.services.people import contacts
from leaddesk.sync import client  # noqa: E402
from leaddesk.sync.server import Hub  # noqa: E402

HUB = "postgresql+psycopg://ld_demo_{who}:demo@127.0.0.1:5432/leaddesk_team_demo?sslmode=disable"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--changes", type=int, default=5000)
    ap.add_argument("--out", type=Path, default=Path("/tmp/leaddesk-team"))
    args = ap.parse_args()
    julia = open_database(Settings(data_dir=args.out / "julia"))
    daniel = open_database(Settings(data_dir=args.out / "daniel"))
    hubs = {who: Hub(HUB.format(who=who)) for who in ("julia", "daniel")}
    try:
        client.sync(daniel, hubs["daniel"], backup=False)
        with julia.reader() as s:
            mine = s.scalars(select(Contact.id).where(Contact.owner_id == julia.write.actor_id,
                                                      Contact.deleted.is_(False))).all()
        t0 = time.perf_counter()
        fields = itertools.cycle(("job_title", "city", "department"))
        for i in range(args.changes):
            contacts.update_contact(julia, mine[i % len(mine)], expected_version=None,
                                    **{next(fields): f"bench {os.getpid()} {i}"})
        made = time.perf_counter() - t0
        t0 = time.perf_counter()
        pushed = client.push(julia, hubs["julia"])
        push_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        pulled = client.pull(daniel, hubs["daniel"])
        pull_s = time.perf_counter() - t0
        print(f"command: python benchmarks/bench_sync_rls.py --changes {args.changes}")
        print(f"{args.changes} edits on {len(mine)} of Julia's contacts made offline in {made:.1f} s")
        print(f"push as ld_demo_julia (RLS): {push_s:.3f} s, {sum(r.received for r in pushed)} changes, "
              f"{sum(r.rejected for r in pushed)} refused")
        print(f"pull as ld_demo_daniel (RLS): {pull_s:.3f} s, {pulled.changes} changes")
        print(f"push + pull: {push_s + pull_s:.3f} s (target <= 1.5 s)")
    finally:
        for h in hubs.values():
            h.dispose()
        julia.dispose()
        daniel.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
