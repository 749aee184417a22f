"""The ``leaddesk`` command line, over the services. No Qt here: ``leaddesk.__main__``
starts the GUI when no subcommand is given (or for ``screenshot``).

Errors print one line, ``leaddesk: error: ...``, and exit with status 2 (1 for bugs).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from leaddesk import __version__
from leaddesk.cli._calendar_commands import add_parsers as add_calendar_parsers
from leaddesk.cli._calendar_commands import cmd_agenda, cmd_export_ics, cmd_import_ics
from leaddesk.cli._capture_commands import add_parsers as add_capture_parsers
from leaddesk.cli._capture_commands import cmd_capture, cmd_export_vcf, cmd_import_vcf
from leaddesk.cli._console import _progress_open, _remember_secret, _say
from leaddesk.cli._database_commands import cmd_db, cmd_demo, cmd_info, cmd_init
from leaddesk.cli._lead_commands import add_parsers as add_lead_parsers
from leaddesk.cli._lead_commands import cmd_leads, cmd_rescore
from leaddesk.cli._team_commands import cmd_join, cmd_sync, cmd_team
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

    add_lead_parsers(sub)
    add_calendar_parsers(sub)
    add_capture_parsers(sub)

    p = sub.add_parser("sync", help="sync this laptop's database with the team server (backup, push, pull)")
    p.add_argument("--hub", metavar="URL", help="the team's PostgreSQL URL (default: $LEADDESK_HUB, else the "
                   "joined team's profile with the password from the keyring)")
    p.add_argument("--status", action="store_true", help="only show pending changes and the last pulled sequence")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the team server's password from standard input (when no keyring holds it)")

    p = sub.add_parser("join", help="join the team: connect with your own login and download what you may see")
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, default=5432)
    p.add_argument("--database", required=True)
    p.add_argument("--user", required=True, help="your PostgreSQL login (from your team's admin)")
    p.add_argument("--sslmode", default="verify-full",
                   choices=["disable", "allow", "prefer", "require", "verify-ca", "verify-full"],
                   help="TLS: verify-full (default) checks the server's certificate and name")
    p.add_argument("--sslrootcert", metavar="FILE", help="the team's CA certificate")
    p.add_argument("--sslcert", metavar="FILE", help="this laptop's client certificate")
    p.add_argument("--sslkey", metavar="FILE", help="its private key")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input "
                   "(default: ask for it)")
    p.add_argument("--no-remember", action="store_true", help="do not keep the password in the OS keyring")

    p = sub.add_parser("team", help="set up the team's PostgreSQL server and its users (admins)")
    tsub = p.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    t = tsub.add_parser("init", help="create or upgrade the team database: schema, roles, row-level security")
    t.add_argument("--url", required=True, help="a PostgreSQL superuser's URL of the team database")
    t.add_argument("--admin-name", help="the first LeadDesk admin's name")
    t.add_argument("--admin-email", help="the first LeadDesk admin's e-mail")
    t = tsub.add_parser("add-user", help="add a person with their own database login (prints the password once)")
    t.add_argument("--url", required=True, help="the team database, opened by an admin (or superuser)")
    t.add_argument("--name", required=True)
    t.add_argument("--email", required=True)
    t.add_argument("--role", choices=["rep", "manager", "admin"], default="rep")
    t.add_argument("--team", help="team name (made if missing)")
    t.add_argument("--login", help="the login name (default: ld_ + the e-mail's local part)")
    t = tsub.add_parser("disable-user", help="stop a person's database login (offboarding)")
    t.add_argument("--url", required=True)
    t.add_argument("--email", required=True)
    t = tsub.add_parser("purge-history", help="trim the team server's change log (field history) to the last "
                        "N days; laptops away longer re-download at their next sync, keeping unsent edits")
    t.add_argument("--url", required=True, help="the team database, opened by an admin (or superuser)")
    t.add_argument("--keep-days", type=int, default=365, metavar="N", help="days of history to keep (default 365)")

    p = sub.add_parser("gui", help="open the app (the default)")
    p.add_argument("--smoke", nargs="?", const="", metavar="FILE.png",
                   help="open the main window, wait for its first paint, print one line and exit 0 "
                   "(a check that the app starts on this desktop); with FILE.png, save a screenshot too")
    p = sub.add_parser("screenshot", help="render a view of the current database to a PNG, offscreen")
    p.add_argument("--view", required=True, choices=["accounts", "account", "board", "contacts", "my_day", "search", "sync",
                                                      "conflicts", "duplicates", "trash"],
                   help="sync: sync with the team server first, then show the window and its status bar; "
                   "conflicts/duplicates/trash: the Team dialog over the window")
    p.add_argument("--out", required=True, metavar="FILE.png")
    p.add_argument("--size", default="1280x800", metavar="WxH")
    p.add_argument("--query", default=None,
                   help="search text for --view search; for --view contacts, the filter (the first match is shown)")
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    args = build_parser().parse_args(argv)
    _check_text_arguments(args)
    return args


def _check_text_arguments(args: argparse.Namespace) -> None:
    """Refuse, in one line, an argument that is not text: bytes that are not UTF-8 (Python
    hands them over as lone surrogates, which no database stores) or a NUL (only possible
    through ``main([...])``). Applies to the app's arguments too (``screenshot --query``)."""
    for name, value in vars(args).items():
        if not isinstance(value, str):
            continue
        try:
            value.encode("utf-8")
            bad = "\x00" in value
        except UnicodeEncodeError:
            bad = True
        if bad:
            option = "--" + name.replace("_", "-")
            _say(f"leaddesk: error: {option} is not valid text (it holds bytes that are not UTF-8, or a NUL); "
                 "type it again or check the terminal's encoding.")
            raise SystemExit(EXIT_USER_ERROR)


COMMANDS = {"init": cmd_init, "db": cmd_db, "info": cmd_info, "demo": cmd_demo, "sync": cmd_sync,
            "join": cmd_join, "team": cmd_team, "leads": cmd_leads, "rescore": cmd_rescore,
            "agenda": cmd_agenda, "export-ics": cmd_export_ics, "import-ics": cmd_import_ics,
            "capture": cmd_capture, "import-vcf": cmd_import_vcf, "export-vcf": cmd_export_vcf}


def _remember_url_secrets(args: argparse.Namespace) -> None:
    import os

    from leaddesk.redaction import url_password

    for url in (getattr(args, "db", None), getattr(args, "hub", None), getattr(args, "url", None),
                os.environ.get("LEADDESK_DB"), os.environ.get("LEADDESK_HUB")):
        _remember_secret(url_password(url))


def run(args: argparse.Namespace) -> int:
    import sqlite3

    from sqlalchemy.exc import DBAPIError

    from leaddesk.db import explain_db_error

    _remember_url_secrets(args)
    _progress_open[0] = False
    try:
        try:
            return COMMANDS[args.command](args)
        except (DBAPIError, sqlite3.Error) as exc:
            # What a person can act on (a damaged file, a login without the privilege)
            # becomes a LeadDeskError; anything else is a bug and keeps its traceback.
            explained = explain_db_error(exc)
            if explained is None:
                raise
            raise explained from exc
    except LeadDeskError as exc:
        # One line, whatever the driver wrote (libpq's messages span several), and no password.
        _say(f"leaddesk: error: {exc}")
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
