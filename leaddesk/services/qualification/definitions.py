"""The team's written definitions of the lifecycle stages, which the app shows.

Domain brief: "A team must have written, shared definitions of every stage." They are
seeded by :mod:`leaddesk.services.team.setup` (id = UUIDv5 of the stage, so two laptops editing
one definition offline edit the same row) and edited here.
"""

from __future__ import annotations

from sqlalchemy import select

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import FunnelStageDefinition
from leaddesk.models.enums import LifecycleStage
from leaddesk.services import validation as v
from leaddesk.services.validation import choice
from leaddesk.services.qualification.dto import StageDefinition
from leaddesk.services.records import Changes, assign, check_version, to_dto
from leaddesk.services.records import seed_id

FIELDS = ("name", "definition", "entry_criteria")
STAGE_ORDER = {stage: i for i, stage in enumerate(LifecycleStage)}


def _row_id(stage: LifecycleStage):
    return seed_id("funnel", stage.value)


def clean_definition(data: dict) -> dict:
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError(f"Unknown definition field(s): {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    out: dict = {}
    if "name" in data:
        out["name"] = v.clean_text(data["name"], field="name", max_len=100, required=True)
    if "definition" in data:
        out["definition"] = v.clean_text(data["definition"], field="definition", max_len=5000, required=True)
    if "entry_criteria" in data:
        out["entry_criteria"] = v.clean_text(data["entry_criteria"], field="entry_criteria", max_len=5000)
    return out


def list_definitions(db: Database) -> list[StageDefinition]:
    """Every stage's definition in funnel order (lead ... customer, then nurture, disqualified)."""
    with db.reader() as s:
        rows = s.scalars(select(FunnelStageDefinition).where(FunnelStageDefinition.deleted.is_(False)))
        found = [to_dto(r, StageDefinition) for r in rows]
    return sorted(found, key=lambda d: (d.position, STAGE_ORDER[d.stage]))


def get_definition(db: Database, stage: LifecycleStage | str) -> StageDefinition | None:
    stage = choice(LifecycleStage, stage, "stage")
    with db.reader() as s:
        row = s.get(FunnelStageDefinition, _row_id(stage))
        return to_dto(row, StageDefinition) if row is not None and not row.deleted else None


def update_definition(
    db: Database, stage: LifecycleStage | str, *, expected_version: int | None, **data
) -> StageDefinition:
    """Change a stage's ``name``, ``definition`` and/or ``entry_criteria``.

    A stage with no definition yet (a database seeded by an older version) gets one; then
    ``name`` and ``definition`` are required."""
    stage = choice(LifecycleStage, stage, "stage")
    values = clean_definition(data)
    with db.unit_of_work() as s:
        row = s.get(FunnelStageDefinition, _row_id(stage))
        if row is None:
            for key in ("name", "definition"):
                if not values.get(key):
                    raise ValidationError(f"The {stage.value} stage has no definition yet: give its {key}.",
                                          field=key)
            row = FunnelStageDefinition(id=_row_id(stage), stage=stage, position=STAGE_ORDER[stage], **values)
            s.add(row)
        else:
            check_version(row, expected_version)
            assign(row, values)
            row.deleted = False  # a definition is never gone for good: editing brings it back
        s.flush()
        return to_dto(row, StageDefinition)


def changes_for(definition: StageDefinition) -> Changes:
    return Changes.of("funnel_stage_definition", definition.id)
