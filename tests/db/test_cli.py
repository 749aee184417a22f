"""The command line, run in-process against real databases of both engines."""

from __future__ import annotations

import json

import pytest

from leaddesk import cli


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_init_then_info_json(db_url, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("LEADDESK_DATA_DIR", str(tmp_path / "data"))
    code, out, _ = run(capsys, "--db", db_url, "init", "--admin-name", "Ada", "--admin-email", "ada@example.com")
    assert code == 0 and "Seeded" in out
    code, out, _ = run(capsys, "--db", db_url, "init")
    assert code == 0 and "Seeded" not in out  # idempotent
    code, out, _ = run(capsys, "--db", db_url, "info", "--json")
    info = json.loads(out)
    assert code == 0
    assert info["up_to_date"] is True
    assert info["counts"]["pipeline_stage"] == 5
    assert info["counts"]["app_user"] == 1
    assert info["acting_user"] == "Ada <ada@example.com>"


@pytest.mark.parametrize(
    "url, needle",
    [
        ("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", "Cannot connect to PostgreSQL at 127.0.0.1:1"),
        ("mysql://root@localhost/x", "SQLite or PostgreSQL"),
        ("not a url", "is not a database URL"),
    ],
)
def test_cli_bad_database_url_is_one_clear_line(capsys, url, needle, tmp_path, monkeypatch):
    monkeypatch.setenv("LEADDESK_DATA_DIR", str(tmp_path))
    code, out, err = run(capsys, "--db", url, "info")
    assert code == 2
    assert needle in err
    assert err.startswith("leaddesk: error: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_cli_info_on_uninitialised_file_says_to_upgrade(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("LEADDESK_DATA_DIR", str(tmp_path))
    code, _, err = run(capsys, "--db", f"sqlite:///{tmp_path / 'new.sqlite3'}", "info")
    assert code == 2 and "leaddesk db upgrade" in err


def test_cli_db_upgrade_reports_and_is_idempotent(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("LEADDESK_DATA_DIR", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    code, out, _ = run(capsys, "--db", url, "db", "upgrade")
    assert code == 0 and "upgraded from empty" in out
    code, out, _ = run(capsys, "--db", url, "db", "upgrade")
    assert code == 0 and "already at" in out
    code, out, _ = run(capsys, "--db", url, "db", "current")
    assert out.strip() != "" and "empty" not in out
