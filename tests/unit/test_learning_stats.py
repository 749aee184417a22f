"""The arithmetic of learning from won/lost (services/qualification/_learning_stats.py)."""

from __future__ import annotations

import math

import pytest

from leaddesk.services.qualification._learning_stats import Counts, propose_points, too_few, wilson


def test_wilson_matches_the_textbook_and_stays_inside_0_1():
    low, high = wilson(8, 10)
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0
    assert wilson(0, 0) == (0.0, 1.0)
    narrow, wide = wilson(800, 1000), wilson(8, 10)
    assert narrow[1] - narrow[0] < (wide[1] - wide[0]) / 5  # more outcomes, tighter range


def test_counts_give_rates_lift_and_smoothed_log_odds():
    c = Counts(won_hit=16, lost_hit=4, won_miss=4, lost_miss=16)
    assert (c.win_rate_hit, c.win_rate_miss, c.base_rate) == (0.8, 0.2, 0.5)
    assert c.lift == pytest.approx(1.6)
    assert c.log_odds_ratio == pytest.approx(math.log(16.5 * 16.5 / (4.5 * 4.5)))
    assert Counts(won_hit=0, lost_hit=9, won_miss=5, lost_miss=5).log_odds_ratio < 0  # an empty cell is finite
    assert Counts(lost_hit=3, lost_miss=3).lift is None  # nothing won: no lift


def test_too_few_names_what_is_missing():
    assert too_few(Counts(5, 5, 5, 5), 20).startswith("Too few outcomes: 20 closed leads")
    assert too_few(Counts(2, 2, 20, 20), 44) == "Too few outcomes: holds on 4, 5 needed."
    assert too_few(Counts(20, 20, 2, 1), 43).startswith("Holds on nearly all")
    assert too_few(Counts(5, 5, 20, 20), 50) is None


def test_proposals_keep_the_teams_total_and_follow_the_evidence_sign():
    points = propose_points([20, 10], [1.0, -0.5])
    assert points == [20, -10]
    assert propose_points([5, 5], [3.0, 0.0]) == [10, 0]
    assert propose_points([0], [math.log(2)]) == [10]  # nothing spent yet: 10 points per doubling
    assert propose_points([100, 100], [10.0, 0.1]) == [100, 2]  # capped at the rules' limit
    assert propose_points([10], [0.0]) == [0]
