"""First join and resync: everything this user may see, downloaded whole from the hub.

A new laptop joins (:func:`join`) with one REPEATABLE READ read of every visible row and
its clocks; a laptop that last pulled before the hub trimmed its change log resyncs
(:func:`resync`) the same way, over its own rows, purging what the hub no longer shows and
merging its unsent edits back in. Apart from :mod:`leaddesk.sync.snapshot` (the row
reading and writing both use) because only these two steps read the whole hub at once,
and only the resync needs the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from leaddesk.clock import pack
from leaddesk.db import Database
from leaddesk.models import FieldVersion, Outbox
from leaddesk.models.journal import ROW_CREATED
from leaddesk.models.search import upsert_sql
from leaddesk.sync import merge
from leaddesk.sync.outbox import outbox_changes
from leaddesk.sync.protocol import MAX_SKEW_MS, entities, entity
from leaddesk.sync.snapshot import (
    LAST_ACCESS,
    REFRESH_OWED,
    RefreshStats,
    _chunks,
    _observe,
    _pending_ids,
    _put,
    _reading,
    hub_clocks,
    hub_rows,
    mirror_writes,
    purge,
    replace_clocks,
    server_millis,
    write_rows,
)

_fv = FieldVersion.__table__
_outbox = Outbox.__table__


LAST_PULLED = "last_pulled_seq"

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class JoinStats:
    rows: int
    last_seq: int
    tables: dict[str, int]
    #: Resync: local rows removed because the hub no longer shows them.
    purged: int = 0


def join(db: Database, hub_engine, *, progress: Progress | None = None) -> JoinStats:
    """Download everything this user may see into an EMPTY replica."""
    with _reading(db) as conn:
        for spec in entities().values():
            if conn.scalar(select(func.count()).select_from(spec.table)):
                from leaddesk.errors import ValidationError

                raise ValidationError(
                    "This laptop's LeadDesk database already holds data, so it cannot become a copy of the "
                    "team's. Move it aside (or start LeadDesk with another data folder) and join again.",
                    field="db")
    return _download(db, hub_engine, progress=progress, resync=False)


def history_horizon(hub_engine) -> int:
    """The last seq the hub's change log no longer holds (0: never trimmed)."""
    with hub_engine.connect() as hc:
        return int(hc.scalar(text("SELECT ld_history_horizon()")) or 0)


def resync(db: Database, hub_engine, *, progress: Progress | None = None) -> JoinStats:
    """Non-destructive resync of a replica that last pulled before the hub trimmed its
    change log (sync notes 3.7): every row this user sees, as the hub holds it, with its
    clocks, written over the local copy; local rows the hub no longer shows are purged
    (rows created here and not yet pushed stay); then the unsent edits in the outbox are
    merged back in, so the laptop still shows them until they are pushed."""
    return _download(db, hub_engine, progress=progress, resync=True)


def _download(db: Database, hub_engine, *, progress: Progress | None, resync: bool) -> JoinStats:
    names = sorted(entities(), key=lambda n: entity(n).rank)
    counts: dict[str, int] = {}
    top = 0
    stats = RefreshStats()
    with hub_engine.connect() as hc, hc.begin():
        hc.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        last_seq = int(hc.scalar(text("SELECT ld_max_seq()")) or 0)
        last_access = int(hc.scalar(text("SELECT coalesce(max(seq), 0) FROM access_change")) or 0)
        server_ms = server_millis(hc)
        limit = pack(server_ms + MAX_SKEW_MS)  # (see _observe)
        with mirror_writes(db) as conn:
            from leaddesk.models.search import set_bulk_active

            raw = conn.connection.driver_connection
            set_bulk_active(raw, True)
            try:
                for i, name in enumerate(names):
                    if progress:
                        progress(f"Downloading {name.replace('_', ' ')}", i, len(names))
                    rows = hub_rows(hc, name)
                    clocks = hub_clocks(hc, name)
                    write_rows(conn, name, rows)
                    got = [r["id"] for r in rows]
                    if resync:
                        replace_clocks(conn, name, sorted(got), clocks)
                        local = entity(name).table
                        gone = set(conn.scalars(select(local.c.id))) - set(got) - _pending_ids(conn, name)
                        purge(conn, name, sorted(gone), stats)
                    else:
                        for chunk in _chunks(clocks, 1000):
                            conn.execute(sqlite.insert(_fv).on_conflict_do_nothing(), chunk)
                    counts[name] = len(rows)
                    top = max([top, *(h for h in (*(r["hlc"] for r in rows), *(c["hlc"] for c in clocks))
                                      if h <= limit)])
            finally:
                set_bulk_active(raw, False)
            if resync:
                _merge_outbox(conn)
                _put(conn, REFRESH_OWED, "[]")  # everything is fresh
            sql = upsert_sql("sqlite")
            conn.execute(text(sql["account"].format(where="true")))
            conn.execute(text(sql["contact"].format(where="true")))
            conn.execute(text(sql["opportunity"].format(where="true")))
            _put(conn, LAST_PULLED, last_seq)
            _put(conn, LAST_ACCESS, last_access)
            _observe(db, conn, [top], server_ms)
    if progress:
        progress("Downloaded", len(names), len(names))
    return JoinStats(sum(counts.values()), last_seq, counts, stats.purged)


def _merge_outbox(conn: Connection) -> None:
    """Merge the unsent edits back into the rows just downloaded (by the same LWW rule the
    hub will apply when they are pushed)."""
    from leaddesk.sync._row_store import RowStore

    changes = outbox_changes(conn, _outbox.c.field != ROW_CREATED)
    if not changes:
        return
    store = RowStore(conn, hub=False)
    store.load((c.entity, c.row_id) for c in changes)
    for c in changes:
        store.apply(c, merge.Stamp(c.hlc, c.node))
    store.flush()
