"""What one change of a record's history says in words: the fields' labels, the stored
JSON value decoded with its column's type, and an English reading of it ("Proposal",
"12,500.00 EUR", "added ann@example.com (work)", "Qualified → Proposal").

Pure functions (no Session): the names of the rows a value points to come in from
:mod:`leaddesk.services.team.history`, which reads the change log, conflicts and outbox and
puts the entries together.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from leaddesk.models import (
    ROW_CREATED,
    Account,
    Campaign,
    Contact,
    LostReason,
    Opportunity,
    Persona,
    Pipeline,
    PipelineStage,
    Team,
    User,
)
from leaddesk.models.enums import LifecycleStage, OpportunityStatus
from leaddesk.sync.protocol import ProtocolError, decode_value, entity as entity_spec

if TYPE_CHECKING:
    from leaddesk.services.team.history import _Raw, _Refs

#: Pseudo-fields of entries that are not one column's change.
CREATED, CHANGED = "*", "~"

FIELD_LABELS = {
    CREATED: "Created", CHANGED: "Changed", "deleted": "Trash", "merged_into": "Merged into",
    "given_name": "First name", "family_name": "Last name", "job_title": "Job title", "department": "Department",
    "seniority": "Seniority", "account_id": "Account", "street": "Street", "city": "City", "region": "Region",
    "postal_code": "Postal code", "country": "Country", "owner_id": "Owner", "notes": "Notes",
    "lifecycle_stage": "Lifecycle stage", "source": "Source", "campaign_id": "Campaign", "captured_at": "Captured",
    "stage_reason": "Stage reason", "persona_id": "Persona", "name": "Name", "domain": "Domain",
    "website": "Website", "industry": "Industry", "employees": "Employees", "annual_revenue": "Annual revenue",
    "revenue_currency": "Revenue currency", "phone": "Phone", "tags": "Tags",
    "primary_contact_id": "Primary contact", "pipeline_id": "Pipeline", "stage_id": "Stage", "amount": "Amount",
    "currency": "Currency", "probability": "Probability", "expected_close_date": "Expected close",
    "status": "Status", "lost_reason_id": "Lost reason", "lost_note": "Lost note", "closed_at": "Closed",
    "next_step": "Next step", "next_step_due": "Next step due", "campaign": "Campaign", "kind": "Kind",
    "subject": "Subject", "body": "Text", "due_at": "Due", "done_at": "Done", "duration_minutes": "Duration (min)",
    "outcome": "Outcome", "contact_id": "Contact", "opportunity_id": "Opportunity", "email": "E-mail",
    "role": "Role", "active": "Active", "team_id": "Team", "db_role": "Database login", "lead_cap": "Lead cap",
}
#: Reference columns -> (model, title column) of the row they point to.
REFERENCES: dict[str, tuple[type, Any]] = {
    "account_id": (Account, Account.name), "owner_id": (User, User.name), "campaign_id": (Campaign, Campaign.name),
    "persona_id": (Persona, Persona.name), "primary_contact_id": (Contact, Contact.display_name),
    "contact_id": (Contact, Contact.display_name), "pipeline_id": (Pipeline, Pipeline.name),
    "stage_id": (PipelineStage, PipelineStage.name), "from_stage_id": (PipelineStage, PipelineStage.name),
    "to_stage_id": (PipelineStage, PipelineStage.name), "lost_reason_id": (LostReason, LostReason.name),
    "opportunity_id": (Opportunity, Opportunity.name), "team_id": (Team, Team.name),
    "by_user_id": (User, User.name),
}
_TITLES = {"contact": "display_name", "account": "name", "opportunity": "name", "activity": "subject",
           "app_user": "name", "team": "name", "pipeline": "name", "pipeline_stage": "name", "campaign": "name",
           "persona": "name", "lost_reason": "name"}
_ENUM_WORDS = {"iql": "Information-qualified lead (IQL)", "mql": "Marketing-qualified lead (MQL)",
               "sql": "Sales-qualified lead (SQL)", "vp": "Vice president", "c_level": "C-level",
               "email": "E-mail", "cold_email": "Cold e-mail", "unknown": "Not known", "entry": "Entry level"}


def _label(field: str) -> str:
    return FIELD_LABELS.get(field) or field.replace("_", " ").capitalize()


def enum_text(value: enum.Enum) -> str:
    raw = str(value.value)
    if isinstance(value, LifecycleStage) and raw in ("iql", "mql", "sql"):
        return _ENUM_WORDS[raw]
    return _ENUM_WORDS.get(raw) or raw.replace("_", " ").capitalize()


def _decode(entity: str, field: str, value: str | None) -> Any:
    try:
        raw = json.loads(value) if value is not None else None
    except ValueError:
        return value
    try:
        spec = entity_spec(entity)
    except ProtocolError:
        return raw
    if field == ROW_CREATED:
        if not isinstance(raw, dict):
            return raw
        return {k: decode_value(col, raw.get(k)) if k in raw else None for k, col in spec.fields.items()}
    column = spec.fields.get(field)
    try:
        return decode_value(column, raw) if column is not None else raw
    except (ValueError, TypeError, ArithmeticError):
        return raw


def _entry_text(entity: str, obj, r: _Raw, value: Any, refs: _Refs, current: dict) -> tuple[str, str] | None:
    """(label, text) of one change, or None to leave it out."""
    if r.entity == "contact_email" or r.entity == "contact_phone":
        return _child_text(r, value, refs, current)
    if r.entity == "opportunity_event":
        return _event_text(r, value, refs)
    if r.field == ROW_CREATED:
        return _label(CREATED), _created_text(r.entity, value, refs)
    if r.field == "deleted":
        return _label("deleted"), "moved to the trash" if value else "restored"
    if r.field == "merged_into":
        return _label("merged_into"), (refs.name(value) or str(value)) if value else "merge undone"
    return _label(r.field), value_text(r.field, value, refs, obj)


def _created_text(entity: str, row: Any, refs: _Refs) -> str:
    if not isinstance(row, dict):
        return "(created)"
    if entity == "contact":
        name = " ".join(p for p in (row.get("given_name"), row.get("family_name")) if p) or row.get("display_name")
        stage = row.get("lifecycle_stage")
        return f"{name} ({enum_text(stage)})" if isinstance(stage, enum.Enum) else str(name or "")
    if entity == "opportunity":
        amount, currency = row.get("amount"), row.get("currency")
        parts = [str(row.get("name") or "")]
        if amount is not None:
            parts.append(money_text(amount, currency))
        stage = refs.name(row.get("stage_id"))
        if stage:
            parts.append(f"in {stage}")
        return " · ".join(p for p in parts if p)
    title = row.get(_TITLES.get(entity, "name"))
    return str(title) if title else "(created)"


def _child_text(r: _Raw, value: Any, refs: _Refs, current: dict) -> tuple[str, str] | None:
    is_email = r.entity == "contact_email"
    label = "E-mail" if is_email else "Phone"
    key = "address" if is_email else "raw"
    row = current.get(r.row_id)
    now = getattr(row, key, None) or ""
    if r.field == ROW_CREATED:
        if not isinstance(value, dict):
            return label, "added"
        kind = value.get("kind")
        kind_text = f" ({enum_text(kind).lower()})" if isinstance(kind, enum.Enum) else ""
        return label, f"added {value.get(key) or now}{kind_text}"
    if r.field == "deleted":
        return label, f"removed {now}" if value else f"restored {now}"
    if r.field == key:
        return label, f"changed to {value}"
    if r.field == "kind":
        return f"{label} kind", f"{now}: {enum_text(value).lower()}" if isinstance(value, enum.Enum) else str(value)
    if r.field == "contact_id":
        return label, f"{now} moved to {refs.name(value) or 'another contact'}"
    return None  # position, normalised forms: derived


def _event_text(r: _Raw, value: Any, refs: _Refs) -> tuple[str, str] | None:
    if r.field != ROW_CREATED or not isinstance(value, dict):
        return None  # events are insert-only; a later edit of one (e.g. its tombstone) is noise here
    from_stage, to_stage = refs.name(value.get("from_stage_id")), refs.name(value.get("to_stage_id"))
    from_status, to_status = value.get("from_status"), value.get("to_status")
    if from_status is None and value.get("from_stage_id") is None:
        return None  # the opportunity's creation already says where it started
    if to_status == OpportunityStatus.WON and from_status != OpportunityStatus.WON:
        return "Status", "won"
    if to_status == OpportunityStatus.LOST and from_status != OpportunityStatus.LOST:
        return "Status", "lost"
    if from_status in (OpportunityStatus.WON, OpportunityStatus.LOST) and to_status == OpportunityStatus.OPEN:
        return "Status", f"reopened in {to_stage}" if to_stage else "reopened"
    return "Stage", f"{from_stage or '?'} → {to_stage or '?'}"


def money_text(amount: Any, currency: str | None) -> str:
    try:
        text = f"{Decimal(amount):,.2f}"
    except (ArithmeticError, ValueError, TypeError):
        text = str(amount)
    return f"{text} {currency}" if currency else text


def value_text(field: str, value: Any, refs: _Refs | None = None, obj: Any = None) -> str:
    """An English reading of a field's value ("(empty)" for none)."""
    if value is None or value == "" or value == []:
        return "(empty)"
    if field in REFERENCES and isinstance(value, uuid.UUID):
        return (refs.name(value) if refs is not None else None) or "(a record no longer here)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        return enum_text(value)
    if isinstance(value, Decimal):
        currency = None
        if obj is not None:
            currency = getattr(obj, "revenue_currency" if field == "annual_revenue" else "currency", None)
        return money_text(value, currency)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, dt.date):
        return value.isoformat()
    if field == "probability" and isinstance(value, int):
        return f"{value} %"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= 300 else text[:299] + "…"
