"""The follow-up commands: ``agenda`` (a rep's day), ``export-ics`` (their follow-ups as an
RFC 5545 calendar) and ``import-ics`` (a meeting invitation as a meeting activity).

They open the database like the other commands; ``--user`` names the rep by e-mail (default:
the user this installation acts as).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from leaddesk.cli._console import _say
from leaddesk.cli._database_commands import _open


def add_parsers(sub) -> None:
    """The ``agenda``, ``export-ics`` and ``import-ics`` sub-commands."""
    p = sub.add_parser("agenda", help="a rep's day: overdue, due today and the next 7 days, in local time")
    p.add_argument("--user", metavar="EMAIL", help="whose day (default: the user this installation acts as)")
    p.add_argument("--tz", metavar="ZONE", help="IANA time zone, e.g. Europe/Berlin (default: this machine's)")
    p.add_argument("--days", type=int, default=7, metavar="N", help="upcoming days after today (default 7)")
    p.add_argument("--json", action="store_true", help="machine-readable output (one JSON object)")
    p = sub.add_parser("export-ics", help="write a rep's follow-ups as an iCalendar (.ics) file")
    p.add_argument("--user", metavar="EMAIL", help="whose follow-ups (default: the user this installation acts as)")
    p.add_argument("--out", metavar="FILE", help="the .ics file to write (default: standard output)")
    p.add_argument("--tz", metavar="ZONE", help="zone recurring follow-ups repeat in, e.g. Europe/Berlin (default: "
                   "this machine's)")
    p = sub.add_parser("import-ics", help="add or update the meetings of an invitation (.ics) as activities")
    p.add_argument("file", metavar="FILE", help="the invitation (.ics) to read")
    p.add_argument("--user", metavar="EMAIL", help="who owns the meetings (default: the user this installation "
                   "acts as)")
    p.add_argument("--tz", metavar="ZONE", help="zone for all-day and floating times (default: this machine's)")


def _when(item) -> str:
    return item.local_due.strftime("%a %d %b %H:%M")


def _links(item) -> str:
    names = [n for n in (item.contact, item.account, item.opportunity) if n]
    return f"  ({' · '.join(names)})" if names else ""


def cmd_agenda(args) -> int:
    from leaddesk.services.followups import agenda, cadences

    tz = agenda.zone(args.tz)  # a bad name is refused before the database is opened
    db, _ = _open(args, read_only=True)
    try:
        owner = agenda.resolve_owner(db, args.user)
        if cadences.has_stale(db, owner):
            # a reply or a stage change ended cadence runs: stop them (a write, so the
            # database is opened for writing, not upgraded) before the day is listed
            db.dispose()
            db, _ = _open(args, upgrade=False)
            cadences.settle_owner(db, owner)
        day = agenda.day_agenda(db, owner, tz=tz, days=max(0, args.days))
    finally:
        db.dispose()
    if args.json:
        print(json.dumps(day.as_dict(), indent=2, ensure_ascii=False))
        return 0
    print(f"Agenda for {day.day.strftime('%A %d %B %Y')} ({day.zone})")
    for title, items in (("Overdue", day.overdue), ("Today", day.today), ("Upcoming", day.upcoming)):
        print(f"\n{title} ({len(items)})")
        if not items:
            print("  -")
        for item in items:
            late = f"  [{item.overdue}]" if item.overdue else ""
            step = f" · {item.cadence}" if item.cadence else ""
            print(f"  {_when(item)}  {item.kind.value:<7} {item.subject}{step}{_links(item)}{late}")
    return 0


def cmd_export_ics(args) -> int:
    from leaddesk.services.followups import agenda, calendar_export

    tz = agenda.zone(args.tz)  # a bad name is refused before the database is opened
    db, _ = _open(args, read_only=True)
    try:
        owner = agenda.resolve_owner(db, args.user)
        data = calendar_export.export_calendar(db, owner, tz=tz)
    finally:
        db.dispose()
    if args.out:
        Path(args.out).write_bytes(data)
        _say(f"Wrote {data.count(b'BEGIN:VEVENT') + data.count(b'BEGIN:VTODO')} follow-ups to {args.out}.")
    else:
        # CRLF line ends as RFC 5545 asks (text mode on POSIX leaves them alone)
        sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()
    return 0


def cmd_import_ics(args) -> int:
    from leaddesk.errors import ValidationError
    from leaddesk.services.followups import agenda, calendar_import

    tz = agenda.zone(args.tz)
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise ValidationError(f"Cannot read {args.file}: {exc.strerror or exc}.", field="file") from exc
    db, _ = _open(args)
    try:
        owner = agenda.resolve_owner(db, args.user)
        results = calendar_import.import_invitation(db, data, owner_id=owner, tz=tz)
    finally:
        db.dispose()
    for r in results:
        print(f"{r.action:<9} {r.due_at.astimezone(tz).strftime('%a %d %b %Y %H:%M')}  {r.subject}")
    return 0
