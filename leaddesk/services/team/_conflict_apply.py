"""Applying "use other": the other value of a conflict written as a new ORM edit (or a
refused record created again), under the same access rules as any edit, and the sentences
for what cannot be applied.

Apart from :mod:`leaddesk.services.team.conflicts` (which reads the inbox and closes
conflicts) because this is the one part that writes records; the rules it follows are in
:mod:`leaddesk.services.team._conflict_rules`.
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from leaddesk.db import Database
from leaddesk.errors import LeadDeskError, NotFound, PermissionDenied
from leaddesk.models import ROW_CREATED, User, access
from leaddesk.services.records import Changes
from leaddesk.services.team._conflict_rules import _checked, _target, entity_label
from leaddesk.sync import conflicts as sync_conflicts
from leaddesk.sync.protocol import EntitySpec, ProtocolError, decode_value, entities, entity


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
