"""High-probability indicators (HPIs): the 3-5 signs a team agrees predict a purchase
("runs more than 3 warehouses", "visited pricing twice in 14 days").

An HPI is a rule a lead is checked against: a scoring ``criterion`` and its ``params``,
checked by the scoring engine's own catalogue
(:func:`~leaddesk.services.qualification.scoring_criteria.clean_params`), so an HPI uses
the criteria scoring rules use (job title, seniority, employees between, industry,
country, engagement ...). An HPI may also be written only (no criterion, e.g. "competitor
contract ends this year"): it is shown as "not checkable". :func:`hpis_met` is the pure
check of a lead's facts against the active HPIs; scoring rules may give points for HPIs
met (the ``hpi_met`` criterion).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import Indicator, Persona
from leaddesk.services import validation as v
from leaddesk.services.qualification.dto import ContactFacts
from leaddesk.services.qualification.scoring_criteria import CRITERIA, HPI_LIMIT, clean_params, criterion_of
from leaddesk.services.records import Changes, assign, check_version, get_row, restore, soft_delete, to_dto

#: The domain brief: a team names 3-5 indicators; more dilutes them.
MAX_ACTIVE = HPI_LIMIT
FIELDS = ("name", "description", "active", "position", "criterion", "params")


@dataclass(frozen=True)
class IndicatorInfo:
    id: uuid.UUID
    name: str
    description: str | None
    active: bool
    position: int
    version: int
    #: The scoring criterion the HPI checks, None for a written-only HPI.
    criterion: str | None = None
    params: dict | None = None

    @property
    def checkable(self) -> bool:
        """Whether leads can be checked against it (a rule, not only words)."""
        return self.criterion is not None


def _info(obj: Indicator, **extra) -> IndicatorInfo:
    values = {"params": dict(obj.params or {}) if obj.criterion else {}}
    values.update(extra)
    return to_dto(obj, IndicatorInfo, **values)


def _clean(data: dict, *, partial: bool) -> dict:
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError(f"Unknown indicator field(s): {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    out: dict = {}
    if "name" in data or not partial:
        out["name"] = v.clean_text(data.get("name"), field="name", max_len=200, required=True)
    if "description" in data:
        out["description"] = v.clean_text(data["description"], field="description", max_len=4000)
    if "active" in data:
        out["active"] = bool(data["active"])
    if "position" in data:
        out["position"] = v.non_negative_int(data["position"], field="position", allow_none=False)
    if "criterion" in data:
        criterion = data["criterion"]
        if criterion == "hpi_met":
            check_rule(criterion, None)  # refused with its reason
        elif criterion not in (None, ""):
            criterion_of(criterion)
        out["criterion"] = criterion or None
    if "params" in data:
        out["params"] = data["params"]
    return out


def check_rule(criterion: str | None, params) -> tuple[str | None, dict]:
    """An HPI's rule checked and normalised by the scoring engine's catalogue (pure):
    ``(None, {})`` for a written-only HPI. Raises ValidationError."""
    if criterion in (None, ""):
        if params:
            raise ValidationError("A written-only HPI takes no parameters: choose a criterion first.",
                                  field="criterion")
        return None, {}
    if criterion == "hpi_met":
        raise ValidationError("An HPI cannot be made of other HPIs: choose what the lead is or did.",
                              field="criterion")
    return criterion, clean_params(criterion, params)


def _rule(s: Session, values: dict, current: Indicator | None = None) -> dict:
    """Check the rule part (criterion + params) together, as a scoring rule's."""
    if "criterion" not in values and "params" not in values:
        return values
    criterion = values.get("criterion", current.criterion if current is not None else None)
    params = values.get("params", (current.params if current is not None else None) if criterion else None)
    criterion, params = check_rule(criterion, params)
    persona_id = params.get("persona_id")
    if persona_id is not None:
        persona = s.get(Persona, uuid.UUID(persona_id))
        if persona is None or persona.deleted:
            raise ValidationError("The persona this HPI looks for does not exist (any more).",
                                  field="params.persona_id")
    return {**values, "criterion": criterion, "params": params}


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
    """Create an HPI: ``name``, ``description``, and its rule (``criterion`` + ``params``,
    as a scoring rule's; leave ``criterion`` out for a written-only HPI). At most
    :data:`MAX_ACTIVE` are active."""
    values = _clean(data, partial=False)
    with db.unit_of_work() as s:
        values = _rule(s, values)
        if values.get("active", True):
            _check_limit(s)
        if "position" not in values:
            values["position"] = int(s.scalar(select(func.coalesce(func.max(Indicator.position), -1)))) + 1
        obj = Indicator(**values)
        s.add(obj)
        s.flush()
        return _info(obj)


def update_indicator(db: Database, indicator_id, *, expected_version: int | None, **data) -> IndicatorInfo:
    values = _clean(data, partial=True)
    with db.unit_of_work() as s:
        obj = get_row(s, Indicator, indicator_id)
        check_version(obj, expected_version)
        values = _rule(s, values, obj)
        if values.get("active") and not obj.active:
            _check_limit(s, exclude=obj.id)
        if assign(obj, values):
            s.flush()
        return _info(obj)


def get_indicator(db: Database, indicator_id) -> IndicatorInfo:
    with db.reader() as s:
        return _info(get_row(s, Indicator, indicator_id))


def list_indicators(db: Database, *, active_only: bool = False) -> list[IndicatorInfo]:
    stmt = select(Indicator).where(Indicator.deleted.is_(False)).order_by(Indicator.position, Indicator.name)
    if active_only:
        stmt = stmt.where(Indicator.active.is_(True))
    with db.reader() as s:
        return [_info(o) for o in s.scalars(stmt)]


def delete_indicator(db: Database, indicator_id, *, expected_version: int | None = None) -> Changes:
    return soft_delete(db, Indicator, indicator_id, expected_version=expected_version)


def restore_indicator(db: Database, indicator_id, *, expected_version: int | None = None) -> Changes:
    with db.unit_of_work() as s:
        obj = get_row(s, Indicator, indicator_id, include_deleted=True)
        if obj.active and obj.deleted:
            _check_limit(s, exclude=obj.id)
    return restore(db, Indicator, indicator_id, expected_version=expected_version)


# --- checking leads -----------------------------------------------------------------------

def active_hpis(s: Session) -> list[IndicatorInfo]:
    """The active HPIs, in the team's order, read in the caller's session (one query).
    Their rules are re-checked: sync merges fields one by one, so a criterion from one
    laptop may meet params from another; such an HPI shows as not checkable, never fails."""
    out = []
    for obj in s.scalars(select(Indicator).where(Indicator.deleted.is_(False), Indicator.active.is_(True))
                         .order_by(Indicator.position, Indicator.name, Indicator.id)):
        criterion, params = obj.criterion, {}
        if criterion is not None:
            try:
                criterion, params = check_rule(criterion, obj.params)
            except ValidationError:
                criterion = None
        out.append(_info(obj, criterion=criterion, params=params))
    return out


def hpis_met(hpis: Iterable[IndicatorInfo], facts: ContactFacts) -> tuple[IndicatorInfo, ...]:
    """The checkable, active HPIs the lead meets (pure: the facts scoring loads, with the
    engagement counts of the HPIs' keys, see ``scoring_criteria.engagement_keys``)."""
    return tuple(h for h in hpis if h.active and h.criterion in CRITERIA and CRITERIA[h.criterion].test(h.params, facts))
