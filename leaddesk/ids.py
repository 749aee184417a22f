"""Primary keys: UUIDv7 (time-ordered, random tail) so offline laptops never collide."""

from __future__ import annotations

import uuid

from uuid6 import uuid7 as _uuid7


def new_id() -> uuid.UUID:
    """A new UUIDv7 as a standard :class:`uuid.UUID`."""
    return uuid.UUID(int=_uuid7().int)
