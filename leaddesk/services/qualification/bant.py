"""BANT qualification: Budget, Authority, Need, Timing, each with a status and a note.

Domain brief: "Positive BANT -> SQL. Otherwise -> nurture, with the reason recorded." The
team's rule (setting ``bant_required``: the parts that must be 'yes') decides, see
:func:`~leaddesk.services.qualification._bant_rule.bant_outcome`. The BANT row, a decision
maker created on the spot, the contact's new stage and the lifecycle event are written in
one transaction. A nurtured lead gets a re-qualify date (default: today + the team setting
``requalify_days``). A positive BANT can become an opportunity on the contact's account
(:func:`create_opportunity_from_bant`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import Account, Bant, Contact, LifecycleEvent, Opportunity
from leaddesk.models.enums import Authority, BantPartStatus, BantResult, BuyingRole, LifecycleStage
from leaddesk.services import settings as team_settings
from leaddesk.services import validation as v
from leaddesk.services.dto import OpportunityDetail
from leaddesk.services.pipeline import opportunities
from leaddesk.services.qualification._bant_form_data import BantFormData, Colleague, load_form_data
from leaddesk.services.qualification._bant_rule import (
    PARTS,
    bant_outcome,
    close_date_of,
    derived_statuses,
    part_status,
    required_parts,
)
from leaddesk.services.qualification.assignment import LeadCapReached
from leaddesk.services.qualification.dto import BantAssessment, BantDetail, BantOutcome
from leaddesk.services.qualification.handoff import assign_pool_in
from leaddesk.services.records import as_uuid, check_version, get_row, to_dto
from leaddesk.services.validation import choice, date_value

__all__ = ["PARTS", "STAGES_KEPT", "BantFormData", "Colleague", "form_data", "assess_bant", "bant_outcome", "bant_history", "close_date_of",
           "create_opportunity_from_bant", "get_latest_bant", "move_contact", "record_bant", "target_stage",
           "team_rule"]

#: Stages a BANT never moves a contact out of: a BANT taken for an upsell must not turn an
#: open opportunity or a customer back into a lead.
STAGES_KEPT = frozenset({LifecycleStage.OPPORTUNITY, LifecycleStage.CUSTOMER})


def assess_bant(
    *, budget_amount: Decimal | None, budget_confirmed: bool, authority: Authority,
    decision_maker_id: uuid.UUID | None, need: str | None, timing: str | None,
    timing_date: dt.date | None, no_need: bool = False, required=None,
) -> BantAssessment:
    """Decide a BANT from its fields alone (pure; the rule before per-part statuses):
    the statuses are read from the fields (:func:`derived_statuses`) and decided by
    :func:`bant_outcome` with ``required`` (default all four parts)."""
    statuses = derived_statuses(budget_amount=budget_amount, budget_confirmed=budget_confirmed, authority=authority,
                                decision_maker_id=decision_maker_id, need=need, timing=timing,
                                timing_date=timing_date, no_need=no_need)
    return bant_outcome(statuses, required=required, no_need=no_need, budget_amount=budget_amount)


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


def team_rule(db: Database) -> tuple[tuple[str, ...], int]:
    """The team's BANT rule: (parts that must be 'yes', days until a nurtured lead is
    qualified again)."""
    with db.reader() as s:
        found = team_settings.read_in(s, "bant_required", "requalify_days")
    return required_parts(found["bant_required"]), int(found["requalify_days"])


def _row_statuses(row: Bant) -> dict[str, BantPartStatus]:
    stored = {p: part_status(getattr(row, f"{p}_status"), p) for p in PARTS}
    if any(s is not BantPartStatus.UNKNOWN for s in stored.values()):
        return stored
    # a row from before per-part statuses: its fields tell them
    return derived_statuses(budget_amount=row.budget_amount, budget_confirmed=bool(row.budget_confirmed),
                            authority=Authority(row.authority or Authority.UNKNOWN),
                            decision_maker_id=row.decision_maker_id, need=row.need, timing=row.timing,
                            timing_date=row.timing_date, no_need=bool(row.no_need))


def _problems_of(row: Bant, statuses: dict, required) -> tuple[str, ...]:
    stored = BantResult(row.result)
    if stored is BantResult.POSITIVE:
        return ()
    found = bant_outcome(statuses, required=required, no_need=bool(row.no_need), budget_amount=row.budget_amount)
    if stored is BantResult.NEGATIVE and found.result is not BantResult.NEGATIVE:
        return ("no need",)  # an old negative the fields do not explain: no-need was not stored then
    if stored is BantResult.INCOMPLETE and found.result is BantResult.POSITIVE:  # the team's rule changed since
        found = bant_outcome(statuses, required=PARTS)
    return found.problems


def _detail(row: Bant, required=None) -> BantDetail:
    if required is None:
        session = object_session(row)
        required = required_parts(team_settings.read_in(session, "bant_required")["bant_required"]) \
            if session is not None else PARTS
    statuses = _row_statuses(row)
    return to_dto(row, BantDetail, assessed_by=row.created_by, problems=_problems_of(row, statuses, required),
                  **{f"{p}_status": statuses[p] for p in PARTS})


def _clean(values: dict) -> dict:
    """Every field of a BANT checked, before any write (ValidationError names the field)."""
    out = {"budget_amount": v.money(values["budget_amount"], field="budget_amount"),
           "budget_currency": v.currency(values["budget_currency"], field="budget_currency", allow_none=True)}
    if out["budget_amount"] and out["budget_currency"] is None:
        raise ValidationError("Give the currency of the budget.", field="budget_currency")
    out["authority"] = choice(Authority, values["authority"] if values["authority"] is not None
                              else Authority.UNKNOWN, "authority")
    out["decision_maker_role"] = choice(BuyingRole, values["decision_maker_role"] or BuyingRole.UNKNOWN,
                                        "decision_maker_role")
    for key, limit in (("budget_source", 200), ("budget_note", 5000), ("authority_note", 5000), ("need", 20000),
                       ("need_offer", 200), ("need_note", 5000), ("timing", 300), ("timing_driver", 300),
                       ("timing_note", 5000)):
        out[key] = v.clean_text(values[key], field=key, max_len=limit)
    out["timing_date"] = date_value(values["timing_date"], field="timing_date")
    out["requalify_on"] = date_value(values["requalify_on"], field="requalify_on")
    out["budget_confirmed"] = bool(values["budget_confirmed"])
    out["no_need"] = bool(values["no_need"])
    out["decision_maker_id"] = (as_uuid(values["decision_maker_id"], field="decision_maker_id")
                                if values["decision_maker_id"] else None)
    out["opportunity_id"] = (as_uuid(values["opportunity_id"], field="opportunity_id")
                             if values["opportunity_id"] else None)
    return out


def _clean_person(person: dict | None, decider) -> dict | None:
    if person is None:
        return None
    if decider is not None:
        raise ValidationError("Name the decision maker or create one, not both.", field="new_decision_maker")
    unknown = set(person) - {"given_name", "family_name", "job_title"}
    if unknown:
        raise ValidationError(f"Unknown field(s) of the decision maker: {', '.join(sorted(unknown))}.",
                              field="new_decision_maker")
    out = {k: v.clean_text(person.get(k), field=f"decision_maker_{k}", max_len=200 if k == "job_title" else 120)
           for k in ("given_name", "family_name", "job_title")}
    if not out["given_name"] and not out["family_name"]:
        raise ValidationError("Give the decision maker a first or a last name.", field="decision_maker_given_name")
    return out


def _add_person(s: Session, person: dict, account_id, owner_id, now: dt.datetime) -> Contact:
    """The decision maker as a new lead on the contact's account, with its first lifecycle
    event, in the BANT's transaction (the people services write in their own transaction,
    and people already imports qualification, so a call there would close a cycle)."""
    name = " ".join(p for p in (person["given_name"], person["family_name"]) if p)
    obj = Contact(**person, account_id=account_id, owner_id=owner_id, display_name=name, name_key=v.sort_key(name),
                  lifecycle_stage=LifecycleStage.LEAD, lifecycle_changed_at=now, captured_at=now,
                  assigned_at=now if owner_id else None)
    s.add(obj)
    s.flush()
    s.add(LifecycleEvent(contact_id=obj.id, from_stage=None, to_stage=LifecycleStage.LEAD, at=now,
                         reason="Named as decision maker in a BANT", by_user_id=owner_id))
    return obj


def record_bant(
    db: Database, contact_id, *, budget_status=None, authority_status=None, need_status=None, timing_status=None,
    budget_amount=None, budget_currency: str | None = None, budget_confirmed: bool = False,
    budget_source: str | None = None, budget_note: str | None = None,
    authority: Authority | str = Authority.UNKNOWN, decision_maker_id=None, new_decision_maker: dict | None = None,
    decision_maker_role: BuyingRole | str | None = None, authority_note: str | None = None,
    need: str | None = None, need_offer: str | None = None, need_note: str | None = None, no_need: bool = False,
    timing: str | None = None, timing_date: dt.date | str | None = None, timing_driver: str | None = None,
    timing_note: str | None = None, requalify_on: dt.date | str | None = None, opportunity_id=None,
    expected_version: int | None = None, now: dt.datetime | None = None,
) -> BantOutcome:
    """Record a BANT of a contact (optionally for ``opportunity_id``) and move the contact
    by its outcome under the team's rule (:func:`bant_outcome`).

    A part's status left None is read from its fields (:func:`derived_statuses`), so the
    callers from before statuses keep working. Positive -> SQL, reason "BANT positive";
    incomplete or negative -> nurture, the reason listing what is missing or negative and
    the re-qualify date (``requalify_on``, default today + ``requalify_days``). Contacts at
    opportunity or customer keep their stage (the BANT is still recorded).
    ``new_decision_maker`` ({given_name, family_name, job_title}) creates the decision maker
    on the contact's account. ``expected_version`` is the contact's version.
    """
    values = _clean(dict(
        budget_amount=budget_amount, budget_currency=budget_currency, budget_confirmed=budget_confirmed,
        budget_source=budget_source, budget_note=budget_note, authority=authority, decision_maker_id=decision_maker_id,
        decision_maker_role=decision_maker_role, authority_note=authority_note, need=need, need_offer=need_offer,
        need_note=need_note, no_need=no_need, timing=timing, timing_date=timing_date, timing_driver=timing_driver,
        timing_note=timing_note, requalify_on=requalify_on, opportunity_id=opportunity_id))
    given = {"budget": budget_status, "authority": authority_status, "need": need_status, "timing": timing_status}
    given = {p: part_status(s, p) if s is not None else None for p, s in given.items()}
    person = _clean_person(new_decision_maker, values["decision_maker_id"])
    derived = derived_statuses(
        budget_amount=values["budget_amount"], budget_confirmed=values["budget_confirmed"],
        authority=values["authority"], decision_maker_id=values["decision_maker_id"] or (True if person else None),
        need=values["need"], timing=values["timing"], timing_date=values["timing_date"], no_need=values["no_need"])
    statuses = {p: given[p] if given[p] is not None else derived[p] for p in PARTS}
    now = now or dt.datetime.now(dt.timezone.utc)
    with db.unit_of_work() as s:
        contact = get_row(s, Contact, contact_id)
        check_version(contact, expected_version)
        if values["decision_maker_id"] is not None:
            get_row(s, Contact, values["decision_maker_id"])
        if values["opportunity_id"] is not None:
            get_row(s, Opportunity, values["opportunity_id"])
        rule = team_settings.read_in(s, "bant_required", "requalify_days")
        verdict = bant_outcome(statuses, required=required_parts(rule["bant_required"]), no_need=values["no_need"],
                               budget_amount=values["budget_amount"])
        positive = verdict.result is BantResult.POSITIVE
        if positive:
            values["requalify_on"] = None
        elif values["requalify_on"] is None:
            values["requalify_on"] = now.date() + dt.timedelta(days=int(rule["requalify_days"]))
        elif values["requalify_on"] <= now.date():
            raise ValidationError("Qualify again on a day after today.", field="requalify_on")
        reason = verdict.reason if positive else f"{verdict.reason}; re-qualify on {values['requalify_on'].isoformat()}"
        created = None
        if person is not None:
            created = _add_person(s, person, contact.account_id, db.write.actor_id, now)
            values["decision_maker_id"] = created.id
        row = Bant(contact_id=contact.id, result=verdict.result, assessed_at=now, **values,
                   **{f"{p}_status": statuses[p] for p in PARTS})
        s.add(row)
        changed = False
        if contact.lifecycle_stage not in STAGES_KEPT:
            changed = move_contact(s, contact, target_stage(verdict.result), reason=reason, at=now,
                                   by_user_id=db.write.actor_id)
        s.flush()
        assigned_to, refused = _assign_if_pooled(s, contact, positive and changed, now, db.write.actor_id)
        return BantOutcome(bant=_detail(row, required_parts(rule["bant_required"])), stage=contact.lifecycle_stage,
                           stage_changed=changed, reason=reason, contact_version=contact.version,
                           requalify_on=values["requalify_on"], decision_maker_id=created.id if created else None,
                           assigned_to=assigned_to, assignment_refused=refused)


def _assign_if_pooled(s: Session, contact: Contact, became_sql: bool, now: dt.datetime,
                      actor_id) -> tuple[uuid.UUID | None, str | None]:
    """A pool lead that a positive BANT made SQL goes round-robin to a rep of the team (as a
    hot lead does); when every rep is at her cap it stays in the pool and the outcome says
    why (the BANT and the stage stand: the refusal comes before anything is assigned)."""
    if not became_sql or contact.owner_id is not None:
        return None, None
    try:
        owners = assign_pool_in(s, [contact.id], now=now, by_user_id=actor_id, reason="BANT positive: sales-qualified")
    except LeadCapReached as exc:
        return None, str(exc)
    return owners.get(contact.id), None


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
        required = required_parts(team_settings.read_in(s, "bant_required")["bant_required"])
        rows = s.scalars(_bants(contact.id, opportunity_id).order_by(Bant.assessed_at, Bant.id))
        return [_detail(r, required) for r in rows]


def create_opportunity_from_bant(db: Database, bant_id, *, name: str | None = None,
                                 now: dt.datetime | None = None) -> OpportunityDetail:
    """An open opportunity on the contact's account from a positive BANT, through the
    pipeline services: amount and currency from the budget, expected close date from the
    timing (its date, else the end of a quarter written as "Q3 2027"), the contact as primary
    contact. The BANT is then linked to it. Refused (ValidationError) for a BANT that is not
    positive, already has an opportunity, or whose contact has no account."""
    with db.reader() as s:
        row = get_row(s, Bant, bant_id)
        contact = get_row(s, Contact, row.contact_id)
        if BantResult(row.result) is not BantResult.POSITIVE:
            raise ValidationError("Only a positive BANT becomes an opportunity.", field="bant_id")
        if row.opportunity_id is not None:
            raise ValidationError("This BANT already has its opportunity.", field="bant_id")
        if contact.account_id is None:
            raise ValidationError(f"{contact.display_name} has no account: link one first.", field="account_id")
        account = get_row(s, Account, contact.account_id)
        amount, currency = row.budget_amount or Decimal("0"), row.budget_currency
        close = close_date_of(row.timing_date, row.timing)
        title = name or (f"{account.name} – {row.need_offer}" if row.need_offer else f"{account.name} – new business")
        contact_id, account_id, version = contact.id, account.id, row.version
    opp = opportunities.create_opportunity(db, account_id, title, amount=amount, currency=currency,
                                           primary_contact_id=contact_id, expected_close_date=close, now=now)
    with db.unit_of_work() as s:
        row = get_row(s, Bant, bant_id)
        check_version(row, version)
        row.opportunity_id = opp.id
    return opp


def form_data(db: Database, contact_id, *, opportunity_id=None) -> BantFormData:
    """What the BANT form starts from (see :class:`BantFormData`); NotFound for a missing
    or deleted contact or opportunity."""
    return load_form_data(db, contact_id, opportunity_id=opportunity_id, detail=_detail)
