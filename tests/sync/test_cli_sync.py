"""`leaddesk sync`: two laptops converge through the team server from the command line."""

from __future__ import annotations

from leaddesk import cli
from leaddesk.services.people import accounts


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_sync_two_laptops_converge(capsys, tmp_path, monkeypatch, hub, hub_url):
    monkeypatch.setenv("LEADDESK_DATA_DIR", str(tmp_path / "data"))
    laptop_a = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    laptop_b = f"sqlite:///{tmp_path / 'b.sqlite3'}"
    assert run(capsys, "--db", laptop_a, "init", "--admin-name", "Ada", "--admin-email", "ada@example.com")[0] == 0
    code, out, _ = run(capsys, "--db", laptop_a, "sync", "--hub", hub_url)
    assert code == 0 and "Pending changes: 0" in out
    assert run(capsys, "--db", laptop_b, "db", "upgrade")[0] == 0
    code, out, _ = run(capsys, "--db", laptop_b, "sync", "--hub", hub_url)
    assert code == 0 and "received" in out
    from leaddesk.db import Database, WriteContext, make_engine
    import uuid

    db_b = Database(make_engine(laptop_b), WriteContext(node=uuid.uuid4()))
    try:
        accounts.create_account(db_b, name="Made on laptop B")
    finally:
        db_b.dispose()
    code, out, _ = run(capsys, "--db", laptop_b, "sync", "--status")
    assert "Pending changes: 1" in out
    assert run(capsys, "--db", laptop_b, "sync", "--hub", hub_url)[0] == 0
    assert run(capsys, "--db", laptop_a, "sync", "--hub", hub_url)[0] == 0
    db_a = Database(make_engine(laptop_a), WriteContext(node=uuid.uuid4()))
    try:
        assert [a.name for a in accounts.list_accounts(db_a).items] == ["Made on laptop B"]
    finally:
        db_a.dispose()


def test_cli_sync_unreachable_hub_is_one_line_and_keeps_the_outbox(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("LEADDESK_DATA_DIR", str(tmp_path / "data"))
    laptop = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    run(capsys, "--db", laptop, "init")
    code, _, err = run(capsys, "--db", laptop, "sync", "--hub", "postgresql+psycopg://postgres@127.0.0.1:1/x")
    assert code == 2 and err.startswith("leaddesk: error: ") and err.count("\n") == 1
    code, out, _ = run(capsys, "--db", laptop, "sync", "--status")
    assert "Pending changes: 0" not in out  # what init wrote is still waiting
