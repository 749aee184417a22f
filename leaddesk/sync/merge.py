"""Field-level last-writer-wins, as pure functions: the ONE rule of hub and replicas alike.

State of a row (:class:`RowState`): whether it exists, the current value of each field and
the clock (:class:`Stamp`) of the change that put it there. A field never changed since
the row was created carries the creation clock (the snapshot clock, sync notes 3.3).

The rule, for a change ``c`` to field ``f`` (:func:`merge`):

* ``c`` wins iff ``(c.hlc, c.node) > (cur.hlc, cur.node)`` compared lexicographically,
  node as the UUID's 128-bit integer (the same order as PostgreSQL's ``uuid`` compare).
  An equal clock is the same change seen again: nothing happens (idempotent).
* A ROW_CREATED change creates the row if absent, else it is a change of every field it
  carries, each decided by the rule above (two laptops made the same deterministic id).
* A field change for an absent row is remembered (clock and value) and decides against
  the snapshot when the row arrives, so any order of any set of changes gives one state:
  commutative, associative, idempotent. (The hub and the replicas never produce such
  orphans: a row's creation always comes first in the change log.)

Conflicts (recorded by the hub only, which passes ``base_seq``; both values are kept):

* ``field``: the field's current value came from ANOTHER node, reached the hub after the
  pusher's base (``cur.seq > base_seq``: the pusher had not seen it), and the values
  differ. Never against the pusher's own earlier change (a rep who edits a field twice
  across two syncs has no conflict with herself).
* ``edit_deleted``: an edit concurrent with a delete by another node. Delete wins: the edit
  is applied to the tombstone (field LWW as always) and the row stays deleted. Raised both
  when the edit arrives after the delete and when the delete arrives after the edit.

The "concurrent" test relies on ``seq``, which only the hub has; replicas pass no base.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

ROW_CREATED = "*"
DELETED = "deleted"


@dataclass(frozen=True)
class Stamp:
    hlc: int
    node: uuid.UUID
    #: Hub only: change_log seq of the change (0: unknown / before the change log).
    seq: int = 0
    change_id: uuid.UUID | None = None

    @property
    def order(self) -> tuple[int, int]:
        return (self.hlc, self.node.int)


def newer(a: Stamp, b: Stamp | None) -> bool:
    """Does ``a`` beat ``b``? (Anything beats nothing; equal clocks do not beat.)"""
    return b is None or a.order > b.order


@dataclass
class RowState:
    #: Creation clock; None while the row does not exist.
    created: Stamp | None = None
    #: Clocks of fields whose value did not come from the creation.
    clocks: dict[str, Stamp] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.created is not None

    def clock(self, name: str) -> Stamp | None:
        return self.clocks.get(name) or self.created


@dataclass(frozen=True)
class Incoming:
    """A change as the merge sees it: decoded value (a dict for ROW_CREATED)."""

    field: str
    value: Any
    stamp: Stamp
    #: The sender's last pulled seq when it made the edit; None: detect no conflicts.
    base_seq: int | None = None


@dataclass(frozen=True)
class ConflictNote:
    kind: str  # "field" | "edit_deleted"
    field: str
    kept: Stamp
    kept_value: Any
    lost: Stamp
    lost_value: Any


@dataclass
class Outcome:
    #: The row came into existence with this change.
    created: bool = False
    #: Fields whose value (and clock) this change set.
    changed: dict[str, Any] = field(default_factory=dict)
    conflicts: list[ConflictNote] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return self.created or bool(self.changed)


def _concurrent(cur: Stamp | None, change: Incoming) -> bool:
    """Was ``cur`` made by another node that the sender had not seen?"""
    return (
        change.base_seq is not None
        and cur is not None
        and cur.node != change.stamp.node
        and cur.seq > change.base_seq
    )


def _field_conflict(state: RowState, name: str, value: Any, change: Incoming) -> ConflictNote | None:
    cur = state.clock(name)
    if not _concurrent(cur, change) or state.values.get(name) == value:
        return None
    if newer(change.stamp, cur):
        return ConflictNote("field", name, change.stamp, value, cur, state.values.get(name))
    return ConflictNote("field", name, cur, state.values.get(name), change.stamp, value)


def _set(state: RowState, out: Outcome, name: str, value: Any, stamp: Stamp) -> None:
    state.values[name] = value
    state.clocks[name] = stamp
    out.changed[name] = value


def merge(state: RowState, change: Incoming) -> Outcome:
    """Apply one change to ``state`` (in place) by LWW; say what changed and what clashed."""
    out = Outcome()
    stamp = change.stamp
    if change.field == ROW_CREATED:
        if not state.exists:
            state.created = stamp
            for name, value in change.value.items():
                if newer(stamp, state.clocks.get(name)):
                    state.values[name] = value
                    state.clocks.pop(name, None)  # an orphan's clock beaten by the creation
            out.created = True
            return out
        for name, value in change.value.items():
            note = _field_conflict(state, name, value, change)
            if note:
                out.conflicts.append(note)
            if newer(stamp, state.clock(name)):
                _set(state, out, name, value, stamp)
        return out

    name, value = change.field, change.value
    if not state.exists:
        if newer(stamp, state.clocks.get(name)):
            state.values[name] = value
            state.clocks[name] = stamp
        return out
    was_deleted = bool(state.values.get(DELETED))
    note = _field_conflict(state, name, value, change)
    if note:
        out.conflicts.append(note)
    if name != DELETED and was_deleted:
        deleter = state.clock(DELETED)
        if _concurrent(deleter, change):
            out.conflicts.append(ConflictNote("edit_deleted", name, deleter, True, stamp, value))
    if newer(stamp, state.clock(name)):
        _set(state, out, name, value, stamp)
        if name == DELETED and value and not was_deleted:
            # The delete arrives after edits it had not seen: each such edit is flagged.
            for other, clock in sorted(state.clocks.items()):
                if other != DELETED and _concurrent(clock, change):
                    out.conflicts.append(
                        ConflictNote("edit_deleted", other, stamp, True, clock, state.values.get(other))
                    )
    return out


def effective(state: RowState) -> dict[str, tuple[Any, Stamp | None]]:
    """Each field's (value, clock): the comparable result of a merge, whatever the order."""
    return {name: (value, state.clock(name)) for name, value in state.values.items()}
