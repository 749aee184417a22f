"""What a contact merge takes from each side: the fields a reviewer chooses among, checking
those choices, and the survivor's new values (names re-derived, earliest times kept).

Pure rules on two loaded contacts (no query), apart from the row moves in
``_contact_merge``; the duplicate review reads :data:`MERGE_FIELDS` and
:data:`BOTH_ALLOWED` to offer the choices.
"""

from __future__ import annotations

from typing import Any

from leaddesk.errors import ValidationError
from leaddesk.models import Contact
from leaddesk.models.enums import Seniority
from leaddesk.services import validation as v
from leaddesk.services.people._duplicate_common import CHOICES, _jsonable
from leaddesk.services.people.contacts import display_name
from leaddesk.sync.protocol import decode_value

#: Fields a merge lets the user choose (``choices`` keys). ``lifecycle_stage`` carries
#: ``lifecycle_changed_at`` and ``stage_reason`` along with it.
MERGE_FIELDS = (
    "given_name", "family_name", "job_title", "department", "seniority", "account_id", "street", "city",
    "region", "postal_code", "country", "owner_id", "lifecycle_stage", "source", "campaign_id", "persona_id",
    "notes", "website",
)
#: Taken from whichever contact has the earlier time (speed-to-lead stays honest).
EARLIEST_FIELDS = ("captured_at", "first_touch_at")
#: Choices that may be "both" (the two texts are kept, survivor's first).
BOTH_ALLOWED = ("notes",)


def _decode(name: str, value: Any) -> Any:
    return decode_value(Contact.__table__.c[name], value)


def _empty(name: str, value: Any) -> bool:
    if name == "seniority":
        return value in (None, Seniority.UNKNOWN)
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_choices(choices: dict | None) -> dict[str, str]:
    out = {}
    for name, choice in (choices or {}).items():
        if name not in MERGE_FIELDS:
            raise ValidationError(f"'{name}' is not a field a merge can choose "
                                  f"(choose among: {', '.join(MERGE_FIELDS)}).", field="choices")
        if choice not in CHOICES or (choice == "both" and name not in BOTH_ALLOWED):
            allowed = CHOICES if name in BOTH_ALLOWED else CHOICES[:2]
            raise ValidationError(f"Keep which value of {name.replace('_', ' ')}? Say {' or '.join(allowed)}, "
                                  f"not '{choice}'.", field="choices")
        out[name] = choice
    return out


def _merged_value(name: str, choice: str | None, mine: Any, theirs: Any) -> tuple[bool, Any]:
    """(take?, value) for one field."""
    if choice is None:
        if _empty(name, mine) and not _empty(name, theirs):
            return True, theirs
        if name in BOTH_ALLOWED and not _empty(name, mine) and not _empty(name, theirs) and mine != theirs:
            choice = "both"
        else:
            return False, mine
    if choice == "loser":
        return mine != theirs, theirs
    if choice == "both":
        if _empty(name, theirs) or theirs == mine:
            return False, mine
        if _empty(name, mine):
            return True, theirs
        return True, f"{mine}\n\n{theirs}"
    return False, mine


def _take_fields(survivor: Contact, loser: Contact, choices: dict[str, str]) -> tuple[dict, dict]:
    """Set the survivor's fields; return (previous, taken) as JSON-able values."""
    previous, taken = {}, {}

    def put(name: str, value: Any) -> None:
        if getattr(survivor, name) == value:
            return
        previous[name] = _jsonable(getattr(survivor, name))
        taken[name] = _jsonable(value)
        setattr(survivor, name, value)

    for name in MERGE_FIELDS:
        take, value = _merged_value(name, choices.get(name), getattr(survivor, name), getattr(loser, name))
        if take:
            put(name, value)
            if name == "lifecycle_stage":
                put("lifecycle_changed_at", loser.lifecycle_changed_at)
                put("stage_reason", loser.stage_reason)
    for name in EARLIEST_FIELDS:
        theirs, mine = getattr(loser, name), getattr(survivor, name)
        if theirs is not None and (mine is None or theirs < mine):
            put(name, theirs)
    _rename(survivor)
    return previous, taken


def _rename(obj: Contact) -> None:
    name = display_name(obj.given_name, obj.family_name) or obj.display_name
    if obj.display_name != name:
        obj.display_name = name
    if obj.name_key != v.sort_key(name):
        obj.name_key = v.sort_key(name)
