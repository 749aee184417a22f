"""BANT qualification: Budget, Authority, Need, Timing.

Domain brief: "Positive BANT -> SQL. Otherwise -> nurture, with the reason recorded." The
BANT row, the contact's new stage and the lifecycle event are written in one transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import Bant, Contact, LifecycleEvent, Opportunity
from leaddesk.models.enums import Authority, BantResult, LifecycleStage
from leaddesk.services import validation as v
from leaddesk.services.validation import choice, date_value
from leaddesk.services.qualification.dto import BantAssessment, BantDetail, BantOutcome
from leaddesk.services.records import as_uuid, check_version, get_row, to_dto

#: Stages a BANT never moves a contact out of: a BANT taken for an upsell must not turn an
#: open opportunity or a customer back into a lead.
STAGES_KEPT = frozenset({LifecycleStage.OPPORTUNITY, LifecycleStage.CUSTOMER})


def assess_bant(
    *, budget_amount: Decimal | None, budget_confirmed: bool, authority: Authority,
    decision_maker_id: uuid.UUID | None, need: str | None, timing: str | None,
    timing_date: dt.date | None, no_need: bool = False,
) -> BantAssessment:
    """Decide a BANT (pure).

    * **negative** when the buyer explicitly cannot or will not buy: a budget amount of
      exactly 0 ("no budget"), or ``no_need`` (the rep found no real need). Negative wins
      over everything else.
    * **positive** when all four hold: budget confirmed or an amount given (> 0);
      the contact is the decision maker or a decision maker is named; the need is stated
      (non-empty text); timing is given (text or a date).
    * **incomplete** otherwise; ``problems`` lists each missing part in B-A-N-T order:
      "no confirmed budget", "decision maker unknown", "need not stated", "timing unknown".
    """
    negative = []
    if budget_amount is not None and budget_amount == 0:
        negative.append("no budget")
    if no_need:
        negative.append("no need")
    if negative:
        return BantAssessment(BantResult.NEGATIVE, tuple(negative))
    missing = []
    if not (budget_confirmed or (budget_amount is not None and budget_amount > 0)):
        missing.append("no confirmed budget")
    if authority is not Authority.DECISION_MAKER and decision_maker_id is None:
        missing.append("decision maker unknown")
    if not (need and need.strip()):
        missing.append("need not stated")
    if not ((timing and timing.strip()) or timing_date):
        missing.append("timing unknown")
    if missing:
        return BantAssessment(BantResult.INCOMPLETE, tuple(missing))
    return BantAssessment(BantResult.POSITIVE, ())


def target_stage(result: BantResult) -> LifecycleStage:
    return LifecycleStage.SQL if result is BantResult.POSITIVE else LifecycleStage.NURTURE


def move_contact(
    session: Session, contact: Contact, stage: LifecycleStage, *, reason: str | None, at: dt.datetime,
    by_user_id: uuid.UUID | None,
) -> bool:
    """Set a contact's stage and reason inside the caller's transaction, recording a
    LifecycleEvent when the stage really changes. Returns True if the stage changed."""
    if contact.lifecycle_stage == stage:
        contact.stage_reason = reason
        return False
    session.add(LifecycleEvent(contact_id=contact.id, from_stage=contact.lifecycle_stage, to_stage=stage, at=at,
                               reason=reason, by_user_id=by_user_id))
    contact.lifecycle_stage = stage
    contact.lifecycle_changed_at = at
    contact.stage_reason = reason
    return True


def _problems_of(row: Bant) -> tuple[str, ...]:
    found = assess_bant(budget_amount=row.budget_amount, budget_confirmed=row.budget_confirmed,
                        authority=row.authority, decision_maker_id=row.decision_maker_id, need=row.need,
                        timing=row.timing, timing_date=row.timing_date)
    problems = found.problems
    if row.result is BantResult.NEGATIVE and found.result is not BantResult.NEGATIVE:
        # "no need" is not a column: a stored negative that the fields do not explain was one.
        problems = ("no need",)
    elif row.result is BantResult.POSITIVE:
        problems = ()
    return problems


def _detail(row: Bant) -> BantDetail:
    return to_dto(row, BantDetail, assessed_by=row.created_by, problems=_problems_of(row))


def record_bant(
    db: Database, contact_id, *, budget_amount=None, budget_currency: str | None = None,
    budget_confirmed: bool = False, authority: Authority | str = Authority.UNKNOWN, decision_maker_id=None,
    authority_note: str | None = None, need: str | None = None, timing: str | None = None,
    timing_date: dt.date | str | None = None, opportunity_id=None, no_need: bool = False,
    expected_version: int | None = None, now: dt.datetime | None = None,
) -> BantOutcome:
    """Record a BANT of a contact and move the contact by its result (see :func:`assess_bant`).

    Positive -> SQL with reason "BANT positive"; incomplete or negative -> nurture with the
    reason listing what is missing. Contacts already at opportunity or customer keep their
    stage (the BANT is still recorded). ``expected_version`` is the contact's version.
    """
    amount = v.money(budget_amount, field="budget_amount")
    currency = v.currency(budget_currency, field="budget_currency", allow_none=True)
    if amount and currency is None:
        raise ValidationError("Give the currency of the budget.", field="budget_currency")
    authority = choice(Authority, authority if authority is not None else Authority.UNKNOWN, "authority")
    authority_note = v.clean_text(authority_note, field="authority_note", max_len=5000)
    need = v.clean_text(need, field="need", max_len=20000)
    timing = v.clean_text(timing, field="timing", max_len=300)
    timing_date = date_value(timing_date, field="timing_date")
    decider = as_uuid(decision_maker_id, field="decision_maker_id") if decision_maker_id else None
    opportunity = as_uuid(opportunity_id, field="opportunity_id") if opportunity_id else None
    verdict = assess_bant(budget_amount=amount, budget_confirmed=bool(budget_confirmed), authority=authority,
                          decision_maker_id=decider, need=need, timing=timing, timing_date=timing_date,
                          no_need=bool(no_need))
    now = now or dt.datetime.now(dt.timezone.utc)
    with db.unit_of_work() as s:
        contact = get_row(s, Contact, contact_id)
        check_version(contact, expected_version)
        if decider is not None:
            get_row(s, Contact, decider)
        if opportunity is not None:
            get_row(s, Opportunity, opportunity)
        row = Bant(contact_id=contact.id, opportunity_id=opportunity, budget_amount=amount,
                   budget_currency=currency, budget_confirmed=bool(budget_confirmed), authority=authority,
                   decision_maker_id=decider, authority_note=authority_note, need=need, timing=timing,
                   timing_date=timing_date, result=verdict.result, assessed_at=now)
        s.add(row)
        changed = False
        if contact.lifecycle_stage not in STAGES_KEPT:
            changed = move_contact(s, contact, target_stage(verdict.result), reason=verdict.reason, at=now,
                                   by_user_id=db.write.actor_id)
        s.flush()
        return BantOutcome(bant=_detail(row), stage=contact.lifecycle_stage, stage_changed=changed,
                           reason=verdict.reason, contact_version=contact.version)


def _bants(contact_id, opportunity_id):
    stmt = select(Bant).where(Bant.contact_id == contact_id, Bant.deleted.is_(False))
    if opportunity_id is not None:
        stmt = stmt.where(Bant.opportunity_id == as_uuid(opportunity_id, field="opportunity_id"))
    return stmt


def get_latest_bant(db: Database, contact_id, *, opportunity_id=None) -> BantDetail | None:
    """The contact's most recent BANT (optionally for one opportunity), or None."""
    with db.reader() as s:
        contact = get_row(s, Contact, contact_id, include_deleted=True)
        row = s.scalars(
            _bants(contact.id, opportunity_id).order_by(Bant.assessed_at.desc(), Bant.id.desc()).limit(1)
        ).first()
        return _detail(row) if row is not None else None


def bant_history(db: Database, contact_id, *, opportunity_id=None) -> list[BantDetail]:
    """Every BANT of the contact, oldest first."""
    with db.reader() as s:
        contact = get_row(s, Contact, contact_id, include_deleted=True)
        rows = s.scalars(_bants(contact.id, opportunity_id).order_by(Bant.assessed_at, Bant.id))
        return [_detail(r) for r in rows]
