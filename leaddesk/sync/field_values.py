"""What a synced field's value may be, and how it is written down: pure rules, no database.

:func:`encode` gives the JSON text a value travels as (the outbox, the change log, the
conflict inbox): exact for money (Decimal as a string), UUIDs as strings, times in ISO
8601. :func:`forbidden_char` and :func:`refuse_forbidden` are the input hygiene rule: no
text (nor JSON) value of any table may hold NUL, a lone surrogate or a control character
other than tab, newline and carriage return.

Apart from the journal (journal.py), which applies both to every save, because the
services' validation and the hub's screening of pushed values apply the very same rules
without a session.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
import uuid
from decimal import Decimal
from typing import Any

from leaddesk.errors import ValidationError


def _default(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"cannot journal {type(value).__name__}")


def encode(value: Any) -> str:
    """JSON text of a field value; exact for money (Decimal as a string) and UTC times."""
    return json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":"))


#: What no text field may hold: C0 control characters but tab, newline and carriage return,
#: DEL, and lone UTF-16 surrogates (PostgreSQL refuses NUL and every driver refuses a lone
#: surrogate, so such a value saved on a laptop would be refused by the team server).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def forbidden_char(value: Any) -> str | None:
    """The first character of ``value`` (text, or JSON data: keys and strings inside
    lists and objects) that no field may hold, else None."""
    if isinstance(value, str):
        found = _FORBIDDEN.search(value)
        return found.group() if found else None
    if isinstance(value, dict):
        for key, item in value.items():
            bad = forbidden_char(key) or forbidden_char(item)
            if bad:
                return bad
    elif isinstance(value, (list, tuple)):
        for item in value:
            bad = forbidden_char(item)
            if bad:
                return bad
    return None


def refuse_forbidden(field: str, value: Any) -> None:
    """Raise :class:`ValidationError` naming ``field`` if ``value`` holds a forbidden character."""
    bad = forbidden_char(value)
    if bad is not None:
        label = field.replace("_", " ").capitalize()
        raise ValidationError(
            f"{label} contains an invisible control character (U+{ord(bad):04X}) that cannot be stored. "
            "Remove it (it often comes with text pasted from another program) and save again.",
            field=field)
