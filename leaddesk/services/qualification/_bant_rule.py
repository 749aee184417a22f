"""The BANT outcome rule, pure (no database): per-part statuses in, a verdict out.

The team's rule is the setting ``bant_required``: the parts that must be 'yes'. Any part
'no' (or the explicit no-need, or a budget of exactly 0) makes the BANT negative; every
required part 'yes' makes it positive (propose SQL); anything else is incomplete, with the
required parts that are not 'yes' listed as "timing unknown", "authority partial".
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal

from leaddesk.errors import ValidationError
from leaddesk.models.enums import Authority, BantPartStatus, BantResult
from leaddesk.services.qualification.dto import BantAssessment

#: The four parts, in the order they are always listed.
PARTS = ("budget", "authority", "need", "timing")
#: What a part that is 'no' is called in the reason.
NEGATIVE_WORDS = {"budget": "no budget", "authority": "no authority", "need": "no need", "timing": "no timing"}


def part_status(value, part: str) -> BantPartStatus:
    """``value`` (a status or its text; None = unknown) as a BantPartStatus, or a
    ValidationError naming the part's field."""
    if value is None:
        return BantPartStatus.UNKNOWN
    if isinstance(value, BantPartStatus):
        return value
    try:
        return BantPartStatus(str(value).strip().lower())
    except ValueError:
        names = ", ".join(s.value for s in BantPartStatus)
        raise ValidationError(f"'{value}' is not a status of the {part}. Use one of: {names}.",
                              field=f"{part}_status") from None


def required_parts(value: Iterable[str] | None) -> tuple[str, ...]:
    """The team setting ``bant_required`` cleaned: known parts, in B-A-N-T order."""
    wanted = {str(p).strip().lower() for p in (value if value is not None else PARTS)}
    return tuple(p for p in PARTS if p in wanted)


def bant_outcome(statuses: Mapping[str, BantPartStatus | str | None], *, required: Iterable[str] | None = None,
                 no_need: bool = False, budget_amount: Decimal | None = None) -> BantAssessment:
    """Decide a BANT by its parts and the team's rule (``required``; default all four).

    * **negative** when any part is 'no', ``no_need`` is set, or the budget amount is 0;
      ``problems`` name them ("no budget", "no need").
    * **positive** when every required part is 'yes' (no problems).
    * **incomplete** otherwise; ``problems`` list each required part not 'yes' with its
      status, in B-A-N-T order ("authority partial", "timing unknown").
    """
    status = {p: part_status(statuses.get(p), p) for p in PARTS}
    negative = []
    for p in PARTS:
        if (status[p] is BantPartStatus.NO or (p == "need" and no_need)
                or (p == "budget" and budget_amount is not None and budget_amount == 0)):
            negative.append(NEGATIVE_WORDS[p])
    if negative:
        return BantAssessment(BantResult.NEGATIVE, tuple(negative))
    missing = tuple(f"{p} {status[p].value}" for p in required_parts(required) if status[p] is not BantPartStatus.YES)
    if missing:
        return BantAssessment(BantResult.INCOMPLETE, missing)
    return BantAssessment(BantResult.POSITIVE, ())


def derived_statuses(*, budget_amount: Decimal | None, budget_confirmed: bool, authority: Authority,
                     decision_maker_id, need: str | None, timing: str | None, timing_date: dt.date | None,
                     no_need: bool = False) -> dict[str, BantPartStatus]:
    """The parts' statuses as the fields before per-part statuses tell them (old rows, and
    callers that give no status): budget yes when confirmed or an amount above 0; authority
    yes when the contact decides or a decision maker is named, partial for an influencer;
    need yes when stated (no when ``no_need``); timing yes when text or a date is given."""
    yes, unknown = BantPartStatus.YES, BantPartStatus.UNKNOWN
    if budget_amount is not None and budget_amount == 0:
        budget = BantPartStatus.NO
    else:
        budget = yes if budget_confirmed or (budget_amount is not None and budget_amount > 0) else unknown
    if authority is Authority.DECISION_MAKER or decision_maker_id is not None:
        auth = yes
    else:
        auth = BantPartStatus.PARTIAL if authority is Authority.INFLUENCER else unknown
    need_status = BantPartStatus.NO if no_need else yes if need and need.strip() else unknown
    timing_status = yes if (timing and timing.strip()) or timing_date else unknown
    return {"budget": budget, "authority": auth, "need": need_status, "timing": timing_status}


_QUARTER = re.compile(r"\bQ([1-4])\s*[/ -]?\s*((?:19|20)\d\d)\b|\b((?:19|20)\d\d)\s*[/ -]?\s*Q([1-4])\b", re.I)


def close_date_of(timing_date: dt.date | None, timing: str | None) -> dt.date | None:
    """An opportunity's expected close date from a BANT's timing: the date if given, else
    the last day of a quarter written in the text ("Q3 2027", "2027-Q3"), else None."""
    if timing_date is not None:
        return timing_date
    match = _QUARTER.search(timing or "")
    if match is None:
        return None
    quarter, year = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
    month = 3 * int(quarter)
    return dt.date(int(year), month, calendar.monthrange(int(year), month)[1])
