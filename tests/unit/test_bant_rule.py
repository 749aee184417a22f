"""The BANT outcome rule, pure: every class of part combination under the team's rule
(``bant_required``), the negatives that win over everything, and the close date a
positive BANT's timing gives its opportunity."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from leaddesk.errors import ValidationError
from leaddesk.models.enums import BantPartStatus as S
from leaddesk.models.enums import BantResult as R
from leaddesk.services.qualification.bant import PARTS, bant_outcome, close_date_of

ALL_YES = {p: S.YES for p in PARTS}


def test_every_combination_of_the_four_parts_falls_in_its_class():
    """All 4^4 combinations with the default rule (all four required)."""
    for combo in itertools.product(list(S), repeat=4):
        statuses = dict(zip(PARTS, combo))
        out = bant_outcome(statuses)
        if S.NO in combo:
            assert out.result is R.NEGATIVE
            assert out.problems == tuple(f"no {p}" for p, s in statuses.items() if s is S.NO)
        elif all(s is S.YES for s in combo):
            assert (out.result, out.problems) == (R.POSITIVE, ())
        else:
            assert out.result is R.INCOMPLETE
            assert out.problems == tuple(f"{p} {s.value}" for p, s in statuses.items() if s is not S.YES)


def test_incomplete_lists_unknown_and_partial_parts_in_bant_order():
    out = bant_outcome({"budget": "yes", "authority": "partial", "need": "yes", "timing": "unknown"})
    assert (out.result, out.problems) == (R.INCOMPLETE, ("authority partial", "timing unknown"))
    assert out.reason == "BANT incomplete: authority partial, timing unknown"


@pytest.mark.parametrize("required, statuses, result", [
    # the team only asks for need and timing: budget and authority may stay open
    (["need", "timing"], {"need": S.YES, "timing": S.YES}, R.POSITIVE),
    (["need", "timing"], {"need": S.YES, "timing": S.PARTIAL, "budget": S.YES}, R.INCOMPLETE),
    (["timing", "need"], {"need": S.YES, "timing": S.YES, "authority": S.PARTIAL}, R.POSITIVE),
    # ...but a part that is 'no' is negative even when the team does not require it
    (["need", "timing"], {"need": S.YES, "timing": S.YES, "budget": S.NO}, R.NEGATIVE),
    # an empty rule: nothing must be yes, so any BANT without a 'no' proposes SQL
    ([], {}, R.POSITIVE),
    ([], {"authority": S.NO}, R.NEGATIVE),
    (["budget"], {"budget": S.PARTIAL}, R.INCOMPLETE),
    (["Budget ", "NEED"], {"budget": S.YES, "need": S.YES}, R.POSITIVE),  # as a manager may have typed it
])
def test_the_team_rule_decides_which_parts_must_be_yes(required, statuses, result):
    assert bant_outcome(statuses, required=required).result is result


def test_incomplete_under_a_team_rule_names_only_the_required_parts():
    out = bant_outcome({"budget": S.UNKNOWN, "need": S.PARTIAL, "timing": S.UNKNOWN}, required=["need", "timing"])
    assert out.problems == ("need partial", "timing unknown")


@pytest.mark.parametrize("extra, problems", [
    ({"no_need": True}, ("no need",)),
    ({"budget_amount": Decimal("0")}, ("no budget",)),
    ({"budget_amount": Decimal("0"), "no_need": True}, ("no budget", "no need")),
])
def test_no_need_and_a_zero_budget_are_negative_even_when_all_parts_are_yes(extra, problems):
    out = bant_outcome(ALL_YES, **extra)
    assert (out.result, out.problems) == (R.NEGATIVE, problems)
    assert out.reason == "BANT negative: " + ", ".join(problems)


def test_a_positive_budget_amount_does_not_change_the_verdict():
    assert bant_outcome(ALL_YES, budget_amount=Decimal("25000")).result is R.POSITIVE
    assert bant_outcome({**ALL_YES, "timing": S.UNKNOWN}, budget_amount=Decimal("1")).result is R.INCOMPLETE


def test_an_unknown_part_status_is_refused_naming_the_part():
    with pytest.raises(ValidationError) as err:
        bant_outcome({**ALL_YES, "timing": "maybe"})
    assert err.value.field == "timing_status"


@pytest.mark.parametrize("date, text, close", [
    (dt.date(2027, 5, 4), "Q3 2027", dt.date(2027, 5, 4)),  # the date wins
    (None, "Q3 2027", dt.date(2027, 9, 30)),
    (None, "by q1/2028, budget year", dt.date(2028, 3, 31)),
    (None, "2027-Q4", dt.date(2027, 12, 31)),
    (None, "after the summer", None),
    (None, None, None),
])
def test_the_close_date_comes_from_the_timing(date, text, close):
    assert close_date_of(date, text) == close
