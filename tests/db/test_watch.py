"""Changes made by another installation are noticed (LISTEN/NOTIFY or data_version)."""

from __future__ import annotations

import threading
import time

from leaddesk.services.people import accounts
from leaddesk.services.watch import watch_changes


def test_watch_notices_another_users_write(db, make_db):
    seen: list = []
    got = threading.Event()
    stop = threading.Event()

    def on_change(tables):
        seen.append(tables)
        got.set()

    thread = threading.Thread(target=watch_changes, args=(db, on_change, stop),
                              kwargs={"poll_seconds": 0.1, "settle_seconds": 0.1}, daemon=True)
    thread.start()
    try:
        time.sleep(0.5)  # let it LISTEN / read the first data_version
        other = make_db()
        accounts.create_account(other, name="Made elsewhere")
        assert got.wait(5), "no change noticed within 5 s"
    finally:
        stop.set()
        thread.join(5)
    tables = seen[0]
    assert tables is None or "account" in tables
    assert not thread.is_alive()


def test_watch_ignores_this_apps_own_writes(db):
    seen: list = []
    stop = threading.Event()
    thread = threading.Thread(target=watch_changes, args=(db, seen.append, stop),
                              kwargs={"poll_seconds": 0.1, "settle_seconds": 0.1}, daemon=True)
    thread.start()
    try:
        time.sleep(0.5)
        accounts.create_account(db, name="Made here")
        time.sleep(1.0)
    finally:
        stop.set()
        thread.join(5)
    assert seen == []
