"""opportunity notes: free text on a deal (issue #10)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

A rep keeps what they know about a deal (who decides, what the customer asked for) on the
deal itself. One nullable text column: existing rows keep working with no notes, and it
syncs like every other payload column (leaddesk/sync/protocol.py derives the synced fields
from the models, so nothing else is listed anywhere).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both engines: SQLite's batch "copy and rename" would trip over
    # the search triggers that name the opportunity table.
    op.add_column("opportunity", sa.Column("notes", sa.Text(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE opportunity DROP COLUMN notes")  # SQLite 3.35+, no table copy
    else:
        op.drop_column("opportunity", "notes")
