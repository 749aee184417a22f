"""The LWW merge as pure functions: one state whatever the order or duplication of changes,
and the conflict rules. No database."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leaddesk.sync.merge import DELETED, ROW_CREATED, Incoming, RowState, Stamp, effective, merge, newer

NODES = [uuid.UUID(int=n) for n in (3, 1, 2)]
ROWS = ["r0", "r1"]
FIELDS = ["a", "b", DELETED]
A, B = uuid.UUID(int=10), uuid.UUID(int=20)

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def change_sets(draw):
    """Changes as (row, Incoming): snapshots and field edits, one per (row, hlc, node)."""
    raw = draw(st.lists(
        st.tuples(st.sampled_from(ROWS), st.integers(1, 12), st.sampled_from(NODES),
                  st.sampled_from(FIELDS + [ROW_CREATED] * 2), st.integers(0, 3)),
        min_size=1, max_size=14))
    out, used = [], set()
    for row, hlc, node, name, v in raw:
        if (row, hlc, node) in used:
            continue
        used.add((row, hlc, node))
        stamp = Stamp(hlc, node)
        if name == ROW_CREATED:
            value = {"a": f"a{v}", "b": f"b{v}", DELETED: False}
        elif name == DELETED:
            value = bool(v % 2)
        else:
            value = f"{name}{v}"
        out.append((row, Incoming(name, value, stamp)))
    return out


def run(changes) -> dict:
    states: dict[str, RowState] = {}
    for row, change in changes:
        merge(states.setdefault(row, RowState()), change)
    return {row: (s.exists, effective(s)) for row, s in states.items()}


@SETTINGS
@given(change_sets(), st.data())
def test_merge_any_order_and_duplication_gives_one_state(changes, data):
    shuffled = data.draw(st.permutations(changes))
    extra = data.draw(st.lists(st.sampled_from(changes), max_size=6))
    mixed = data.draw(st.permutations(shuffled + extra))
    assert run(mixed) == run(changes)


@SETTINGS
@given(change_sets())
def test_merge_is_idempotent(changes):
    assert run(changes + changes) == run(changes)


@SETTINGS
@given(change_sets())
def test_merge_every_field_holds_the_max_clock_value(changes):
    result = run(changes)
    for row, (exists, fields) in result.items():
        if not exists:
            continue
        for name, (value, clock) in fields.items():
            touching = [(c.stamp, c.value[name] if c.field == ROW_CREATED else c.value)
                        for r, c in changes if r == row and (c.field == name or c.field == ROW_CREATED)]
            best = max(touching, key=lambda sv: sv[0].order)
            assert (value, clock) == (best[1], best[0])


def test_merge_order_is_hlc_then_node():
    assert newer(Stamp(2, A), Stamp(1, B))
    assert newer(Stamp(1, B), Stamp(1, A))
    assert not newer(Stamp(1, A), Stamp(1, A))  # the same change again does nothing
    assert newer(Stamp(1, A), None)


# --- conflict rules (the hub passes base_seq; seq is the change-log position) ------------

def live_row(**values) -> RowState:
    state = RowState()
    merge(state, Incoming(ROW_CREATED, {"a": "x", DELETED: False, **values}, Stamp(1, A, seq=1)))
    return state


def edit(state, name, value, hlc, node, seq, base):
    return merge(state, Incoming(name, value, Stamp(hlc, node, seq=seq), base_seq=base))


def test_conflict_concurrent_same_field_keeps_both_values():
    state = live_row()
    edit(state, "a", "from A", 5, A, seq=2, base=1)
    out = edit(state, "a", "from B", 4, B, seq=3, base=1)  # B had not seen seq 2 and loses
    [note] = out.conflicts
    assert (note.kind, note.kept_value, note.lost_value) == ("field", "from A", "from B")
    assert state.values["a"] == "from A" and not out.changed


def test_conflict_winner_arriving_second_is_recorded_too():
    state = live_row()
    edit(state, "a", "from A", 5, A, seq=2, base=1)
    out = edit(state, "a", "from B", 6, B, seq=3, base=1)
    [note] = out.conflicts
    assert (note.kept_value, note.lost_value, note.kept.node) == ("from B", "from A", B)
    assert state.values["a"] == "from B"


def test_no_conflict_against_own_earlier_change_or_a_seen_one_or_an_equal_value():
    state = live_row()
    edit(state, "a", "one", 5, A, seq=2, base=1)
    assert edit(state, "a", "two", 6, A, seq=3, base=1).conflicts == []  # own earlier change
    assert edit(state, "a", "three", 7, B, seq=4, base=3).conflicts == []  # B had seen seq 3
    assert edit(state, "a", "three", 8, A, seq=5, base=3).conflicts == []  # same value
    assert merge(state, Incoming("a", "four", Stamp(2, B, seq=6))).conflicts == []  # replicas: no base


def test_conflict_edit_after_a_concurrent_delete():
    state = live_row()
    edit(state, DELETED, True, 5, A, seq=2, base=1)
    out = edit(state, "a", "edited", 6, B, seq=3, base=1)
    [note] = out.conflicts
    assert (note.kind, note.field, note.kept_value, note.lost_value) == ("edit_deleted", "a", True, "edited")
    assert state.values == {"a": "edited", DELETED: True}  # kept on the tombstone


def test_conflict_delete_after_a_concurrent_edit():
    state = live_row()
    edit(state, "a", "edited", 6, B, seq=2, base=1)
    out = edit(state, DELETED, True, 5, A, seq=3, base=1)
    [note] = out.conflicts
    assert (note.kind, note.field, note.kept.node, note.lost.node) == ("edit_deleted", "a", A, B)
    assert state.values[DELETED] is True


def test_no_conflict_for_an_edit_after_seeing_the_delete():
    state = live_row()
    edit(state, DELETED, True, 5, A, seq=2, base=1)
    assert edit(state, "a", "edited", 6, B, seq=3, base=2).conflicts == []


def test_a_second_creation_of_the_same_row_is_merged_field_by_field():
    state = live_row(b="old")
    out = merge(state, Incoming(ROW_CREATED, {"a": "x", "b": "new", DELETED: False}, Stamp(3, B, seq=2),
                                base_seq=0))
    assert out.changed == {"a": "x", "b": "new", DELETED: False}
    assert [n.field for n in out.conflicts] == ["b"]  # only where the values differ
