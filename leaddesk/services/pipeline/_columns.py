"""The board's columns as rows: the stage a card may go to, the open cards of a column and
the rank at its end, and the history entry each stage or status change writes.

Apart because both the stage edits (:mod:`.pipelines`: deleting a stage moves its open
cards to another one) and the opportunity writes (:mod:`.opportunities`) place cards with
these same helpers, inside their own unit of work.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leaddesk.errors import NotFound, ValidationError
from leaddesk.models import Opportunity, OpportunityEvent, PipelineStage
from leaddesk.services.pipeline._rules import OPEN
from leaddesk.services.records import as_uuid, get_row

def _actor(s: Session) -> uuid.UUID | None:
    return s.info["write"].actor_id


def _ref(s: Session, model: type, ident, *, field: str, label: str):
    """A live referenced row, or a ValidationError on ``field`` (the form's input is wrong)."""
    try:
        return get_row(s, model, as_uuid(ident, field=field))
    except NotFound as exc:
        raise ValidationError(f"The chosen {label} does not exist (it may have been deleted).", field=field) from exc


def _open_count(s: Session, *where) -> int:
    return s.scalar(select(func.count()).select_from(Opportunity)
                    .where(*where, Opportunity.status == OPEN, Opportunity.deleted.is_(False)))


def _stage_of(s: Session, stage_id, pipeline_id: uuid.UUID, *, field: str = "stage_id") -> PipelineStage:
    stage = _ref(s, PipelineStage, stage_id, field=field, label="stage")
    if stage.pipeline_id != pipeline_id:
        raise ValidationError(f"The stage '{stage.name}' belongs to another pipeline.", field=field)
    return stage


def _column(s: Session, stage_id: uuid.UUID, exclude: uuid.UUID | None = None) -> list[Opportunity]:
    """The open cards of a board column, top to bottom."""
    stmt = select(Opportunity).where(Opportunity.stage_id == stage_id, Opportunity.status == OPEN,
                                     Opportunity.deleted.is_(False))
    if exclude is not None:
        stmt = stmt.where(Opportunity.id != exclude)
    return list(s.scalars(stmt.order_by(Opportunity.board_rank, Opportunity.id)))


def _column_end(s: Session, stage_id: uuid.UUID, exclude: uuid.UUID | None = None) -> float:
    stmt = select(func.max(Opportunity.board_rank)).where(
        Opportunity.stage_id == stage_id, Opportunity.status == OPEN, Opportunity.deleted.is_(False))
    if exclude is not None:
        stmt = stmt.where(Opportunity.id != exclude)
    top = s.scalar(stmt)
    return 1.0 if top is None else top + 1.0


def _record(s: Session, opp: Opportunity, from_stage, from_status, at: dt.datetime) -> None:
    s.add(OpportunityEvent(opportunity_id=opp.id, from_stage_id=from_stage, to_stage_id=opp.stage_id,
                           from_status=from_status, to_status=opp.status, amount=opp.amount, at=at,
                           by_user_id=_actor(s)))


def _enter_stage(s: Session, opp: Opportunity, stage_id: uuid.UUID, rank: float, at: dt.datetime) -> None:
    """Put an open opportunity into another stage (history entry included)."""
    old = opp.stage_id
    opp.stage_id, opp.board_rank, opp.stage_entered_at = stage_id, rank, at
    _record(s, opp, old, OPEN, at)
