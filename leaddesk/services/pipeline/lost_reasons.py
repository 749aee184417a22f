"""Lost reasons: the team's list of why deals are lost, in the order the close dialog offers
them. A reason in use is retired (inactive), never removed, so lost deals keep theirs.

Apart from the opportunities (:mod:`.opportunities`), which only read a reason when a deal
is closed as lost.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import LostReason
from leaddesk.services import validation as v
from leaddesk.services.dto import LostReasonInfo
from leaddesk.services.records import assign, check_version, get_row, to_dto


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
