"""The queries behind the list pages: contacts filtered as the user types and sorted by any
shown column, and accounts whose name contains a text.

The contact filter reads the search index (``search_doc``, kept current by triggers), whose
folded text holds name, company, e-mails and phones: a substring of 3+ characters is a
SQLite FTS5 trigram ``MATCH`` or, on PostgreSQL, a ``LIKE`` served by the pg_trgm GIN
index. Shorter text scans the index's folded text (one table, no joins).

The account filter is a contains-match on the folded name key, read along the name index
in list order: a page stops after 200 matches, so a common text ("gmbh") is as quick as a
rare one. Measured on the large demo (30,000 accounts): at most 9 ms on SQLite and 28 ms on
PostgreSQL for any text, where the trigram index took up to 200 ms on PostgreSQL for common
ones (it must collect every match before ordering by name).

Sorting is keyset paged on ``(sort value, name, id)``: a page is one indexed range read,
never an OFFSET. The page's ids are chosen first from the narrow columns; only those
rows then get their first e-mail and phone (correlated look-ups for 200 rows, not 100,000).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import and_, case, column, func, or_, select, table, text
from sqlalchemy.sql import ColumnElement

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import Account, Contact, ContactEmail, ContactPhone, Persona, SearchDoc, User
from leaddesk.models.enums import LifecycleStage
from leaddesk.models.search import fold
from leaddesk.services.people import accounts
from leaddesk.services import settings
from leaddesk.services.dto import ContactListRow
from leaddesk.services.records import Page, as_uuid
from leaddesk.services.people.search import clean_query
from leaddesk.services.qualification import scoring
from leaddesk.services.qualification.dto import Grade, Thresholds

#: What the contact list can be sorted by (the page's sortable columns).
#: (Not by e-mail: the first address of each of 100,000 contacts took 0.4 s a page to order.)
CONTACT_SORTS = ("name", "company", "score", "temperature", "stage", "owner", "persona")
#: Lifecycle stages in the order a lead walks them (sorting by stage follows it).
STAGE_ORDER = tuple(LifecycleStage)
#: The longest filter text taken (longer input is cut, not refused: it is typed live).
MAX_FILTER = 200

_fts = table("search_fts", column("rowid"))


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matching_docs(dialect: str, term: str, entity: str):
    """``select(search_doc.row_id)`` of the ``entity`` documents containing ``term`` (folded)."""
    like = f"%{_like_escape(term)}%"
    stmt = select(SearchDoc.row_id).where(SearchDoc.entity == entity, SearchDoc.deleted.is_(False))
    if len(term) >= 3 and dialect == "sqlite":
        phrase = '"' + term.replace('"', '""') + '"'
        stmt = stmt.join(_fts, _fts.c.rowid == SearchDoc.id).where(
            text("search_fts MATCH :phrase").bindparams(phrase=phrase))
    else:
        # PostgreSQL: the GIN trigram index on text serves this LIKE (3+ characters).
        stmt = stmt.where(SearchDoc.text.like(like, escape="\\"))
    return stmt


def _filter_term(value: str | None) -> str:
    # typed text: a NUL or a lone surrogate (pasted) is dropped, as in search, not sent on
    return fold(clean_query((value or "")[:MAX_FILTER])).strip()


# --- contacts ---------------------------------------------------------------------------------

def _sort_expr(sort: str, limits: Thresholds = Thresholds()) -> ColumnElement:
    if sort == "name":
        return Contact.name_key
    if sort == "company":
        return func.coalesce(Account.name_key, "")
    if sort == "score":
        return Contact.fit_score + Contact.interest_score
    if sort == "temperature":
        # 2 hot, 1 warm, 0 cold: descending puts the hot leads first, ties by name.
        total = Contact.fit_score + Contact.interest_score
        return case((total >= limits.hot, 2), (total >= limits.warm, 1), else_=0)
    if sort == "stage":
        return case({s: i for i, s in enumerate(STAGE_ORDER)}, value=Contact.lifecycle_stage, else_=len(STAGE_ORDER))
    if sort == "owner":
        return func.lower(func.coalesce(User.name, ""))
    if sort == "persona":
        return func.lower(func.coalesce(Persona.name, ""))
    raise ValidationError(f"The contact list cannot be sorted by '{sort}' ({', '.join(CONTACT_SORTS)}).",
                          field="sort")


def _after(key: ColumnElement, after: tuple, descending: bool) -> ColumnElement:
    """Rows after the cursor ``(key value, name_key, id)``; ties run by name, then id."""
    value, name, last = after
    tail = or_(Contact.name_key > name, and_(Contact.name_key == name, Contact.id > last))
    beyond = key < value if descending else key > value
    return or_(beyond, and_(key == value, tail))


def list_contact_rows(
    db: Database, *, text: str | None = None, stage: LifecycleStage | str | None = None,
    owner_id: uuid.UUID | None = None, account_id: uuid.UUID | None = None, sort: str = "name",
    descending: bool = False, after: tuple | None = None, limit: int = 200,
) -> Page:
    """One page of the contact list: contacts whose name, company, e-mail (or phone, or job
    title) contains ``text``, in the given stage / of the given owner, sorted by ``sort``
    (one of :data:`CONTACT_SORTS`). Pass ``next_cursor`` back as ``after``."""
    if sort not in CONTACT_SORTS:
        _sort_expr(sort)  # raises the clear error
    if stage is not None:
        try:
            stage = LifecycleStage(str(stage).strip().lower())
        except ValueError as exc:
            raise ValidationError(f"'{stage}' is not a lifecycle stage.", field="lifecycle_stage") from exc
    limits = scoring.thresholds(db)  # read once per page: temperature sorts and shows by them
    key = _sort_expr(sort, limits).label("sort_value")
    stmt = (select(Contact.id, Contact.name_key, key)
            .outerjoin(Account, Account.id == Contact.account_id)
            .where(Contact.deleted.is_(False)))
    if sort == "owner":
        stmt = stmt.outerjoin(User, User.id == Contact.owner_id)
    if sort == "persona":
        stmt = stmt.outerjoin(Persona, and_(Persona.id == Contact.persona_id, Persona.deleted.is_(False)))
    if stage is not None:
        stmt = stmt.where(Contact.lifecycle_stage == stage)
    if owner_id is not None:
        stmt = stmt.where(Contact.owner_id == as_uuid(owner_id, field="owner_id"))
    if account_id is not None:
        stmt = stmt.where(Contact.account_id == as_uuid(account_id, field="account_id"))
    term = _filter_term(text)
    if term:
        stmt = stmt.where(Contact.id.in_(_matching_docs(db.dialect, term, "contact")))
    sort_col = _sort_expr(sort, limits)
    if after is not None:
        stmt = stmt.where(_after(sort_col, after, descending))
    stmt = stmt.order_by(sort_col.desc() if descending else sort_col, Contact.name_key, Contact.id).limit(limit + 1)
    with db.reader() as s:
        picked = s.execute(stmt).all()
        more = len(picked) > limit
        picked = picked[:limit]
        details = _contact_details(s, [p.id for p in picked], limits)
    items = tuple(details[p.id] for p in picked if p.id in details)
    cursor = (picked[-1].sort_value, picked[-1].name_key, picked[-1].id) if more and picked else None
    return Page(items, cursor)


def grade_of(total: int, limits: Thresholds) -> Grade:
    """Hot / warm / cold of a score by the team's thresholds (as the scoring engine grades)."""
    return Grade.HOT if total >= limits.hot else Grade.WARM if total >= limits.warm else Grade.COLD


def _contact_details(s, ids: list[uuid.UUID], limits: Thresholds) -> dict[uuid.UUID, ContactListRow]:
    if not ids:
        return {}
    sla = settings.read_in(s, "sla_first_touch_minutes", "sla_first_touch_by_source")
    first_email = (select(ContactEmail.address)
                   .where(ContactEmail.contact_id == Contact.id, ContactEmail.deleted.is_(False))
                   .order_by(ContactEmail.position).limit(1).correlate(Contact).scalar_subquery())
    first_phone = (select(ContactPhone.raw)
                   .where(ContactPhone.contact_id == Contact.id, ContactPhone.deleted.is_(False))
                   .order_by(ContactPhone.position).limit(1).correlate(Contact).scalar_subquery())
    rows = s.execute(
        select(Contact.id, Contact.display_name, Contact.job_title, Contact.account_id,
               Account.name.label("account_name"), first_email.label("email"), first_phone.label("phone"),
               Contact.lifecycle_stage, Contact.owner_id, User.name.label("owner_name"), Contact.fit_score,
               Contact.interest_score, Persona.name.label("persona_name"), Contact.source, Contact.assigned_at,
               Contact.captured_at, Contact.created_at, Contact.first_touch_at)
        .outerjoin(Account, Account.id == Contact.account_id)
        .outerjoin(User, User.id == Contact.owner_id)
        .outerjoin(Persona, and_(Persona.id == Contact.persona_id, Persona.deleted.is_(False)))
        .where(Contact.id.in_(ids))
    ).all()
    return {r.id: ContactListRow(r.id, r.display_name, r.job_title, r.account_id, r.account_name, r.email, r.phone,
                                 r.lifecycle_stage, r.owner_id, r.owner_name, int(r.fit_score or 0),
                                 int(r.interest_score or 0), r.persona_name,
                                 grade_of(int(r.fit_score or 0) + int(r.interest_score or 0), limits).value,
                                 _first_touch_due(r, sla))
            for r in rows}


def _first_touch_due(r, sla: dict) -> dt.datetime | None:
    """The SLA's first-touch due time of an untouched lead in a clocked stage (else None)."""
    start = r.assigned_at or r.captured_at or r.created_at
    if r.first_touch_at is not None or start is None or r.lifecycle_stage.value not in settings.SLA_CLOCKED_STAGES:
        return None
    return start + dt.timedelta(minutes=settings.first_touch_minutes(sla, r.source))


# --- accounts ---------------------------------------------------------------------------------

def list_account_rows(
    db: Database, *, name: str | None = None, owner_id: uuid.UUID | None = None, after: tuple | None = None,
    limit: int = 200,
) -> Page:
    """Accounts by name whose name contains ``name`` anywhere, ignoring case and accents
    ("plc" finds "Acme plc", "muller" finds "Müller AG"). Keyset paged like the other lists."""
    return accounts.list_accounts(
        db, after=after, limit=limit, owner_id=as_uuid(owner_id, field="owner_id") if owner_id is not None else None,
        name_contains=clean_query((name or "")[:MAX_FILTER]))


def account_contact_choices(db: Database, account_id, *, limit: int = 500) -> list[tuple[uuid.UUID, str]]:
    """(id, name) of an account's live contacts by name: the choices for a deal's contact."""
    with db.reader() as s:
        rows = s.execute(
            select(Contact.id, Contact.display_name)
            .where(Contact.account_id == as_uuid(account_id, field="account_id"), Contact.deleted.is_(False))
            .order_by(Contact.name_key, Contact.id).limit(limit)).all()
    return [(r.id, r.display_name) for r in rows]
