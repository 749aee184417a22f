"""Pipelines and their stages: the board's columns, their order, win probability and
rotting days.

Apart from the opportunities that move through them (:mod:`.opportunities`): these are the
team's set-up, edited from the pipeline settings, not the day's deals. A stage that is
deleted hands its open cards to another stage (:func:`delete_stage`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import Opportunity, Pipeline, PipelineStage, TeamSetting
from leaddesk.services import settings as team_settings
from leaddesk.services import validation as v
from leaddesk.services.dto import PipelineInfo, StageInfo
from leaddesk.services.pipeline._columns import _column_end, _enter_stage, _open_count, _stage_of
from leaddesk.services.pipeline._rules import OPEN, _clean_stage, _now
from leaddesk.services.records import as_uuid, assign, check_version, get_row, to_dto


# --- pipelines -------------------------------------------------------------------------

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
