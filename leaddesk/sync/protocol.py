"""What travels between a replica and the hub, and how a travelling value maps to a column.

A :class:`Change` is one outbox row: one field of one row (``field='*'``, ROW_CREATED: the
whole new row as a JSON object keyed by attribute name). Values are JSON text made by
:func:`leaddesk.sync.field_values.encode` (Decimal and UUID as strings, times ISO 8601 UTC,
enums by value); :func:`decode_value` turns them back into what the column takes, using
the column's type, so money stays exact and times stay aware.

Which entities and fields may travel is :data:`leaddesk.models.SYNCED_MODELS` and their
payload columns (everything but :data:`leaddesk.models.BOOKKEEPING`): see :func:`entity`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import JSON, Column, Table, inspect
from sqlalchemy.types import TypeDecorator

from leaddesk.errors import LeadDeskError
from leaddesk.models import BOOKKEEPING, ROW_CREATED, SYNCED_MODELS, Base

#: How far ahead of the hub's clock a batch may be (Anki's bound, sync notes 3.5).
MAX_SKEW_MS = 300_000


# --- errors -------------------------------------------------------------------------------

class SyncError(LeadDeskError):
    """Sync could not complete; nothing local was lost (the outbox is kept)."""


class HubUnavailable(SyncError):
    """The team server did not answer (or the answer was lost). Retrying is always safe."""


class ClockSkewRefused(SyncError):
    """A clock too far ahead of the team server's: nothing was applied.

    ``cause`` names the computer that is wrong, as far as the server can tell:

    * ``"this"``: this computer's own clock (its edits carry its wall-clock time) is ahead
      of the server's; either this computer's date is wrong or the server's is;
    * ``"elsewhere"``: this computer's clock agrees with the server, but its edits were
      ordered after a change it received from another computer whose clock was ahead;
    * ``"stored"``: a record on the team server already carries such a clock (a direct
      edit on the server would have to be ordered after it).
    """

    def __init__(self, ahead_ms: int, *, cause: str = "this"):
        minutes = ahead_ms / 60_000
        limit = f"more than {MAX_SKEW_MS // 1000} s"
        if cause == "elsewhere":
            text = (
                f"A change this computer received from another computer carries a clock {minutes:.0f} minutes "
                f"ahead of the team server ({limit}); this computer's own clock is right. Nothing was sent and "
                "your changes are kept: ask your admin to find the computer with the wrong date.")
        elif cause == "stored":
            text = (
                f"This record carries a change clock {minutes:.0f} minutes ahead of the team server's clock "
                f"({limit}), written by a computer with a wrong date. Nothing was saved: ask your admin to "
                "correct that computer's clock.")
        else:
            text = (
                f"This computer's clock is {minutes:.0f} minutes ahead of the team server ({limit}). "
                "Nothing was sent and your changes are kept: if this computer's date and time are wrong, "
                "correct them and sync again; if they are right, the team server's clock is behind: tell your "
                "admin.")
        super().__init__(text)
        self.ahead_ms = ahead_ms
        self.cause = cause


class SchemaMismatch(SyncError):
    """Replica and hub run different database schema revisions."""

    def __init__(self, local: str | None, hub: str | None):
        super().__init__(
            f"This LeadDesk's database is at schema {local}, the team server at {hub}. "
            "Update LeadDesk (or the server) so both match, then sync again. Your changes are kept."
        )
        self.local = local
        self.hub = hub


class ProtocolError(SyncError):
    """A change the protocol cannot carry (unknown table or field, edit of an unknown row)."""


# --- wire dataclasses ---------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    change_id: uuid.UUID
    entity: str
    row_id: uuid.UUID
    field: str
    #: JSON text (ROW_CREATED: a JSON object of every payload field).
    value: str | None
    hlc: int
    node: uuid.UUID
    author: uuid.UUID | None
    #: When the edit was made (editing machine's wall clock): created_at/updated_at.
    at: dt.datetime
    #: The pusher's last pulled seq when the edit was made (conflict detection).
    base_seq: int = 0
    #: Position in the hub's change_log (set on pulled changes only).
    seq: int | None = None

    @property
    def created(self) -> bool:
        return self.field == ROW_CREATED


@dataclass(frozen=True)
class PushBatch:
    batch_id: uuid.UUID
    node: uuid.UUID
    changes: tuple[Change, ...]
    #: Alembic revision of the pushing replica (schema handshake).
    schema: str | None = None

    @property
    def max_hlc(self) -> int:
        return max((c.hlc for c in self.changes), default=0)


@dataclass(frozen=True)
class PushResult:
    batch_id: uuid.UUID
    #: True when this batch had been applied before: nothing was applied this time.
    duplicate: bool
    received: int
    #: Changes new to the change log.
    accepted: int
    #: Changes whose change_id the log already held (sent before in another batch).
    skipped: int
    #: Accepted changes whose value now stands (won LWW for at least one field).
    applied: int
    conflicts: int
    first_seq: int | None = None
    last_seq: int | None = None
    #: Changes the hub refused (kept as "rejected" conflicts for their author).
    rejected: int = 0
    #: The rows they touched, ``[entity, row id]``: the replica takes the hub's state back.
    refused_rows: tuple = ()

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        data["batch_id"] = str(self.batch_id)
        data["refused_rows"] = [[e, str(r)] for e, r in self.refused_rows]
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str, **override) -> PushResult:
        data = json.loads(text)
        data["batch_id"] = uuid.UUID(data["batch_id"])
        data["refused_rows"] = tuple(tuple(r) for r in data.get("refused_rows", ()))
        data.update(override)
        return cls(**data)


@dataclass(frozen=True)
class PullPage:
    changes: tuple[Change, ...]
    #: Highest seq in this page (the ``since`` asked for when the page is empty).
    last_seq: int
    has_more: bool


@dataclass(frozen=True)
class ConflictInfo:
    """A row of ``sync_conflict``, for a conflict inbox."""

    id: int
    kind: str
    entity: str
    row_id: uuid.UUID
    field: str
    kept_value: Any
    lost_value: Any
    kept_node: uuid.UUID
    lost_node: uuid.UUID
    kept_hlc: int
    lost_hlc: int
    kept_seq: int
    lost_seq: int
    resolved: bool


# --- entities and value codec -------------------------------------------------------------

@dataclass(frozen=True)
class EntitySpec:
    name: str
    model: type
    table: Table
    #: Payload attribute name -> column (the fields a change may carry).
    fields: dict[str, Column]
    #: The order to insert new rows in: parents before children (foreign keys), and pairs
    #: of records (merges, duplicate candidates) after every record they name, since
    #: their row-level security checks that both records are visible.
    rank: int


@cache
def entities() -> dict[str, EntitySpec]:
    from leaddesk.models import access

    tables = Base.metadata.sorted_tables
    order = {t.name: i + (len(tables) if isinstance(access.RULES.get(t.name), access.Pair) else 0)
             for i, t in enumerate(tables)}
    specs = {}
    for model in SYNCED_MODELS:
        mapper = inspect(model)
        fields = {a.key: a.columns[0] for a in mapper.column_attrs if a.key not in BOOKKEEPING}
        specs[model.__tablename__] = EntitySpec(model.__tablename__, model, model.__table__, fields,
                                                order[model.__tablename__])
    return specs


def entity(name: str) -> EntitySpec:
    try:
        return entities()[name]
    except KeyError:
        raise ProtocolError(f"'{name}' is not a synced table.") from None


def check_change(change: Change) -> EntitySpec:
    """The change's entity, after checking that the protocol can carry it."""
    spec = entity(change.entity)
    if not change.created and change.field not in spec.fields:
        raise ProtocolError(f"'{change.entity}.{change.field}' is not a synced field.")
    return spec


def _python_type(type_) -> type | None:
    """The column type's Python type (a TypeDecorator without its own: its impl's)."""
    try:
        kind = type_.python_type
    except NotImplementedError:
        kind = None
    if kind in (None, object) and isinstance(type_, TypeDecorator):
        return _python_type(type_.impl_instance)
    return kind


@cache
def _decoder(column: Column) -> Callable[[Any], Any]:
    if isinstance(column.type, JSON):
        return lambda v: v
    kind = _python_type(column.type)
    if kind is dt.datetime:
        return dt.datetime.fromisoformat
    if kind is dt.date:
        return dt.date.fromisoformat
    if kind is Decimal:
        return lambda v: Decimal(str(v))
    if kind is uuid.UUID:
        return lambda v: v if isinstance(v, uuid.UUID) else uuid.UUID(v)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind
    if kind is float:
        return float
    return lambda v: v


def decode_value(column: Column, value: Any) -> Any:
    """A JSON-decoded value as the Python value ``column`` stores (None stays None)."""
    return None if value is None else _decoder(column)(value)


def decode_change(spec: EntitySpec, change: Change) -> Any:
    """A change's value as column values: a dict for ROW_CREATED, else one value."""
    raw = json.loads(change.value) if change.value is not None else None
    if change.created:
        if not isinstance(raw, dict):
            raise ProtocolError(f"ROW_CREATED of {change.entity} {change.row_id} carries no row.")
        return {key: decode_value(col, raw.get(key)) for key, col in spec.fields.items()}
    return decode_value(spec.fields[change.field], raw)

