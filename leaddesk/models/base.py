"""Declarative base, naming convention and the columns every synced row carries."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import BigInteger, Boolean, Enum, Integer, MetaData, Uuid, false
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from leaddesk.ids import new_id
from leaddesk.models.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def str_enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint (no native PG ENUM type,
    whose changes need special migrations)."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls) + 8,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Synced:
    """Columns of every row that syncs between replicas.

    * ``id``: UUIDv7, made wherever the row is created (offline too).
    * who/when created and last changed, in UTC.
    * ``version``: optimistic lock; SQLAlchemy refuses an UPDATE whose version moved.
    * ``deleted``: tombstone; synced rows are never hard-deleted.
    * ``hlc``/``node``: the row's creation clock. Fields never changed since creation have
      no ``field_version`` row and take this clock (the snapshot clock of the sync notes).
    """

    __synced__ = True

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    hlc: Mapped[int] = mapped_column(BigInteger)
    node: Mapped[uuid.UUID] = mapped_column(Uuid)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


# Columns that the change journal fills in itself and never reports as user changes.
BOOKKEEPING = frozenset(
    {"id", "created_at", "created_by", "updated_at", "updated_by", "version", "hlc", "node"}
)
