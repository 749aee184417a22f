"""What the contact screens' jobs hand back, and the company lookup the editor's save job runs.

Apart from the dialogs: no widgets here. :func:`resolve_account` reads the database (inside
the write job); the rest are the jobs' results and the one error the editor answers with a
question.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.services.dto import ContactDetail
from leaddesk.services.people import accounts
from leaddesk.services.records import Changes
from leaddesk.services.validation import sort_key


def _tr(text: str) -> str:
    return QCoreApplication.translate("ContactLabels", text)


class UnknownCompany(ValidationError):
    """The company typed in the form is not an account yet (the dialog offers to create it)."""

    def __init__(self, name: str):
        super().__init__(_tr("There is no company called “{0}” yet.").format(name), field="account_id")
        self.name = name


@dataclass(frozen=True)
class SavedContact:
    """A write job's result: the contact plus what changed (for ``app_signals.data_changed``)."""

    detail: ContactDetail
    changes: Changes


@dataclass(frozen=True)
class _Loaded:
    detail: ContactDetail
    account_name: str | None


def resolve_account(db: Database, name: str, *, current: tuple[uuid.UUID, str] | None,
                    create: bool) -> tuple[uuid.UUID | None, bool]:
    """The account called ``name`` (accent- and case-insensitive): (id, created?).
    Runs inside the write job."""
    name = name.strip()
    if not name:
        return None, False
    key = sort_key(name)
    if current is not None and sort_key(current[1]) == key:
        return current[0], False
    for row in accounts.list_accounts(db, name_prefix=name, limit=50).items:
        if sort_key(row.name) == key:
            return row.id, False
    if create:
        return None, True  # the contact service creates it in the contact's transaction
    raise UnknownCompany(name)
