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
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leaddesk.db import Database
from leaddesk.errors import LeadDeskError, NotFound
from leaddesk.models import ROW_CREATED, SyncConflict, access
from leaddesk.services.records import Changes
from leaddesk.services.team._conflict_apply import _Applier
from leaddesk.services.team._conflict_rules import (
    DERIVED,
    KIND_LABELS,
    _column,
    _created_text,
    _fold,
    _ordered,
    _references,
    _text,
    _title_column,
    _when,
    _who,
    entity_label,
    field_label,
)
from leaddesk.sync import conflicts as sync_conflicts
from leaddesk.sync.protocol import entities, entity

_conflict = SyncConflict.__table__

KEPT, OTHER = "kept", "other"


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
