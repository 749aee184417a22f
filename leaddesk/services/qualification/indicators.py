"""High-probability indicators (HPIs): the 3-5 signs a team agrees predict a purchase
("runs more than 3 warehouses", "competitor contract ends this year")."""

from __future__ import annotations

from dataclasses import dataclass
import uuid

from sqlalchemy import func, select

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import Indicator
from leaddesk.services import validation as v
from leaddesk.services.records import Changes, assign, check_version, get_row, restore, soft_delete, to_dto

#: The domain brief: a team names 3-5 indicators; more dilutes them.
MAX_ACTIVE = 5


@dataclass(frozen=True)
class IndicatorInfo:
    id: uuid.UUID
    name: str
    description: str | None
    active: bool
    position: int
    version: int


def _clean(data: dict, *, partial: bool) -> dict:
    unknown = set(data) - {"name", "description", "active", "position"}
    if unknown:
        raise ValidationError(f"Unknown indicator field(s): {', '.join(sorted(unknown))}.")
    out: dict = {}
    if "name" in data or not partial:
        out["name"] = v.clean_text(data.get("name"), field="name", max_len=200, required=True)
    if "description" in data:
        out["description"] = v.clean_text(data["description"], field="description", max_len=4000)
    if "active" in data:
        out["active"] = bool(data["active"])
    if "position" in data:
        out["position"] = v.non_negative_int(data["position"], field="position", allow_none=False)
    return out


def _active_count(s, exclude=None) -> int:
    stmt = select(func.count()).select_from(Indicator).where(Indicator.deleted.is_(False),
                                                             Indicator.active.is_(True))
    if exclude is not None:
        stmt = stmt.where(Indicator.id != exclude)
    return int(s.scalar(stmt) or 0)


def _check_limit(s, exclude=None) -> None:
    if _active_count(s, exclude) >= MAX_ACTIVE:
        raise ValidationError(
            f"A team works with at most {MAX_ACTIVE} active indicators; retire one first.", field="active")


def create_indicator(db: Database, **data) -> IndicatorInfo:
    values = _clean(data, partial=False)
    with db.unit_of_work() as s:
        if values.get("active", True):
            _check_limit(s)
        if "position" not in values:
            values["position"] = int(s.scalar(select(func.coalesce(func.max(Indicator.position), -1)))) + 1
        obj = Indicator(**values)
        s.add(obj)
        s.flush()
        return to_dto(obj, IndicatorInfo)


def update_indicator(db: Database, indicator_id, *, expected_version: int | None, **data) -> IndicatorInfo:
    values = _clean(data, partial=True)
    with db.unit_of_work() as s:
        obj = get_row(s, Indicator, indicator_id)
        check_version(obj, expected_version)
        if values.get("active") and not obj.active:
            _check_limit(s, exclude=obj.id)
        if assign(obj, values):
            s.flush()
        return to_dto(obj, IndicatorInfo)


def list_indicators(db: Database, *, active_only: bool = False) -> list[IndicatorInfo]:
    stmt = select(Indicator).where(Indicator.deleted.is_(False)).order_by(Indicator.position, Indicator.name)
    if active_only:
        stmt = stmt.where(Indicator.active.is_(True))
    with db.reader() as s:
        return [to_dto(o, IndicatorInfo) for o in s.scalars(stmt)]


def delete_indicator(db: Database, indicator_id, *, expected_version: int | None = None) -> Changes:
    return soft_delete(db, Indicator, indicator_id, expected_version=expected_version)


def restore_indicator(db: Database, indicator_id, *, expected_version: int | None = None) -> Changes:
    with db.unit_of_work() as s:
        obj = get_row(s, Indicator, indicator_id, include_deleted=True)
        if obj.active and obj.deleted:
            _check_limit(s, exclude=obj.id)
    return restore(db, Indicator, indicator_id, expected_version=expected_version)
