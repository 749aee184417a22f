"""reminders that fire once per occurrence (issue #13, point 2)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

* ``activity.reminded_for``: the ``due_at`` whose reminder was shown (or snoozed). A
  reminder fires while ``reminded_for`` differs from ``due_at``, so it fires once per
  occurrence and rescheduling (a new ``due_at``) re-arms it. It syncs like every payload
  column, so a reminder shown on one laptop is not shown again on the rep's other laptop.
* ``activity.snoozed_until`` (UTC): a shown reminder comes back at that instant.
* ``ix_activity_reminder_pending``: a partial index on ``(owner_id, due_at)`` over the
  activities whose reminder is still to fire (open, never shown for this due time, or
  snoozed), so the check once a minute reads a handful of index entries instead of every
  open activity of the rep.

Both columns are plain ADD COLUMN on both engines (nullable, no CHECK); existing rows get
NULL, which means "never reminded": open activities already overdue are shown once at the
next start, as reminders missed while the app was closed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here (not imported from the model) so the revision stays what it was when
# the model moves on.
_PENDING = ("done_at IS NULL AND NOT deleted AND due_at IS NOT NULL AND "
            "(reminded_for IS NULL OR reminded_for <> due_at OR snoozed_until IS NOT NULL)")


def upgrade() -> None:
    for col in ("reminded_for", "snoozed_until"):
        op.add_column("activity", sa.Column(col, sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_activity_reminder_pending", "activity", ["owner_id", "due_at"],
                    sqlite_where=sa.text(_PENDING), postgresql_where=sa.text(_PENDING))


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def downgrade() -> None:
    op.drop_index("ix_activity_reminder_pending", table_name="activity")
    for col in ("snoozed_until", "reminded_for"):
        if _pg():
            op.drop_column("activity", col)
        else:
            op.execute(f"ALTER TABLE activity DROP COLUMN {col}")
