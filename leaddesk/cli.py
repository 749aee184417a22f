"""The ``leaddesk`` command line, over the services. No Qt here: ``leaddesk.__main__``
starts the GUI when no subcommand is given (or for ``screenshot``).

Errors print one line, ``leaddesk: error: ...``, and exit with status 2 (1 for bugs).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

from leaddesk import __version__
from leaddesk.config import load_settings
from leaddesk.errors import LeadDeskError

EXIT_USER_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leaddesk",
        description="LeadDesk, an offline-first desktop CRM. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"LeadDesk {__version__}")
    parser.add_argument(
        "--db",
        metavar="URL",
        help="database URL: sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB "
        "(default: $LEADDESK_DB, else a SQLite file in your user data folder)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("init", help="create or upgrade the database and seed it (pipeline, definitions, admin)")
    p.add_argument("--admin-name", help="name of the first admin user (default: your login name)")
    p.add_argument("--admin-email", help="e-mail of the first admin user")
    p.add_argument("--currency", default="EUR", help="currency of the default pipeline (default EUR)")

    p = sub.add_parser("db", help="database maintenance")
    dbsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    dbsub.add_parser("upgrade", help="upgrade the schema to this version (backs up a SQLite file first)")
    dbsub.add_parser("current", help="print the schema revision")

    p = sub.add_parser("info", help="engine, location, schema revision and row counts")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("demo", help="fill the database with realistic demo data")
    p.add_argument("--scale", choices=["small", "large"], default="small",
                   help="small: 1,000 contacts; large: 100,000 contacts, 30,000 accounts, "
                   "20,000 opportunities, 200,000 activities")
    p.add_argument("--seed", type=int, default=7, help="random seed (same seed, same data)")
    p.add_argument("--force", action="store_true", help="add demo data even if the database holds contacts")

    p = sub.add_parser("sync", help="sync this laptop's database with the team server (backup, push, pull)")
    p.add_argument("--hub", metavar="URL", help="the team's PostgreSQL URL (default: $LEADDESK_HUB)")
    p.add_argument("--status", action="store_true", help="only show pending changes and the last pulled sequence")

    p = sub.add_parser("gui", help="open the app (the default)")
    p = sub.add_parser("screenshot", help="render a view of the current database to a PNG, offscreen")
    p.add_argument("--view", required=True, choices=["accounts", "account", "board", "contacts", "search"])
    p.add_argument("--out", required=True, metavar="FILE.png")
    p.add_argument("--size", default="1280x800", metavar="WxH")
    p.add_argument("--query", default=None, help="search text for --view search")
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def _open(args, *, upgrade: bool = True):
    from leaddesk.bootstrap import open_database

    settings = load_settings(db_url=args.db)
    return open_database(settings, upgrade=upgrade), settings


def cmd_init(args) -> int:
    from leaddesk.services import setup

    db, _ = _open(args)
    try:
        result = setup.initialize(db, admin_name=args.admin_name, admin_email=args.admin_email,
                                  currency=args.currency)
        print(f"Database ready: {db.url}")
        if result.seeded:
            print("Seeded the default pipeline, stage definitions and lost reasons.")
        if result.created_user:
            print("Created the first admin user.")
    finally:
        db.dispose()
    return 0


def cmd_db(args) -> int:
    from leaddesk import migrate
    from leaddesk.db import make_engine

    settings = load_settings(db_url=args.db)
    engine = make_engine(settings.database_url)
    try:
        if args.db_command == "upgrade":
            before, after = migrate.upgrade(engine, backup_dir=settings.backup_dir, keep_backups=settings.keep_backups)
            if before == after:
                print(f"Schema already at {after}.")
            else:
                print(f"Schema upgraded from {before or 'empty'} to {after}.")
        else:
            print(migrate.current_revision(engine) or "empty (run `leaddesk db upgrade`)")
    finally:
        engine.dispose()
    return 0


def cmd_info(args) -> int:
    from leaddesk.services.info import database_info

    db, _ = _open(args, upgrade=False)
    try:
        info = database_info(db)
    finally:
        db.dispose()
    if args.json:
        print(json.dumps(info.as_dict(), indent=2, sort_keys=True))
        return 0
    print(f"Engine:    {info.engine}")
    print(f"Location:  {info.location}")
    print(f"Schema:    {info.schema_revision} ({'up to date' if info.up_to_date else 'needs upgrade'})")
    print(f"User:      {info.acting_user or '(none; run `leaddesk init`)'}")
    print(f"Pending changes (not yet synced): {info.pending_changes}")
    width = max(len(t) for t in info.counts)
    for table, count in info.counts.items():
        extra = f"  ({info.deleted[table]} in trash)" if info.deleted[table] else ""
        print(f"  {table:<{width}}  {count:>9,}{extra}")
    return 0


def cmd_demo(args) -> int:
    from leaddesk.services import demo

    db, _ = _open(args)
    last = [0.0]

    def progress(step: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 0.5 or done == total:
            last[0] = now
            print(f"\r  {step}: {done:,}/{total:,}".ljust(60), end="", file=sys.stderr, flush=True)

    try:
        summary = demo.generate(db, scale=args.scale, seed=args.seed, progress=progress, force=args.force)
    finally:
        db.dispose()
    print(file=sys.stderr)
    print(f"Demo data ({args.scale}) written in {summary.seconds:.1f} s:")
    for name, count in summary.counts.items():
        print(f"  {name:<22} {count:>9,}")
    return 0


def cmd_sync(args) -> int:
    import os

    from leaddesk.services import team_sync

    db, settings = _open(args)
    try:
        if args.status:
            st = team_sync.sync_status(db)
            print(f"Pending changes: {st.pending:,}; last pulled sequence: {st.last_pulled_seq:,}")
            return 0
        hub = args.hub or os.environ.get("LEADDESK_HUB")
        summary = team_sync.sync_with_hub(db, hub, backup_dir=settings.backup_dir)
    finally:
        db.dispose()
    print(f"Sent {summary.sent:,} change(s); received {summary.received:,}, applied {summary.applied:,}.")
    if summary.conflicts:
        print(f"{summary.conflicts:,} conflict(s): both values are kept on the team server.")
    print(f"Pending changes: {summary.pending_after:,}. Backup: {summary.backup or 'none'}.")
    return 0


COMMANDS = {"init": cmd_init, "db": cmd_db, "info": cmd_info, "demo": cmd_demo, "sync": cmd_sync}


def run(args: argparse.Namespace) -> int:
    try:
        return COMMANDS[args.command](args)
    except LeadDeskError as exc:
        # One line, whatever the driver wrote (libpq's messages span several).
        print(f"leaddesk: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("leaddesk: interrupted; nothing half-written (each step is one transaction).", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `leaddesk info | head`: the reader left; say nothing more (and let Python's own
        # flush at exit write to /dev/null instead of raising again).
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command in (None, "gui", "screenshot"):
        print("leaddesk: the app is started by `python -m leaddesk` / the `leaddesk` command.", file=sys.stderr)
        return EXIT_USER_ERROR
    return run(args)
