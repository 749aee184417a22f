"""The team from the command line: `team init`, `team add-user`, `join`, `sync`,
`team disable-user`, on a fresh PostgreSQL database."""

from __future__ import annotations

import io
import uuid

import pytest
from sqlalchemy import create_engine, text

from leaddesk import cli
from tests.conftest import PG_URL
from tests.sync.test_team_join import memory_keyring  # noqa: F401 - fixture

pytestmark = pytest.mark.postgres


def run(capsys, *argv, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def team_db():
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"leaddesk_cli_team_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name)
    logins: list[str] = []
    yield url, logins
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        for login in logins:
            conn.execute(text(f'DROP ROLE IF EXISTS "{login}"'))
    admin.dispose()


def test_cli_team_setup_join_sync_and_offboarding(capsys, monkeypatch, tmp_path, team_db, memory_keyring):  # noqa: F811
    url, logins = team_db
    su = url.render_as_string(hide_password=False)
    code, out, err = run(capsys, "team", "init", "--url", su, "--admin-email", "boss@example.com",
                         "--admin-name", "Boss")
    assert code == 0, err
    assert "row-level security installed" in out
    login = f"ld_cli_{uuid.uuid4().hex[:6]}"
    logins.append(login)
    code, out, err = run(capsys, "team", "add-user", "--url", su, "--name", "Rita Rep", "--email",
                         "rita@example.com", "--role", "rep", "--team", "North", "--login", login)
    assert code == 0, err
    password = out.split("Password (shown once; they enter it at `leaddesk join`): ")[1].strip()
    assert login in out and len(password) >= 16

    monkeypatch.setenv("LEADDESK_DATA_DIR", str(tmp_path / "rita"))
    monkeypatch.delenv("LEADDESK_HUB", raising=False)
    code, out, err = run(capsys, "join", "--host", url.host, "--port", str(url.port or 5432), "--database",
                         url.database, "--user", login, "--sslmode", "disable", "--password-stdin",
                         stdin=password + "\n", monkeypatch=monkeypatch)
    assert code == 0, err
    assert "Joined as Rita Rep <rita@example.com> (rep)" in out and "keyring" in out

    from leaddesk.bootstrap import open_database
    from leaddesk.config import load_settings
    from leaddesk.services.people import contacts

    db = open_database(load_settings())
    try:
        contacts.create_contact(db, given_name="Met", family_name="AtTheFair", owner_id=db.write.actor_id)
    finally:
        db.dispose()
    code, out, err = run(capsys, "sync")  # the profile and the keyring's password
    assert code == 0, err
    assert "Sent " in out and "Pending changes: 0" in out
    with create_engine(su).connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM contact WHERE family_name = 'AtTheFair'")) == 1

    code, out, err = run(capsys, "team", "disable-user", "--url", su, "--email", "rita@example.com")
    assert code == 0 and "disabled" in out
    code, out, err = run(capsys, "sync")
    assert code == 2 and "leaddesk: error:" in err  # the login no longer works; one clear line


def test_cli_team_init_needs_a_superuser_and_says_so(capsys, team_db):
    url, logins = team_db
    login = f"ld_cli_{uuid.uuid4().hex[:6]}"
    logins.append(login)
    su = url.render_as_string(hide_password=False)
    with create_engine(su, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'CREATE ROLE "{login}" LOGIN'))
        conn.execute(text(f'GRANT ALL ON DATABASE "{url.database}" TO "{login}"'))
        conn.execute(text(f'GRANT ALL ON SCHEMA public TO "{login}"'))
    code, _, err = run(capsys, "team", "init", "--url", url.set(username=login).render_as_string(hide_password=False))
    assert code == 2 and "superuser" in err and err.count("\n") == 1
    with create_engine(su).connect() as conn:  # nothing half-written: not even the schema
        assert conn.scalar(text("SELECT to_regclass('public.alembic_version')")) is None
