"""indexes for the SLA figures (issue #13): the clock start of a lead, meetings by kind and time

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

* ``ix_contact_sla_start`` on ``coalesce(assigned_at, captured_at, created_at)``: when a
  lead's first-touch clock started, then ``owner_id, source, first_touch_at`` and
  the expression's own columns (PostgreSQL scans an expression index index-only only when
  they are in it: 73 ms as a bitmap scan of the owner index, 8 ms index-only). The
  speed-to-lead figures of a period read the leads whose clock started in it; without the
  index that was a scan of every contact (100,000 on the large demo) for a few thousand
  rows, and with the clock start alone SQLite still fetched each row (88 ms for 90 days;
  from the index alone: 3-11 ms). An expression index on both engines (the query names the
  same expression, ``sla._START``); no column a score update writes is in it, and it holds
  only live contacts with an owner (the figures are per rep), so an unowned lead's updates
  never touch it.
* ``ix_activity_kind_done_at`` on ``activity (kind, done_at)`` of done activities: a
  period's meetings and no-shows (``sla.rep_meetings``) without a scan of every activity.
  Partial (``done_at IS NOT NULL``): over every activity, SQLite's planner took it for a
  rep's open follow-ups ("kind IN (...) AND done_at IS NULL") instead of the owner's index,
  and My day went from 30 to 90 ms.

Indexes only: nothing to convert, existing rows are indexed as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    op.create_index("ix_contact_sla_start", "contact", [sa.text("coalesce(assigned_at, captured_at, created_at)"),
                                                        "owner_id", "source", "first_touch_at",
                                                        "assigned_at", "captured_at", "created_at"],
                    # written as the queries write them (SQLite matches a partial index's terms literally)
                    postgresql_where=sa.text("owner_id IS NOT NULL AND deleted IS false") if pg else None,
                    sqlite_where=None if pg else sa.text("owner_id IS NOT NULL AND deleted IS 0"))
    op.create_index("ix_activity_kind_done_at", "activity", ["kind", "done_at"],
                    postgresql_where=sa.text("done_at IS NOT NULL") if pg else None,
                    sqlite_where=None if pg else sa.text("done_at IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_activity_kind_done_at", table_name="activity")
    op.drop_index("ix_contact_sla_start", table_name="contact")
