"""Issue #9, point 6: what LeadDesk writes on a laptop is private to its user. On POSIX
the data folder is 0700 and every file in it 0600 (the replica, its -wal/-shm, its
backups, node_id, team.json) under the usual umask 022 (even 000), and what an older
LeadDesk left readable is tightened when it starts. Through the real command line."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from leaddesk import cli, migrate
from leaddesk.config import TeamProfile, load_settings, node_id, save_profile
from leaddesk.db import make_engine

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask022", "umask000"])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("LEADDESK_DATA_DIR", str(folder))
    for name in ("LEADDESK_DB", "LEADDESK_HUB", "LEADDESK_USER"):
        monkeypatch.delenv(name, raising=False)
    return folder


def assert_private(folder: Path) -> None:
    """The folder 0700, every file under it 0600, every folder under it 0700."""
    assert mode(folder) == 0o700, oct(mode(folder))
    for entry in folder.rglob("*"):
        expected = 0o700 if entry.is_dir() else 0o600
        assert mode(entry) == expected, (entry, oct(mode(entry)))


def test_files_init_in_the_default_data_folder_are_private(umask, data_dir, capsys):
    code = cli.main(["init", "--admin-name", "Ada", "--admin-email", "ada@example.com"])
    assert code == 0, capsys.readouterr().err
    db_file = data_dir / "leaddesk.sqlite3"
    assert db_file.is_file() and (data_dir / "node_id").is_file()
    assert_private(data_dir)


def test_files_wal_and_shm_of_an_open_replica_are_private(umask, data_dir, capsys):
    from leaddesk.bootstrap import open_database

    assert cli.main(["init"]) == 0
    db = open_database(load_settings())
    try:
        from leaddesk.services.people import accounts

        accounts.create_account(db, name="Private GmbH")  # a write: SQLite opens -wal and -shm
        side = [p for p in data_dir.iterdir() if p.name.endswith(("-wal", "-shm"))]
        assert side, list(data_dir.iterdir())
        for path in side:
            assert mode(path) == 0o600, (path, oct(mode(path)))
    finally:
        db.dispose()


def test_files_backups_are_private(umask, tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    migrate.upgrade(engine)
    copy = migrate.backup_sqlite(engine, tmp_path / "backups", keep=3, reason="pre-sync")
    engine.dispose()
    assert copy is not None and copy.is_file()
    assert mode(tmp_path / "backups") == 0o700
    assert mode(copy) == 0o600
    assert mode(tmp_path / "crm.sqlite3") == 0o600


def test_files_team_profile_and_node_id_are_private(umask, data_dir):
    path = save_profile(data_dir, TeamProfile(host="db.example.com", database="team", user="ld_ada"))
    assert mode(path) == 0o600 and mode(data_dir) == 0o700
    node_id(load_settings())
    assert mode(data_dir / "node_id") == 0o600
    assert not list(data_dir.glob("*.tmp"))


def test_files_sqlite_given_elsewhere_gets_a_private_new_folder_and_file(umask, data_dir, tmp_path, capsys):
    target = tmp_path / "work" / "crm.sqlite3"
    assert cli.main(["--db", f"sqlite:///{target}", "init"]) == 0
    assert mode(target.parent) == 0o700
    assert mode(target) == 0o600


def test_files_left_readable_by_an_older_leaddesk_are_tightened_at_start(data_dir, sqlite_template, capsys):
    """A data folder from before: 0755 with 0644 files. Even `info` (which only reads and
    creates nothing) leaves it private."""
    old = os.umask(0o022)
    try:
        (data_dir / "backups").mkdir(parents=True)
        shutil.copyfile(sqlite_template, data_dir / "leaddesk.sqlite3")
        shutil.copyfile(sqlite_template, data_dir / "backups" / "leaddesk-20260101T000000Z-pre-sync.sqlite3")
        (data_dir / "node_id").write_text("0b7c3f8e-3a51-4c55-9c1e-2d5b1c7e9f10")
        (data_dir / "team.json").write_text('{"host": "h", "database": "d", "user": "u"}')
        (data_dir / "leaddesk.sqlite3-wal").write_bytes(b"")
        for path in [data_dir, data_dir / "backups"]:
            path.chmod(0o755)
        for path in data_dir.rglob("*"):
            if path.is_file():
                path.chmod(0o644)
        code = cli.main(["info"])
        assert code == 0, capsys.readouterr().err
    finally:
        os.umask(old)
    assert_private(data_dir)


def test_files_shared_sticky_folder_is_not_tightened(tmp_path, monkeypatch, capsys):
    """LEADDESK_DATA_DIR pointed at a shared folder like /tmp: its files are LeadDesk's and
    private, the folder itself keeps its modes."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    monkeypatch.setenv("LEADDESK_DATA_DIR", str(shared))
    monkeypatch.delenv("LEADDESK_DB", raising=False)
    assert cli.main(["init"]) == 0
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o1777
    assert mode(shared / "leaddesk.sqlite3") == 0o600 and mode(shared / "node_id") == 0o600


def test_files_someone_elses_file_is_not_chmodded(tmp_path):
    """Tightening never touches what is not ours (we cannot chmod it; nor do we try)."""
    from leaddesk import files

    if os.geteuid() != 0:
        pytest.skip("needs root to make a file owned by someone else")
    path = tmp_path / "theirs"
    path.write_text("x")
    path.chmod(0o644)
    os.chown(path, 12345, 12345)
    files.tighten_file(path)
    assert mode(path) == 0o644
    os.chown(path, os.geteuid(), os.getegid())
    files.tighten_file(path)
    assert mode(path) == 0o600


def test_files_db_upgrade_leaves_an_old_readable_file_private(umask, data_dir, tmp_path, sqlite_template, capsys):
    path = tmp_path / "old.sqlite3"
    shutil.copyfile(sqlite_template, path)
    path.chmod(0o644)
    assert cli.main(["--db", f"sqlite:///{path}", "db", "upgrade"]) == 0
    assert mode(path) == 0o600
