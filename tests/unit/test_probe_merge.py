"""Merge rules the mutation probe found unpinned (scripts/mutation_probe.py, area "merge").

Pure functions, no database: the hub records an edit_deleted conflict once per edit, not
again each time the already deleted row is deleted once more."""

from __future__ import annotations

import uuid

from leaddesk.sync.merge import DELETED, ROW_CREATED, Incoming, RowState, Stamp, merge

A, B, C = uuid.UUID(int=10), uuid.UUID(int=20), uuid.UUID(int=30)


def _live_row(**values) -> RowState:
    state = RowState()
    merge(state, Incoming(ROW_CREATED, {"a": "x", DELETED: False, **values}, Stamp(1, A, seq=1)))
    return state


def _edit(state, name, value, hlc, node, seq, base):
    return merge(state, Incoming(name, value, Stamp(hlc, node, seq=seq), base_seq=base))


def test_probe_deleting_an_already_deleted_row_raises_no_second_edit_deleted_conflict():
    state = _live_row()
    _edit(state, DELETED, True, 5, A, seq=2, base=1)
    [first] = _edit(state, "a", "edited", 6, B, seq=3, base=1).conflicts  # the edit's one conflict
    assert first.kind == "edit_deleted"
    # C deletes the row too, having seen neither: the row was already deleted, so nothing
    # changes for the reader and the edit's conflict is not raised a second time.
    out = _edit(state, DELETED, True, 7, C, seq=4, base=1)
    assert out.conflicts == []
    assert state.values == {"a": "edited", DELETED: True}


def test_probe_a_delete_of_a_live_row_flags_each_concurrent_edit_once():
    state = _live_row(b="y")
    _edit(state, "a", "edit a", 5, B, seq=2, base=1)
    _edit(state, "b", "edit b", 6, B, seq=3, base=1)
    out = _edit(state, DELETED, True, 7, C, seq=4, base=1)
    assert sorted((n.kind, n.field) for n in out.conflicts) == [("edit_deleted", "a"), ("edit_deleted", "b")]
