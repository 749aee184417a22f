"""Notice changes made by others (another user on the shared PostgreSQL, or another
process on the same SQLite file) so the views can refresh. No Qt: the UI runs
:func:`watch_changes` on a background thread and turns callbacks into signals.

* PostgreSQL: ``LISTEN leaddesk_changes``; triggers (migration 0003) send the table name.
* SQLite: ``PRAGMA data_version`` changes when another connection commits; polled.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psycopg

from leaddesk.db import Database

CHANNEL = "leaddesk_changes"


def watch_changes(db: Database, on_change: Callable[[frozenset[str] | None], None], stop: threading.Event, *,
                  poll_seconds: float = 1.0, settle_seconds: float = 0.3) -> None:
    """Call ``on_change(tables)`` (``None`` = unknown which) until ``stop`` is set.

    Notifications arriving within ``settle_seconds`` are merged into one call. Connection
    failures are retried every few seconds rather than raised: watching is best-effort and
    must never take the app down.
    """
    while not stop.is_set():
        try:
            if db.dialect == "postgresql":
                _watch_pg(db, on_change, stop, settle_seconds)
            else:
                _watch_sqlite(db, on_change, stop, poll_seconds)
        except Exception:  # noqa: BLE001 - lost connection: wait, then listen again
            stop.wait(3.0)


def _watch_pg(db: Database, on_change, stop: threading.Event, settle: float) -> None:
    url = db.engine.url
    conninfo = psycopg.conninfo.make_conninfo(
        host=url.host or "", port=url.port or 5432, dbname=url.database or "", user=url.username or "",
        password=url.password or "", connect_timeout=5,
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"LISTEN {CHANNEL}")
        while not stop.is_set():
            tables: set[str] = set()
            for note in conn.notifies(timeout=0.5, stop_after=1):
                if note.pid not in db.own_backend_pids:  # our own writes are not news
                    tables.add(note.payload)
            if not tables:
                continue
            deadline = time.monotonic() + settle
            while time.monotonic() < deadline:
                for note in conn.notifies(timeout=max(deadline - time.monotonic(), 0.01)):
                    if note.pid not in db.own_backend_pids:
                        tables.add(note.payload)
            on_change(frozenset(tables))


def _watch_sqlite(db: Database, on_change, stop: threading.Event, poll: float) -> None:
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        last = raw.execute("PRAGMA data_version").fetchone()[0]
        while not stop.wait(poll):
            now = raw.execute("PRAGMA data_version").fetchone()[0]
            if now != last:
                last = now
                # Our own commits move data_version too; skip those echoes. (A write by
                # another process in the same instant is picked up by the next change.)
                if time.monotonic() - db.last_local_commit > 2 * poll:
                    on_change(None)
