"""The pure rules of a push: which batch the hub refuses, which changes it cannot store.

:func:`_check_skew` refuses a batch whose clock is too far ahead of the hub's and names
the computer that is wrong; :func:`_unstorable` finds the changes whose values no
LeadDesk field holds, and :func:`_storable` spells a refused value so that PostgreSQL can
keep it; :func:`_row_refused` tells the database refusing a row's value from a failing
link, and :func:`_refusal_note` words it for the author. No database here: server.py's
push transaction applies them, the way merge.py's rule is apart from it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Sequence
from functools import cache

from sqlalchemy import Column
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError, StatementError
from sqlalchemy.types import TypeDecorator

from leaddesk.sync._driver_io import _utc
from leaddesk.sync.field_values import forbidden_char
from leaddesk.sync.protocol import MAX_SKEW_MS, Change, ClockSkewRefused, ProtocolError, PushBatch, entity


def _check_skew(batch: PushBatch, now: dt.datetime) -> None:
    """Refuse a batch whose newest clock is more than MAX_SKEW ahead of the hub's, saying
    which computer is wrong: the newest change's own wall-clock time (``at``) tells
    whether the pusher's clock is ahead, or whether its clock was carried ahead by a
    change it received from elsewhere."""
    server_ms = int(now.timestamp() * 1000)
    ahead = (batch.max_hlc >> 16) - server_ms
    if ahead <= MAX_SKEW_MS:
        return
    newest = max(batch.changes, key=lambda c: c.hlc)
    own_ahead = int(_utc(newest.at).timestamp() * 1000) - server_ms if newest.at is not None else ahead
    raise ClockSkewRefused(ahead, cause="this" if own_ahead > MAX_SKEW_MS else "elsewhere")


def _unstorable(changes: Sequence[Change]) -> dict[uuid.UUID, str]:
    """Changes whose value holds what no LeadDesk field holds (NUL, a lone surrogate, a
    control character other than tab and line breaks: see field_values.refuse_forbidden),
    with the note their author sees. Refused like a forbidden change, never stored."""
    out = {}
    for c in changes:
        wrong = _not_text(c)
        if wrong is not None:
            out[c.change_id] = (f"This value of '{wrong}' is not text, as the field needs; the team server "
                                "does not store it. Nothing else of the sync was held back.")
            continue
        if c.value is None or not _FORBIDDEN_HINT.search(c.value):
            continue
        try:
            bad = forbidden_char(json.loads(c.value))
        except ValueError:
            continue  # not JSON: decoding refuses it below
        if bad is not None:
            out[c.change_id] = (f"This value holds an invisible control character (U+{ord(bad):04X}) that LeadDesk "
                                "does not store. Correct it on the record and save again; nothing else of the "
                                "sync was held back.")
    return out


def _not_text(c: Change) -> str | None:
    """The field, if a field change carries a value that is not text (nor null) for a
    text column. (A new row with such a value fails as the driver sends it, and is found
    by the search for refused rows; a field change is the common case, checked cheaply.)"""
    value = c.value
    if c.created or value is None or value[:1] == '"' or value == "null":
        return None
    try:
        column = entity(c.entity).fields.get(c.field)
    except ProtocolError:
        return None  # refused elsewhere
    return c.field if column is not None and _is_text(column) else None


@cache
def _is_text(column: Column) -> bool:
    kind = column.type
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    try:
        return kind.python_type is str and not getattr(kind, "enums", None)
    except NotImplementedError:
        return False


def _storable(value: str | None) -> str | None:
    """A refused change's JSON text as PostgreSQL can keep it: a lone surrogate (which no
    driver can send) is spelt as its JSON escape instead; the value means the same."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        try:
            return json.dumps(json.loads(value), ensure_ascii=True, separators=(",", ":"))
        except ValueError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")


#: A quick test before decoding: JSON spells every control character as an escape
#: (``\u0000``, or ``\b`` and ``\f``), and a lone surrogate stays as it is
#: (``ensure_ascii=False``) or is escaped.
_FORBIDDEN_HINT = re.compile(r"\\[bf]|\\u00[01]|\\u007f|\\ud[89a-f]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]",
                             re.IGNORECASE)


def _row_refused(exc: BaseException) -> bool:
    """Is ``exc`` the database (or the driver) refusing a row's value, not the link or
    the server failing? Such a refusal is about the rows sent, so it is searched for."""
    if isinstance(exc, (DataError, IntegrityError)):
        return True
    if isinstance(exc, DBAPIError) and not isinstance(exc, OperationalError) and \
            getattr(exc.orig, "sqlstate", "") is None:
        return True  # the driver could not send a value at all (no SQLSTATE: never reached the server)
    if isinstance(exc, StatementError) and not isinstance(exc, DBAPIError):
        return isinstance(exc.orig, (ValueError, TypeError, ArithmeticError))
    return isinstance(exc, (ValueError, TypeError, ArithmeticError)) and not isinstance(exc, ProtocolError)


def _refusal_note(exc: BaseException) -> str:
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return ("The team server cannot store this value"
            + (f" ({detail[0]})" if detail else "")
            + ". Correct it on the record and save again; nothing else of the sync was held back.")
