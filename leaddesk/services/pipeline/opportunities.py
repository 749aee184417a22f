"""The opportunities that move through a pipeline's stages, and their closing.

Each opportunity moves on its own, even when its account has several (domain brief). Every
stage or status change is kept in ``opportunity_event`` (funnel, forecast accuracy, audit).
Writes return the new :class:`OpportunityDetail`, whose ``stage_id``/``board_rank``/``status``
are what an undo stack keeps: ``move_opportunity(..., stage_id=old.stage_id, rank=old.board_rank)``
puts a card back where it was; ``reopen`` undoes a close (the card keeps its old rank).

Pipelines and stages are in :mod:`.pipelines`, lost reasons in :mod:`.lost_reasons`; the
field rules in ``_rules``, the column helpers shared with the stage edits in ``_columns``.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid

from sqlalchemy import and_, or_, func, select
from sqlalchemy.orm import Session

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import (
    Account, Contact, LifecycleEvent, LostReason, Opportunity, OpportunityEvent, Pipeline, PipelineStage,
)
from leaddesk.models.enums import LifecycleStage
from leaddesk.services import validation as v
from leaddesk.services.dto import OpportunityCard, OpportunityDetail, OpportunityStep
from leaddesk.services.pipeline._columns import (
    _actor, _column, _column_end, _enter_stage, _record, _ref, _stage_of,
)
from leaddesk.services.pipeline._rules import LOST, OPEN, REFS, WON, _clean_opportunity, _now
from leaddesk.services.pipeline.pipelines import _live_pipelines, _stages
from leaddesk.services.records import as_uuid, assign, check_version, get_row, to_dto


# --- opportunities ---------------------------------------------------------------------

def _detail(opp: Opportunity) -> OpportunityDetail:
    return to_dto(opp, OpportunityDetail)


def _first_stage(s: Session, pipeline: Pipeline) -> PipelineStage:
    stages = _stages(s, pipeline.id)
    if not stages:
        raise ValidationError(f"The pipeline '{pipeline.name}' has no stages yet: add one first.", field="stage_id")
    return stages[0]


def _check_refs(s: Session, values: dict) -> None:
    for key, (model, label) in REFS.items():
        if values.get(key) is not None:
            _ref(s, model, values[key], field=key, label=label)


def create_opportunity(db: Database, account_id, name: str, *, amount=0, currency: str | None = None,
                       pipeline_id=None, stage_id=None, now: dt.datetime | None = None,
                       **data) -> OpportunityDetail:
    """A new open opportunity, at the bottom of its stage's column.

    Defaults: the default pipeline, its first stage, the pipeline's currency, the acting user
    as owner. Other fields (``primary_contact_id``, ``expected_close_date``, ``probability``,
    ``owner_id``, ``next_step``, ``next_step_due``, ``campaign_id``, ``notes``) are as in the model.
    """
    values = _clean_opportunity({**data, "account_id": account_id, "name": name, "amount": amount,
                                 "currency": currency}, partial=False)
    now = _now(now)
    with db.unit_of_work() as s:
        _check_refs(s, values)
        if pipeline_id is not None:
            pipe = _ref(s, Pipeline, pipeline_id, field="pipeline_id", label="pipeline")
        else:
            pipes = _live_pipelines(s)
            pipe = next((p for p in pipes if p.is_default), pipes[0] if pipes else None)
            if pipe is None:
                raise ValidationError("There is no pipeline yet: create one first.", field="pipeline_id")
        stage = _stage_of(s, stage_id, pipe.id) if stage_id is not None else _first_stage(s, pipe)
        values["currency"] = values["currency"] or pipe.currency
        values.setdefault("owner_id", _actor(s))
        opp = Opportunity(**values, pipeline_id=pipe.id, stage_id=stage.id, status=OPEN, stage_entered_at=now,
                          board_rank=_column_end(s, stage.id))
        s.add(opp)
        s.flush()
        _record(s, opp, None, None, now)
        s.flush()
        return _detail(opp)


def get_opportunity(db: Database, opportunity_id, *, include_deleted: bool = False) -> OpportunityDetail:
    with db.reader() as s:
        return _detail(get_row(s, Opportunity, opportunity_id, include_deleted=include_deleted))


def update_opportunity(db: Database, opportunity_id, expected_version: int | None, **data) -> OpportunityDetail:
    """Edit the fields of the opportunity form. Stage and status change through
    :func:`move_opportunity`, :func:`close_won`, :func:`close_lost` and :func:`reopen`."""
    values = _clean_opportunity(data, partial=True)
    with db.unit_of_work() as s:
        opp = get_row(s, Opportunity, opportunity_id)
        check_version(opp, expected_version)
        _check_refs(s, values)
        if assign(opp, values):
            s.flush()
        return _detail(opp)


def list_opportunities_for_account(db: Database, account_id, *, include_closed: bool = True) -> list[OpportunityDetail]:
    stmt = select(Opportunity).where(Opportunity.account_id == as_uuid(account_id, field="account_id"),
                                     Opportunity.deleted.is_(False))
    if not include_closed:
        stmt = stmt.where(Opportunity.status == OPEN)
    with db.reader() as s:
        return [_detail(o) for o in s.scalars(stmt.order_by(Opportunity.created_at, Opportunity.id))]


def list_open_opportunities(db: Database, pipeline_id) -> list[OpportunityCard]:
    """The board: open cards of a pipeline by column (stage position), then rank."""
    stmt = (
        select(Opportunity.id, Opportunity.name, Opportunity.account_id, Account.name.label("account_name"),
               Opportunity.primary_contact_id, Opportunity.stage_id, Opportunity.amount, Opportunity.currency,
               func.coalesce(Opportunity.probability, PipelineStage.probability).label("probability"),
               Opportunity.expected_close_date, Opportunity.owner_id, Opportunity.board_rank,
               Opportunity.stage_entered_at, Opportunity.last_touch_at, Opportunity.next_step,
               Opportunity.next_step_due, Opportunity.version)
        .join(PipelineStage, PipelineStage.id == Opportunity.stage_id)
        .outerjoin(Account, Account.id == Opportunity.account_id)
        .where(Opportunity.pipeline_id == as_uuid(pipeline_id, field="pipeline_id"), Opportunity.status == OPEN,
               Opportunity.deleted.is_(False))
        .order_by(PipelineStage.position, Opportunity.board_rank, Opportunity.id)
    )
    with db.reader() as s:
        get_row(s, Pipeline, pipeline_id)
        return [OpportunityCard(**r._asdict()) for r in s.execute(stmt)]


def _new_rank(s: Session, opp: Opportunity, stage_id: uuid.UUID, before_id, after_id, rank) -> float:
    if sum(x is not None for x in (before_id, after_id, rank)) > 1:
        raise ValidationError("Give only one of before_id, after_id or rank.", field="rank")
    if rank is not None:
        if isinstance(rank, bool) or not isinstance(rank, (int, float)) or not math.isfinite(rank):
            raise ValidationError("The position in the column must be a number.", field="rank")
        return float(rank)
    if before_id is None and after_id is None:
        return opp.board_rank if stage_id == opp.stage_id else _column_end(s, stage_id, exclude=opp.id)
    field = "before_id" if before_id is not None else "after_id"
    anchor = as_uuid(before_id if before_id is not None else after_id, field=field)
    if anchor == opp.id:
        raise ValidationError("A card cannot be placed next to itself.", field=field)
    # Read only the anchor and its neighbour (index on pipeline, status, stage), not the
    # whole column: a busy column holds thousands of cards and a drop must stay instant.
    in_column = (Opportunity.pipeline_id == opp.pipeline_id, Opportunity.status == OPEN,
                 Opportunity.stage_id == stage_id, Opportunity.deleted.is_(False), Opportunity.id != opp.id)
    anchor_rank = s.scalar(select(Opportunity.board_rank).where(Opportunity.id == anchor, *in_column))
    if anchor_rank is None:
        raise ValidationError("The card to place it next to is not open in that column any more.", field=field)
    if before_id is not None:
        side = or_(Opportunity.board_rank < anchor_rank,
                   and_(Opportunity.board_rank == anchor_rank, Opportunity.id < anchor))
        order = (Opportunity.board_rank.desc(), Opportunity.id.desc())
    else:
        side = or_(Opportunity.board_rank > anchor_rank,
                   and_(Opportunity.board_rank == anchor_rank, Opportunity.id > anchor))
        order = (Opportunity.board_rank, Opportunity.id)
    other = s.scalar(select(Opportunity.board_rank).where(*in_column, side).order_by(*order).limit(1))
    if other is None:
        return anchor_rank - 1.0 if before_id is not None else anchor_rank + 1.0
    low, high = sorted((anchor_rank, other))
    mid = (low + high) / 2
    if low < mid < high:
        return mid
    # No room left between the neighbours (or they tie): renumber the column 1..n, then
    # place the card by position.
    column = _column(s, stage_id, exclude=opp.id)
    for pos, card in enumerate(column, start=1):
        assign(card, {"board_rank": float(pos)})
    idx = next(i for i, o in enumerate(column) if o.id == anchor)
    pos = idx + 1.0
    return pos - 0.5 if before_id is not None else pos + 0.5


def move_opportunity(db: Database, opportunity_id, stage_id, *, expected_version: int | None = None,
                     before_id=None, after_id=None, rank: float | None = None,
                     now: dt.datetime | None = None) -> OpportunityDetail:
    """Move an open card to ``stage_id`` (of its own pipeline) and/or within its column.

    Place it right above ``before_id``, right below ``after_id``, or at an exact ``rank``
    (undo); with none of them it keeps its rank in the same column or goes to the bottom of
    another one. A stage change resets ``stage_entered_at`` and is written to the history.
    """
    now = _now(now)
    with db.unit_of_work() as s:
        opp = get_row(s, Opportunity, opportunity_id)
        check_version(opp, expected_version)
        if opp.status != OPEN:
            raise ValidationError(f"This opportunity is closed as {opp.status.value}: reopen it before moving it.",
                                  field="status")
        stage = _stage_of(s, stage_id, opp.pipeline_id)
        new_rank = _new_rank(s, opp, stage.id, before_id, after_id, rank)
        if stage.id != opp.stage_id:
            _enter_stage(s, opp, stage.id, new_rank, now)
        else:
            assign(opp, {"board_rank": new_rank})
        s.flush()
        return _detail(opp)


def _make_customer(s: Session, contact_id: uuid.UUID | None, reason: str, at: dt.datetime) -> None:
    """contacts.change_stage(..., CUSTOMER) inside this unit of work."""
    contact = s.get(Contact, contact_id) if contact_id else None
    if contact is None or contact.deleted or contact.lifecycle_stage == LifecycleStage.CUSTOMER:
        return
    s.add(LifecycleEvent(contact_id=contact.id, from_stage=contact.lifecycle_stage, to_stage=LifecycleStage.CUSTOMER,
                         at=at, reason=reason, by_user_id=_actor(s)))
    contact.lifecycle_stage = LifecycleStage.CUSTOMER
    contact.lifecycle_changed_at = at
    contact.stage_reason = reason


def _open_for_closing(s: Session, opportunity_id, expected_version) -> Opportunity:
    opp = get_row(s, Opportunity, opportunity_id)
    check_version(opp, expected_version)
    if opp.status != OPEN:
        raise ValidationError(f"This opportunity is already closed as {opp.status.value}.", field="status")
    return opp


def close_won(db: Database, opportunity_id, *, expected_version: int | None = None,
              now: dt.datetime | None = None) -> OpportunityDetail:
    """Close as won; the primary contact becomes a customer (same transaction)."""
    now = _now(now)
    with db.unit_of_work() as s:
        opp = _open_for_closing(s, opportunity_id, expected_version)
        opp.status, opp.closed_at, opp.lost_reason_id, opp.lost_note = WON, now, None, None
        _record(s, opp, opp.stage_id, OPEN, now)
        _make_customer(s, opp.primary_contact_id, f"Opportunity '{opp.name}' won.", now)
        s.flush()
        return _detail(opp)


def close_lost(db: Database, opportunity_id, lost_reason_id, *, note: str | None = None,
               expected_version: int | None = None, now: dt.datetime | None = None) -> OpportunityDetail:
    """Close as lost, with an active lost reason (required) and an optional note."""
    note = v.clean_text(note, field="note", max_len=4000)
    if lost_reason_id is None:
        raise ValidationError("Choose why the opportunity was lost.", field="lost_reason_id")
    now = _now(now)
    with db.unit_of_work() as s:
        opp = _open_for_closing(s, opportunity_id, expected_version)
        reason = _ref(s, LostReason, lost_reason_id, field="lost_reason_id", label="lost reason")
        if not reason.active:
            raise ValidationError(f"The lost reason '{reason.name}' is no longer in use: choose another one.",
                                  field="lost_reason_id")
        opp.status, opp.closed_at, opp.lost_reason_id, opp.lost_note = LOST, now, reason.id, note
        _record(s, opp, opp.stage_id, OPEN, now)
        s.flush()
        return _detail(opp)


def reopen(db: Database, opportunity_id, *, stage_id=None, expected_version: int | None = None,
           now: dt.datetime | None = None) -> OpportunityDetail:
    """Reopen a won or lost opportunity, in its old stage and rank unless ``stage_id`` is
    given (or its old stage was deleted: then the pipeline's first stage). A contact made a
    customer by the win stays a customer."""
    now = _now(now)
    with db.unit_of_work() as s:
        opp = get_row(s, Opportunity, opportunity_id)
        check_version(opp, expected_version)
        if opp.status == OPEN:
            raise ValidationError("This opportunity is already open.", field="status")
        old_status, old_stage = opp.status, opp.stage_id
        if stage_id is not None:
            stage = _stage_of(s, stage_id, opp.pipeline_id)
        else:
            current = s.get(PipelineStage, opp.stage_id)
            stage = current if not current.deleted else _first_stage(s, get_row(s, Pipeline, opp.pipeline_id))
        opp.status, opp.closed_at, opp.lost_reason_id, opp.lost_note = OPEN, None, None, None
        if stage.id != old_stage:
            opp.stage_id, opp.stage_entered_at = stage.id, now
            opp.board_rank = _column_end(s, stage.id, exclude=opp.id)
        _record(s, opp, old_stage, old_status, now)
        s.flush()
        return _detail(opp)


def delete_opportunity(db: Database, opportunity_id, *, expected_version: int | None = None) -> OpportunityDetail:
    with db.unit_of_work() as s:
        opp = get_row(s, Opportunity, opportunity_id)
        check_version(opp, expected_version)
        opp.deleted = True
        s.flush()
        return _detail(opp)


def restore_opportunity(db: Database, opportunity_id, *, expected_version: int | None = None) -> OpportunityDetail:
    """Undo a delete. Refused while its pipeline or (for an open one) its stage is deleted."""
    with db.unit_of_work() as s:
        opp = get_row(s, Opportunity, opportunity_id, include_deleted=True)
        check_version(opp, expected_version)
        if s.get(Pipeline, opp.pipeline_id).deleted:
            raise ValidationError("Its pipeline was deleted: restore the pipeline first.", field="pipeline_id")
        stage = s.get(PipelineStage, opp.stage_id)
        if opp.status == OPEN and stage.deleted:
            raise ValidationError(f"Its stage '{stage.name}' was deleted: restore the stage first.", field="stage_id")
        if opp.deleted:
            opp.deleted = False
            s.flush()
        return _detail(opp)


def opportunity_history(db: Database, opportunity_id) -> list[OpportunityStep]:
    """Stage and status changes, oldest first, with stage names (deleted stages included)."""
    with db.reader() as s:
        opp = get_row(s, Opportunity, opportunity_id, include_deleted=True)
        events = list(s.scalars(select(OpportunityEvent).where(OpportunityEvent.opportunity_id == opp.id,
                                                               OpportunityEvent.deleted.is_(False))
                                .order_by(OpportunityEvent.at, OpportunityEvent.id)))
        names = dict(s.execute(select(PipelineStage.id, PipelineStage.name)
                               .where(PipelineStage.pipeline_id == opp.pipeline_id)).all())
        return [OpportunityStep(e.from_stage_id, names.get(e.from_stage_id), e.to_stage_id, names.get(e.to_stage_id),
                                e.from_status, e.to_status, e.amount, e.at, e.by_user_id) for e in events]
