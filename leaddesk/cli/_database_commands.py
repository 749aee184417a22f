"""The commands on this database: ``init``, ``db upgrade``/``db current``, ``info`` and
``demo``.

Apart from the team commands (:mod:`leaddesk.cli._team_commands`): these open the
database ``--db`` names (or the default one) and need no team server or password.
"""

from __future__ import annotations

import json
import sys
import time

from leaddesk.cli._console import _progress_open
from leaddesk.config import load_settings


def _open(args, *, upgrade: bool = True, read_only: bool = False):
    from leaddesk.bootstrap import open_database

    settings = load_settings(db_url=args.db)
    return open_database(settings, upgrade=upgrade, read_only=read_only), settings


def cmd_init(args) -> int:
    from leaddesk.services.team import setup

    db, _ = _open(args)
    try:
        result = setup.initialize(db, admin_name=args.admin_name, admin_email=args.admin_email,
                                  currency=args.currency)
        print(f"Database ready: {db.url}")
        if result.seeded:
            print("Seeded the default pipeline, stage definitions and lost reasons.")
        if result.created_user:
            print("Created the first admin user.")
        if result.rules_added:
            print(f"Added {result.rules_added} default scoring rules.")
    finally:
        db.dispose()
    return 0


def cmd_db(args) -> int:
    from leaddesk import migrate
    from leaddesk.db import make_engine, secure_sqlite_file
    from leaddesk.files import secure_data_dir

    settings = load_settings(db_url=args.db)
    secure_data_dir(settings.data_dir)
    # `db current` only reads: a missing SQLite file is reported, not created
    engine = make_engine(settings.database_url, must_exist=args.db_command == "current")
    try:
        if args.db_command == "upgrade":
            before, after = migrate.upgrade(engine, backup_dir=settings.backup_dir, keep_backups=settings.keep_backups)
            secure_sqlite_file(engine)  # LeadDesk's own file now: 0600
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

    db, _ = _open(args, read_only=True)  # a read: nothing created, nothing upgraded
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
    from leaddesk.services.demo import generate as demo

    db, _ = _open(args)
    last = [0.0]

    def progress(step: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 0.5 or done == total:
            last[0] = now
            print(f"\r  {step}: {done:,}/{total:,}".ljust(60), end="", file=sys.stderr, flush=True)
            _progress_open[0] = True

    from leaddesk.services.demo import my_day

    try:
        summary = demo.generate(db, scale=args.scale, seed=args.seed, progress=progress, force=args.force,
                                captures=True)
        day = my_day.plan_my_day(db, args.seed)  # the signed-in user's own day, relative to now
    finally:
        db.dispose()
    print(file=sys.stderr)
    _progress_open[0] = False
    print(f"Demo data ({args.scale}) written in {summary.seconds:.1f} s:")
    for name, count in summary.counts.items():
        print(f"  {name:<22} {count:>9,}")
    if day.overdue + day.today + day.upcoming:
        print(f"Your day: {day.overdue} overdue, {day.today} due today, {day.upcoming} upcoming, "
              f"{day.no_shows} no-show yesterday, {day.web_leads} new web leads to call "
              "(see `leaddesk agenda` or My day).")
    return 0
