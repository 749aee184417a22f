"""What a newcomer's first start needs to know: is there anything in this database yet?"""

from __future__ import annotations

from sqlalchemy import select

from leaddesk.db import Database
from leaddesk.models import Account, Contact, Opportunity


def is_empty(db: Database) -> bool:
    """True when the database holds no live account, contact or opportunity (the trash does
    not count: a user who deleted everything is not a newcomer, but sees an empty app).
    Three indexed one-row reads, cheap at start-up on any size of database."""
    with db.reader() as s:
        for model in (Account, Contact, Opportunity):
            if s.scalar(select(model.id).where(model.deleted.is_(False)).limit(1)) is not None:
                return False
    return True
