"""Pipelines, their stages, lost reasons, and the opportunities that move through them.

Each opportunity moves on its own, even when its account has several (domain brief). Every
stage or status change is kept in ``opportunity_event`` (funnel, forecast accuracy, audit).
Writes return the new :class:`OpportunityDetail`, whose ``stage_id``/``board_rank``/``status``
are what an undo stack keeps: ``move_opportunity(..., stage_id=old.stage_id, rank=old.board_rank)``
puts a card back where it was; ``reopen`` undoes a close (the card keeps its old rank).
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Sequence

from sqlalchemy import and_, or_, func, select
from sqlalchemy.orm import Session

from leaddesk.db import Database
from leaddesk.errors import NotFound, ValidationError
from leaddesk.models import (
    Account, Campaign, Contact, LifecycleEvent, LostReason, Opportunity, OpportunityEvent, Pipeline,
    PipelineStage, TeamSetting, User,
)
from leaddesk.models.enums import LifecycleStage, OpportunityStatus
from leaddesk.services.team import settings as team_settings
from leaddesk.services import validation as v
from leaddesk.services.dto import (
    LostReasonInfo, OpportunityCard, OpportunityDetail, OpportunityStep, PipelineInfo, StageInfo,
)
from leaddesk.services.records import as_uuid, assign, check_version, get_row, to_dto

OPEN, WON, LOST = OpportunityStatus.OPEN, OpportunityStatus.WON, OpportunityStatus.LOST
OPPORTUNITY_FIELDS = (
    "name", "account_id", "primary_contact_id", "amount", "currency", "probability", "expected_close_date",
    "owner_id", "next_step", "next_step_due", "campaign_id", "notes",
)
#: (model, label) of the records an opportunity may point to.
REFS = {"account_id": (Account, "account"), "primary_contact_id": (Contact, "contact"),
        "owner_id": (User, "user"), "campaign_id": (Campaign, "campaign")}


def _now(now: dt.datetime | None) -> dt.datetime:
    return (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)


def _actor(s: Session) -> uuid.UUID | None:
    return s.info["write"].actor_id


def _ref(s: Session, model: type, ident, *, field: str, label: str):
    """A live referenced row, or a ValidationError on ``field`` (the form's input is wrong)."""
    try:
        return get_row(s, model, as_uuid(ident, field=field))
    except NotFound as exc:
        raise ValidationError(f"The chosen {label} does not exist (it may have been deleted).", field=field) from exc


def _date(value, field: str) -> dt.date | None:
    if value is not None and (isinstance(value, dt.datetime) or not isinstance(value, dt.date)):
        raise ValidationError(f"{field.replace('_', ' ').capitalize()} must be a calendar date.", field=field)
    return value


# --- pipelines -------------------------------------------------------------------------

def _clean_stage(name, probability, rotting_days, description=None, *, prefix: str = "") -> dict:
    return {
        "name": v.clean_text(name, field=f"{prefix}name", max_len=120, required=True),
        "probability": v.percent(probability, field=f"{prefix}probability", allow_none=False),
        "rotting_days": v.non_negative_int(rotting_days, field=f"{prefix}rotting_days"),
        "description": v.clean_text(description, field=f"{prefix}description", max_len=4000),
    }


def _live_pipelines(s: Session) -> list[Pipeline]:
    return list(s.scalars(select(Pipeline).where(Pipeline.deleted.is_(False))
                          .order_by(Pipeline.position, Pipeline.name, Pipeline.id)))


def _check_pipeline_name(s: Session, name: str, exclude: uuid.UUID | None = None) -> None:
    if any(p.id != exclude and v.sort_key(p.name) == v.sort_key(name) for p in _live_pipelines(s)):
        raise ValidationError(f"A pipeline named '{name}' already exists.", field="name")


def list_pipelines(db: Database) -> list[PipelineInfo]:
    with db.reader() as s:
        return [to_dto(p, PipelineInfo) for p in _live_pipelines(s)]


def create_pipeline(db: Database, name: str, currency: str | None = None,
                    stages: Sequence[tuple] = ()) -> PipelineInfo:
    """A pipeline with its stages, given as ``(name, probability, rotting_days)`` tuples.
    ``currency`` defaults to the team's default currency; the first pipeline becomes the default."""
    name = v.clean_text(name, field="name", max_len=120, required=True)
    code = v.currency(currency, allow_none=True)
    cleaned = []
    for i, st in enumerate(stages):
        if isinstance(st, str) or not 1 <= len(st) <= 4:
            raise ValidationError("Give each stage as (name, probability, rotting days).", field=f"stages[{i}]")
        cleaned.append(_clean_stage(*(tuple(st) + (10, None)[len(st) - 1:]), prefix=f"stages[{i}]."))
    keys = [v.sort_key(c["name"]) for c in cleaned]
    if len(set(keys)) != len(keys):
        raise ValidationError("Two stages have the same name.", field="stages")
    with db.unit_of_work() as s:
        _check_pipeline_name(s, name)
        if code is None:
            row = s.get(TeamSetting, team_settings.setting_id("default_currency"))
            code = row.value if row is not None and not row.deleted else team_settings.SPECS["default_currency"].default
        existing = _live_pipelines(s)
        pipe = Pipeline(name=name, currency=code, is_default=not any(p.is_default for p in existing),
                        position=max((p.position for p in existing), default=-1) + 1)
        s.add(pipe)
        s.flush()
        for pos, values in enumerate(cleaned):
            s.add(PipelineStage(pipeline_id=pipe.id, position=pos, **values))
        s.flush()
        return to_dto(pipe, PipelineInfo)


def update_pipeline(db: Database, pipeline_id, *, expected_version: int | None = None, **data) -> PipelineInfo:
    """Change a pipeline's ``name`` and/or ``currency`` (existing opportunities keep theirs)."""
    unknown = set(data) - {"name", "currency"}
    if unknown:
        raise ValidationError(f"Unknown pipeline field(s): {', '.join(sorted(unknown))}.")
    values = {}
    if "name" in data:
        values["name"] = v.clean_text(data["name"], field="name", max_len=120, required=True)
    if "currency" in data:
        values["currency"] = v.currency(data["currency"])
    with db.unit_of_work() as s:
        pipe = get_row(s, Pipeline, pipeline_id)
        check_version(pipe, expected_version)
        if "name" in values:
            _check_pipeline_name(s, values["name"], exclude=pipe.id)
        if assign(pipe, values):
            s.flush()
        return to_dto(pipe, PipelineInfo)


def rename_pipeline(db: Database, pipeline_id, name: str, *, expected_version: int | None = None) -> PipelineInfo:
    return update_pipeline(db, pipeline_id, expected_version=expected_version, name=name)


def set_default_pipeline(db: Database, pipeline_id) -> PipelineInfo:
    """Make this pipeline the one new opportunities go to when none is chosen."""
    with db.unit_of_work() as s:
        pipe = get_row(s, Pipeline, pipeline_id)
        for other in _live_pipelines(s):
            assign(other, {"is_default": other.id == pipe.id})
        s.flush()
        return to_dto(pipe, PipelineInfo)


def delete_pipeline(db: Database, pipeline_id, *, expected_version: int | None = None) -> PipelineInfo:
    """Soft-delete a pipeline. Refused for the default one and while it has open opportunities."""
    with db.unit_of_work() as s:
        pipe = get_row(s, Pipeline, pipeline_id)
        check_version(pipe, expected_version)
        if pipe.is_default:
            raise ValidationError(f"'{pipe.name}' is the default pipeline: make another one the default first.",
                                  field="pipeline_id")
        count = _open_count(s, Opportunity.pipeline_id == pipe.id)
        if count:
            raise ValidationError(f"'{pipe.name}' still has {count} open opportunit{'y' if count == 1 else 'ies'}: "
                                  "close them or move them first.", field="pipeline_id")
        pipe.deleted = True
        s.flush()
        return to_dto(pipe, PipelineInfo)


def restore_pipeline(db: Database, pipeline_id) -> PipelineInfo:
    with db.unit_of_work() as s:
        pipe = get_row(s, Pipeline, pipeline_id, include_deleted=True)
        if pipe.deleted:
            _check_pipeline_name(s, pipe.name, exclude=pipe.id)
            pipe.deleted = False
            s.flush()
        return to_dto(pipe, PipelineInfo)


# --- stages ----------------------------------------------------------------------------

def _stages(s: Session, pipeline_id: uuid.UUID) -> list[PipelineStage]:
    return list(s.scalars(select(PipelineStage).where(PipelineStage.pipeline_id == pipeline_id,
                                                      PipelineStage.deleted.is_(False))
                          .order_by(PipelineStage.position, PipelineStage.id)))


def _renumber_stages(stages: list[PipelineStage]) -> None:
    for pos, st in enumerate(stages):
        assign(st, {"position": pos})


def _check_stage_name(stages: list[PipelineStage], name: str, exclude: uuid.UUID | None = None) -> None:
    if any(st.id != exclude and v.sort_key(st.name) == v.sort_key(name) for st in stages):
        raise ValidationError(f"This pipeline already has a stage named '{name}'.", field="name")


def list_stages(db: Database, pipeline_id) -> list[StageInfo]:
    with db.reader() as s:
        pipe = get_row(s, Pipeline, pipeline_id)
        return [to_dto(st, StageInfo) for st in _stages(s, pipe.id)]


def add_stage(db: Database, pipeline_id, name: str, *, probability: int = 10, rotting_days: int | None = None,
              description: str | None = None, position: int | None = None) -> StageInfo:
    """A new stage at ``position`` (0 = first column; default: last)."""
    values = _clean_stage(name, probability, rotting_days, description)
    position = v.non_negative_int(position, field="position")
    with db.unit_of_work() as s:
        pipe = get_row(s, Pipeline, pipeline_id)
        stages = _stages(s, pipe.id)
        _check_stage_name(stages, values["name"])
        stage = PipelineStage(pipeline_id=pipe.id, position=len(stages), **values)
        s.add(stage)
        stages.insert(len(stages) if position is None else min(position, len(stages)), stage)
        _renumber_stages(stages)
        s.flush()
        return to_dto(stage, StageInfo)


def update_stage(db: Database, stage_id, *, expected_version: int | None = None, **data) -> StageInfo:
    """Change ``name``, ``probability`` (0..100), ``rotting_days`` (>= 0 or None), ``description``."""
    unknown = set(data) - {"name", "probability", "rotting_days", "description"}
    if unknown:
        raise ValidationError(f"Unknown stage field(s): {', '.join(sorted(unknown))}.")
    with db.unit_of_work() as s:
        stage = get_row(s, PipelineStage, stage_id)
        check_version(stage, expected_version)
        merged = {k: data.get(k, getattr(stage, k)) for k in ("name", "probability", "rotting_days", "description")}
        values = _clean_stage(**merged)
        _check_stage_name(_stages(s, stage.pipeline_id), values["name"], exclude=stage.id)
        if assign(stage, values):
            s.flush()
        return to_dto(stage, StageInfo)


def reorder_stages(db: Database, pipeline_id, stage_ids: Sequence) -> list[StageInfo]:
    """Put the pipeline's stages in the given order (every live stage exactly once)."""
    with db.unit_of_work() as s:
        pipe = get_row(s, Pipeline, pipeline_id)
        by_id = {st.id: st for st in _stages(s, pipe.id)}
        wanted = [as_uuid(i, field="stage_ids") for i in stage_ids]
        if sorted(wanted) != sorted(by_id):
            raise ValidationError("Give every stage of the pipeline exactly once to reorder them.", field="stage_ids")
        ordered = [by_id[i] for i in wanted]
        _renumber_stages(ordered)
        s.flush()
        return [to_dto(st, StageInfo) for st in ordered]


def delete_stage(db: Database, stage_id, *, move_to_stage_id=None, expected_version: int | None = None,
                 now: dt.datetime | None = None) -> StageInfo:
    """Soft-delete a stage. Its open opportunities must go somewhere: without
    ``move_to_stage_id`` the delete is refused while any are left; with it they move there
    (end of that column, with a history entry each). Closed ones keep their old stage."""
    now = _now(now)
    with db.unit_of_work() as s:
        stage = get_row(s, PipelineStage, stage_id)
        check_version(stage, expected_version)
        opps = list(s.scalars(select(Opportunity).where(
            Opportunity.stage_id == stage.id, Opportunity.status == OPEN, Opportunity.deleted.is_(False))
            .order_by(Opportunity.board_rank, Opportunity.id)))
        if opps and move_to_stage_id is None:
            raise ValidationError(
                f"{len(opps)} open opportunit{'y is' if len(opps) == 1 else 'ies are'} still in '{stage.name}': "
                "choose a stage to move them to, or move them first.", field="move_to_stage_id")
        if move_to_stage_id is not None:
            target = _stage_of(s, move_to_stage_id, stage.pipeline_id, field="move_to_stage_id")
            if target.id == stage.id:
                raise ValidationError("Choose another stage than the one being deleted.", field="move_to_stage_id")
            rank = _column_end(s, target.id)
            for i, opp in enumerate(opps):
                _enter_stage(s, opp, target.id, rank + i, now)
        stage.deleted = True
        s.flush()
        return to_dto(stage, StageInfo)


def restore_stage(db: Database, stage_id) -> StageInfo:
    with db.unit_of_work() as s:
        stage = get_row(s, PipelineStage, stage_id, include_deleted=True)
        if stage.deleted:
            _check_stage_name(_stages(s, stage.pipeline_id), stage.name, exclude=stage.id)
            stage.deleted = False
            s.flush()
        return to_dto(stage, StageInfo)


# --- lost reasons ----------------------------------------------------------------------

def _reasons(s: Session) -> list[LostReason]:
    return list(s.scalars(select(LostReason).where(LostReason.deleted.is_(False))
                          .order_by(LostReason.position, LostReason.name)))


def _check_reason_name(s: Session, name: str, exclude: uuid.UUID | None = None) -> None:
    if any(r.id != exclude and v.sort_key(r.name) == v.sort_key(name) for r in _reasons(s)):
        raise ValidationError(f"A lost reason named '{name}' already exists.", field="name")


def list_lost_reasons(db: Database, *, include_inactive: bool = False) -> list[LostReasonInfo]:
    with db.reader() as s:
        return [to_dto(r, LostReasonInfo) for r in _reasons(s) if r.active or include_inactive]


def add_lost_reason(db: Database, name: str) -> LostReasonInfo:
    name = v.clean_text(name, field="name", max_len=200, required=True)
    with db.unit_of_work() as s:
        _check_reason_name(s, name)
        reason = LostReason(name=name, active=True, position=max((r.position for r in _reasons(s)), default=-1) + 1)
        s.add(reason)
        s.flush()
        return to_dto(reason, LostReasonInfo)


def update_lost_reason(db: Database, reason_id, *, expected_version: int | None = None, name: str | None = None,
                       active: bool | None = None) -> LostReasonInfo:
    """Rename and/or (de)activate a reason. Inactive reasons stay on the deals lost with them."""
    values: dict = {}
    if name is not None:
        values["name"] = v.clean_text(name, field="name", max_len=200, required=True)
    if active is not None:
        values["active"] = bool(active)
    with db.unit_of_work() as s:
        reason = get_row(s, LostReason, reason_id)
        check_version(reason, expected_version)
        if "name" in values:
            _check_reason_name(s, values["name"], exclude=reason.id)
        if assign(reason, values):
            s.flush()
        return to_dto(reason, LostReasonInfo)


def deactivate_lost_reason(db: Database, reason_id, *, expected_version: int | None = None) -> LostReasonInfo:
    return update_lost_reason(db, reason_id, expected_version=expected_version, active=False)


# --- opportunities ---------------------------------------------------------------------

def _detail(opp: Opportunity) -> OpportunityDetail:
    return to_dto(opp, OpportunityDetail)


def _open_count(s: Session, *where) -> int:
    return s.scalar(select(func.count()).select_from(Opportunity)
                    .where(*where, Opportunity.status == OPEN, Opportunity.deleted.is_(False)))


def _stage_of(s: Session, stage_id, pipeline_id: uuid.UUID, *, field: str = "stage_id") -> PipelineStage:
    stage = _ref(s, PipelineStage, stage_id, field=field, label="stage")
    if stage.pipeline_id != pipeline_id:
        raise ValidationError(f"The stage '{stage.name}' belongs to another pipeline.", field=field)
    return stage


def _first_stage(s: Session, pipeline: Pipeline) -> PipelineStage:
    stages = _stages(s, pipeline.id)
    if not stages:
        raise ValidationError(f"The pipeline '{pipeline.name}' has no stages yet: add one first.", field="stage_id")
    return stages[0]


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


def _clean_opportunity(data: dict, *, partial: bool) -> dict:
    unknown = set(data) - set(OPPORTUNITY_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown opportunity field(s): {', '.join(sorted(unknown))}.")
    out: dict = {}
    if "name" in data or not partial:
        out["name"] = v.clean_text(data.get("name"), field="name", max_len=300, required=True)
    if "account_id" in data or not partial:
        if not data.get("account_id"):
            raise ValidationError("An opportunity belongs to an account: choose one.", field="account_id")
    for key in REFS:
        if key in data:
            out[key] = as_uuid(data[key], field=key) if data.get(key) else None
    if "amount" in data:
        out["amount"] = v.money(data["amount"], field="amount", allow_none=False)
    if "currency" in data:
        out["currency"] = v.currency(data["currency"], allow_none=not partial)
    if "probability" in data:
        out["probability"] = v.percent(data["probability"], field="probability")
    for key in ("expected_close_date", "next_step_due"):
        if key in data:
            out[key] = _date(data[key], key)
    if "next_step" in data:
        out["next_step"] = v.clean_text(data["next_step"], field="next_step", max_len=300)
    if "notes" in data:
        out["notes"] = v.clean_text(data["notes"], field="notes", max_len=20000)
    return out


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
