"""lead caps per rep and per team become team settings that managers change (issue #12 points 4, 8)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

A rep's own cap lived on ``app_user.lead_cap`` (revision 0009) and a team's on
``team.lead_cap``; both tables are ADMIN_ONLY (models/access.py, the PostgreSQL policies,
the sync push rules), so a manager could not set the caps her screen shows. The caps now
live in two ``team_setting`` rows, which are CONFIG (managers and admins change them):
``lead_cap_by_rep`` ({user id: cap}) and ``lead_cap_by_team`` ({team id: cap}).

This revision copies the caps the old columns hold (of live rows, caps >= 1) into those
settings. Each replica derives the same rows from the users and teams it holds (every
login reads them all), with the id every replica gives the key (UUIDv5), a zero clock
(``hlc`` 0, a nil ``node``: any real edit wins over it) and no journal entry; a replica
that already holds the row (pulled from an upgraded server) keeps it as it is. Nothing
is written when no cap was set.

The old columns stay, unused: laptops on an older version may still sync them.
Downgrade removes the two setting rows (the old columns still hold the values they had).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from leaddesk.models.types import UTCDateTime

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: leaddesk.services.settings.SETTINGS_NAMESPACE, as of this revision.
_NAMESPACE = uuid.UUID("5b0c7f2e-6a4e-4c55-9d1e-6c2f2f1d7a10")
_KEYS = {"lead_cap_by_rep": "app_user", "lead_cap_by_team": "team"}

_setting = sa.table(
    "team_setting",
    sa.column("id", sa.Uuid()), sa.column("key", sa.String()), sa.column("value", sa.JSON()),
    sa.column("created_at", UTCDateTime()), sa.column("updated_at", UTCDateTime()),
    sa.column("version", sa.Integer()), sa.column("deleted", sa.Boolean()),
    sa.column("hlc", sa.BigInteger()), sa.column("node", sa.Uuid()),
)


def _caps(conn, table: str) -> dict[str, int]:
    rows = sa.table(table, sa.column("id", sa.Uuid()), sa.column("lead_cap", sa.Integer()),
                    sa.column("deleted", sa.Boolean()))
    found = conn.execute(sa.select(rows.c.id, rows.c.lead_cap)
                         .where(rows.c.lead_cap.is_not(None), rows.c.lead_cap >= 1, rows.c.deleted.is_(False)))
    return dict(sorted((str(ident), int(cap)) for ident, cap in found))


def upgrade() -> None:
    conn = op.get_bind()
    now = dt.datetime.now(dt.timezone.utc)
    for key, table in _KEYS.items():
        caps = _caps(conn, table)
        ident = uuid.uuid5(_NAMESPACE, key)
        if not caps or conn.scalar(sa.select(_setting.c.id).where(_setting.c.id == ident)) is not None:
            continue
        conn.execute(_setting.insert().values(id=ident, key=key, value=caps, created_at=now, updated_at=now,
                                              version=1, deleted=False, hlc=0, node=uuid.UUID(int=0)))


def downgrade() -> None:
    op.get_bind().execute(_setting.delete().where(
        _setting.c.id.in_([uuid.uuid5(_NAMESPACE, key) for key in _KEYS])))
