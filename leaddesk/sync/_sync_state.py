"""The replica's own keys in ``sync_state``: how far it has pulled, and its highest clock.

Read and written by the client (:mod:`leaddesk.sync.client`) and by the outbox
(:mod:`leaddesk.sync.outbox`: an unsent edit with no recorded base is based on the pull
cursor; re-stamping stores the clock). Apart from the client because the outbox sits
below it and reads them too.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from leaddesk.models import SyncState

_state = SyncState.__table__

LAST_PULLED = "last_pulled_seq"
CLOCK = "hlc"  # = snapshot.CLOCK


def _get(conn: Connection, key: str) -> str | None:
    return conn.scalar(select(_state.c.value).where(_state.c.key == key))


def _put(conn: Connection, key: str, value: object) -> None:
    ins = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(_state)
    conn.execute(ins.values(key=key, value=str(value)).on_conflict_do_update(
        index_elements=["key"], set_={"value": str(value)}))


def _last_pulled(conn: Connection) -> int:
    return int(_get(conn, LAST_PULLED) or 0)
