"""history horizon: history_purge, ld_history_horizon(), ld_purge_history(keep)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

The change log grew forever. An administrator may now trim it (``leaddesk team
purge-history``, default: keep 365 days); ``history_purge`` records each trim, and a
replica that last pulled before one re-downloads what its user sees instead of pulling
change by change, keeping its unsent edits (sync notes 3.7). The table exists on both
engines (one schema everywhere); on PostgreSQL the two functions (SECURITY DEFINER:
users cannot write the table or delete from the change log themselves), ``ld_max_seq()``
never below the horizon (a trim may empty the change log), and the table's row-level
security (FORCEd, readable by every team member: it holds numbers only).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leaddesk.models.types
from leaddesk.models import access_sql as access

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = leaddesk.models.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "history_purge",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("through_seq", sa.BigInteger(), nullable=False),
        sa.Column("cutoff", UTC, nullable=False),
        sa.Column("purged_at", UTC, nullable=False),
        sa.Column("purged_by", sa.String(length=63), nullable=False),
        sa.Column("changes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_purge")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(access.HISTORY_SQL)
        for stmt in access.policy_sql({"history_purge"}):
            op.execute(stmt)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ld_purge_history(interval)")
        op.execute(access.FUNCTIONS_SQL)  # 0005's ld_max_seq() again
        op.execute("DROP FUNCTION IF EXISTS ld_history_horizon()")
    op.drop_table("history_purge")
