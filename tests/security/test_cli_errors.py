"""Issue #9, points 6 and 7: every case a person can cause gets one line on stderr and
exit status 2, never a traceback, never a password, and a command that only reads
creates nothing. Run through the real command line (``leaddesk.cli.main``, and the
installed entry point in a subprocess for a few)."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from leaddesk import cli, migrate
from leaddesk.db import make_engine
from leaddesk.redaction import redact

SECRET = "Zr7-hunter2-pw"


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")} if root.exists() else set()


def assert_one_line(code, out, err, *, secrets=(SECRET,)):
    assert code == 2, (code, out, err)
    assert err.startswith("leaddesk: error: "), err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err + out
    for secret in secrets:
        assert secret not in err + out


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An isolated, not yet existing data folder; no team server from the environment."""
    folder = tmp_path / "data"
    monkeypatch.setenv("LEADDESK_DATA_DIR", str(folder))
    for name in ("LEADDESK_DB", "LEADDESK_HUB", "LEADDESK_USER"):
        monkeypatch.delenv(name, raising=False)
    return folder


@pytest.fixture
def leaddesk_file(tmp_path, sqlite_template):
    """A LeadDesk SQLite file at the current schema, seeded like `leaddesk init`."""
    path = tmp_path / "crm.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return path


# --- URLs: bad port, drivers LeadDesk lacks; the password never shown ------------------------

BAD_URLS = [
    (f"postgresql+psycopg://rep:{SECRET}@127.0.0.1:abc/team", "port"),
    (f"postgresql+asyncpg://rep:{SECRET}@127.0.0.1/team", "postgresql+psycopg"),
    (f"postgresql+psycopg2://rep:{SECRET}@127.0.0.1/team", "postgresql+psycopg"),
    (f"sqlite+pysqlcipher://:{SECRET}@/secret.db", "postgresql+psycopg"),
    (f"postgresql+psycopg://rep:{SECRET}@127.0.0.1:99999/team", "between 1 and 65535"),
    (f"postgresql+psycopg://rep:{SECRET}@127.0.0.1:1/team", "Cannot connect to PostgreSQL at 127.0.0.1:1"),
]


@pytest.mark.parametrize("url, needle", BAD_URLS)
@pytest.mark.parametrize("command", [["info"], ["init"], ["db", "current"], ["demo"]])
def test_cli_bad_database_url_is_one_line_without_password(capsys, data_dir, tmp_path, url, needle, command):
    before = tree(tmp_path)
    code, out, err = run(capsys, "--db", url, *command)
    assert_one_line(code, out, err)
    assert needle in err
    assert tree(tmp_path) == before  # not even the data folder


def test_cli_unsupported_driver_names_the_supported_ones(capsys, data_dir):
    code, out, err = run(capsys, "--db", f"postgresql+asyncpg://rep:{SECRET}@127.0.0.1/team", "info")
    assert_one_line(code, out, err)
    assert "'postgresql+asyncpg'" in err and "sqlite" in err and "postgresql+psycopg" in err


@pytest.mark.parametrize("hub", [u for u, _ in BAD_URLS])
def test_cli_sync_with_a_bad_hub_url_hides_the_password(capsys, data_dir, tmp_path, leaddesk_file, hub):
    code, out, err = run(capsys, "--db", f"sqlite:///{leaddesk_file}", "sync", "--hub", hub)
    assert_one_line(code, out, err)


@pytest.mark.parametrize("hub", [f"postgresql+psycopg://rep:{SECRET}@127.0.0.1:x1/team",
                                 f"postgresql+asyncpg://rep:{SECRET}@127.0.0.1/team"])
def test_cli_sync_with_a_bad_hub_in_the_environment_hides_the_password(capsys, data_dir, monkeypatch,
                                                                        leaddesk_file, hub):
    monkeypatch.setenv("LEADDESK_HUB", hub)
    code, out, err = run(capsys, "--db", f"sqlite:///{leaddesk_file}", "sync")
    assert_one_line(code, out, err)


def test_cli_sync_bad_hub_opens_nothing(capsys, data_dir, tmp_path):
    local = tmp_path / "laptop.sqlite3"
    code, out, err = run(capsys, "--db", f"sqlite:///{local}", "sync", "--hub",
                         f"postgresql+psycopg://rep:{SECRET}@127.0.0.1:abc/team")
    assert_one_line(code, out, err)
    assert not local.exists() and not data_dir.exists()


@pytest.mark.parametrize("command", [["team", "add-user", "--name", "N", "--email", "n@example.com"],
                                     ["team", "init"], ["team", "purge-history"],
                                     ["team", "disable-user", "--email", "n@example.com"]])
@pytest.mark.parametrize("url", [f"postgresql+psycopg://admin:{SECRET}@127.0.0.1:1/team",
                                 f"postgresql+psycopg://admin:{SECRET}@127.0.0.1:port/team",
                                 f"postgresql+psycopg2://admin:{SECRET}@127.0.0.1/team"])
def test_cli_team_commands_hide_the_password(capsys, data_dir, command, url):
    code, out, err = run(capsys, *command[:2], "--url", url, *command[2:])
    assert_one_line(code, out, err)


def test_cli_join_hides_the_password_given_on_stdin(capsys, data_dir, monkeypatch, tmp_path):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(SECRET + "\n"))
    code, out, err = run(capsys, "--db", f"sqlite:///{tmp_path / 'laptop.sqlite3'}", "join", "--host", "127.0.0.1",
                         "--port", "1", "--database", "team", "--user", "rep", "--sslmode", "disable",
                         "--password-stdin", "--no-remember")
    assert_one_line(code, out, err)
    assert "127.0.0.1:1" in err


@pytest.mark.postgres
def test_cli_join_refusal_from_a_real_server_hides_the_password(capsys, data_dir, monkeypatch, tmp_path, pg_url):
    """A real server's refusal (no such database) is one line and carries no password."""
    import io

    from sqlalchemy import make_url

    server = make_url(pg_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(SECRET + "\n"))
    code, out, err = run(capsys, "--db", f"sqlite:///{tmp_path / 'laptop.sqlite3'}", "join", "--host",
                         server.host, "--port", str(server.port or 5432), "--database", "leaddesk_no_such_db",
                         "--user", server.username, "--sslmode", "disable", "--password-stdin", "--no-remember")
    assert_one_line(code, out, err)
    assert "leaddesk_no_such_db" in err


def test_cli_error_text_with_any_url_is_redacted(capsys, data_dir, monkeypatch):
    """Whatever raised it, a LeadDeskError quoting a URL with a password is printed without it."""
    from leaddesk.errors import LeadDeskError

    def boom(args):
        raise LeadDeskError(f"wrapped: postgresql://someone:{SECRET}@db.example.com/x and password={SECRET}x")

    monkeypatch.setitem(cli.COMMANDS, "info", boom)
    code, out, err = run(capsys, "info")
    assert_one_line(code, out, err, secrets=(SECRET,))
    assert "someone:***@db.example.com" in err


@pytest.mark.parametrize("raw, shown", [
    ("postgresql+psycopg://u:p4ss@h:5432/d", "postgresql+psycopg://u:***@h:5432/d"),
    ("'postgresql://u:p4ss@h:abc/d': bad port", "'postgresql://u:***@h:abc/d': bad port"),
    ("host=h password='p 4ss' user=u", "host=h password=*** user=u"),
    ("host=h password=p4ss user=u", "host=h password=*** user=u"),
    ("sqlite:///no/password/here.db", "sqlite:///no/password/here.db"),
])
def test_redact_hides_passwords_in_urls_and_conninfo(raw, shown):
    assert redact(raw) == shown


def test_redact_hides_known_secrets_also_percent_encoded():
    assert redact("a p%40ss b p@ss c", ["p@ss"]) == "a *** b *** c"


# --- point 7: the local file and folder ----------------------------------------------------------

def test_cli_info_on_a_missing_path_creates_nothing(capsys, data_dir, tmp_path):
    target = tmp_path / "nowhere" / "crm.sqlite3"
    before = tree(tmp_path)
    code, out, err = run(capsys, "--db", f"sqlite:///{target}", "info")
    assert_one_line(code, out, err)
    assert "There is no database at" in err and str(target) in err
    assert tree(tmp_path) == before


def test_cli_info_on_the_default_missing_database_creates_no_data_folder(capsys, data_dir, tmp_path):
    code, out, err = run(capsys, "info")
    assert_one_line(code, out, err)
    assert not data_dir.exists()


def test_cli_db_current_on_a_missing_path_creates_nothing(capsys, data_dir, tmp_path):
    before = tree(tmp_path)
    code, out, err = run(capsys, "--db", f"sqlite:///{tmp_path / 'gone.sqlite3'}", "db", "current")
    assert_one_line(code, out, err)
    assert tree(tmp_path) == before


def test_cli_info_reads_without_writing_a_node_id(capsys, data_dir, leaddesk_file):
    code, out, _ = run(capsys, "--db", f"sqlite:///{leaddesk_file}", "info")
    assert code == 0 and "Schema:" in out
    assert not (data_dir / "node_id").exists()


def test_cli_info_on_a_newer_schema_says_update_leaddesk_not_db_upgrade(capsys, data_dir, leaddesk_file):
    with sqlite3.connect(leaddesk_file) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0999_from_the_future'")
    code, out, err = run(capsys, "--db", f"sqlite:///{leaddesk_file}", "info")
    assert_one_line(code, out, err)
    assert "newer LeadDesk" in err and "0999_from_the_future" in err
    assert "db upgrade" not in err
    code, out, err = run(capsys, "--db", f"sqlite:///{leaddesk_file}", "db", "upgrade")
    assert_one_line(code, out, err)
    assert "newer" in err


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("command", [["init"], ["db", "upgrade"], ["info"], ["demo"]])
def test_cli_refuses_another_applications_sqlite_file(capsys, data_dir, tmp_path, command):
    other = tmp_path / "notes.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO note (body) VALUES ('keep me')")
    conn.close()
    digest, mode = _digest(other), other.stat().st_mode
    code, out, err = run(capsys, "--db", f"sqlite:///{other}", *command)
    assert_one_line(code, out, err)
    assert "is not a LeadDesk database" in err and "note" in err
    assert _digest(other) == digest and other.stat().st_mode == mode  # nothing added, not even a chmod
    with sqlite3.connect(other) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["note"]
    conn.close()


def test_cli_refuses_another_alembic_applications_file(capsys, data_dir, tmp_path):
    """Its own alembic_version, a revision LeadDesk does not know, none of LeadDesk's tables:
    not 'a newer LeadDesk'."""
    other = tmp_path / "shop.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('ab12cd34')")
        conn.execute("CREATE TABLE product (id INTEGER PRIMARY KEY)")
    conn.close()
    digest = _digest(other)
    for command in (["init"], ["info"]):
        code, out, err = run(capsys, "--db", f"sqlite:///{other}", *command)
        assert_one_line(code, out, err)
        assert "is not a LeadDesk database" in err and "newer" not in err
    assert _digest(other) == digest


def _damage(path: Path, table: str) -> None:
    """Overwrite the root pages of ``table`` and its indexes: the file still opens, the
    table does not read."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        roots = [r[0] for r in conn.execute("SELECT rootpage FROM sqlite_master WHERE tbl_name = ? AND rootpage > 0",
                                            (table,))]
    conn.close()
    assert roots
    with open(path, "r+b") as fh:
        for root in roots:
            fh.seek((root - 1) * page_size)
            fh.write(b"\xde\xad\xbe\xef" * (page_size // 4))


def test_cli_info_on_a_damaged_sqlite_page_is_one_line(capsys, data_dir, leaddesk_file):
    _damage(leaddesk_file, "contact")
    with sqlite3.connect(leaddesk_file) as conn:  # it still opens
        assert conn.execute("SELECT count(*) FROM app_user").fetchone()[0] >= 0
    conn.close()
    code, out, err = run(capsys, "--db", f"sqlite:///{leaddesk_file}", "info")
    assert_one_line(code, out, err)
    assert "is damaged" in err and str(leaddesk_file) in err and "backups" in err


def test_cli_damage_found_while_working_is_one_line(capsys, data_dir, leaddesk_file):
    """Not caught by a check up front: the outbox's page fails when `sync --status` reads it."""
    _damage(leaddesk_file, "outbox")
    code, out, err = run(capsys, "--db", f"sqlite:///{leaddesk_file}", "sync", "--status")
    assert_one_line(code, out, err)
    assert "is damaged" in err


def test_cli_upgrade_of_a_damaged_file_refuses_before_migrating(capsys, data_dir, leaddesk_file):
    engine = make_engine(f"sqlite:///{leaddesk_file}")
    first = "0001"
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": first})
    engine.dispose()
    _damage(leaddesk_file, "contact")
    code, out, err = run(capsys, "--db", f"sqlite:///{leaddesk_file}", "db", "upgrade")
    assert_one_line(code, out, err)
    assert "is damaged" in err
    assert migrate.current_revision(make_engine(f"sqlite:///{leaddesk_file}", check=False)) == first


def test_cli_unwritable_data_folder_is_one_line(capsys, data_dir, leaddesk_file):
    """node_id.tmp cannot be written (a folder stands in its place: refused even to root)."""
    (data_dir / "node_id.tmp").mkdir(parents=True)
    code, out, err = run(capsys, "--db", f"sqlite:///{leaddesk_file}", "init")
    assert_one_line(code, out, err)
    assert "node_id.tmp" in err and "LEADDESK_DATA_DIR" in err


def test_cli_data_folder_that_is_a_file_is_one_line(capsys, tmp_path, monkeypatch):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LEADDESK_DATA_DIR", str(blocker / "data"))
    code, out, err = run(capsys, "init")
    assert_one_line(code, out, err)
    assert str(blocker) in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes in a 0500 folder")
def test_cli_read_only_data_folder_is_one_line(capsys, data_dir, leaddesk_file):
    data_dir.mkdir()
    data_dir.chmod(0o500)
    try:
        code, out, err = run(capsys, "--db", f"sqlite:///{leaddesk_file}", "init")
    finally:
        data_dir.chmod(0o700)
    assert_one_line(code, out, err)
    assert "node_id" in err


def test_cli_broken_settings_file_is_one_line(capsys, data_dir):
    data_dir.mkdir()
    (data_dir / "config.toml").write_text("[leaddesk\ndb_url = ")
    code, out, err = run(capsys, "info")
    assert_one_line(code, out, err)
    assert "config.toml" in err


# --- text that is no text --------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["init", "--admin-name", "Ada\udcff"],           # bytes that are not UTF-8, as Python passes them on
    ["init", "--admin-name", "Ada\x00Admin"],
    ["team", "add-user", "--url", "sqlite:///x", "--name", "\ud800", "--email", "a@example.com"],
])
def test_cli_argument_that_is_not_text_is_one_line(capsys, data_dir, tmp_path, argv):
    before = tree(tmp_path)
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    out, err = capsys.readouterr()
    assert_one_line(stop.value.code, out, err)
    assert "not valid text" in err
    assert tree(tmp_path) == before


def test_app_search_argument_that_is_not_text_is_one_line(capsys, data_dir, tmp_path):
    """The app's own path (``leaddesk screenshot --view search --query ...``) checks it too,
    before any window or database is opened."""
    from leaddesk import __main__ as app_main

    with pytest.raises(SystemExit) as stop:
        app_main.main(["screenshot", "--view", "search", "--query", "Ay\udcfe", "--out", str(tmp_path / "x.png")])
    out, err = capsys.readouterr()
    assert_one_line(stop.value.code, out, err)
    assert "--query" in err and not (tmp_path / "x.png").exists()


# --- the installed entry point ---------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["--db", f"postgresql+psycopg://rep:{SECRET}@127.0.0.1:abc/team", "info"],
    ["--db", f"postgresql+psycopg2://rep:{SECRET}@127.0.0.1/team", "init"],
    ["--db", "sqlite:///{tmp}/nowhere/x.sqlite3", "info"],
    ["--db", "sqlite:///{tmp}/x.sqlite3", "sync", "--hub", f"postgresql+asyncpg://rep:{SECRET}@h/team"],
])
def test_entry_point_prints_one_line_and_exits_2(tmp_path, argv):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADDESK_")}
    env["LEADDESK_DATA_DIR"] = str(tmp_path / "data")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    proc = subprocess.run([sys.executable, "-m", "leaddesk", *argv], capture_output=True, text=True, env=env,
                          timeout=60)
    assert_one_line(proc.returncode, proc.stdout, proc.stderr)
    assert tree(tmp_path) == set()


# --- a manager (or rep) opening the team server with her own login ---------------------------------

@pytest.mark.postgres
def test_cli_manager_opens_the_team_server_with_her_own_login(capsys, data_dir, pg_team):
    from tests.sync.team import PASSWORD

    ids, engines, logins = pg_team
    url = engines["carol"].url.render_as_string(hide_password=False)
    code, out, err = run(capsys, "--db", url, "info")
    assert code == 0, err
    assert "permission denied" not in err and PASSWORD not in out
    assert "Carol Manager <carol@example.com>" in out
    assert "Pending changes (not yet synced): 0" in out
    # what her login may not do is one line, not a traceback
    code, out, err = run(capsys, "--db", url, "team", "purge-history", "--url", url)
    assert_one_line(code, out, err, secrets=(PASSWORD,))
    code, out, err = run(capsys, "--db", url, "demo", "--force")
    assert "Traceback" not in err and PASSWORD not in err + out
    # the refusal starts its own line after the progress line
    assert_one_line(code, out, err.rstrip("\n").split("\n")[-1] + "\n", secrets=(PASSWORD,))


# --- logs ------------------------------------------------------------------------------------------

def test_logs_are_redacted_after_the_database_opens(caplog, data_dir, leaddesk_file):
    """Once LeadDesk has opened a database, no log record (message or traceback, any
    logger, any handler) carries a password: a URL's, libpq's password=, SQL's PASSWORD '...'."""
    import logging

    from leaddesk.bootstrap import open_database
    from leaddesk.config import load_settings

    db = open_database(load_settings(db_url=f"sqlite:///{leaddesk_file}"))
    db.dispose()
    log = logging.getLogger("leaddesk.test.redaction")
    with caplog.at_level(logging.INFO):
        log.info("syncing with %s", f"postgresql+psycopg://ld_ada:{SECRET}@db.example.com/team")
        log.info("ALTER ROLE ld_ada PASSWORD '%s' LOGIN", SECRET)
        try:
            raise RuntimeError(f"cannot reach host=db password={SECRET} dbname=team")
        except RuntimeError:
            log.exception("sync failed")
    assert "ld_ada:***@db.example.com" in caplog.text and "PASSWORD '***'" in caplog.text
    assert "RuntimeError" in caplog.text  # the traceback is kept, only the password goes
    assert SECRET not in caplog.text
    for record in caplog.records:
        assert SECRET not in record.getMessage()


def test_app_damage_met_while_working_is_a_sentence_not_a_driver_error(data_dir, leaddesk_file):
    """The app's path: the file opens (no check up front), a list then meets the damaged
    page: the services raise a LeadDeskError the window shows as one sentence."""
    from leaddesk.bootstrap import open_database
    from leaddesk.config import load_settings
    from leaddesk.db import DatabaseDamaged
    from leaddesk.services.people import accounts, contacts

    _damage(leaddesk_file, "contact")
    db = open_database(load_settings(db_url=f"sqlite:///{leaddesk_file}"))
    try:
        with pytest.raises(DatabaseDamaged, match="is damaged"):
            contacts.list_contacts(db)
        with pytest.raises(DatabaseDamaged, match="is damaged"):
            contacts.create_contact(db, given_name="Ada", family_name="Lovelace")
        assert accounts.create_account(db, name="Still Works GmbH").id  # the rest of the file is usable
    finally:
        db.dispose()


@pytest.mark.parametrize("password", ["pa\udcffss", "pa\x00ss"])
@pytest.mark.parametrize("command", [["join", "--host", "127.0.0.1", "--port", "1", "--database", "team", "--user",
                                      "rep", "--sslmode", "disable", "--no-remember", "--password-stdin"],
                                     ["sync", "--hub", "postgresql+psycopg://rep@127.0.0.1:1/team",
                                      "--password-stdin"]])
def test_cli_password_on_stdin_that_is_not_text_is_one_line(capsys, data_dir, monkeypatch, leaddesk_file,
                                                            password, command):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    code, out, err = run(capsys, "--db", f"sqlite:///{leaddesk_file}", *command)
    assert_one_line(code, out, err, secrets=(password,))
    assert "not valid text" in err


@pytest.mark.postgres
def test_app_manager_on_the_team_server_reads_a_records_history(data_dir, pg_team):
    """The app opened on the server with a manager's own login: History… of a deal she
    may see answers (the server has no outbox to read, and her login may not read it)."""
    from leaddesk.bootstrap import open_database
    from leaddesk.config import load_settings
    from leaddesk.services.team import history
    from leaddesk.services.pipeline import opportunities as pipeline

    ids, engines, _ = pg_team
    db = open_database(load_settings(db_url=engines["carol"].url.render_as_string(hide_password=False)))
    try:
        pipeline.update_opportunity(db, ids["opp_alice"], None, name="Alice deal, renamed by Carol")
        found = history.record_history(db, "opportunity", ids["opp_alice"])
        assert any(e.field == "name" for e in found.entries), found.entries
    finally:
        db.dispose()


def test_cli_init_without_an_os_login_name_is_no_traceback(capsys, data_dir, monkeypatch, tmp_path):
    """A container's uid with no passwd entry: getpass raises; the first admin is 'admin'."""
    import getpass

    def no_login():
        raise KeyError("getpwuid(): uid not found: 4242")

    monkeypatch.setattr(getpass, "getuser", no_login)
    code, out, err = run(capsys, "--db", f"sqlite:///{tmp_path / 'crm.sqlite3'}", "init")
    assert code == 0, err
    code, out, err = run(capsys, "--db", f"sqlite:///{tmp_path / 'crm.sqlite3'}", "info")
    assert code == 0 and "admin <admin@localhost.localdomain>" in out


@pytest.mark.postgres
def test_cli_refuses_another_applications_postgresql_database(capsys, data_dir, pg_url):
    """The same refusal on PostgreSQL: an existing database of another application gets no
    LeadDesk tables (not even alembic_version)."""
    import uuid

    from sqlalchemy import create_engine, inspect, make_url

    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    name = f"leaddesk_foreign_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    other = create_engine(url)
    try:
        with other.begin() as conn:
            conn.execute(text("CREATE TABLE invoice (id serial PRIMARY KEY, total numeric)"))
        for command in (["init"], ["db", "upgrade"], ["info"]):
            code, out, err = run(capsys, "--db", url, *command)
            assert_one_line(code, out, err)
            assert "is not a LeadDesk database" in err and "invoice" in err
        with other.connect() as conn:
            assert inspect(conn).get_table_names() == ["invoice"]
    finally:
        other.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.parametrize("command", [["init"], ["add-user", "--name", "Ada", "--email", "ada@example.com"],
                                     ["disable-user", "--email", "ada@example.com"], ["purge-history"]])
def test_cli_team_commands_on_a_sqlite_url_are_one_line_and_create_nothing(capsys, data_dir, tmp_path, command):
    before = tree(tmp_path)
    code, out, err = run(capsys, "team", command[0], "--url", f"sqlite:///{tmp_path / 'team.sqlite3'}", *command[1:])
    assert_one_line(code, out, err)
    assert "PostgreSQL" in err
    assert tree(tmp_path) == before


def test_cli_password_in_the_url_query_is_hidden(capsys, data_dir):
    """libpq also takes ?password=...; SQLAlchemy's hide_password does not cover it."""
    code, out, err = run(capsys, "--db", f"postgresql+psycopg://rep@127.0.0.1:1/team?password={SECRET}&sslmode=disable",
                         "info")
    assert_one_line(code, out, err)
    assert "password=***" in err and "sslmode=disable" in err
