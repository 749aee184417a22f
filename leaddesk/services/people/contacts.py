"""Contacts (persons) and their lead lifecycle."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from leaddesk.db import Database
from leaddesk.errors import DuplicateContact, ValidationError
from leaddesk.models import Account, Contact, ContactEmail, ContactPhone, LifecycleEvent, User
from leaddesk.models.enums import LeadSource, LifecycleStage, Seniority
from leaddesk.services import validation as v
from leaddesk.services.dto import ContactDetail, ContactRow, EmailInfo, LifecycleStep, PhoneInfo
from leaddesk.services.people import phones as phone_numbers
from leaddesk.services.people._contact_values import _clean_text, _enum, _names, clean_emails, clean_phones
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

SCALAR_FIELDS = (
    "given_name", "family_name", "job_title", "department", "seniority", "account_id", "street",
    "city", "region", "postal_code", "country", "owner_id", "notes", "source", "campaign_id",
    "captured_at", "persona_id", "website",
)
#: Stages a contact may only enter with a reason (the brief: record why).
NEEDS_REASON = {LifecycleStage.NURTURE, LifecycleStage.DISQUALIFIED}


def clean_contact(data: dict, *, partial: bool = False) -> dict:
    unknown = set(data) - set(SCALAR_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown contact field(s): {', '.join(sorted(unknown))}.")
    out: dict = {}
    for key, limit in (("given_name", 120), ("family_name", 120), ("job_title", 200), ("department", 120),
                       ("street", 300), ("city", 120), ("region", 120), ("postal_code", 20), ("notes", 20000)):
        if key in data:
            out[key] = _clean_text(data[key], key, limit)
    if "website" in data:
        out["website"] = _clean_text(data["website"], "website", 500)
        if out["website"]:
            v.domain_of(out["website"])  # a web address, or a ValidationError on "website"
    if "seniority" in data:
        out["seniority"] = _enum(Seniority, data["seniority"], "seniority") or Seniority.UNKNOWN
    if "source" in data:
        out["source"] = _enum(LeadSource, data["source"], "source")
    if "country" in data:
        out["country"] = v.country(data["country"])
    for key in ("account_id", "owner_id", "campaign_id", "persona_id"):
        if key in data:
            out[key] = as_uuid(data[key], field=key) if data[key] else None
    if "captured_at" in data:
        value = data["captured_at"]
        if value is not None and (not isinstance(value, dt.datetime) or value.tzinfo is None):
            raise ValidationError("Captured at must be a date and time with a time zone.", field="captured_at")
        out["captured_at"] = value
    return out


def display_name(given: str | None, family: str | None) -> str:
    return " ".join(p for p in (given, family) if p)


def find_duplicates(
    session: Session, emails: Sequence[str], phones: Sequence[str], *, exclude: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Live contacts sharing a normalised e-mail or an E.164 phone."""
    conds = []
    if emails:
        conds.append(
            Contact.id.in_(
                select(ContactEmail.contact_id).where(
                    ContactEmail.address_normalized.in_(list(emails)), ContactEmail.deleted.is_(False)
                )
            )
        )
    if phones:
        conds.append(
            Contact.id.in_(
                select(ContactPhone.contact_id).where(ContactPhone.e164.in_(list(phones)), ContactPhone.deleted.is_(False))
            )
        )
    if not conds:
        return []
    stmt = select(Contact.id).where(or_(*conds), Contact.deleted.is_(False))
    if exclude is not None:
        stmt = stmt.where(Contact.id != exclude)
    return list(session.scalars(stmt.order_by(Contact.created_at)))


def _detail(obj: Contact) -> ContactDetail:
    emails = tuple(EmailInfo(e.address, e.kind) for e in obj.emails if not e.deleted)
    phones = tuple(PhoneInfo(p.raw, p.kind, p.e164) for p in obj.phones if not p.deleted)
    return to_dto(obj, ContactDetail, emails=emails, phones=phones)


def _check_refs(s: Session, values: dict) -> None:
    if values.get("account_id"):
        get_row(s, Account, values["account_id"])
    if values.get("owner_id"):
        get_row(s, User, values["owner_id"])


def _new_account(s: Session, name: str, owner_id) -> uuid.UUID:
    name = v.clean_text(name, field="new_company", max_len=300, required=True)
    account = Account(name=name, name_key=v.sort_key(name), owner_id=owner_id)
    s.add(account)
    s.flush()
    return account.id


def _sync_children(s: Session, obj: Contact, emails, phones) -> bool:
    """Make the live e-mail/phone rows equal the given lists (soft-deleting removed ones).
    Returns True if any child row changed."""
    changed = False
    if emails is not None:
        live = {e.address_normalized: e for e in obj.emails if not e.deleted}
        wanted = {norm for _, norm, _ in emails}
        for norm, row in live.items():
            if norm not in wanted:
                row.deleted = changed = True
        for pos, (shown, norm, kind) in enumerate(emails):
            row = live.get(norm)
            if row is None:
                obj.emails.append(ContactEmail(address=shown, address_normalized=norm, kind=kind, position=pos))
                changed = True
            else:
                changed |= assign(row, {"address": shown, "kind": kind, "position": pos})
    if phones is not None:
        live_p = {p.e164: p for p in obj.phones if not p.deleted}
        wanted_p = {e164 for _, e164, _ in phones}
        for e164, row in live_p.items():
            if e164 not in wanted_p:
                row.deleted = changed = True
        for pos, (raw, e164, kind) in enumerate(phones):
            row = live_p.get(e164)
            if row is None:
                obj.phones.append(ContactPhone(raw=raw, e164=e164, kind=kind, position=pos))
                changed = True
            else:
                changed |= assign(row, {"raw": raw, "kind": kind, "position": pos})
    return changed


def create_contact(
    db: Database,
    *,
    emails: Sequence = (),
    phones: Sequence = (),
    lifecycle_stage: LifecycleStage | str = LifecycleStage.LEAD,
    region: str | None = None,
    allow_duplicate: bool = False,
    now: dt.datetime | None = None,
    new_company: str | None = None,
    **data,
) -> ContactDetail:
    """Create a person. Refuses a second contact with the same e-mail or phone unless
    ``allow_duplicate`` (then sync's duplicate review will list the pair).

    ``new_company`` creates an account of that name for the contact in the same
    transaction, so a refused contact never leaves a stray company behind."""
    with db.unit_of_work() as s:
        return create_contact_in(s, emails=emails, phones=phones, lifecycle_stage=lifecycle_stage, region=region,
                                 allow_duplicate=allow_duplicate, now=now, new_company=new_company, **data)


def create_contact_in(
    s: Session,
    *,
    emails: Sequence = (),
    phones: Sequence = (),
    lifecycle_stage: LifecycleStage | str = LifecycleStage.LEAD,
    region: str | None = None,
    allow_duplicate: bool = False,
    now: dt.datetime | None = None,
    new_company: str | None = None,
    **data,
) -> ContactDetail:
    """:func:`create_contact` inside the caller's open write session (the capture service
    saves the contact, its account and its card in one transaction); the owner defaults to
    the session's acting user."""
    values = clean_contact(data)
    given, family = _names(values)
    if not given and not family:
        raise ValidationError("Give at least a first or a last name.", field="given_name")
    stage = _enum(LifecycleStage, lifecycle_stage, "lifecycle_stage")
    email_rows = clean_emails(emails)
    now = now or dt.datetime.now(dt.timezone.utc)
    actor_id = getattr(s.info.get("write"), "actor_id", None)
    phone_rows = clean_phones(phones, region or values.get("country")
                              or (phone_numbers.session_default_region(s) if phones else None))
    _check_refs(s, values)
    if not allow_duplicate:
        dupes = find_duplicates(s, [n for _, n, _ in email_rows], [p for _, p, _ in phone_rows])
        if dupes:
            raise DuplicateContact(
                f"A contact with the same e-mail or phone already exists ({len(dupes)} found).", dupes
            )
    values.setdefault("owner_id", actor_id)
    if new_company and not values.get("account_id"):
        values["account_id"] = _new_account(s, new_company, values["owner_id"])
    name = display_name(given, family)
    captured_at = values.pop("captured_at", None) or now
    obj = Contact(
        **values,
        display_name=name,
        name_key=v.sort_key(name),
        lifecycle_stage=stage,
        lifecycle_changed_at=now,
        captured_at=captured_at,
        assigned_at=now if values.get("owner_id") else None,
    )
    s.add(obj)
    _sync_children(s, obj, email_rows, phone_rows)
    s.flush()
    s.add(LifecycleEvent(contact_id=obj.id, from_stage=None, to_stage=stage, at=now, by_user_id=actor_id))
    s.flush()
    return _detail(obj)


def update_contact(
    db: Database,
    contact_id,
    *,
    expected_version: int | None,
    emails: Sequence | None = None,
    phones: Sequence | None = None,
    region: str | None = None,
    allow_duplicate: bool = False,
    new_company: str | None = None,
    **data,
) -> ContactDetail:
    """Change a contact (only the fields given). ``new_company``: as in create_contact."""
    values = clean_contact(data, partial=True)
    email_rows = clean_emails(emails) if emails is not None else None
    with db.unit_of_work() as s:
        obj = get_row(s, Contact, contact_id)
        check_version(obj, expected_version)
        # Only references that change must be live: an unchanged link to an account that
        # was since deleted must not block saving the contact's other fields.
        _check_refs(s, {k: val for k, val in values.items() if getattr(obj, k, None) != val})
        if new_company and not values.get("account_id"):
            values["account_id"] = _new_account(s, new_company, obj.owner_id)
        phone_rows = None
        if phones is not None:
            country = values["country"] if "country" in values else obj.country
            phone_rows = clean_phones(phones, region or country
                                      or (phone_numbers.session_default_region(s) if phones else None))
        if not allow_duplicate and (email_rows or phone_rows):
            dupes = find_duplicates(
                s, [n for _, n, _ in email_rows or ()], [p for _, p, _ in phone_rows or ()], exclude=obj.id
            )
            if dupes:
                raise DuplicateContact("Another contact already has this e-mail or phone.", dupes)
        given = values.get("given_name", obj.given_name)
        family = values.get("family_name", obj.family_name)
        if not given and not family:
            raise ValidationError("Give at least a first or a last name.", field="given_name")
        name = display_name(given, family)
        values.update(display_name=name, name_key=v.sort_key(name))
        if "owner_id" in values and values["owner_id"] != obj.owner_id and values["owner_id"]:
            values["assigned_at"] = dt.datetime.now(dt.timezone.utc)
        changed = assign(obj, values)
        if _sync_children(s, obj, email_rows, phone_rows) and not changed:
            # Only e-mails/phones changed: still bump the contact's version, so another
            # user's form holding the old list gets a Conflict instead of overwriting it.
            obj.updated_at = dt.datetime.now(dt.timezone.utc)
        s.flush()
        return _detail(obj)


def change_stage(
    db: Database, contact_id, stage: LifecycleStage | str, *, reason: str | None = None,
    expected_version: int | None = None, now: dt.datetime | None = None,
) -> ContactDetail:
    """Move a contact along the lead lifecycle, keeping the history (for funnel reports)."""
    stage = _enum(LifecycleStage, stage, "lifecycle_stage")
    reason = v.clean_text(reason, field="reason", max_len=2000)
    if stage in NEEDS_REASON and not reason:
        raise ValidationError(f"Say why the contact goes to {stage.value}.", field="reason")
    now = now or dt.datetime.now(dt.timezone.utc)
    with db.unit_of_work() as s:
        obj = get_row(s, Contact, contact_id)
        check_version(obj, expected_version)
        if obj.lifecycle_stage == stage:
            return _detail(obj)
        s.add(LifecycleEvent(contact_id=obj.id, from_stage=obj.lifecycle_stage, to_stage=stage, at=now,
                             reason=reason, by_user_id=db.write.actor_id))
        obj.lifecycle_stage = stage
        obj.lifecycle_changed_at = now
        obj.stage_reason = reason
        s.flush()
        return _detail(obj)


def lifecycle_history(db: Database, contact_id) -> list[LifecycleStep]:
    with db.reader() as s:
        get_row(s, Contact, contact_id, include_deleted=True)
        rows = s.scalars(
            select(LifecycleEvent)
            .where(LifecycleEvent.contact_id == as_uuid(contact_id), LifecycleEvent.deleted.is_(False))
            .order_by(LifecycleEvent.at, LifecycleEvent.id)
        )
        return [LifecycleStep(r.from_stage, r.to_stage, r.at, r.reason, r.by_user_id) for r in rows]


def get_contact(db: Database, contact_id, *, include_deleted: bool = False) -> ContactDetail:
    with db.reader() as s:
        return _detail(get_row(s, Contact, contact_id, include_deleted=include_deleted))


def delete_contact(db: Database, contact_id, *, expected_version: int | None = None) -> Changes:
    return soft_delete(db, Contact, contact_id, expected_version=expected_version)


def restore_contact(db: Database, contact_id, *, expected_version: int | None = None) -> Changes:
    return restore(db, Contact, contact_id, expected_version=expected_version)


def list_contacts(
    db: Database, *, after: tuple[str, uuid.UUID] | None = None, limit: int = 200,
    stage: LifecycleStage | str | None = None, owner_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None, deleted: bool = False,
) -> Page:
    """Contacts by name with their first e-mail and phone (keyset paging)."""
    first_email = (
        select(ContactEmail.address)
        .where(ContactEmail.contact_id == Contact.id, ContactEmail.deleted.is_(False))
        .order_by(ContactEmail.position).limit(1).correlate(Contact).scalar_subquery()
    )
    first_phone = (
        select(ContactPhone.raw)
        .where(ContactPhone.contact_id == Contact.id, ContactPhone.deleted.is_(False))
        .order_by(ContactPhone.position).limit(1).correlate(Contact).scalar_subquery()
    )
    stmt = (
        select(Contact.id, Contact.display_name, Contact.name_key, Contact.job_title, Contact.account_id,
               Account.name.label("account_name"), first_email.label("email"), first_phone.label("phone"),
               Contact.lifecycle_stage, Contact.owner_id)
        .outerjoin(Account, Account.id == Contact.account_id)
        .where(Contact.deleted.is_(deleted))
    )
    if stage is not None:
        stmt = stmt.where(Contact.lifecycle_stage == _enum(LifecycleStage, stage, "lifecycle_stage"))
    if owner_id is not None:
        stmt = stmt.where(Contact.owner_id == owner_id)
    if account_id is not None:
        stmt = stmt.where(Contact.account_id == as_uuid(account_id))
    if after is not None:
        key, last = after
        stmt = stmt.where((Contact.name_key > key) | ((Contact.name_key == key) & (Contact.id > last)))
    stmt = stmt.order_by(Contact.name_key, Contact.id).limit(limit + 1)
    with db.reader() as s:
        rows = s.execute(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = tuple(
        ContactRow(r.id, r.display_name, r.job_title, r.account_id, r.account_name, r.email, r.phone,
                   r.lifecycle_stage, r.owner_id)
        for r in rows
    )
    return Page(items, (rows[-1].name_key, rows[-1].id) if more and rows else None)


def record_first_touch(session: Session, contact_id: uuid.UUID, at: dt.datetime) -> None:
    """Set the contact's first-touch time if it has none (speed-to-lead); used by activities."""
    obj = session.get(Contact, contact_id)
    if obj is not None and (obj.first_touch_at is None or at < obj.first_touch_at):
        obj.first_touch_at = at


def changes_for(detail: ContactDetail) -> Changes:
    return Changes.of("contact", detail.id)

