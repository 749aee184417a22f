"""What the contact panel shows, read in one job: the contact, its history, names.

Apart from the panel (background loading apart from the view): this is its only database
access, and it runs on a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from leaddesk.db import Database
from leaddesk.errors import LeadDeskError
from leaddesk.services.dto import ContactDetail as ContactDTO
from leaddesk.services.dto import LifecycleStep
from leaddesk.services.people import accounts, contacts
from leaddesk.services.team import users


@dataclass(frozen=True)
class DetailData:
    contact: ContactDTO
    history: tuple[LifecycleStep, ...]
    account_name: str | None
    user_names: dict


def load_detail(db: Database, contact_id) -> DetailData:
    """Everything the panel shows, in one read job."""
    contact = contacts.get_contact(db, contact_id)
    history = tuple(contacts.lifecycle_history(db, contact_id))
    account_name = None
    if contact.account_id is not None:
        try:
            account_name = accounts.get_account(db, contact.account_id, include_deleted=True).name
        except LeadDeskError:
            account_name = None
    names = {u.id: u.name for u in users.list_users(db, include_inactive=True)}
    return DetailData(contact, history, account_name, names)
