"""The arithmetic of learning from won/lost outcomes (pure; no database).

For one rule, the closed leads fall into four counts: won or lost, rule held or not.
From them: the win rate when the rule holds and when it does not, the lift (win rate when
it holds divided by the overall win rate) with a Wilson interval, and the smoothed log of
the odds ratio (the weight of evidence of the rule holding minus that of it not holding),
from which :func:`propose_points` derives points on the team's current scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

#: Below this many closed leads (won + lost) nothing is proposed.
MIN_OUTCOMES = 30
#: Below this many closed leads where the rule holds (or where it does not) nothing is proposed.
MIN_HITS = 5
#: Added to each of the four counts (Haldane-Anscombe): an empty cell is not "infinitely" telling.
SMOOTHING = 0.5
#: z of a 95% interval.
Z95 = 1.96
#: The largest |points| a rule may have (scoring_criteria.MAX_POINTS).
POINT_LIMIT = 100


@dataclass(frozen=True)
class Counts:
    won_hit: int = 0
    lost_hit: int = 0
    won_miss: int = 0
    lost_miss: int = 0

    @property
    def hits(self) -> int:
        return self.won_hit + self.lost_hit

    @property
    def misses(self) -> int:
        return self.won_miss + self.lost_miss

    @property
    def total(self) -> int:
        return self.hits + self.misses

    @property
    def won(self) -> int:
        return self.won_hit + self.won_miss

    @property
    def win_rate_hit(self) -> float | None:
        return self.won_hit / self.hits if self.hits else None

    @property
    def win_rate_miss(self) -> float | None:
        return self.won_miss / self.misses if self.misses else None

    @property
    def base_rate(self) -> float | None:
        return self.won / self.total if self.total else None

    @property
    def lift(self) -> float | None:
        """P(won | rule holds) / P(won); 1 = the rule tells nothing."""
        if not self.hits or not self.won:
            return None
        return self.win_rate_hit / self.base_rate

    @property
    def lift_interval(self) -> tuple[float, float] | None:
        """The 95% Wilson interval of the win rate when the rule holds, over the overall rate."""
        if not self.hits or not self.won:
            return None
        lo, hi = wilson(self.won_hit, self.hits)
        return lo / self.base_rate, hi / self.base_rate

    @property
    def log_odds_ratio(self) -> float:
        """ln of (odds of winning when the rule holds) / (odds when it does not), smoothed."""
        a = SMOOTHING
        return math.log((self.won_hit + a) * (self.lost_miss + a) / ((self.lost_hit + a) * (self.won_miss + a)))


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion k/n (sound for small n and for 0 or n)."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def too_few(counts: Counts, closed: int) -> str | None:
    """Why ``counts`` support no proposal, or None when they do."""
    if closed < MIN_OUTCOMES:
        return f"Too few outcomes: {closed} closed leads, {MIN_OUTCOMES} needed."
    if counts.hits < MIN_HITS:
        return f"Too few outcomes: holds on {counts.hits}, {MIN_HITS} needed."
    if counts.misses < MIN_HITS:
        return f"Holds on nearly all: {counts.misses} without it, {MIN_HITS} needed."
    return None


def propose_points(current: Sequence[int], evidence: Sequence[float]) -> list[int]:
    """Points in proportion to each rule's log odds ratio, on the scale the team uses now:
    one factor for all, chosen so the proposals add up (in absolute value) to the same total
    as the current points of those rules. The sign follows the evidence."""
    spent = sum(abs(p) for p in current)
    weight = sum(abs(e) for e in evidence)
    if not weight:
        return [0 for _ in evidence]
    factor = spent / weight if spent else 10 / math.log(2)  # nothing spent: 10 points per doubling
    return [max(-POINT_LIMIT, min(POINT_LIMIT, round(e * factor))) for e in evidence]
