"""The hybrid logical clock's promises, pinned one by one (mutation probe, area "clock").

``tick()`` is strictly greater than everything given or seen, even when the wall clock
stands still or is behind; ``observe()`` never moves the clock back; the counter lives in
the low 16 bits and never changes the milliseconds."""

from __future__ import annotations

from leaddesk.clock import COUNTER_BITS, HybridClock, millis_of, pack


class _Wall:
    def __init__(self, millis: int):
        self.millis = millis

    def __call__(self) -> int:
        return self.millis


def test_probe_tick_is_strictly_after_the_last_even_when_the_wall_clock_equals_it():
    wall = _Wall(1_000)
    clock = HybridClock(wall, start=pack(1_000))
    first = clock.tick()
    assert first > pack(1_000)
    second = clock.tick()  # the wall clock has not moved
    assert second > first
    assert millis_of(second) == 1_000  # the counter moved, not the time


def test_probe_tick_after_observing_exactly_the_wall_time_orders_after_it():
    wall = _Wall(5_000)
    clock = HybridClock(wall)
    clock.observe(pack(5_000))
    assert clock.tick() > pack(5_000)


def test_probe_tick_uses_the_wall_clock_once_it_is_ahead():
    wall = _Wall(1_000)
    clock = HybridClock(wall, start=pack(1_000, 7))
    wall.millis = 2_000
    assert clock.tick() == pack(2_000)


def test_probe_observe_never_moves_the_clock_back():
    clock = HybridClock(_Wall(0), start=pack(9_000, 3))
    clock.observe(pack(1_000))
    assert clock.last == pack(9_000, 3)
    assert clock.tick() == pack(9_000, 4)


def test_probe_observe_moves_forward_to_a_later_remote_clock():
    clock = HybridClock(_Wall(0), start=pack(1_000))
    clock.observe(pack(7_000, 2))
    assert clock.last == pack(7_000, 2)
    assert clock.tick() == pack(7_000, 3)


def test_probe_counter_is_the_low_bits_and_never_changes_the_milliseconds():
    assert COUNTER_BITS == 16
    assert pack(3, 5) == (3 << 16) | 5
    assert millis_of(pack(3, 5)) == 3
    assert pack(3, 5) > pack(3, 4) > pack(3, 0)
    assert pack(4, 0) > pack(3, (1 << 16) - 1)
