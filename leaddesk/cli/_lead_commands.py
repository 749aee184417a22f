"""The qualification commands: ``leads`` (the lead list with why each lead scores what it
does) and ``rescore`` (recompute every contact's stored score with the current rules).

Apart from the database commands (:mod:`leaddesk.cli._database_commands`) because these read
and write qualification, not the database's set-up; they open the database the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time

from leaddesk.cli._console import _progress_open, _say
from leaddesk.cli._database_commands import _open


def add_parsers(sub) -> None:
    """The ``leads`` and ``rescore`` sub-commands, on ``build_parser``'s sub-parsers."""
    p = sub.add_parser("leads", help="list leads, best score first, with temperature, quadrant, persona and reasons")
    p.add_argument("--stage", metavar="S", help="only this lifecycle stage (lead, iql, mql, sql, opportunity, "
                   "customer, nurture, disqualified; default: lead, iql, mql, sql and nurture)")
    p.add_argument("--owner", metavar="EMAIL", help="only the leads this user owns")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N leads (default 50; 0: all)")
    p.add_argument("--json", action="store_true", help="machine-readable output (one JSON list)")
    p = sub.add_parser("rescore", help="recompute every contact's score with the current scoring rules, then "
                       "hand the leads that turned hot to sales (MQL, round-robin within the caps)")
    p.add_argument("--no-handoff", action="store_true",
                   help="only rescore; leave hot leads where they are (the team setting auto_handoff also can)")


def cmd_leads(args) -> int:
    from leaddesk.errors import ValidationError
    from leaddesk.services.qualification import leads

    if args.limit < 0:
        raise ValidationError(f"--limit must be 0 (all) or more (got {args.limit}).", field="limit")
    db, _ = _open(args, read_only=True)
    now = dt.datetime.now(dt.timezone.utc)
    try:
        rows = leads.list_leads(db, stage=args.stage, owner_email=args.owner, limit=args.limit or None, now=now)
    finally:
        db.dispose()
    if args.json:
        print(json.dumps([r.as_dict(now) for r in rows], indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("No leads match.")
        return 0
    for r in rows:
        company = f" ({r.company})" if r.company else ""
        print(f"{r.score:>4}  {r.grade.value:<4}  {r.name}{company}  [{r.stage.value}]")
        print(f"      fit {r.fit}, interest {r.interest}, {r.quadrant.value.replace('_', ' ')}; "
              f"persona: {r.persona or '-'}; owner: {r.owner_email or 'unassigned'}; "
              f"HPIs met: {', '.join(r.hpis_met) or '-'}")
        print(f"      why: {', '.join(x.text(now) for x in r.reasons) or 'no rule matches'}")
    return 0


def cmd_rescore(args) -> int:
    from leaddesk.services.qualification import scoring

    db, _ = _open(args)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 0.5 or done == total:
            last[0] = now
            print(f"\r  rescoring: {done:,}/{total:,}".ljust(60), end="", file=sys.stderr, flush=True)
            _progress_open[0] = True

    from leaddesk.services.qualification import handoff
    from leaddesk.services.qualification.assignment import LeadCapReached

    started = time.perf_counter()
    handed, refused = None, None
    try:
        result = scoring.rescore_all(db, progress=progress)
        if not args.no_handoff:
            try:
                handed = handoff.hand_off_hot_leads(db)
            except LeadCapReached as exc:
                refused = str(exc)
    finally:
        db.dispose()
    if _progress_open[0]:
        print(file=sys.stderr)
        _progress_open[0] = False
    _say(f"Rescored {result.scored:,} contacts in {time.perf_counter() - started:.1f} s: "
         f"{result.changed:,} scores changed.")
    if handed is not None:
        _say(handed.summary())
    if refused is not None:
        print(f"leaddesk: hot leads not handed off: {refused}", file=sys.stderr)
        return 1
    return 0
