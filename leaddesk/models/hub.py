"""Tables of the sync protocol (sync notes, sections 3.3 and 3.8-3.10).

Hub side (the team's PostgreSQL):

* ``change_log``: append-only, the pull source. One row per change ever accepted, winners
  and losers alike, numbered by ``seq`` in commit order (pushes are serialised by an
  advisory lock, so a puller that reads ``seq > last`` never skips a row).
* ``sync_batch``: one row per push batch, with its stored result (idempotent retries).
* ``hub_field_version``: the hub's merge state: the clock, ``seq`` and change id of the
  change whose value each field holds; field ``'*'`` is the row's creation. Kept apart
  from ``field_version`` because on a PostgreSQL database ``field_version`` belongs to the
  journal of writes made there directly (a manager in the office), which reach the merge
  state only once they are pushed like anybody else's.
* ``sync_conflict``: every concurrent edit that LWW decided, with BOTH values kept.

Replica side (the local SQLite file):

* ``outbox_base``: for an unsent outbox row, the ``last_pulled_seq`` the replica had when
  the edit was made, recorded by the first pull that happens after the edit (a row absent
  here was made after the latest pull). The hub uses it to tell a concurrent edit from one
  made after seeing the other value.

All tables exist on both engines (one schema everywhere; a replica may later keep a local
copy of its conflicts); each side only fills its own.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column

from leaddesk.models.base import Base
from leaddesk.models.types import UTCDateTime

#: BIGSERIAL on PostgreSQL; INTEGER PRIMARY KEY (the rowid, 64-bit) on SQLite.
SERIAL = BigInteger().with_variant(Integer(), "sqlite")


class ChangeLog(Base):
    """Every change the hub accepted, in commit order."""

    __tablename__ = "change_log"

    seq: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    change_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    entity: Mapped[str] = mapped_column(String(60))
    row_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    #: A column's attribute name, or ``'*'`` (ROW_CREATED: ``value`` holds the whole row).
    field: Mapped[str] = mapped_column(String(60))
    value: Mapped[str | None] = mapped_column(Text)
    hlc: Mapped[int] = mapped_column(BigInteger)
    node: Mapped[uuid.UUID] = mapped_column(Uuid)
    #: The LeadDesk user who made the edit (``Outbox.actor_id``).
    author: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    #: When the edit was made (the editing machine's wall clock).
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: The database role that pushed it (``current_user``; per-user roles, sync notes 6).
    pushed_by: Mapped[str | None] = mapped_column(String(63))
    batch_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    #: The pusher's ``last_pulled_seq`` when the edit was made.
    base_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: The hub refused to apply it (permissions, a deleted parent): kept for the record and
    #: for the author's conflict inbox, never pulled by replicas.
    rejected: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (Index("ix_change_log_entity_row", "entity", "row_id"),)


class SyncBatch(Base):
    """A push batch the hub has applied; ``result`` is returned again for a retry."""

    __tablename__ = "sync_batch"

    batch_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    node: Mapped[uuid.UUID] = mapped_column(Uuid)
    #: JSON of :class:`leaddesk.sync.protocol.PushResult`.
    result: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: The database role that pushed it.
    pushed_by: Mapped[str | None] = mapped_column(String(63))


class HubFieldVersion(Base):
    """The hub's clock of one field's current value (``field='*'``: the row's creation)."""

    __tablename__ = "hub_field_version"

    entity: Mapped[str] = mapped_column(String(60), primary_key=True)
    row_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    field: Mapped[str] = mapped_column(String(60), primary_key=True)
    hlc: Mapped[int] = mapped_column(BigInteger)
    node: Mapped[uuid.UUID] = mapped_column(Uuid)
    seq: Mapped[int] = mapped_column(BigInteger)
    change_id: Mapped[uuid.UUID] = mapped_column(Uuid)


class SyncConflict(Base):
    """A concurrent edit decided by last-writer-wins; nothing is lost, both values stay.

    ``kind``:

    * ``field``: two nodes changed the same field without seeing each other's value.
      ``kept_*`` is the value the field now holds everywhere, ``lost_*`` the other one.
    * ``edit_deleted``: a field was edited concurrently with the row's deletion. The row
      stays deleted (``kept_*`` describes the delete, ``kept_value`` is ``true``); the edit
      (``lost_*``) is applied to the tombstone, so a Restore brings it back.
    * ``rejected``: the hub refused the change (``note`` says why: no permission, a
      deleted or invisible parent). ``lost_*`` is the refused change (also kept in
      ``change_log`` with ``rejected``), ``kept_*`` what the hub holds instead.
    * ``merged``: an edit reached a record that had been merged into another one
      (``note`` names the survivor); it was applied to the merged-away record.

    On a replica the table holds the conflicts it pulled from the hub (its inbox); a
    resolution made offline waits in ``resolved_pending`` until the next sync.
    """

    __tablename__ = "sync_conflict"

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(60))
    row_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    field: Mapped[str] = mapped_column(String(60))
    kept_value: Mapped[str | None] = mapped_column(Text)
    lost_value: Mapped[str | None] = mapped_column(Text)
    kept_node: Mapped[uuid.UUID] = mapped_column(Uuid)
    lost_node: Mapped[uuid.UUID] = mapped_column(Uuid)
    kept_hlc: Mapped[int] = mapped_column(BigInteger)
    lost_hlc: Mapped[int] = mapped_column(BigInteger)
    #: ``change_log`` rows of both sides (NULL/0 when a side predates the change log).
    kept_seq: Mapped[int] = mapped_column(BigInteger)
    lost_seq: Mapped[int] = mapped_column(BigInteger)
    kept_change_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    lost_change_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: LeadDesk users who made each side (``change_log.author``).
    kept_author: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    lost_author: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    #: Why (rejected), or where the edit went (merged).
    note: Mapped[str | None] = mapped_column(Text)
    #: "kept" or "other" (the other value was re-applied as a new edit).
    resolution: Mapped[str | None] = mapped_column(String(20))
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Replica: resolved here, not yet told to the hub.
    resolved_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (
        Index("ix_sync_conflict_entity_row", "entity", "row_id"),
        Index("ix_sync_conflict_resolved", "resolved"),
    )


class AccessChange(Base):
    """Hub: a row whose visibility may have changed (its owner changed, or a user's team or
    role did: ``entity='app_user'``). Filled by triggers; readable by every team member
    (it holds ids only), so a replica that lost sight of a row still learns that it must
    re-check it (sync notes 3.9, visibility changes)."""

    __tablename__ = "access_change"

    seq: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(60))
    row_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class HistoryPurge(Base):
    """Hub: each trim of the change log (``ld_purge_history``, an admin's command). Changes
    up to ``through_seq`` are gone, so a replica that last pulled before it cannot catch
    up change by change: it re-downloads what its user sees and keeps its unsent edits
    (sync notes 3.7, the tombstone horizon). Written only by the SECURITY DEFINER
    function; read through ``ld_history_horizon()``."""

    __tablename__ = "history_purge"

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    through_seq: Mapped[int] = mapped_column(BigInteger)
    #: Changes received before this time were removed.
    cutoff: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    purged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    purged_by: Mapped[str] = mapped_column(String(63))
    changes: Mapped[int] = mapped_column(BigInteger)


class OutboxBase(Base):
    """Replica: the last pulled seq an unsent edit was made on (see module docs)."""

    __tablename__ = "outbox_base"

    change_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    base_seq: Mapped[int] = mapped_column(BigInteger)


HUB_TABLES = ("change_log", "sync_batch", "hub_field_version", "sync_conflict", "access_change")
