"""What an account merge takes from each side: the fields a reviewer chooses among (and the
fields they carry along), checking those choices, and the survivor's new values (notes of
both, the union of tags).

Pure rules on two loaded accounts (no query), apart from the row moves in
``_account_merge``; the duplicate review reads :data:`MERGE_FIELDS` and
:data:`BOTH_ALLOWED` to offer the choices.
"""

from __future__ import annotations

from typing import Any

from leaddesk.errors import ValidationError
from leaddesk.models import Account
from leaddesk.services import validation as v
from leaddesk.services.people._duplicate_common import CHOICES, _jsonable
from leaddesk.sync.protocol import decode_value

ENTITY = "account"


#: Fields a merge lets the user choose (``choices`` keys). ``website`` carries ``domain``,
#: ``annual_revenue`` its ``revenue_currency``, ``name`` its ``name_key``.
MERGE_FIELDS = (
    "name", "website", "industry", "employees", "annual_revenue", "country", "city", "phone", "owner_id",
    "tags", "notes",
)
CARRIED = {"name": ("name_key",), "website": ("domain",), "annual_revenue": ("revenue_currency",)}
#: Choices that may be "both": the two notes (survivor's first), the union of the tags.
BOTH_ALLOWED = ("notes", "tags")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, tuple)) and not (
        value.strip() if isinstance(value, str) else value))


def _decode(name: str, value: Any) -> Any:
    return decode_value(Account.__table__.c[name], value)


def _clean_choices(choices: dict | None) -> dict[str, str]:
    out = {}
    for name, choice in (choices or {}).items():
        if name not in MERGE_FIELDS:
            raise ValidationError(f"'{name}' is not a field an account merge can choose "
                                  f"(choose among: {', '.join(MERGE_FIELDS)}).", field="choices")
        if choice not in CHOICES or (choice == "both" and name not in BOTH_ALLOWED):
            allowed = CHOICES if name in BOTH_ALLOWED else CHOICES[:2]
            raise ValidationError(f"Keep which value of {name.replace('_', ' ')}? Say {' or '.join(allowed)}, "
                                  f"not '{choice}'.", field="choices")
        out[name] = choice
    return out


def _both(name: str, mine: Any, theirs: Any) -> Any:
    if name == "tags":
        return sorted(set(mine or ()) | set(theirs or ()))
    return f"{mine}\n\n{theirs}"


def _merged_value(name: str, choice: str | None, mine: Any, theirs: Any) -> tuple[bool, Any]:
    """(take?, value) for one field."""
    if choice is None:
        if _empty(mine) and not _empty(theirs):
            return True, theirs
        if name in BOTH_ALLOWED and not _empty(mine) and not _empty(theirs) and mine != theirs:
            choice = "both"
        else:
            return False, mine
    if choice == "loser":
        return mine != theirs, theirs
    if choice == "both":
        if _empty(theirs) or theirs == mine:
            return False, mine
        if _empty(mine):
            return True, theirs
        value = _both(name, mine, theirs)
        return value != mine, value
    return False, mine


def _take_fields(survivor: Account, loser: Account, choices: dict[str, str]) -> tuple[dict, dict]:
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
            for carried in CARRIED.get(name, ()):
                put(carried, v.sort_key(value) if carried == "name_key" else getattr(loser, carried))
    if survivor.domain is None and loser.domain is not None:  # a domain given without a website
        put("domain", loser.domain)
    return previous, taken
