"""The conflict inbox (sync notes 3.10): what sync decided, per record and field, and the
user's answer to it.

Sync never waits for a person: last-writer-wins has already applied a winner everywhere
and both values are kept in ``sync_conflict``. The inbox shows, per record and field, the
**kept** value, the **other** (lost) one and the **original** (the value before both
edits), who made each side and when; the user may

* **keep**: the conflict is marked resolved, nothing else changes;
* **use other**: the other value is applied as a NEW edit through the ORM, so the journal
  gives it a new clock and it syncs, and wins, like any edit (CouchDB's "write the merged
  revision"). For an edit made to a record deleted meanwhile, "use other" restores the
  record; for a record whose creation the hub refused, it creates it again (a new id).

The same functions serve a laptop and the office:

* on a replica (SQLite) ``sync_conflict`` is the local copy of the inbox
  (:mod:`leaddesk.sync.conflicts`); a resolution sets ``resolved_pending`` and reaches
  the hub at the next sync;
* on a database that IS the hub (the app opened on the team's PostgreSQL) the hub's own
  table is read and resolved directly, under the user's row-level security.

No Qt. Errors are :class:`leaddesk.errors.LeadDeskError` sentences.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from leaddesk.db import Database
from leaddesk.errors import LeadDeskError, NotFound, PermissionDenied
from leaddesk.models import ROW_CREATED, SyncConflict, User, access
from leaddesk.services.records import Changes
from leaddesk.sync import conflicts as sync_conflicts
from leaddesk.clock import millis_of
from leaddesk.sync.protocol import EntitySpec, ProtocolError, decode_value, entities, entity

_conflict = SyncConflict.__table__

KEPT, OTHER = "kept", "other"
KIND_LABELS = {"field": "Both changed", "edit_deleted": "Edited after delete", "rejected": "Rejected",
               "merged": "Merged record"}
ENTITY_LABELS = {
    "app_user": "User", "contact_email": "E-mail", "contact_phone": "Phone", "pipeline_stage": "Stage",
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


class ConflictTargetMissing(NotFound):
    """The record a conflict is about is gone (or not visible here)."""

    def __init__(self, label: str, row_id: uuid.UUID, detail: str = ""):
        super().__init__(label.lower(), row_id)
        LeadDeskError.__init__(self, (
            f"The {label.lower()} this conflict is about no longer exists here ({row_id})"
            f"{detail}. Nothing was changed; choose Keep to close the conflict."))


class ConflictValueUnreadable(LeadDeskError):
    """A stored value cannot be turned back into a field value (the schema changed)."""

    def __init__(self, label: str, field: str, reason: str):
        super().__init__(
            f"The other value of {label.lower()} field '{field}' can no longer be read ({reason}); "
            "this version of LeadDesk cannot apply it. Nothing was changed; choose Keep to close the conflict.")


# --- DTOs ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldConflict:
    #: Conflict rows this line stands for (the field and the columns derived from it).
    ids: tuple[int, ...]
    kind: str
    kind_label: str
    field: str
    label: str
    kept: str
    other: str
    #: None: not known (the value before both edits is older than the change log).
    original: str | None
    kept_by: str
    other_by: str
    kept_at: dt.datetime
    other_at: dt.datetime
    #: Why the hub refused the change (rejected), or where it went (merged).
    note: str | None
    resolved: bool = False
    resolution: str | None = None


@dataclass(frozen=True)
class RecordConflicts:
    entity: str
    entity_label: str
    row_id: uuid.UUID
    title: str
    #: The record exists here (a refused creation does not), and is deleted.
    exists: bool
    deleted: bool
    fields: tuple[FieldConflict, ...]

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(i for f in self.fields for i in f.ids)


@dataclass(frozen=True)
class Resolution:
    resolved: tuple[int, ...] = ()
    #: (conflict id, why it was left open): bulk "use other" skips what it cannot apply.
    skipped: tuple[tuple[int, str], ...] = ()
    changes: Changes = Changes()


# --- reading ------------------------------------------------------------------------------

def is_hub(db: Database) -> bool:
    """The team's hub (PostgreSQL with the sync tables): its conflicts are resolved in place."""
    return db.hub_mode


def count_open(db: Database) -> int:
    """Open conflicts as the inbox shows them: one per line (a field and the columns
    derived from it, changed by the same two saves, are one conflict to the user)."""
    cols = [_conflict.c[n] for n in ("id", "entity", "row_id", "field", "kind", "kept_hlc", "kept_node",
                                     "lost_hlc", "lost_node")]
    with db.reader() as s:
        rows = s.execute(select(*cols).where(_conflict.c.resolved.is_(False))).all()
    if not any((r.entity, r.field) in DERIVED for r in rows):
        return len(rows)
    groups: dict[tuple[str, uuid.UUID], list[dict]] = {}
    for r in rows:
        groups.setdefault((r.entity, r.row_id), []).append(dict(r._mapping))
    return sum(len(_fold(name, items)) for (name, _), items in groups.items())


def list_conflicts(db: Database, *, unresolved_only: bool = True) -> list[RecordConflicts]:
    """Conflicts grouped by record, the record with the newest conflict first."""
    with db.reader() as s:
        conn = s.connection()
        stmt = select(_conflict).order_by(_conflict.c.id)
        if unresolved_only:
            stmt = stmt.where(_conflict.c.resolved.is_(False))
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
        if not rows:
            return []
        sync_conflicts.fill_authors(conn, rows)
        originals = sync_conflicts.find_originals(conn, [_Obj(r) for r in rows])
        titles = _Titles(conn)
        titles.load({(r["entity"], r["row_id"]) for r in rows}
                    | {("app_user", r[f"{side}_author"]) for r in rows for side in ("kept", "lost")
                       if r[f"{side}_author"]}
                    | {ref for r in rows for ref in _references(r, originals.get(r["id"]))})
        me = db.write.node
        groups: dict[tuple[str, uuid.UUID], list[dict]] = {}
        for r in rows:
            groups.setdefault((r["entity"], r["row_id"]), []).append(r)
        out = []
        for (name, row_id), items in groups.items():
            lines = [_line(r, ids, originals.get(r["id"]), titles, me) for r, ids in _fold(name, items)]
            found = titles.rows.get((name, row_id))
            snapshot = next((r["lost_value"] for r in items if r["field"] == ROW_CREATED), None)
            out.append(RecordConflicts(name, entity_label(name), row_id, titles.title(name, row_id, snapshot),
                                       found is not None, bool(found and found[1]), tuple(lines)))
    out.sort(key=lambda rec: -max(rec.ids))
    return out


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


def _line(r: dict, ids: tuple[int, ...], original, titles: "_Titles", me: uuid.UUID) -> FieldConflict:
    name, field = r["entity"], r["field"]
    column = _column(name, field)
    if r["kind"] == "edit_deleted":
        kept = "Record deleted"
    elif field == ROW_CREATED:
        kept = "(not created)" if r["kept_value"] is None else _created_text(name, r["kept_value"], titles)
    else:
        kept = _text(column, r["kept_value"], titles)
    other = _created_text(name, r["lost_value"], titles) if field == ROW_CREATED else _text(column, r["lost_value"],
                                                                                            titles)
    known, raw = original.raw(field) if original is not None else (False, None)
    return FieldConflict(
        ids=ids, kind=r["kind"], kind_label=KIND_LABELS.get(r["kind"], r["kind"]), field=field,
        label=field_label(field), kept=kept, other=other,
        original=_text(column, json.dumps(raw), titles) if known else None,
        kept_by=("Team server" if r["kind"] == "rejected" and r["kept_author"] is None
                 else _who(r["kept_author"], r["kept_node"], titles, me)),
        other_by=_who(r["lost_author"], r["lost_node"], titles, me),
        kept_at=_when(r["kept_hlc"]), other_at=_when(r["lost_hlc"]), note=r["note"],
        resolved=bool(r["resolved"]), resolution=r["resolution"])


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


class _Titles:
    """Readable names of rows (records, their parents, users, referenced rows)."""

    def __init__(self, conn):
        self.conn = conn
        #: (entity, id) -> (own title or None, deleted, parent key or None)
        self.rows: dict[tuple[str, uuid.UUID], tuple[str | None, bool, tuple | None]] = {}

    def load(self, keys: Iterable[tuple[str, uuid.UUID]]) -> None:
        for _depth in range(3):  # the record, its parent, none deeper in today's schema
            todo: dict[str, set[uuid.UUID]] = {}
            for name, row_id in keys:
                if (name, row_id) not in self.rows and name in entities():
                    todo.setdefault(name, set()).add(row_id)
            if not todo:
                return
            parents = set()
            for name, ids in todo.items():
                parents |= self._load(name, sorted(ids))
            keys = parents

    def _load(self, name: str, ids: list[uuid.UUID]) -> set[tuple[str, uuid.UUID]]:
        spec = entity(name)
        col = _title_column(name)
        rule = access.RULES.get(name)
        fk = rule.fk if isinstance(rule, access.Child) else None
        cols = [spec.table.c.id, spec.table.c.deleted,
                spec.fields[col] if col else spec.table.c.id, spec.fields[fk] if fk else spec.table.c.id]
        parents = set()
        for chunk in sync_conflicts._chunks(ids):
            for row in self.conn.execute(select(*cols).where(spec.table.c.id.in_(chunk))):
                parent = (rule.parent, row[3]) if fk and row[3] is not None else None
                self.rows[(name, row[0])] = (row[2] if col else None, bool(row[1]), parent)
                if parent:
                    parents.add(parent)
        return parents

    def title(self, name: str, row_id: uuid.UUID, snapshot: str | None = None) -> str:
        own, _deleted, parent = self.rows.get((name, row_id), (None, False, None))
        if own is None and snapshot:
            try:
                data = json.loads(snapshot)
            except ValueError:
                data = None
            col = _title_column(name)
            own = data.get(col) if isinstance(data, dict) and col else None
        of = self.title(*parent) if parent and parent in self.rows else None
        if own and of:
            return f"{own} ({of})"
        if own:
            return str(own)
        if of:
            return f"{entity_label(name)} of {of}"
        return f"{entity_label(name)} {str(row_id)[:8]}…"


class _Obj:
    def __init__(self, data: dict):
        self.__dict__.update(data)


# --- resolving ----------------------------------------------------------------------------

def keep(db: Database, ids: Sequence[int]) -> Resolution:
    """Close these conflicts as they stand (the kept value stays)."""
    return _resolve(db, list(ids), KEPT, strict=True)


def keep_all(db: Database, ids: Sequence[int] | None = None) -> Resolution:
    """Keep every open conflict (or those of ``ids``)."""
    return _resolve(db, None if ids is None else list(ids), KEPT, strict=False)


def use_other(db: Database, ids: Sequence[int]) -> Resolution:
    """Apply the other value of each conflict as a new edit, then close them. All or
    nothing: the first conflict that cannot be applied raises and nothing is written."""
    return _resolve(db, list(ids), OTHER, strict=True)


def use_other_all(db: Database, ids: Sequence[int] | None = None) -> Resolution:
    """"Use other" for every open conflict (or those of ``ids``), record by record; a
    record whose values cannot be applied is skipped (``Resolution.skipped`` says why) and
    its conflicts stay open."""
    return _resolve(db, None if ids is None else list(ids), OTHER, strict=False)


def _resolve(db: Database, ids: list[int] | None, choice: str, *, strict: bool) -> Resolution:
    with db.unit_of_work() as s:
        stmt = select(_conflict).order_by(_conflict.c.id)
        if ids is not None:
            known = set()
            for chunk in sync_conflicts._chunks(sorted(set(ids))):
                known |= set(s.scalars(select(_conflict.c.id).where(_conflict.c.id.in_(chunk))))
            unknown = sorted(set(ids) - known)
            if unknown:
                raise NotFound("conflict", unknown[0])
        wanted = None if ids is None else set(ids)
        rows = [r for r in s.execute(stmt.where(_conflict.c.resolved.is_(False))).all()
                if wanted is None or r.id in wanted]
        if not rows:
            return Resolution()
        done, skipped, changes = [r.id for r in rows], [], Changes(frozenset({"sync_conflict"}))
        if choice == OTHER:
            applier, done, skipped = _apply_all(s, db, _ordered(rows), strict=strict)
            changes = changes | applier.changes
        now = dt.datetime.now(dt.timezone.utc)
        for chunk in sync_conflicts._chunks(done):
            s.execute(update(_conflict).where(_conflict.c.id.in_(chunk), _conflict.c.resolved.is_(False)).values(
                resolved=True, resolution=choice, resolved_by=db.write.actor_id, resolved_at=now,
                resolved_pending=not is_hub(db)))
        return Resolution(tuple(done), tuple(skipped), changes)


def _apply_all(s: Session, db: Database, rows: list, *, strict: bool):
    """Apply "use other" for ``rows``: all in one flush (the journal then stamps them as
    one save). Strict: the first failure raises. Otherwise, when something fails, start
    again one conflict at a time, each in its own savepoint, and skip the failures."""
    applier = _Applier(s, db)
    applier.preload(rows)
    try:
        with s.begin_nested(), s.no_autoflush:
            for r in rows:
                applier.apply(r)
        return applier, [r.id for r in rows], []
    except (LeadDeskError, IntegrityError):
        if strict:
            raise
    applier = _Applier(s, db)
    applier.preload(rows)
    done, skipped = [], []
    for r in rows:
        try:
            with s.begin_nested(), s.no_autoflush:  # a conflict that cannot be applied leaves no trace
                applier.apply(r)
        except (LeadDeskError, IntegrityError) as exc:
            reason = str(exc) if isinstance(exc, LeadDeskError) else (
                "the database refused the change: " + str(exc.orig).strip().splitlines()[0])
            skipped.append((r.id, reason))
        else:
            done.append(r.id)
    return applier, done, skipped


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


class _Applier:
    """Applies "use other" values to ORM rows in one session (so the journal records them)."""

    def __init__(self, session: Session, db: Database):
        self.s = session
        self.subject = db.write.subject or _subject(session, db.write.actor_id)
        #: Refused creations made again here: (entity, old id) -> new id.
        self.moved: dict[tuple[str, uuid.UUID], uuid.UUID] = {}
        self.changes = Changes()
        self._held: list = []

    def preload(self, rows) -> None:
        """Load every target row (and what values point to) in a few queries."""
        wanted: dict[str, set[uuid.UUID]] = {}
        for r in rows:
            if r.entity in entities() and r.field != ROW_CREATED:
                wanted.setdefault(r.entity, set()).add(r.row_id)
        for name, ids in wanted.items():
            model = entity(name).model
            for chunk in sync_conflicts._chunks(sorted(ids)):
                # held here: the session's identity map only keeps unchanged rows weakly
                self._held += self.s.scalars(select(model).where(model.id.in_(chunk))).all()

    def apply(self, r) -> None:
        spec = self._spec(r.entity)
        if r.field == ROW_CREATED:
            if r.kind == "rejected":
                obj = self._recreate(r, spec)
                self.changes = self.changes | Changes.of(spec.name, obj.id)
            return
        column = spec.fields.get(r.field)
        if column is None:
            raise ConflictValueUnreadable(entity_label(r.entity), r.field, "the field no longer exists")
        value = self._decode(r, column, r.lost_value)
        obj = self._target(r, spec)
        self._check(spec, obj)
        self._check_reference(column, value)
        if r.kind == "edit_deleted" and obj.deleted:
            obj.deleted = False
        if getattr(obj, r.field) != value:
            setattr(obj, r.field, value)
        elif r.kind == "rejected":
            flag_modified(obj, r.field)  # the hub never took this value: send it again
        _recompute_derived(spec.name, obj, {r.field})
        self._check(spec, obj)
        self.changes = self.changes | Changes.of(spec.name, obj.id)

    def _spec(self, name: str) -> EntitySpec:
        try:
            return entity(name)
        except ProtocolError as exc:
            raise ConflictValueUnreadable(entity_label(name), "*", str(exc)) from exc

    def _decode(self, r, column, text: str | None):
        try:
            return _checked(column, decode_value(column, json.loads(text)) if text is not None else None)
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise ConflictValueUnreadable(entity_label(r.entity), column.key or r.field, str(exc)) from exc

    def _target(self, r, spec: EntitySpec):
        obj = self.s.get(spec.model, self.moved.get((r.entity, r.row_id), r.row_id))
        if r.kind == "merged":
            for _ in range(10):  # follow merged_into to the surviving record
                survivor = getattr(obj, "merged_into", None) if obj is not None else None
                if survivor is None:
                    break
                obj = self.s.get(spec.model, survivor)
        if obj is None:
            raise ConflictTargetMissing(entity_label(r.entity), r.row_id)
        return obj

    def _recreate(self, r, spec: EntitySpec):
        try:
            data = json.loads(r.lost_value) if r.lost_value is not None else None
        except ValueError as exc:
            raise ConflictValueUnreadable(entity_label(r.entity), "*", str(exc)) from exc
        if not isinstance(data, dict):
            raise ConflictValueUnreadable(entity_label(r.entity), "*", "it holds no record")
        values = {}
        for key, column in spec.fields.items():
            if key in data:
                value = self._decode(r, column, json.dumps(data[key]))
                target = _target(column)
                if target and isinstance(value, uuid.UUID):
                    value = self.moved.get((target, value), value)
                    self._check_reference(column, value)
                values[key] = value
        values["deleted"] = False
        if not access.can_write(self.subject, spec.name, values, self._lookup):
            raise PermissionDenied(access.denial(spec.name))
        obj = spec.model(**values)
        self.s.add(obj)
        self.s.flush()
        self.moved[(r.entity, r.row_id)] = obj.id
        return obj

    def _check(self, spec: EntitySpec, obj) -> None:
        values = {k: getattr(obj, k) for k in spec.fields}
        if not access.can_write(self.subject, spec.name, values, self._lookup):
            raise PermissionDenied(access.denial(spec.name))

    def _check_reference(self, column, value) -> None:
        target = _target(column)
        if target is None or not isinstance(value, uuid.UUID):
            return
        ref = self.s.get(entity(target).model, value)
        if ref is None or ref.deleted:
            raise ConflictTargetMissing(entity_label(target), value,
                                        ", which the other value points to; restore it first")

    def _lookup(self, name: str, row_id):
        if row_id is None or name not in entities():
            return None
        spec = entity(name)
        obj = self.s.get(spec.model, row_id)
        return None if obj is None else {k: getattr(obj, k) for k in spec.fields}


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


def _subject(s: Session, actor_id: uuid.UUID | None) -> access.Subject | None:
    """Who resolves, for the access rules (None: standalone, no rules)."""
    user = s.get(User, actor_id) if actor_id is not None else None
    if user is None:
        return None
    team = {user.id}
    if user.team_id is not None:
        team |= set(s.scalars(select(User.id).where(User.team_id == user.team_id)))
    return access.Subject(user.id, str(user.role), frozenset(team))


def _recompute_derived(name: str, obj, fields: set[str]) -> None:
    """Keep computed columns in step with the sources "use other" just set."""
    from leaddesk.services import validation
    from leaddesk.services.people.contacts import display_name

    if name == "contact" and fields & {"given_name", "family_name"}:
        shown = display_name(obj.given_name, obj.family_name)
        if shown:
            obj.display_name = shown
            obj.name_key = validation.sort_key(shown)
    elif name == "account" and "name" in fields and obj.name:
        obj.name_key = validation.sort_key(obj.name)
