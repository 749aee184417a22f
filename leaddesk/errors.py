"""Domain errors. Services raise these; the CLI and the UI turn them into messages.

Every error carries a sentence a user can act on (``str(exc)``). Nothing here knows Qt.
"""

from __future__ import annotations


class LeadDeskError(Exception):
    """Base of every error a user may see."""


class ValidationError(LeadDeskError):
    """Input a user typed (or a file held) is not acceptable.

    ``field`` names the offending field so a form can highlight it.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotFound(LeadDeskError):
    """The record does not exist (or was deleted and the caller asked for live rows)."""

    def __init__(self, entity: str, ident: object):
        super().__init__(f"No {entity} with id {ident} exists (it may have been deleted).")
        self.entity = entity
        self.ident = ident


class Conflict(LeadDeskError):
    """Somebody else changed the record since it was loaded; nothing was written."""

    def __init__(self, entity: str, ident: object, expected: int | None, actual: int | None):
        super().__init__(
            f"This {entity} was changed by someone else since you opened it "
            f"(you had version {expected}, it is now at version {actual}). "
            "Nothing was saved: reload it and apply your change again."
        )
        self.entity = entity
        self.ident = ident
        self.expected = expected
        self.actual = actual


class DuplicateContact(LeadDeskError):
    """A contact with the same e-mail or phone already exists."""

    def __init__(self, message: str, existing_ids: list):
        super().__init__(message)
        self.existing_ids = existing_ids


class DatabaseUnavailable(LeadDeskError):
    """The database URL is wrong, the server is down, or the file cannot be opened."""


class SchemaOutOfDate(LeadDeskError):
    """The database schema is older (or newer) than this version of LeadDesk."""


class PermissionDenied(LeadDeskError):
    """The current user may not do this."""
