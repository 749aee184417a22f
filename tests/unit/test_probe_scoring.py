"""Scoring rules the mutation probe found unpinned (scripts/mutation_probe.py, area "scoring").

Pure evaluate(), no database."""

from __future__ import annotations

import pytest

from leaddesk.models.enums import ScoreFamily
from leaddesk.services.qualification.dto import ContactFacts, Quadrant, RuleInfo, Thresholds
from leaddesk.services.qualification.scoring import CRITERIA, clean_params, evaluate

FIT, INTEREST = ScoreFamily.FIT, ScoreFamily.INTEREST


def _rule(name, criterion, points, family=None, **params) -> RuleInfo:
    return RuleInfo(name=name, family=family or CRITERIA[criterion].family, criterion=criterion,
                    params=clean_params(criterion, params), points=points, active=True)


@pytest.mark.parametrize("part, high", [(30, False), (31, True)])
def test_probe_high_is_half_of_an_odd_hot_threshold_not_rounded_down(part, high):
    """With score_hot = 61 "half" is 30.5: 30 is not high, 31 is."""
    assert Thresholds(hot=61, warm=30).is_high(part) is high


@pytest.mark.parametrize("fit, quadrant", [(30, Quadrant.QUALIFY_CAREFULLY), (31, Quadrant.SALES_NOW)])
def test_probe_quadrant_with_an_odd_hot_threshold(fit, quadrant):
    rules = [_rule("fit", "lifecycle_in", fit, values=["mql"]),
             _rule("interest", "lifecycle_in", 40, family=INTEREST, values=["mql"])]
    result = evaluate(rules, ContactFacts(lifecycle_stage="mql"), Thresholds(hot=61, warm=30))
    assert result.quadrant is quadrant
