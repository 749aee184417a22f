"""A replica's local copy of its conflict inbox, kept in step with the hub (sync notes 3.10).

The hub records every conflict in its ``sync_conflict`` table. A laptop works offline, so
its inbox is a local copy in its own ``sync_conflict`` table (same schema, same ids):

* :func:`pull_conflicts` copies the hub's open conflicts this replica does not hold yet,
  with what the inbox needs to show them offline: the authors of both sides (from the
  hub's ``change_log`` when the conflict row has none) and the change-log row holding the
  field's *original* value (the value before both edits, see :func:`find_originals`),
  copied into the replica's ``change_log`` unless already there (the hub's row as it is,
  seq included, so the copy and a pulled change are the same row). It also takes over
  resolutions made elsewhere (a colleague, the office) and drops open local copies the
  hub no longer shows this user (the record was re-assigned away: row-level security).
* :func:`push_resolutions` sends resolutions made here (``resolved_pending``) to the hub.
  A conflict the hub already holds as resolved is left as it is, so re-sending after a
  lost answer changes nothing; ``resolved_pending`` is cleared only after the hub
  committed.

Both read and write the hub with plain statements over ``sync_conflict`` and
``change_log`` on ``hub.engine``, whose database role is the syncing user's own: row-level
security decides what each user sees and may resolve; nothing here needs a superuser.
Copies never overwrite a resolution made here and not yet sent.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from leaddesk.db import Database
from leaddesk.models import ROW_CREATED, ChangeLog, SyncConflict
from leaddesk.sync.protocol import HubUnavailable

_conflict = SyncConflict.__table__
_log = ChangeLog.__table__

CHUNK = 500
#: Columns a resolution sets (hub and replica alike).
RESOLUTION_COLUMNS = ("resolved", "resolution", "resolved_by", "resolved_at")


# --- original values ----------------------------------------------------------------------

def original_bound(kept_seq: int | None, lost_seq: int | None) -> int | None:
    """The change-log position before which the original value lies: the earlier of the
    two sides (a side without a seq, a snapshot, does not count); None: unknown."""
    seqs = [s for s in (kept_seq, lost_seq) if s and s > 0]
    return min(seqs) if seqs else None


@dataclass(frozen=True)
class Original:
    """Where a conflict's original value comes from: one ``change_log`` row."""

    seq: int
    #: The row's field: the conflict's field, or ``'*'`` (the value the row was created with).
    field: str
    #: JSON text of the value (for ``'*'``: of the whole created row).
    value: str | None
    #: The whole ``change_log`` row (a replica copies it to answer offline).
    row: dict

    def raw(self, name: str) -> tuple[bool, Any]:
        """(known, JSON-decoded value of field ``name``)."""
        data = json.loads(self.value) if self.value is not None else None
        if self.field == ROW_CREATED:
            if not isinstance(data, dict) or name not in data:
                return False, None
            return True, data[name]
        return True, data


def find_originals(conn: Connection, conflicts: Iterable) -> dict[int, Original]:
    """For each conflict (rows with ``id, entity, row_id, field, kept_seq, lost_seq``),
    the ``change_log`` row with its original value: the latest accepted change of that
    field before both sides, else the row's creation before both sides. Conflicts whose
    original is unknown are absent.

    Works on the hub's full log and on a replica's copy alike: the copy holds exactly the
    rows this function picked on the hub, and any other copied row of the same field
    would have been picked there instead, so both give the same answer."""
    wanted: dict[str, dict[uuid.UUID, list]] = {}
    for c in conflicts:
        bound = original_bound(c.kept_seq, c.lost_seq)
        if bound is None or c.field == ROW_CREATED:
            continue
        wanted.setdefault(c.entity, {}).setdefault(c.row_id, []).append((c, bound))
    found: dict[int, Original] = {}
    for entity, by_row in wanted.items():
        fields = sorted({c.field for items in by_row.values() for c, _ in items} | {ROW_CREATED})
        top = max(b for items in by_row.values() for _, b in items)
        rows_by_id: dict[uuid.UUID, list] = {}
        for chunk in _chunks(sorted(by_row)):
            stmt = select(_log).where(_log.c.entity == entity, _log.c.row_id.in_(chunk), _log.c.field.in_(fields),
                                      _log.c.seq < top, _log.c.rejected.is_(False))
            for row in conn.execute(stmt):
                rows_by_id.setdefault(row.row_id, []).append(row)
        for row_id, items in by_row.items():
            history = rows_by_id.get(row_id, [])
            for c, bound in items:
                before = [r for r in history if r.seq < bound]
                edits = [r for r in before if r.field == c.field]
                created = [r for r in before if r.field == ROW_CREATED]
                pick = max(edits or created, key=lambda r: r.seq, default=None)
                if pick is not None:
                    found[c.id] = Original(pick.seq, pick.field, pick.value, dict(pick._mapping))
    return found


def fill_authors(conn: Connection, rows: Sequence[dict]) -> None:
    """Set ``kept_author``/``lost_author`` of conflict dicts that lack them from the
    ``change_log`` rows of their change ids (in place)."""
    missing = {r[f"{side}_change_id"] for r in rows for side in ("kept", "lost")
               if r.get(f"{side}_author") is None and r.get(f"{side}_change_id") is not None}
    if not missing:
        return
    authors: dict[uuid.UUID, uuid.UUID | None] = {}
    for chunk in _chunks(sorted(missing)):
        authors.update(conn.execute(select(_log.c.change_id, _log.c.author).where(_log.c.change_id.in_(chunk))).all())
    for r in rows:
        for side in ("kept", "lost"):
            if r.get(f"{side}_author") is None and r.get(f"{side}_change_id") in authors:
                r[f"{side}_author"] = authors[r[f"{side}_change_id"]]


# --- pull ---------------------------------------------------------------------------------

def pull_conflicts(db: Database, hub) -> int:
    """Bring the hub's conflicts into this replica's inbox; returns how many local rows
    changed (new conflicts plus conflicts resolved elsewhere). Safe to repeat."""
    with _reading(db) as conn:
        held = set(conn.scalars(select(_conflict.c.id)))
        open_here = set(conn.scalars(select(_conflict.c.id).where(  # (ids < 0: this laptop's own notices)
            _conflict.c.resolved.is_(False), _conflict.c.resolved_pending.is_(False), _conflict.c.id > 0)))
    with _answering(), hub.engine.connect() as hub_conn:
        open_there = set(hub_conn.scalars(select(_conflict.c.id).where(_conflict.c.resolved.is_(False))))
        new = []
        for chunk in _chunks(sorted(open_there - held)):
            new += [dict(r._mapping) for r in hub_conn.execute(select(_conflict).where(_conflict.c.id.in_(chunk)))]
        settled = []
        for chunk in _chunks(sorted(open_here - open_there)):
            settled += hub_conn.execute(select(_conflict.c.id, *[_conflict.c[n] for n in RESOLUTION_COLUMNS])
                                        .where(_conflict.c.id.in_(chunk))).all()
        fill_authors(hub_conn, new)
        originals = find_originals(hub_conn, [_Row(r) for r in new])
    # Open here but neither open nor resolved there: this user no longer sees it.
    hidden = (open_here - open_there) - {r.id for r in settled}
    for r in new:
        r["resolved_pending"] = False
    with db.engine.begin() as conn:
        if new:
            conn.execute(insert(_conflict), new)
        copies = {o.row["change_id"]: o.row for o in originals.values()}
        if copies:
            ins = _insert(conn, _log).on_conflict_do_nothing()  # same seq or change id: already here
            conn.execute(ins, list(copies.values()))
        if settled:
            conn.execute(
                update(_conflict).where(_conflict.c.id == bindparam("b_id"), _conflict.c.resolved.is_(False),
                                        _conflict.c.resolved_pending.is_(False))
                .values({n: bindparam(f"b_{n}") for n in RESOLUTION_COLUMNS}),
                [{"b_id": r.id, **{f"b_{n}": getattr(r, n) for n in RESOLUTION_COLUMNS}} for r in settled])
        for chunk in _chunks(sorted(hidden)):
            conn.execute(delete(_conflict).where(_conflict.c.id.in_(chunk), _conflict.c.resolved.is_(False),
                                                 _conflict.c.resolved_pending.is_(False)))
    return len(new) + len(settled)


# --- push ---------------------------------------------------------------------------------

def pending_resolutions(db: Database) -> list:
    with _reading(db) as conn:
        return conn.execute(select(_conflict.c.id, *[_conflict.c[n] for n in RESOLUTION_COLUMNS])
                            .where(_conflict.c.resolved_pending.is_(True)).order_by(_conflict.c.id)).all()


def push_resolutions(db: Database, hub) -> int:
    """Tell the hub about resolutions made here; returns how many were sent.

    The hub takes a resolution only for a conflict it still holds as open (the first
    resolution stands; a retry after a lost answer finds it resolved and changes nothing)
    and only where row-level security lets this user change it. Either way the local
    flag is cleared once the hub has committed: the answer has been given."""
    rows = pending_resolutions(db)
    if not rows:
        return 0
    params = [{"b_id": r.id, **{f"b_{n}": getattr(r, n) for n in RESOLUTION_COLUMNS}} for r in rows]
    stmt = (update(_conflict).where(_conflict.c.id == bindparam("b_id"), _conflict.c.resolved.is_(False))
            .values({n: bindparam(f"b_{n}") for n in RESOLUTION_COLUMNS}))
    with _answering(), hub.engine.begin() as hub_conn:
        for chunk in _chunks(params):
            hub_conn.execute(stmt, chunk)
    clear_pending(db, [r.id for r in rows])
    return len(rows)


def clear_pending(db: Database, ids: Sequence[int]) -> None:
    """The hub has these resolutions: stop sending them."""
    with db.engine.begin() as conn:
        for chunk in _chunks(list(ids)):
            conn.execute(update(_conflict).where(_conflict.c.id.in_(chunk)).values(resolved_pending=False))


# --- helpers ------------------------------------------------------------------------------

class _Row:
    """Attribute access over a conflict dict (for :func:`find_originals`)."""

    def __init__(self, data: dict):
        self.__dict__.update(data)


def _insert(conn: Connection, table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _reading(db: Database):
    """A local connection that does not take SQLite's write lock."""
    return db.engine.execution_options(leaddesk_read_only=True).connect()


def _chunks(items: Sequence, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


class _answering:
    """A dropped or refused hub connection becomes :class:`HubUnavailable` (retry-safe)."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
            raise HubUnavailable(f"The team server did not answer: {str(getattr(exc, 'orig', exc)).strip()}") from exc
        return False
