"""What the contact and account duplicate finders share: the pair id, the refusal and result
types of merges and undo, and small helpers (chunked ``IN`` lists, ids as hex text, merge
records' JSON values, savepoints, chains of merges).

Apart so that :mod:`.account_duplicates` builds on this module instead of reaching into
:mod:`.duplicates` for private helpers.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, cast
from sqlalchemy.orm import Session

from leaddesk.errors import LeadDeskError, PermissionDenied
from leaddesk.models import RecordMerge
from leaddesk.models.enums import DuplicateStatus
from leaddesk.services.records import Changes, as_uuid
from leaddesk.sync.field_values import encode

#: Namespace of candidate ids: uuid5(NAMESPACE, "contact:<smaller id>:<larger id>").
NAMESPACE = uuid.UUID("4b0c3c64-8d0e-5a4c-9f57-1d5b3c2e7a91")
CHOICES = ("survivor", "loser", "both")


class MergeRefused(LeadDeskError):
    """A merge, undo or review decision that cannot be done as asked; nothing was written."""


@dataclass(frozen=True)
class MergeInfo:
    id: uuid.UUID
    survivor_id: uuid.UUID
    survivor_name: str
    loser_id: uuid.UUID
    loser_name: str
    at: dt.datetime
    by_name: str | None
    undone: bool
    fields_taken: tuple[str, ...]
    rows_moved: int
    #: "contact" or "account".
    entity: str = "contact"


@dataclass(frozen=True)
class UndoResult:
    merge_id: uuid.UUID
    survivor_id: uuid.UUID
    loser_id: uuid.UUID
    restored_fields: tuple[str, ...]
    #: Fields the survivor keeps because someone changed them after the merge.
    left_fields: tuple[str, ...]
    #: Moved rows left where they are because someone moved them again since.
    left_rows: int
    changes: Changes = field(default_factory=Changes)
    entity: str = "contact"

    @property
    def message(self) -> str:
        parts = [f"The merge was undone: both {self.entity}s are back."]
        if self.left_fields:
            names = ", ".join(f.replace("_", " ") for f in self.left_fields)
            parts.append(f"These fields were changed after the merge and keep their new value: {names}.")
        if self.left_rows:
            parts.append(f"{self.left_rows} moved record(s) were changed since and stay where they are now.")
        return " ".join(parts)


@dataclass(frozen=True)
class AfterSyncResult:
    #: Rows re-pointed and fields carried over to survivors.
    followed: int
    #: New duplicate candidates.
    detected: int


def pair_id(a: uuid.UUID, b: uuid.UUID, entity: str = "contact") -> uuid.UUID:
    """The id of the candidate for this pair, the same on every replica."""
    lo, hi = sorted((as_uuid(a), as_uuid(b)))
    return uuid.uuid5(NAMESPACE, f"{entity}:{lo}:{hi}")


def _chunks(items: Sequence, size: int = 500) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _jsonable(value: Any) -> Any:
    return json.loads(encode(value))


def _live(model):
    return model.deleted.is_(False)


# Ids travel as 32-digit hex strings here: turning 100,000s of them into uuid.UUID objects
# cost more than everything else. Only the pairs found are turned back into UUIDs.

def _hex(col):
    """A uuid column read as text (SQLite stores 32 hex digits; PostgreSQL gives the dashed form)."""
    return cast(col, String)


def _h(value) -> str:
    return value.replace("-", "").lower() if isinstance(value, str) else value.hex


def _uuids(hexes: Iterable[str]) -> list[uuid.UUID]:
    return sorted(uuid.UUID(h) for h in hexes)


def _sorted(moved: dict) -> dict:
    return {k: (dict(sorted(v.items())) if isinstance(v, dict) else sorted(v)) for k, v in sorted(moved.items())}


def _guarded(s: Session, work) -> bool:
    """Run ``work`` in a savepoint; False (and nothing written) if the user may not."""
    try:
        with s.begin_nested():
            work()
        return True
    except PermissionDenied:
        return False


def _final(merged: dict[uuid.UUID, uuid.UUID], start: uuid.UUID) -> uuid.UUID:
    node, seen = start, set()
    while node in merged and node not in seen:
        seen.add(node)
        node = merged[node]
    return node


def _record_merge(s: Session, entity: str, loser, survivor_id: uuid.UUID, candidate, taken, previous,
                  moved: dict) -> uuid.UUID:
    """The end of a merge, the same for contacts and accounts: the loser becomes a tombstone
    pointing at the survivor, a ``RecordMerge`` keeps what undo needs (``moved``: what
    ``_repoint`` moved), the review entry is marked merged; returns the merge's id."""
    loser.deleted = True
    loser.merged_into = survivor_id
    record = RecordMerge(entity=entity, survivor_id=survivor_id, loser_id=loser.id, choices=taken,
                         previous=previous, moved=_sorted(moved.get(loser.id, {})))
    s.add(record)
    if candidate is not None and candidate.status != DuplicateStatus.MERGED:
        candidate.status = DuplicateStatus.MERGED
    s.flush()
    return record.id
