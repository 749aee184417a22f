"""What the BANT form needs before the rep starts typing: the contact and its account, the
account's other people (candidates for decision maker), the opportunity if the BANT is for
one, the team's rule, and the latest BANT to start from. One read transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from leaddesk.db import Database
from leaddesk.models import Account, Bant, Contact, Opportunity
from leaddesk.services import settings as team_settings
from leaddesk.services.qualification._bant_rule import required_parts
from leaddesk.services.qualification.dto import BantDetail
from leaddesk.services.records import as_uuid, get_row


@dataclass(frozen=True)
class Colleague:
    id: uuid.UUID
    name: str
    job_title: str | None


@dataclass(frozen=True)
class BantFormData:
    contact_id: uuid.UUID
    contact_name: str
    contact_version: int
    account_id: uuid.UUID | None
    account_name: str | None
    #: Other live people on the account, by name.
    colleagues: tuple[Colleague, ...]
    opportunity_id: uuid.UUID | None
    opportunity_name: str | None
    #: The team's rule: parts that must be 'yes', days until a nurtured lead is qualified again.
    required: tuple[str, ...]
    requalify_days: int
    default_currency: str
    #: The latest BANT (of the opportunity when there is one), to start from.
    latest: BantDetail | None
    today: dt.date


def load_form_data(db: Database, contact_id, *, opportunity_id=None, detail=None) -> BantFormData:
    """Raises NotFound for a missing or deleted contact or opportunity. ``detail`` turns a
    BANT row into its BantDetail (given by the caller, which owns that reading)."""
    with db.reader() as s:
        contact = get_row(s, Contact, contact_id)
        opp = get_row(s, Opportunity, opportunity_id) if opportunity_id is not None else None
        account = s.get(Account, contact.account_id) if contact.account_id is not None else None
        if account is not None and account.deleted:
            account = None
        colleagues = ()
        if account is not None:
            colleagues = tuple(Colleague(r.id, r.display_name, r.job_title) for r in s.execute(
                select(Contact.id, Contact.display_name, Contact.job_title)
                .where(Contact.account_id == account.id, Contact.deleted.is_(False), Contact.id != contact.id)
                .order_by(Contact.name_key, Contact.id).limit(500)))
        rule = team_settings.read_in(s, "bant_required", "requalify_days", "default_currency")
        stmt = select(Bant).where(Bant.contact_id == contact.id, Bant.deleted.is_(False))
        if opp is not None:
            stmt = stmt.where(Bant.opportunity_id == as_uuid(opportunity_id, field="opportunity_id"))
        latest = s.scalars(stmt.order_by(Bant.assessed_at.desc(), Bant.id.desc()).limit(1)).first()
        required = required_parts(rule["bant_required"])
        return BantFormData(
            contact_id=contact.id, contact_name=contact.display_name, contact_version=contact.version,
            account_id=account.id if account is not None else None,
            account_name=account.name if account is not None else None, colleagues=colleagues,
            opportunity_id=opp.id if opp is not None else None, opportunity_name=opp.name if opp is not None else None,
            required=required, requalify_days=int(rule["requalify_days"]),
            default_currency=str(rule["default_currency"]),
            latest=detail(latest, required) if latest is not None and detail is not None else None,
            today=dt.datetime.now(dt.timezone.utc).date())
