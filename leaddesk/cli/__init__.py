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
    p.add_argument("--view", required=True, choices=["accounts", "account", "board", "contacts", "search", "sync",
                                                      "conflicts", "duplicates", "trash"],
                   help="sync: sync with the team server first, then show the window and its status bar; "
                   "conflicts/duplicates/trash: the Team dialog over the window")
    p.add_argument("--out", required=True, metavar="FILE.png")
    p.add_argument("--size", default="1280x800", metavar="WxH")
    p.add_argument("--query", default=None, help="search text for --view search")
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


#: Passwords this run knows (from URLs given, the environment, standard input): hidden in
#: every message it prints, even where a URL was too malformed to parse.
_SECRETS: list[str] = []


def _remember_secret(value: str | None) -> None:
    if value and value not in _SECRETS:
        _SECRETS.append(value)


#: A progress line (``\r  step: n/total``) is on stderr without its newline yet.
_progress_open = [False]


def _say(line: str) -> None:
    """Print one line to stderr, passwords hidden, whatever the terminal's encoding."""
    from leaddesk.db import redact

    text = redact(" ".join(line.split()), _SECRETS)
    if _progress_open[0]:
        text, _progress_open[0] = "\n" + text, False
    stream = sys.stderr
    encoding = getattr(stream, "encoding", None) or "utf-8"
    stream.write(text.encode(encoding, "backslashreplace").decode(encoding) + "\n")
    stream.flush()


def _open(args, *, upgrade: bool = True, read_only: bool = False):
    from leaddesk.bootstrap import open_database

    settings = load_settings(db_url=args.db)
    return open_database(settings, upgrade=upgrade, read_only=read_only), settings


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

    try:
        summary = demo.generate(db, scale=args.scale, seed=args.seed, progress=progress, force=args.force)
    finally:
        db.dispose()
    print(file=sys.stderr)
    _progress_open[0] = False
    print(f"Demo data ({args.scale}) written in {summary.seconds:.1f} s:")
    for name, count in summary.counts.items():
        print(f"  {name:<22} {count:>9,}")
    return 0


def _read_password(from_stdin: bool, prompt: str) -> str:
    import getpass

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(prompt)
    try:
        password.encode("utf-8")
        valid = "\x00" not in password
    except UnicodeEncodeError:
        valid = False
    if not valid:
        from leaddesk.errors import ValidationError

        raise ValidationError("The password given is not valid text (bytes that are not UTF-8, or a NUL): "
                              "check the terminal's or the file's encoding.", field="password")
    return password


def cmd_sync(args) -> int:
    from leaddesk.db import check_url, url_password
    from leaddesk.services.team import join as team_join, sync as team_sync

    if args.hub:
        check_url(args.hub)  # a malformed URL or a driver LeadDesk lacks: one line, nothing opened
    db, settings = _open(args)
    try:
        if args.status:
            st = team_sync.sync_status(db)
            print(f"Pending changes: {st.pending:,}; last pulled sequence: {st.last_pulled_seq:,}")
            return 0
        password = _read_password(True, "") if args.password_stdin else None
        _remember_secret(password)
        hub = args.hub or team_join.hub_url(settings, password=password)
        _remember_secret(url_password(hub))
        if hub:
            check_url(hub)  # a malformed URL or a driver LeadDesk lacks: one line, no password
        summary = team_sync.sync_with_hub(db, hub, backup_dir=settings.backup_dir)
    finally:
        db.dispose()
    print(f"Sent {summary.sent:,} change(s); received {summary.received:,}, applied {summary.applied:,}.")
    if summary.conflicts:
        print(f"{summary.conflicts:,} conflict(s): both values are kept on the team server.")
    if summary.resynced:
        print("This laptop had been away longer than the team server keeps its history: it downloaded a fresh "
              "copy of what you may see; your unsent changes were kept and sent.")
    print(f"Pending changes: {summary.pending_after:,}. Backup: {summary.backup or 'none'}.")
    return 0


def cmd_join(args) -> int:
    from leaddesk.config import TeamProfile
    from leaddesk.services.team import join as team_join

    settings = load_settings(db_url=args.db)
    profile = TeamProfile(host=args.host, port=args.port, database=args.database, user=args.user,
                          sslmode=args.sslmode, sslrootcert=args.sslrootcert, sslcert=args.sslcert,
                          sslkey=args.sslkey)
    password = _read_password(args.password_stdin, f"Password for {profile.key}: ")
    _remember_secret(password)

    def progress(step: str, done: int, total: int) -> None:
        print(f"\r  {step} ({done}/{total})".ljust(60), end="", file=sys.stderr, flush=True)
        _progress_open[0] = True

    result = team_join.join(settings, profile, password, remember=not args.no_remember, progress=progress)
    print(file=sys.stderr)
    _progress_open[0] = False
    print(f"Joined as {result.user_name} <{result.user_email}> ({result.role}): {result.rows:,} rows downloaded.")
    if not args.no_remember:
        print("Password kept in the OS keyring." if result.password_stored else
              "No OS keyring here: LeadDesk will ask for the password at each sync (it never writes it to a file).")
    return 0


def cmd_team(args) -> int:
    from leaddesk.db import Database, WriteContext, check_url, make_engine
    from leaddesk.errors import ValidationError
    from leaddesk.services.team import admin as team_admin, users

    if check_url(args.url).get_backend_name() != "postgresql":  # before anything is opened (or created)
        raise ValidationError("The team commands work on the team's PostgreSQL server: give its URL, "
                              "postgresql+psycopg://USER@HOST:PORT/DBNAME.", field="url")
    if args.team_command == "init":
        result = team_admin.init_team_database(args.url, admin_name=args.admin_name, admin_email=args.admin_email)
        print(f"Team database {result.database} ready at schema {result.revision}: roles, grants and "
              "row-level security installed.")
        if args.admin_email:
            print(f"Admin: {args.admin_email}. Give them a login with `leaddesk team add-user` or the app's "
                  "Team ▸ Users.")
        return 0
    import uuid as _uuid

    from leaddesk.bootstrap import database_user

    engine = make_engine(args.url)
    db = Database(engine, WriteContext(node=_uuid.uuid4()))
    try:
        from leaddesk.models import access

        with db.reader() as s:
            db.write.actor_id = database_user(s)
            db.write.subject = access.load_subject(s, db.write.actor_id)
        if args.team_command == "purge-history":
            trim = team_admin.purge_history(db, args.keep_days)
            print(f"Removed {trim.removed:,} change(s) older than {args.keep_days} day(s) from the change log "
                  f"(history now starts after seq {trim.horizon:,}).")
            return 0
        if args.team_command == "add-user":
            team_id = None
            if args.team:
                found = [t for t in users.list_teams(db) if t.name.casefold() == args.team.casefold()]
                team_id = found[0].id if found else users.create_team(db, args.team).id
            user = users.create_user(db, args.name, args.email, role=args.role, team_id=team_id)
            password = team_admin.create_login(db, user.id, name=args.login)
            print(f"Added {user.name} ({args.role}). Database login: {team_admin.login_name(db, user.id)}")
            print(f"Password (shown once; they enter it at `leaddesk join`): {password}")
            return 0
        match = [u for u in users.list_users(db, include_inactive=True)
                 if u.email.casefold() == args.email.strip().casefold()]
        if not match:
            from leaddesk.errors import NotFound

            raise NotFound("user", args.email)
        team_admin.set_login_enabled(db, match[0].id, False)
        print(f"The database login of {match[0].name} is disabled.")
        return 0
    finally:
        db.dispose()


COMMANDS = {"init": cmd_init, "db": cmd_db, "info": cmd_info, "demo": cmd_demo, "sync": cmd_sync,
            "join": cmd_join, "team": cmd_team}


def _remember_url_secrets(args: argparse.Namespace) -> None:
    import os

    from leaddesk.db import url_password

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
