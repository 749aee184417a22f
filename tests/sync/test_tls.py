"""The connection profile's TLS options against a real TLS PostgreSQL server: a throwaway
cluster of this machine's PostgreSQL binaries, accepting only TLS (``hostssl``), with a
certificate for ``localhost`` from a test CA (trustme). A rep joins with ``verify-full`` and
the team's CA; a wrong CA, a host name the certificate does not name, no TLS at all, or a
missing CA file each fail with a message that says what to fix, and leave nothing behind
(no profile, no password, an empty laptop database)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
import trustme
from sqlalchemy import make_url, text

from leaddesk.bootstrap import open_database
from leaddesk.config import Settings, TeamProfile, load_profile
from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.errors import DatabaseUnavailable, ValidationError
from leaddesk.services.people import contacts
from leaddesk.services.team import admin as team_admin, join as team_join, sync as team_sync, users
from tests.sync.test_team_join import memory_keyring  # noqa: F401 - fixture

pytestmark = pytest.mark.postgres

PASSWORD = "tls-s3cret-pass"


def _pg_bin() -> Path:
    out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
    if out.returncode == 0 and (Path(out.stdout.strip()) / "initdb").exists():
        return Path(out.stdout.strip())
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL's server binaries (initdb, pg_ctl) are needed for the TLS tests")
    return found[-1].parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TLSServer:
    """A PostgreSQL cluster in a temporary folder that only speaks TLS."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="ld-tls-"))
        self.bin = _pg_bin()
        self.port = _free_port()
        self.ca = trustme.CA(organization_name="LeadDesk test team CA")
        self.ca_file = self.dir / "team-ca.crt"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.ca_file.chmod(0o644)
        # the server's process runs as the owner of the data folder: never root
        self.user = "postgres" if os.geteuid() == 0 else None
        data = self.dir / "data"
        self._run(str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync",
                  "--no-instructions", prepare=True)
        cert = self.ca.issue_cert("localhost")
        cert.cert_chain_pems[0].write_to_path(str(data / "server.crt"))
        cert.private_key_pem.write_to_path(str(data / "server.key"))
        (data / "pg_hba.conf").write_text("hostssl all all 127.0.0.1/32 trust\nhostssl all all ::1/128 trust\n")
        self._own(data)
        (data / "server.key").chmod(0o600)
        self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.dir / "server.log"), "-w", "-t", "30",
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=localhost -c ssl=on -c fsync=off",
                  "start")
        self.data = data

    def _own(self, path: Path) -> None:
        if self.user:
            entry = pwd.getpwnam(self.user)
            for p in [path, *path.rglob("*")]:
                os.chown(p, entry.pw_uid, entry.pw_gid)

    def _run(self, *argv: str, prepare: bool = False) -> None:
        if prepare and self.user:
            self._own(self.dir)
        cmd = ["runuser", "-u", self.user, "--", *argv] if self.user else list(argv)
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            log = self.dir / "server.log"
            raise RuntimeError(f"{' '.join(argv[:1])} failed: {done.stderr or done.stdout}"
                               f"{log.read_text() if log.exists() else ''}")

    def url(self, database: str = "postgres", **query) -> str:
        q = "&".join(f"{k}={v}" for k, v in {"sslmode": "require", **query}.items())
        return f"postgresql+psycopg://postgres@localhost:{self.port}/{database}?{q}"

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def tls_team():
    """The TLS server with a LeadDesk team database and Rita, a rep with her own login."""
    server = TLSServer()
    login = "ld_tls_rita"
    try:
        admin = make_engine(server.url())
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CREATE DATABASE leaddesk_tls"))
        admin.dispose()
        su_url = server.url("leaddesk_tls")
        team_admin.init_team_database(su_url, admin_name="Tess Admin", admin_email="tess@example.com")
        db = Database(make_engine(su_url), WriteContext(node=uuid.uuid4()))
        try:
            rita = users.create_user(db, "Rita Rep", "rita@example.com", role="rep")
            team_admin.create_login(db, rita.id, password=PASSWORD, name=login)
        finally:
            db.dispose()
        yield server, login
    finally:
        server.stop()


def _profile(server: TLSServer, login: str, **kw) -> TeamProfile:
    values = {"host": "localhost", "port": server.port, "database": "leaddesk_tls", "user": login,
              "sslmode": "verify-full", "sslrootcert": str(server.ca_file), **kw}
    return TeamProfile(**values)


def _nothing_left(settings: Settings, profile: TeamProfile) -> None:
    assert load_profile(settings.data_dir) is None
    assert team_join.stored_password(profile) is None
    assert not (settings.data_dir / "leaddesk.sqlite3").exists() or _empty(settings)


def _empty(settings: Settings) -> bool:
    from leaddesk.sync.protocol import entities

    db = open_database(settings)
    try:
        with db.engine.connect() as conn:
            return all(conn.scalar(text(f"SELECT count(*) FROM {name}")) == 0 for name in entities())
    finally:
        db.dispose()


def test_a_rep_joins_over_verified_tls_and_the_session_is_encrypted(tls_team, tmp_path, memory_keyring):  # noqa: F811
    server, login = tls_team
    settings = Settings(data_dir=tmp_path / "rita")
    profile = _profile(server, login)
    result = team_join.join(settings, profile, PASSWORD)
    assert result.user_email == "rita@example.com" and result.password_stored
    assert load_profile(settings.data_dir).sslmode == "verify-full"
    url = team_join.hub_url(settings)
    assert make_url(url).query == {"sslmode": "verify-full", "sslrootcert": str(server.ca_file)}
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) is True
    finally:
        engine.dispose()
    # and the laptop syncs over it: a lead captured offline reaches the server
    db = open_database(settings)
    try:
        contacts.create_contact(db, given_name="Tuğba", family_name="Şen", owner_id=db.write.actor_id)
        summary = team_sync.sync_with_hub(db, url, backup_dir=tmp_path / "backups")
        assert summary.sent > 0 and summary.pending_after == 0
    finally:
        db.dispose()


@pytest.mark.parametrize("case, change, error, hint", [
    ("another CA", "wrong_ca", DatabaseUnavailable, "not signed by the certificate authority"),
    ("a name the certificate does not name", {"host": "127.0.0.1"}, DatabaseUnavailable, "does not name the host"),
    ("no TLS", {"sslmode": "disable", "sslrootcert": None}, DatabaseUnavailable, "accepts only encrypted"),
    ("no CA given", {"sslrootcert": None}, DatabaseUnavailable, "give the team's certificate authority file"),
    ("a CA file that is not there", {"sslrootcert": "/nowhere/team-ca.crt"}, ValidationError,
     "certificate authority file /nowhere/team-ca.crt does not exist"),
])
def test_tls_failures_say_what_to_fix_and_leave_nothing_behind(tls_team, tmp_path, memory_keyring,  # noqa: F811
                                                               monkeypatch, case, change, error, hint):
    server, login = tls_team
    if change == "wrong_ca":
        other = tmp_path / "other-ca.crt"
        trustme.CA().cert_pem.write_to_path(str(other))
        change = {"sslrootcert": str(other)}
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.postgresql/root.crt to fall back on
    settings = Settings(data_dir=tmp_path / "rita")
    profile = _profile(server, login, **change)
    with pytest.raises(error) as failed:
        team_join.join(settings, profile, PASSWORD)
    message = str(failed.value)
    assert hint in message, message
    assert PASSWORD not in message
    _nothing_left(settings, profile)


def test_require_encrypts_without_checking_the_name(tls_team, tmp_path, memory_keyring):  # noqa: F811
    """``require``: encrypted, the certificate unchecked (a documented, weaker choice)."""
    server, login = tls_team
    settings = Settings(data_dir=tmp_path / "rita")
    result = team_join.join(settings, _profile(server, login, host="127.0.0.1", sslmode="require",
                                               sslrootcert=None), PASSWORD)
    assert result.user_email == "rita@example.com"
