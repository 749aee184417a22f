"""Bookkeeping for offline sync: the outbox of local changes and per-field clocks.

These tables are local to a database and never synced themselves.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from leaddesk.models.base import Base
from leaddesk.models.types import UTCDateTime

#: ``Outbox.field`` value for "the row was created": ``value`` then holds every field.
ROW_CREATED = "*"


class Outbox(Base):
    """One change made here and not yet acknowledged by the team server."""

    __tablename__ = "outbox"

    change_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    entity: Mapped[str] = mapped_column(String(60))
    row_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    field: Mapped[str] = mapped_column(String(60))
    #: JSON text of the new value (or of the whole row for ``ROW_CREATED``).
    value: Mapped[str | None] = mapped_column(Text)
    hlc: Mapped[int] = mapped_column(BigInteger)
    node: Mapped[uuid.UUID] = mapped_column(Uuid)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_outbox_batch_id", "batch_id"),
        Index("ix_outbox_hlc", "hlc"),
    )


class FieldVersion(Base):
    """The clock of one field's current value, for fields changed after the row's creation."""

    __tablename__ = "field_version"

    entity: Mapped[str] = mapped_column(String(60), primary_key=True)
    row_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    field: Mapped[str] = mapped_column(String(60), primary_key=True)
    hlc: Mapped[int] = mapped_column(BigInteger)
    node: Mapped[uuid.UUID] = mapped_column(Uuid)


class SyncState(Base):
    """Small key/value facts of this replica (last pulled sequence, server identity ...)."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
