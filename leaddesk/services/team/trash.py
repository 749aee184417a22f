"""The trash: deleted contacts, accounts, opportunities and activities, and Restore.

Synced rows are never hard-deleted (sync notes 3.7): a delete is the edit ``deleted=True``,
so the trash is simply every tombstoned row of those four tables. "Deleted when, by whom"
is the tombstone's ``updated_at``/``updated_by`` (the delete is the row's latest edit;
an edit that reached a deleted row later, sync's "edited a deleted record" conflict, moves
those stamps to that edit).

``restore`` is the normal ORM edit ``deleted=False``: the journal stamps it, queues it in
the outbox and it syncs like any other edit (a restore and a concurrent delete are decided
by last-writer-wins, per field ``deleted``). Nothing here ever removes a row.

Some rows cannot come back from here, and the list says why before anyone clicks:

* a contact or account merged into another (``merged_into`` set): its data lives on in
  the survivor; undo the merge instead (undo puts the moved children back too);
* an opportunity whose account (or pipeline, or open stage) is in the trash, and an
  activity whose contact or opportunity is in the trash (or whose account is, when that
  is its only link): restore that parent first.

A contact whose account is in the trash may come back (a contact may outlive its company;
the contact forms keep such a link too), and so may an activity whose account is in the
trash while its contact or opportunity is not; the list notes it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, lazyload

from leaddesk.db import Database
from leaddesk.errors import NotFound, ValidationError
from leaddesk.models import Account, Activity, Contact, Opportunity, Pipeline, PipelineStage, User
from leaddesk.models.enums import ActivityKind, OpportunityStatus
from leaddesk.models.search import fold
from leaddesk.services.records import Changes, Page, as_uuid, check_version

#: Entity (table) names the trash shows, in the kind filter's order.
KINDS: tuple[str, ...] = ("contact", "account", "opportunity", "activity")
KIND_LABELS = {"contact": "contact", "account": "account", "opportunity": "opportunity", "activity": "activity"}
MODELS: dict[str, type] = {"contact": Contact, "account": Account, "opportunity": Opportunity, "activity": Activity}
_TITLE = {"contact": Contact.display_name, "account": Account.name, "opportunity": Opportunity.name,
          "activity": Activity.subject}
ACTIVITY_KIND_LABELS = {ActivityKind.CALL: "Call", ActivityKind.EMAIL: "E-mail", ActivityKind.MEETING: "Meeting",
                        ActivityKind.TASK: "Task", ActivityKind.NOTE: "Note"}


@dataclass(frozen=True)
class TrashItem:
    """One deleted record, as the Trash view lists it."""

    entity: str  # "contact" | "account" | "opportunity" | "activity"
    id: uuid.UUID
    title: str
    #: Context: the company of a contact or opportunity, the kind and subject of an activity.
    detail: str | None
    deleted_at: dt.datetime
    deleted_by: uuid.UUID | None
    deleted_by_name: str | None
    owner_id: uuid.UUID | None
    owner_name: str | None
    version: int
    #: Set for a contact/account merged into another (then ``restorable`` is False).
    merged_into: uuid.UUID | None = None
    merged_into_title: str | None = None
    restorable: bool = True
    #: Why Restore is refused (a sentence), or a note about restoring (``restorable`` True).
    reason: str | None = None


@dataclass(frozen=True)
class Restored:
    """What ``restore`` brought back (``changes`` is what views refresh)."""

    entity: str
    id: uuid.UUID
    title: str
    changes: Changes


def _kinds(kind: str | None) -> tuple[str, ...]:
    if kind in (None, "", "all"):
        return KINDS
    if kind not in MODELS:
        raise ValidationError(f"'{kind}' is not something the trash holds ({', '.join(KINDS)}).", field="kind")
    return (kind,)


def _like(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _select(entity: str, needle: str | None, after: tuple[dt.datetime, uuid.UUID] | None, limit: int):
    model = MODELS[entity]
    stmt = select(model).options(lazyload("*")).where(model.deleted.is_(True))
    if needle:
        # ld_fold(): the search index's folding, in SQL on both engines ("muller" ~ "Müller").
        stmt = stmt.where(func.ld_fold(_TITLE[entity]).like(f"%{_like(needle)}%", escape="/"))
    if after is not None:
        at, last = after
        stmt = stmt.where(or_(model.updated_at < at, and_(model.updated_at == at, model.id < last)))
    return stmt.order_by(model.updated_at.desc(), model.id.desc()).limit(limit)


def list_trash(db: Database, *, kind: str | None = None, text: str | None = None,
               after: tuple[dt.datetime, uuid.UUID] | None = None, limit: int = 100) -> Page:
    """Deleted records, most recently deleted first, optionally of one ``kind`` and/or whose
    title contains ``text`` (accents and case ignored). Keyset paging: pass the returned
    ``next_cursor`` back as ``after``."""
    limit = max(1, int(limit))
    needle = fold(text).strip() if text else ""
    with db.reader() as s:
        rows = []
        for entity in _kinds(kind):
            rows.extend((entity, obj) for obj in s.scalars(_select(entity, needle, after, limit + 1)))
        rows.sort(key=lambda eo: (eo[1].updated_at, eo[1].id), reverse=True)
        more = len(rows) > limit
        rows = rows[:limit]
        items = _describe(s, rows)
    cursor = (rows[-1][1].updated_at, rows[-1][1].id) if more and rows else None
    return Page(tuple(items), cursor)


def count_trash(db: Database) -> int:
    """How many records the trash holds (all four kinds)."""
    with db.reader() as s:
        return sum(s.scalar(select(func.count()).select_from(m).where(m.deleted.is_(True))) or 0
                   for m in MODELS.values())


def get_item(db: Database, entity: str, row_id) -> TrashItem:
    """One record as the trash would list it (also for a record that is not deleted)."""
    model = _model(entity)
    with db.reader() as s:
        obj = s.get(model, as_uuid(row_id))
        if obj is None:
            raise NotFound(KIND_LABELS[entity], row_id)
        return _describe(s, [(entity, obj)])[0]


def _model(entity: str) -> type:
    try:
        return MODELS[entity]
    except KeyError:
        raise ValidationError(f"'{entity}' is not something the trash holds ({', '.join(KINDS)}).",
                              field="entity") from None


# --- describing rows (names in batches, no N+1) ----------------------------------------

class _Names:
    """Titles of referenced rows, fetched once per table for a whole page."""

    def __init__(self, s: Session):
        self.s = s
        self.wanted: dict[type, set[uuid.UUID]] = {}
        self.found: dict[type, dict[uuid.UUID, tuple[str, bool, uuid.UUID | None]]] = {}

    def want(self, model: type, ident: uuid.UUID | None) -> None:
        if ident is not None:
            self.wanted.setdefault(model, set()).add(ident)

    def load(self) -> None:
        for model, ids in self.wanted.items():
            title = {User: User.name, Contact: Contact.display_name, Account: Account.name,
                     Opportunity: Opportunity.name, Pipeline: Pipeline.name, PipelineStage: PipelineStage.name}[model]
            merged = getattr(model, "merged_into", None)
            cols = [model.id, title, model.deleted] + ([merged] if merged is not None else [])
            found = self.found.setdefault(model, {})
            ids = sorted(ids)
            for i in range(0, len(ids), 500):
                for row in self.s.execute(select(*cols).where(model.id.in_(ids[i:i + 500]))):
                    found[row[0]] = (row[1], bool(row[2]), row[3] if merged is not None else None)

    def title(self, model: type, ident) -> str | None:
        got = self.found.get(model, {}).get(ident)
        return got[0] if got else None

    def deleted(self, model: type, ident) -> bool:
        got = self.found.get(model, {}).get(ident)
        return bool(got and got[1])


def _describe(s: Session, rows: list[tuple[str, object]]) -> list[TrashItem]:
    names = _Names(s)
    for entity, obj in rows:
        names.want(User, obj.updated_by)
        names.want(User, getattr(obj, "owner_id", None))
        names.want(Account, getattr(obj, "account_id", None))
        if entity in ("contact", "account"):
            names.want(MODELS[entity], obj.merged_into)
        if entity == "opportunity":
            names.want(Pipeline, obj.pipeline_id)
            names.want(PipelineStage, obj.stage_id)
        if entity == "activity":
            names.want(Contact, obj.contact_id)
            names.want(Opportunity, obj.opportunity_id)
    names.load()
    return [_item(entity, obj, names) for entity, obj in rows]


def _item(entity: str, obj, names: _Names) -> TrashItem:
    detail = None
    if entity in ("contact", "opportunity"):
        detail = names.title(Account, obj.account_id)
    elif entity == "account":
        detail = ", ".join(p for p in (obj.city, obj.country) if p) or obj.industry
    elif entity == "activity":
        about = (names.title(Contact, obj.contact_id) or names.title(Opportunity, obj.opportunity_id)
                 or names.title(Account, obj.account_id))
        kind = ACTIVITY_KIND_LABELS.get(obj.kind, str(obj.kind))
        detail = f"{kind} · {about}" if about else kind
    item = TrashItem(
        entity=entity, id=obj.id, title=_title(entity, obj), detail=detail, deleted_at=obj.updated_at,
        deleted_by=obj.updated_by, deleted_by_name=names.title(User, obj.updated_by),
        owner_id=obj.owner_id, owner_name=names.title(User, obj.owner_id), version=obj.version,
    )
    blocked, reason = _obstacle(entity, obj, names)
    if entity in ("contact", "account") and obj.merged_into is not None:
        item = replace(item, merged_into=obj.merged_into,
                       merged_into_title=names.title(MODELS[entity], obj.merged_into))
    return replace(item, restorable=not blocked, reason=reason)


def _title(entity: str, obj) -> str:
    return {"contact": lambda: obj.display_name, "account": lambda: obj.name,
            "opportunity": lambda: obj.name, "activity": lambda: obj.subject}[entity]() or "(no name)"


_MOVED_BACK = {"contact": "e-mails, phones and activities", "account": "contacts, deals and activities"}


def _obstacle(entity: str, obj, names: _Names) -> tuple[bool, str | None]:
    """(refused?, the sentence): why this row cannot be restored, or a note if it can."""
    title = _title(entity, obj)
    if entity in ("contact", "account") and obj.merged_into is not None:
        survivor = names.title(MODELS[entity], obj.merged_into) or str(obj.merged_into)
        return True, (f"“{title}” was merged into “{survivor}”, so it cannot be restored from the trash: "
                      f"undo the merge instead (that also moves its {_MOVED_BACK[entity]} back).")
    if entity == "opportunity":
        if names.deleted(Account, obj.account_id):
            return True, (f"The account “{names.title(Account, obj.account_id)}” of this opportunity is in the "
                          "trash too: restore the account first.")
        if names.deleted(Pipeline, obj.pipeline_id):
            return True, (f"Its pipeline “{names.title(Pipeline, obj.pipeline_id)}” was deleted: "
                          "restore the pipeline first.")
        if obj.status == OpportunityStatus.OPEN and names.deleted(PipelineStage, obj.stage_id):
            return True, (f"Its stage “{names.title(PipelineStage, obj.stage_id)}” was deleted: "
                          "restore the stage first.")
    if entity == "activity":
        # Its contact and opportunity are what it belongs to. Its account is usually only
        # filled in from those: it blocks alone only when it is the activity's one link.
        links = [(Contact, obj.contact_id, "contact"), (Opportunity, obj.opportunity_id, "opportunity")]
        if obj.contact_id is None and obj.opportunity_id is None:
            links.append((Account, obj.account_id, "account"))
        gone = [f"{label} “{names.title(model, ident)}”" for model, ident, label in links
                if ident is not None and names.deleted(model, ident)]
        if gone:
            what = " and the ".join(gone)
            return True, f"This activity belongs to the {what}, which {'is' if len(gone) == 1 else 'are'} in the " \
                         "trash: restore that first."
        if obj.account_id is not None and names.deleted(Account, obj.account_id):
            return False, (f"Its account “{names.title(Account, obj.account_id)}” is in the trash; the activity "
                           "can come back with its contact or opportunity.")
    if entity == "contact" and obj.account_id is not None and names.deleted(Account, obj.account_id):
        return False, (f"Its account “{names.title(Account, obj.account_id)}” is in the trash too; "
                       "the contact can come back without it.")
    return False, None


# --- restore ---------------------------------------------------------------------------

def restore(db: Database, entity: str, row_id, *, expected_version: int | None = None) -> Restored:
    """Bring a deleted record back: the journaled edit ``deleted=False`` (it syncs).

    Raises ``ValidationError`` with a sentence when it cannot come back from the trash
    (merged away; a parent still in the trash), ``Conflict`` when ``expected_version`` is
    given and the tombstone changed since it was listed, ``NotFound`` for an unknown id.
    Restoring a record that is not deleted (someone restored it meanwhile) changes nothing.
    """
    model = _model(entity)
    with db.unit_of_work() as s:
        obj = s.get(model, as_uuid(row_id))
        if obj is None:
            raise NotFound(KIND_LABELS[entity], row_id)
        check_version(obj, expected_version)
        title = _title(entity, obj)
        if obj.deleted:
            item = _describe(s, [(entity, obj)])[0]
            if not item.restorable:
                raise ValidationError(item.reason or "This record cannot be restored.", field="deleted")
            obj.deleted = False
            s.flush()
        return Restored(entity, obj.id, title, Changes.of(entity, obj.id))
