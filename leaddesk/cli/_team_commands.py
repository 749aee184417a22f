"""The team commands: ``sync`` with the team server, ``join`` the team, and the admin's
``team init``/``add-user``/``disable-user``/``purge-history`` on its PostgreSQL database.

Apart from the commands on this database (:mod:`leaddesk.cli._database_commands`): these
talk to the team's server and handle its passwords, which are read here and hidden in
every message.
"""

from __future__ import annotations

import sys

from leaddesk.cli._console import _progress_open, _remember_secret
from leaddesk.cli._database_commands import _open
from leaddesk.config import load_settings


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
    from leaddesk.db import check_url
    from leaddesk.redaction import url_password
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
