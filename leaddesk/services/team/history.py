"""Field history of one record: who changed what, when, and whether the team has it.

Sources, merged newest first (a change appears once, by ``change_id``):

* ``change_log``: changes the team server accepted (on the hub; on a replica, its local
  copy of pulled changes). ``rejected`` ones are listed as "rejected by the server".
* ``sync_conflict`` rows of kind ``rejected`` (a replica learns of its refused edits that
  way; the hub never sends refused changes themselves).
* ``outbox``: edits made on this database and not yet acknowledged: "not yet synced".

A contact's history includes its e-mail addresses and phone numbers, an opportunity's its
stage/status events (which replace the raw ``stage_id``/``status`` edits of the same save,
so a move reads "Qualified → Proposal"). Bookkeeping and derived columns (sort keys,
normalised e-mails, board ranks, cached scores) are left out.

Where no change log covers the record (a standalone SQLite file that never synced, or rows
that arrived as a snapshot or demo data), the row's own created/last-changed stamps are
added as entries and :attr:`RecordHistory.notice` says that the list is partial, so the
panel is never misleadingly empty.

Values are decoded with the column's type (:func:`leaddesk.sync.protocol.decode_value`):
enums, money, dates and times come back as Python values in :attr:`HistoryEntry.value`,
with an English reading in :attr:`HistoryEntry.text` (the UI may format them itself).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from leaddesk.db import Database
from leaddesk.errors import NotFound, ValidationError
from leaddesk.models import (
    ROW_CREATED,
    ChangeLog,
    ContactEmail,
    ContactPhone,
    OpportunityEvent,
    Outbox,
    SyncConflict,
    SyncState,
)
from leaddesk.services.records import as_uuid
from leaddesk.services.team.history_text import CHANGED, CREATED, REFERENCES, _TITLES, _decode, _entry_text, _label
from leaddesk.sync.protocol import ProtocolError, entities, entity as entity_spec

#: Entry states.
SYNCED, REJECTED, PENDING, RECORDED = "synced", "rejected", "pending", "recorded"
STATE_LABELS = {
    SYNCED: "synced",
    REJECTED: "rejected by the server",
    PENDING: "not yet synced",
    RECORDED: "from the record's stamps",
}
#: Derived or bookkeeping columns nobody edits by hand: left out of the history.
HIDDEN = frozenset({
    "name_key", "display_name", "address_normalized", "e164", "position", "board_rank", "stage_entered_at",
    "lifecycle_changed_at", "assigned_at", "first_touch_at", "last_touch_at", "fit_score", "interest_score",
    "email_normalized",
})
#: Opportunity columns an ``opportunity_event`` of the same save already tells about.
_EVENT_COVERS = frozenset({"stage_id", "status", "closed_at", "stage_entered_at", "board_rank"})
_SAME_SAVE = dt.timedelta(seconds=5)


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    author_id: uuid.UUID | None
    #: The user's name (or the database login that pushed it; None: unknown).
    author: str | None
    #: The row changed: the record itself or one of its children (``contact_email`` ...).
    entity: str
    row_id: uuid.UUID
    #: Column attribute name; ``"*"`` created, ``"~"`` changed (stamps only).
    field: str
    #: What a person calls the field ("Stage", "E-mail").
    label: str
    #: The new value as the column holds it (enum, Decimal, date, datetime, UUID ...).
    value: Any
    #: The new value as an English sentence fragment ("Proposal", "12,500.00 EUR").
    text: str
    #: SYNCED, REJECTED, PENDING or RECORDED (see STATE_LABELS).
    state: str
    #: Why the server refused it (REJECTED), if known.
    note: str | None = None
    change_id: uuid.UUID | None = None
    hlc: int = 0
    #: The change is to a child row (a contact's e-mail, an opportunity's stage event):
    #: ``text`` then carries its context ("added ann@example.com (work)").
    child: bool = False

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


@dataclass(frozen=True)
class RecordHistory:
    entity: str
    row_id: uuid.UUID
    title: str
    #: Newest first.
    entries: tuple[HistoryEntry, ...]
    #: Set when the list is partial (no change log covers the record): say so.
    notice: str | None = None
    #: More entries existed than the limit allowed.
    truncated: bool = False

    def __iter__(self) -> Iterator[HistoryEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index):
        return self.entries[index]


@dataclass
class _Raw:
    """One change from any source, before it is described."""

    entity: str
    row_id: uuid.UUID
    field: str
    value: str | None
    hlc: int
    node: uuid.UUID | None
    at: dt.datetime
    author_id: uuid.UUID | None
    pushed_by: str | None
    state: str
    change_id: uuid.UUID | None
    note: str | None = None


def _targets(s: Session, entity: str, row_id: uuid.UUID) -> list[tuple[str, list[uuid.UUID]]]:
    targets = [(entity, [row_id])]
    if entity == "contact":
        for model in (ContactEmail, ContactPhone):
            ids = list(s.scalars(select(model.id).where(model.contact_id == row_id)))
            if ids:
                targets.append((model.__tablename__, ids))
    elif entity == "opportunity":
        ids = list(s.scalars(select(OpportunityEvent.id).where(OpportunityEvent.opportunity_id == row_id)))
        if ids:
            targets.append(("opportunity_event", ids))
    return targets


def _where(table, targets) -> Any:
    return or_(*[and_(table.entity == name, table.row_id.in_(ids)) for name, ids in targets])


def _read(s: Session, targets, limit: int) -> tuple[list[_Raw], bool]:
    """Every known change of the targets (newest ``limit`` of each source), deduplicated."""
    raws: dict[uuid.UUID, _Raw] = {}
    log_rows = s.scalars(select(ChangeLog).where(_where(ChangeLog, targets))
                         .order_by(ChangeLog.seq.desc()).limit(limit)).all()
    for r in log_rows:
        raws[r.change_id] = _Raw(r.entity, r.row_id, r.field, r.value, r.hlc, r.node, r.at, r.author, r.pushed_by,
                                 REJECTED if r.rejected else SYNCED, r.change_id)
    for c in s.scalars(select(SyncConflict).where(_where(SyncConflict, targets), SyncConflict.kind == "rejected")
                       .order_by(SyncConflict.id.desc()).limit(limit)):
        key = c.lost_change_id or uuid.uuid5(uuid.NAMESPACE_OID, f"sync_conflict:{c.id}")
        if key in raws:
            if raws[key].note is None:
                raws[key].note = c.note
            continue
        raws[key] = _Raw(c.entity, c.row_id, c.field, c.lost_value, c.lost_hlc, c.lost_node, c.created_at,
                         c.lost_author, None, REJECTED, c.lost_change_id, c.note)
    # A laptop's unsent edits; a team server has none (its edits go straight into the change
    # log) and a rep's or manager's own login may not read its outbox.
    unsent = (select(Outbox).where(_where(Outbox, targets)).order_by(Outbox.hlc.desc()).limit(limit)
              if s.get_bind().dialect.name == "sqlite" else None)
    for o in s.scalars(unsent) if unsent is not None else ():
        raws.setdefault(o.change_id, _Raw(o.entity, o.row_id, o.field, o.value, o.hlc, o.node, o.created_at,
                                          o.actor_id, None, PENDING, o.change_id))
    return list(raws.values()), bool(log_rows)


class _Refs:
    """Names of every row the entries point to, read once per table."""

    def __init__(self, s: Session):
        self.s = s
        self.wanted: dict[tuple[type, Any], set[uuid.UUID]] = {}
        self.names: dict[uuid.UUID, str] = {}

    def want(self, field: str, value: Any, model: type | None = None) -> None:
        ref = (model, _title_column(model)) if model is not None else REFERENCES.get(field)
        if ref is not None and isinstance(value, uuid.UUID):
            self.wanted.setdefault(ref, set()).add(value)

    def load(self) -> None:
        for (model, title), ids in self.wanted.items():
            ids = sorted(ids)
            for i in range(0, len(ids), 500):
                self.names.update(self.s.execute(select(model.id, title).where(model.id.in_(ids[i:i + 500]))).all())

    def name(self, ident) -> str | None:
        return self.names.get(ident) if ident is not None else None


def _title_column(model: type):
    return getattr(model, _TITLES.get(model.__tablename__, "name"), None) or model.id


def record_history(db: Database, entity: str, row_id, *, limit: int = 1000) -> RecordHistory:
    """The record's change history, newest first (see the module notes).

    Works for any synced entity; ``contact`` adds its e-mails and phones, ``opportunity``
    its stage and status events. Raises ``NotFound`` for an unknown id (deleted records
    have a history too)."""
    try:
        spec = entity_spec(entity)
    except ProtocolError:
        raise ValidationError(f"'{entity}' is not a kind of record with a history.", field="entity") from None
    row_id = as_uuid(row_id)
    limit = max(1, int(limit))
    with db.reader() as s:
        obj = s.get(spec.model, row_id)
        if obj is None:
            raise NotFound(entity.replace("_", " "), row_id)
        targets = _targets(s, entity, row_id)
        raws, logged = _read(s, targets, limit * 2)
        current = _current_rows(s, targets)
        refs = _Refs(s)
        users = _Refs(s)
        for r in raws:
            users.want("owner_id", r.author_id)
        users.want("owner_id", obj.created_by)
        users.want("owner_id", obj.updated_by)
        decoded = [(r, _decode(r.entity, r.field, r.value)) for r in raws]
        for r, value in decoded:
            _want_refs(refs, entity, r, value, current)
        refs.load()
        users.load()
        entries = _describe(entity, obj, decoded, refs, users, current)
        notice = None
        if not logged:
            notice = _notice(s)
            entries.extend(_stamps(entity, obj, entries, users, changed=True))
        else:
            entries.extend(_stamps(entity, obj, entries, users, changed=False))
        title = str(getattr(obj, _TITLES.get(entity, "name"), "") or "")
    # Newest first; within one save the record's creation last, removals after additions.
    entries.sort(key=lambda e: (e.at, e.hlc, not (e.field == CREATED and not e.child), e.field == CREATED),
                 reverse=True)
    return RecordHistory(entity, row_id, title, tuple(entries[:limit]), notice, len(entries) > limit)


def _current_rows(s: Session, targets) -> dict[uuid.UUID, Any]:
    """The child rows as they are now (an e-mail's address, for "removed x")."""
    rows: dict[uuid.UUID, Any] = {}
    for name, ids in targets[1:]:
        model = entities()[name].model
        rows.update({o.id: o for o in s.scalars(select(model).where(model.id.in_(ids)))})
    return rows


def _want_refs(refs: _Refs, entity: str, r: _Raw, value: Any, current: dict) -> None:
    if r.field == ROW_CREATED and isinstance(value, dict):
        for key, val in value.items():
            refs.want(key, val)
        return
    if r.field == "merged_into":
        refs.want(r.field, value, entities()[r.entity].model)
    else:
        refs.want(r.field, value)


def _notice(s: Session) -> str:
    has_log = s.scalar(select(ChangeLog.seq).limit(1)) is not None
    pulled = s.scalar(select(SyncState.value).where(SyncState.key == "last_pulled_seq"))
    if not has_log and not pulled:
        return ("This database has never synced with a team server, so there is no shared change log yet: "
                "listed are the changes made here that are not yet synced, and the record's created and "
                "last-changed stamps. Older edits of the same fields are not recorded.")
    return ("The team's change log holds nothing about this record (it arrived with a snapshot or demo data, "
            "or its changes have not been pulled here yet): listed are changes made here that are not yet "
            "synced, and the record's created and last-changed stamps.")


def _author(users: _Refs, author_id, pushed_by) -> str | None:
    return users.name(author_id) or pushed_by


def _stamps(entity: str, obj, entries: list[HistoryEntry], users: _Refs, *, changed: bool) -> list[HistoryEntry]:
    """Entries from the row's own stamps for what no source recorded."""
    out = []
    mine = [e for e in entries if e.entity == entity and e.row_id == obj.id]
    if not any(e.field == CREATED for e in mine) and obj.created_at is not None:
        title = str(getattr(obj, _TITLES.get(entity, "name"), "") or "")
        out.append(HistoryEntry(obj.created_at, obj.created_by, users.name(obj.created_by), entity, obj.id, CREATED,
                                _label(CREATED), title, title or "(created)", RECORDED))
    if changed and obj.updated_at is not None and obj.created_at is not None:
        newest = max((e.at for e in entries), default=obj.created_at)
        later = obj.updated_at - max(newest, obj.created_at)
        if later > dt.timedelta(seconds=1):
            out.append(HistoryEntry(obj.updated_at, obj.updated_by, users.name(obj.updated_by), entity, obj.id,
                                    CHANGED, _label(CHANGED), None,
                                    "last changed here (which fields is not recorded)", RECORDED))
    return out


def _describe(entity: str, obj, decoded, refs: _Refs, users: _Refs, current: dict) -> list[HistoryEntry]:
    # Opportunity moves: the event row tells "from -> to"; drop the raw edits of that save.
    # (The event may be flushed a moment after the edits: match by machine and time.)
    events = [(r.node, r.at) for r, _ in decoded if r.entity == "opportunity_event" and r.field == ROW_CREATED]
    entries: list[HistoryEntry] = []
    for r, value in decoded:
        if r.field in HIDDEN:
            continue
        if r.entity == "opportunity" and r.field in _EVENT_COVERS and any(
                node == r.node and abs(at - r.at) <= _SAME_SAVE for node, at in events):
            continue
        described = _entry_text(entity, obj, r, value, refs, current)
        if described is None:
            continue
        label, text = described
        shown_value = value if not isinstance(value, dict) else None
        entries.append(HistoryEntry(r.at, r.author_id, _author(users, r.author_id, r.pushed_by), r.entity, r.row_id,
                                    CREATED if r.field == ROW_CREATED else r.field, label, shown_value, text,
                                    r.state, r.note, r.change_id, r.hlc, child=r.entity != entity))
    return entries
