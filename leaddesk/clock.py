"""Hybrid logical clock (HLC): 48-bit wall milliseconds << 16 | 16-bit counter, one int64.

``tick()`` stamps a local edit; ``observe(remote)`` is called for every change pulled from
elsewhere so that an edit made *after seeing* a change always orders after it, even when
this machine's wall clock is behind. Conflicts are ordered by ``(hlc, node)``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

COUNTER_BITS = 16
COUNTER_MASK = (1 << COUNTER_BITS) - 1


def pack(millis: int, counter: int = 0) -> int:
    return (millis << COUNTER_BITS) | (counter & COUNTER_MASK)


def millis_of(hlc: int) -> int:
    return hlc >> COUNTER_BITS


class HybridClock:
    def __init__(self, wall_millis: Callable[[], int] | None = None, start: int = 0):
        self._wall = wall_millis or (lambda: time.time_ns() // 1_000_000)
        self._last = start
        self._lock = threading.Lock()

    @property
    def last(self) -> int:
        return self._last

    def wall(self) -> int:
        """This machine's wall clock, in milliseconds (what :meth:`tick` starts from)."""
        return self._wall()

    def tick(self) -> int:
        """A new timestamp strictly greater than every one this clock has given or seen."""
        with self._lock:
            wall = pack(self._wall())
            self._last = wall if wall > self._last else self._last + 1
            return self._last

    def observe(self, remote: int) -> None:
        """Move past a timestamp seen from another node (or read back from disk)."""
        with self._lock:
            if remote > self._last:
                self._last = remote

    def reset(self, value: int) -> None:
        """Set the clock back to ``value``: only to recover from a clock carried far ahead
        by a change with a wrong date (outbox.restamp_outbox); never in normal work."""
        with self._lock:
            self._last = value
