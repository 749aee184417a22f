"""Shared steps of the entity use cases: load live rows, check versions, soft-delete."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from leaddesk.db import Database
from leaddesk.errors import Conflict, NotFound, ValidationError

T = TypeVar("T")


#: Rows every database is born with (the default pipeline, stage definitions, settings,
#: scoring rules) get ids derived from what they are, so two laptops set up apart hold the
#: same records and converge when they sync.
SEED_NAMESPACE = uuid.UUID("0f3c1d7e-2b8a-4d3e-9a55-51e0a7c4b9d2")


def seed_id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(SEED_NAMESPACE, "/".join(parts))


@dataclass(frozen=True)
class Changes:
    """What a write changed, for views to decide what to refresh (Anki's OpChanges)."""

    entities: frozenset[str] = frozenset()
    ids: frozenset[uuid.UUID] = frozenset()

    @classmethod
    def of(cls, entity: str, *ids: uuid.UUID) -> "Changes":
        return cls(frozenset({entity}), frozenset(ids))

    def __or__(self, other: "Changes") -> "Changes":
        return Changes(self.entities | other.entities, self.ids | other.ids)


def entity_label(model: type) -> str:
    return getattr(model, "__label__", model.__tablename__.replace("_", " "))


def as_uuid(value: Any, *, field: str = "id") -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"'{value}' is not a valid record id.", field=field) from exc


def get_row(session: Session, model: type[T], ident, *, include_deleted: bool = False) -> T:
    obj = session.get(model, as_uuid(ident))
    if obj is None or (obj.deleted and not include_deleted):
        raise NotFound(entity_label(model), ident)
    return obj


def check_version(obj, expected_version: int | None) -> None:
    """Refuse to write over a change the caller has not seen. ``None`` = caller holds no
    loaded copy (e.g. a CLI command acting on the latest state)."""
    if expected_version is not None and obj.version != expected_version:
        raise Conflict(entity_label(type(obj)), obj.id, expected_version, obj.version)


def assign(obj, values: dict[str, Any]) -> bool:
    """Set only the attributes whose value differs; True if anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def soft_delete(db: Database, model: type, ident, *, expected_version: int | None = None) -> Changes:
    with db.unit_of_work() as s:
        obj = get_row(s, model, ident)
        check_version(obj, expected_version)
        obj.deleted = True
        return Changes.of(model.__tablename__, obj.id)


def restore(db: Database, model: type, ident, *, expected_version: int | None = None) -> Changes:
    with db.unit_of_work() as s:
        obj = get_row(s, model, ident, include_deleted=True)
        check_version(obj, expected_version)
        obj.deleted = False
        return Changes.of(model.__tablename__, obj.id)


def to_dto(obj, dto_cls: type[T], **extra) -> T:
    """Build a frozen DTO from the same-named attributes of an ORM row."""
    names = {f.name for f in dataclasses.fields(dto_cls)}
    values = {n: getattr(obj, n) for n in names if n not in extra and hasattr(obj, n)}
    values.update(extra)
    return dto_cls(**values)


@dataclass(frozen=True)
class Page:
    """A keyset page: ``items`` plus the cursor to pass for the next page (None = last)."""

    items: tuple
    next_cursor: Any = None
    extra: dict = field(default_factory=dict)
