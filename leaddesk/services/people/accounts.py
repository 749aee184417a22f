"""Accounts (companies): create, read, update, soft-delete, restore, list."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import Account, User
from leaddesk.services.people import phones as phone_numbers
from leaddesk.services import validation as v
from leaddesk.services.dto import AccountDetail, AccountRow
from leaddesk.services.records import (
    Changes,
    Page,
    as_uuid,
    assign,
    check_version,
    get_row,
    restore,
    soft_delete,
    to_dto,
)

FIELDS = (
    "name", "website", "domain", "industry", "employees", "annual_revenue", "revenue_currency",
    "country", "city", "phone", "owner_id", "tags", "notes",
)


def clean_account(data: dict, *, partial: bool = False) -> dict:
    """Validate and normalise account fields (all of them, or only those given)."""
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError(f"Unknown account field(s): {', '.join(sorted(unknown))}.")
    out: dict = {}
    if "name" in data or not partial:
        out["name"] = v.clean_text(data.get("name"), field="name", max_len=300, required=True)
        out["name_key"] = v.sort_key(out["name"])
    if "website" in data:
        out["website"] = v.clean_text(data["website"], field="website", max_len=500)
        if "domain" not in data:
            out["domain"] = v.domain_of(out["website"])
    if "domain" in data:
        out["domain"] = v.domain_of(data["domain"])
    for key, limit in (("industry", 100), ("city", 120), ("notes", 20000)):
        if key in data:
            out[key] = v.clean_text(data[key], field=key, max_len=limit)
    if "employees" in data:
        out["employees"] = v.non_negative_int(data["employees"], field="employees")
    if "annual_revenue" in data:
        out["annual_revenue"] = v.money(data["annual_revenue"], field="annual_revenue")
    if "revenue_currency" in data:
        out["revenue_currency"] = v.currency(data["revenue_currency"], field="revenue_currency", allow_none=True)
    if out.get("annual_revenue") is not None and not (out.get("revenue_currency") or data.get("revenue_currency")):
        if not partial:
            raise ValidationError("Give the currency of the annual revenue.", field="revenue_currency")
    if "country" in data:
        out["country"] = v.country(data["country"])
    if "phone" in data and not (isinstance(data["phone"], str) and not data["phone"].strip()):
        out["phone"] = data["phone"]  # checked in _clean_phone (its default region needs the database)
    elif "phone" in data:
        out["phone"] = None
    if "owner_id" in data:
        out["owner_id"] = as_uuid(data["owner_id"], field="owner_id") if data["owner_id"] else None
    if "tags" in data:
        tags = data["tags"] or []
        if isinstance(tags, str):
            tags = tags.split(",")
        out["tags"] = sorted({t.strip() for t in tags if t and t.strip()})
    return out


def _clean_phone(s, values: dict, country: str | None) -> None:
    """The account's phone as E.164, read in the account's country (else the default region)."""
    if values.get("phone") is not None:
        region = country or phone_numbers.session_default_region(s)
        values["phone"] = phone_numbers.parse_phone(values["phone"], region=region, label="Phone", field="phone")[1]


def _detail(obj: Account) -> AccountDetail:
    return to_dto(obj, AccountDetail, tags=tuple(obj.tags or ()))


def _check_owner(s, owner_id):
    if owner_id is not None:
        get_row(s, User, owner_id)


def create_account(db: Database, **data) -> AccountDetail:
    values = clean_account(data)
    with db.unit_of_work() as s:
        _clean_phone(s, values, values.get("country"))
        _check_owner(s, values.get("owner_id"))
        values.setdefault("owner_id", db.write.actor_id)
        obj = Account(**values)
        s.add(obj)
        s.flush()
        return _detail(obj)


def update_account(db: Database, account_id, *, expected_version: int | None, **data) -> AccountDetail:
    values = clean_account(data, partial=True)
    with db.unit_of_work() as s:
        obj = get_row(s, Account, account_id)
        check_version(obj, expected_version)
        _clean_phone(s, values, values["country"] if "country" in values else obj.country)
        if "owner_id" in values:
            _check_owner(s, values["owner_id"])
        if assign(obj, values):
            s.flush()
        return _detail(obj)


def get_account(db: Database, account_id, *, include_deleted: bool = False) -> AccountDetail:
    with db.reader() as s:
        return _detail(get_row(s, Account, account_id, include_deleted=include_deleted))


def delete_account(db: Database, account_id, *, expected_version: int | None = None) -> Changes:
    return soft_delete(db, Account, account_id, expected_version=expected_version)


def restore_account(db: Database, account_id, *, expected_version: int | None = None) -> Changes:
    return restore(db, Account, account_id, expected_version=expected_version)


def list_accounts(
    db: Database, *, after: tuple[str, uuid.UUID] | None = None, limit: int = 200,
    owner_id: uuid.UUID | None = None, name_prefix: str | None = None, deleted: bool = False,
    name_contains: str | None = None,
) -> Page:
    """Accounts by name (keyset paging: pass ``next_cursor`` back as ``after``).
    ``name_contains``: the name holds it anywhere, ignoring case and accents; read along
    the name index, a page stops after ``limit`` matches."""
    stmt = select(Account.id, Account.name, Account.name_key, Account.industry, Account.country,
                  Account.city, Account.owner_id).where(Account.deleted.is_(deleted))
    if owner_id is not None:
        stmt = stmt.where(Account.owner_id == owner_id)
    if name_prefix:
        stmt = stmt.where(Account.name_key.startswith(v.sort_key(name_prefix), autoescape=True))
    contains = v.sort_key(name_contains or "").strip()
    if contains:
        stmt = stmt.where(Account.name_key.contains(contains, autoescape=True))
    if after is not None:
        key, last_id = after
        stmt = stmt.where((Account.name_key > key) | ((Account.name_key == key) & (Account.id > last_id)))
    stmt = stmt.order_by(Account.name_key, Account.id).limit(limit + 1)
    with db.reader() as s:
        rows = s.execute(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = tuple(AccountRow(r.id, r.name, r.industry, r.country, r.city, r.owner_id) for r in rows)
    cursor = (rows[-1].name_key, rows[-1].id) if more and rows else None
    return Page(items, cursor)


def find_accounts_by_domain(db: Database, domain: str) -> list[AccountRow]:
    key = v.domain_of(domain)
    with db.reader() as s:
        rows = s.execute(
            select(Account.id, Account.name, Account.industry, Account.country, Account.city, Account.owner_id)
            .where(Account.domain == key, Account.deleted.is_(False))
        ).all()
    return [AccountRow(*r) for r in rows]


def tags_in_use(db: Database) -> list[str]:
    with db.reader() as s:
        all_tags: Iterable[list[str]] = s.scalars(select(Account.tags).where(Account.deleted.is_(False)))
        return sorted({t for tags in all_tags for t in (tags or [])})
