"""The in-app side of models/access.py: may this save be made by the session's user?

The journal (journal.py) calls :func:`_check_permissions` before it stamps a flush whose
write context carries a :class:`~leaddesk.models.access.Subject`: the rules the hub's
row-level security applies, looked up against the rows as they were before the flush
and as they will be after it. Apart from the journal's stamping and recording because it
is a question of who may write, not of how a write is kept.
"""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from leaddesk.errors import PermissionDenied
from leaddesk.models import SYNCED_MODELS, access

_MODELS = {m.__tablename__: m for m in SYNCED_MODELS}


def _lookup(session: Session):
    def lookup(entity: str, row_id) -> dict | None:
        model = _MODELS.get(entity)
        if model is None or row_id is None:
            return None
        obj = next((o for o in session.new if isinstance(o, model) and o.id == row_id), None)
        if obj is None:
            with session.no_autoflush:
                obj = session.get(model, row_id)
        if obj is None:
            return None
        return {a.key: getattr(obj, a.key) for a in inspect(model).column_attrs}
    return lookup


def _committed(obj) -> dict:
    """The row as it was before this flush's changes."""
    state = inspect(obj)
    row = {}
    for attr in inspect(type(obj)).column_attrs:
        hist = state.attrs[attr.key].history
        row[attr.key] = hist.deleted[0] if hist.deleted else getattr(obj, attr.key)
    return row


def _check_permissions(session: Session, subject, new, dirty) -> None:
    if subject.is_admin:
        return
    lookup = _lookup(session)
    for obj in new:
        row = {a.key: getattr(obj, a.key) for a in inspect(type(obj)).column_attrs}
        rule = access.RULES.get(obj.__tablename__)
        if isinstance(rule, access.Child) and row.get(rule.fk) is None:
            # linked through the relationship only (contact.emails.append(...)): the key
            # is set at flush; the parent object is already known
            for rel in inspect(type(obj)).relationships:
                parent = getattr(obj, rel.key) if rel.mapper.class_.__tablename__ == rule.parent else None
                if parent is not None:
                    row[rule.fk] = parent.id
        if obj.__tablename__ in access.RULES and not access.can_write(subject, obj.__tablename__, row, lookup):
            raise PermissionDenied(access.denial(obj.__tablename__))
    for obj in dirty:
        name = obj.__tablename__
        if name not in access.RULES:
            continue
        after = {a.key: getattr(obj, a.key) for a in inspect(type(obj)).column_attrs}
        if not (access.can_write(subject, name, _committed(obj), lookup)
                and access.can_write(subject, name, after, lookup)):
            raise PermissionDenied(access.denial(name))
