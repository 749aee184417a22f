"""The pipeline's pure rules: what an opportunity's and a stage's fields may hold, cleaned
before any database work, and the open/won/lost statuses.

Apart from the services that read and write the rows (no ``Session`` here), the way
``sync/merge.py`` is apart from ``sync/server.py``: the checks a form's input goes through
can be read, and tested, without a database.
"""

from __future__ import annotations

import datetime as dt

from leaddesk.errors import ValidationError
from leaddesk.models import Account, Campaign, Contact, User
from leaddesk.models.enums import OpportunityStatus
from leaddesk.services import validation as v
from leaddesk.services.records import as_uuid

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


def _date(value, field: str) -> dt.date | None:
    if value is not None and (isinstance(value, dt.datetime) or not isinstance(value, dt.date)):
        raise ValidationError(f"{field.replace('_', ' ').capitalize()} must be a calendar date.", field=field)
    return value


def _clean_stage(name, probability, rotting_days, description=None, *, prefix: str = "") -> dict:
    return {
        "name": v.clean_text(name, field=f"{prefix}name", max_len=120, required=True),
        "probability": v.percent(probability, field=f"{prefix}probability", allow_none=False),
        "rotting_days": v.non_negative_int(rotting_days, field=f"{prefix}rotting_days"),
        "description": v.clean_text(description, field=f"{prefix}description", max_len=4000),
    }


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

