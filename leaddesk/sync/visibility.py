"""After each pull: rows whose visibility changed, and the count check.

The hub records in ``access_change`` every row whose owner changed (and every user whose
team or role did); :func:`follow_access_changes` refreshes those rows here, or checks
everything. :func:`verify` compares, per table, the count and a hash of the ids this user
sees on the hub with the ones held here, and repairs a mismatch by the refresh and purge
of :mod:`leaddesk.sync.snapshot`. Apart from that module because both only decide which
rows to refresh; the refresh itself is the snapshot's.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from leaddesk.db import Database
from leaddesk.models import Outbox, access
from leaddesk.sync.protocol import entities, entity
from leaddesk.sync.snapshot import (
    LAST_ACCESS,
    RefreshStats,
    _children,
    _chunks,
    _get,
    _pending_ids,
    _put,
    _reading,
    refresh,
)

_outbox = Outbox.__table__


def id_digest(ids: Iterable[uuid.UUID]) -> str:
    """md5 of the ids' text joined by commas in uuid order: what :func:`hub_digest`
    computes on the hub (PostgreSQL orders uuids bytewise, as Python compares them)."""
    return hashlib.md5(",".join(str(i) for i in sorted(ids)).encode(), usedforsecurity=False).hexdigest()


def hub_digest(conn: Connection, name: str) -> tuple[int, str, str]:
    """Count, digest of the ids and digest of the deleted ids (:func:`id_digest`) of what
    this login sees of a table on the hub."""
    row = conn.execute(text(
        "SELECT count(*), md5(coalesce(string_agg(id::text, ',' ORDER BY id), '')), "
        "md5(coalesce(string_agg(id::text, ',' ORDER BY id) FILTER (WHERE deleted), '')) "
        f"FROM {entity(name).table.name}")).one()
    return int(row[0]), row[1], row[2]


def follow_access_changes(db: Database, hub_engine) -> RefreshStats:
    """Re-check rows whose owner changed (or everything, when a user's team or role did)."""
    with _reading(db) as conn:
        since = int(_get(conn, LAST_ACCESS) or 0)
    with hub_engine.connect() as hc:
        rows = hc.execute(text("SELECT seq, entity, row_id FROM access_change WHERE seq > :s ORDER BY seq"),
                          {"s": since}).all()
    if not rows:
        return RefreshStats()
    keys: dict[str, set[uuid.UUID]] = {}
    everything = False
    for r in rows:
        if r.entity == "app_user":
            everything = True
        elif r.entity in access.RULES:
            keys.setdefault(r.entity, set()).add(r.row_id)
    stats = verify(db, hub_engine).repaired if everything else RefreshStats()
    if keys:
        # children follow their parent: refresh them too
        for parent, kids in _children().items():
            for child, fk in kids:
                if parent in keys:
                    keys.setdefault(child, set()).update(_child_ids(db, hub_engine, child, fk, keys[parent]))
        stats.add(refresh(db, hub_engine, keys))
    with db.engine.begin() as conn:
        _put(conn, LAST_ACCESS, rows[-1].seq)
    return stats


def _child_ids(db, hub_engine, child: str, fk: str, parents: set[uuid.UUID]) -> set[uuid.UUID]:
    local = entity(child).table
    ids: set[uuid.UUID] = set()
    with _reading(db) as conn:
        for chunk in _chunks(sorted(parents)):
            ids |= set(conn.scalars(select(local.c.id).where(local.c[fk].in_(chunk))))
    with hub_engine.connect() as hc:
        for chunk in _chunks(sorted(parents)):
            ids |= set(hc.scalars(select(local.c.id).where(local.c[fk].in_(chunk))))
    return ids


@dataclass
class VerifyResult:
    checked: int = 0
    mismatched: list[str] = field(default_factory=list)
    repaired: RefreshStats = field(default_factory=RefreshStats)

    @property
    def ok(self) -> bool:
        return not self.mismatched


def verify(db: Database, hub_engine, *, repair: bool = True) -> VerifyResult:
    """Per table: count and id hash of what this user sees on the hub vs. held here, and
    the hash of the ids marked deleted (a row deleted here but not on the hub, or the
    other way round, as a forged or lost deletion leaves it, is found and repaired too).
    Rows with unsent changes here are left out: the hub cannot know them yet."""
    result = VerifyResult()
    diffs: dict[str, set[uuid.UUID]] = {}
    with hub_engine.connect() as hc, _reading(db) as lc:
        for name, spec in entities().items():
            t = spec.table
            count, digest, deleted_digest = hub_digest(hc, name)
            rows = dict(lc.execute(select(t.c.id, t.c.deleted)).all())
            pending = _pending_ids(lc, name)
            local = set(rows) - pending
            deleted = {i for i in local if rows[i]}
            result.checked += 1
            same_ids = count == len(local) and digest == id_digest(local)
            same_deleted = deleted_digest == id_digest(deleted)
            unsent = set() if same_deleted else _unsent_rows(lc, name)
            if same_ids and (same_deleted or not _deleted_differs(hc, t, deleted, unsent)):
                continue
            result.mismatched.append(name)
            if repair:
                diffs[name] = (set(hc.scalars(select(t.c.id))) ^ local) | _deleted_diff(hc, t, deleted, unsent)
    for name, ids in diffs.items():
        result.repaired.add(refresh(db, hub_engine, {name: ids}))
    return result


def _unsent_rows(conn: Connection, name: str) -> set[uuid.UUID]:
    """Rows with any change still in the outbox (their deleted flag may differ for now)."""
    return set(conn.scalars(select(_outbox.c.row_id).where(_outbox.c.entity == name).distinct()))


def _deleted_diff(hc: Connection, table, deleted: set[uuid.UUID], unsent: set[uuid.UUID]) -> set[uuid.UUID]:
    """Rows whose deleted flag here differs from the hub's (rows with unsent changes here
    left out)."""
    hub_deleted = set(hc.scalars(select(table.c.id).where(table.c.deleted.is_(True))))
    return (hub_deleted ^ deleted) - unsent


def _deleted_differs(hc: Connection, table, deleted: set[uuid.UUID], unsent: set[uuid.UUID]) -> bool:
    return bool(_deleted_diff(hc, table, deleted, unsent))
