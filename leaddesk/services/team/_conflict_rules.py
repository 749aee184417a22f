"""The conflict inbox's rules, apart from the database: what each field and record is
called, which derived columns fold into their source's line, how a stored value reads to a
person, whether a decoded value has its column's type, and in which order "use other"
applies its conflicts.

Pure functions of the conflict rows and the sync protocol's column specs (no Session):
the queries that feed them and the writes that follow are in
:mod:`leaddesk.services.team.conflicts` and :mod:`leaddesk.services.team._conflict_apply`,
the way :mod:`leaddesk.sync.merge` is apart from :mod:`leaddesk.sync.server`.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from leaddesk.clock import millis_of
from leaddesk.models import ROW_CREATED
from leaddesk.sync.protocol import ProtocolError, decode_value, entities, entity

if TYPE_CHECKING:
    from leaddesk.services.team.conflicts import _Titles

KIND_LABELS = {"field": "Both changed", "edit_deleted": "Edited after delete", "rejected": "Rejected",
               "merged": "Merged record"}
ENTITY_LABELS = {
    "app_user": "User", "contact_email": "E-mail", "contact_phone": "Phone", "contact_card": "Business card", "pipeline_stage": "Stage",
    "lost_reason": "Lost reason", "opportunity_event": "Opportunity history", "lifecycle_event": "Lifecycle step",
    "engagement_event": "Engagement", "bant": "BANT", "scoring_rule": "Scoring rule", "indicator": "HPI",
    "funnel_stage_definition": "Funnel stage", "team_setting": "Team setting",
    "duplicate_candidate": "Possible duplicate", "record_merge": "Merge",
}
FIELD_LABELS = {
    ROW_CREATED: "New record", "display_name": "Name", "name_key": "Name (sort key)", "given_name": "First name",
    "family_name": "Last name", "e164": "Phone (E.164)", "raw": "Phone", "address": "E-mail",
    "address_normalized": "E-mail (normalised)", "email_normalized": "E-mail (normalised)",
    "expected_close_date": "Expected close", "stage_id": "Stage", "lost_reason_id": "Lost reason",
    "primary_contact_id": "Main contact", "deleted": "Deleted", "lifecycle_stage": "Lifecycle stage",
}
#: A record's readable name, where it is not in a ``name`` column.
TITLE_COLUMNS = {"contact": "display_name", "activity": "subject", "contact_email": "address",
                 "contact_phone": "raw", "team_setting": "key"}
#: Columns computed from (or moved with) others: shown on their source field's line when
#: both come from the same two saves (and "use other" applies them together); the names
#: are recomputed after "use other" sets a source.
DERIVED = {
    ("contact", "display_name"): ("given_name", "family_name"),
    ("contact", "name_key"): ("given_name", "family_name", "display_name"),
    ("account", "name_key"): ("name",),
    ("app_user", "email_normalized"): ("email",),
    ("contact_email", "address_normalized"): ("address",),
    ("contact_phone", "e164"): ("raw",),
    ("contact", "lifecycle_changed_at"): ("lifecycle_stage",),
    ("opportunity", "stage_entered_at"): ("stage_id",),
    ("opportunity", "board_rank"): ("stage_id",),
    ("opportunity", "closed_at"): ("status",),
}


def entity_label(name: str) -> str:
    return ENTITY_LABELS.get(name, name.replace("_", " ").capitalize())


def field_label(name: str) -> str:
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    return (name[:-3] if name.endswith("_id") else name).replace("_", " ").capitalize()


def _fold(name: str, items: list[dict]) -> list[tuple[dict, tuple[int, ...]]]:
    """Attach each derived-column conflict to its source field's conflict from the same
    two saves (one save is one clock on each side); a derived conflict without one stays a
    line of its own."""
    def pair(r: dict) -> tuple:
        return (r["kind"], r["kept_hlc"], r["kept_node"], r["lost_hlc"], r["lost_node"])

    order = list(DERIVED)
    lines = [(r, [r["id"]]) for r in items if (name, r["field"]) not in DERIVED]
    for d in sorted((r for r in items if (name, r["field"]) in DERIVED),
                    key=lambda r: (order.index((name, r["field"])), r["id"])):
        sources = DERIVED[(name, d["field"])]
        host = next((line for line in lines if line[0]["field"] in sources and pair(line[0]) == pair(d)), None)
        if host is not None:
            host[1].append(d["id"])
        else:
            lines.append((d, [d["id"]]))
    lines.sort(key=lambda line: line[0]["id"])
    return [(r, tuple(sorted(ids))) for r, ids in lines]


def _when(hlc: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(millis_of(hlc) / 1000, tz=dt.timezone.utc)


def _who(author: uuid.UUID | None, node: uuid.UUID, titles: "_Titles", me: uuid.UUID) -> str:
    if author is not None:
        found = titles.rows.get(("app_user", author))
        return found[0] if found and found[0] else "Unknown user"
    return "This computer" if node == me else "Unknown"


def _column(name: str, field: str):
    try:
        return entity(name).fields.get(field)
    except ProtocolError:
        return None


def _references(r: dict, original) -> set[tuple[str, uuid.UUID]]:
    """Rows that values of this conflict point to (their names are shown instead of ids)."""
    column = _column(r["entity"], r["field"])
    target = _target(column)
    if target is None:
        return set()
    texts = [r["kept_value"], r["lost_value"]] + ([original.value] if original and original.field != ROW_CREATED
                                                   else [])
    out = set()
    for text in texts:
        try:
            value = decode_value(column, json.loads(text)) if text is not None else None
        except (TypeError, ValueError):
            continue
        if isinstance(value, uuid.UUID):
            out.add((target, value))
    return out


def _target(column) -> str | None:
    if column is None or not column.foreign_keys:
        return None
    name = next(iter(column.foreign_keys)).column.table.name
    return name if name in entities() else None


def _text(column, text: str | None, titles: "_Titles") -> str:
    """A stored JSON value as a person reads it."""
    if text is None:
        return "(empty)"
    try:
        raw = json.loads(text)
        value = decode_value(column, raw) if column is not None else raw
    except (TypeError, ValueError, ArithmeticError):
        return f"{text} (unreadable)"
    return format_value(value, target=_target(column), titles=titles)


def format_value(value: Any, *, target: str | None = None, titles: "_Titles | None" = None) -> str:
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, uuid.UUID):
        if target and titles is not None and (target, value) in titles.rows:
            return titles.title(target, value)
        return f"{entity_label(target) if target else 'Record'} {str(value)[:8]}…"
    if isinstance(value, enum.Enum):
        return str(value.value).replace("_", " ")
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _created_text(name: str, text: str | None, titles: "_Titles") -> str:
    try:
        data = json.loads(text) if text is not None else None
    except ValueError:
        data = None
    col = _title_column(name)
    shown = data.get(col) if isinstance(data, dict) and col else None
    return f"New {entity_label(name).lower()}" + (f" “{shown}”" if shown else "")


def _title_column(name: str) -> str | None:
    try:
        fields = entity(name).fields
    except ProtocolError:
        return None
    col = TITLE_COLUMNS.get(name, "name")
    return col if col in fields else None


def _ordered(rows) -> list:
    """Refused creations first (parents before children, so a re-created child can point
    at its re-created parent), then record by record in conflict order."""
    first: dict[tuple, int] = {}
    for r in rows:
        first.setdefault((r.entity, r.row_id), r.id)

    def order(r):
        creation = r.field == ROW_CREATED
        rank = entities()[r.entity].rank if creation and r.entity in entities() else 0
        return (not creation, rank, first[(r.entity, r.row_id)], r.id)

    return sorted(rows, key=order)


def _checked(column, value):
    """``value`` if it is of the column's plain Python type (the JSON decoder passes ints,
    strings and booleans through unchecked)."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return value
    if value is None or kind not in (int, float, str, bool):
        return value
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok:
        raise ValueError(f"{value!r} is not a {kind.__name__}")
    return value
