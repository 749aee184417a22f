"""cadences and recurring activities (issue #13, point 5)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

* ``activity.cadence_key``: the key of the team's cadence template (team setting
  ``cadences``) this activity is a step of; ``activity.cadence_run``: one application of
  that cadence to one lead (the same cadence applied twice is two runs);
  ``activity.cadence_step``: the step's number in the template (1-based).
* ``activity.rrule``: an RFC 5545 RRULE; completing such an activity schedules its next
  occurrence.

Columns only (a new synced table would need the row-level-security plumbing); every column
is a plain nullable ADD COLUMN on both engines, existing rows get NULL (no cadence, not
recurring). The columns sync like every payload column.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (("cadence_key", sa.String(60)), ("cadence_run", sa.Uuid()), ("cadence_step", sa.Integer()),
            ("rrule", sa.String(300)))


def upgrade() -> None:
    for name, type_ in _COLUMNS:
        op.add_column("activity", sa.Column(name, type_, nullable=True))
    op.create_index("ix_activity_cadence_run", "activity", ["cadence_run"])


def downgrade() -> None:
    op.drop_index("ix_activity_cadence_run", table_name="activity")
    for name, _type in reversed(_COLUMNS):
        if op.get_bind().dialect.name == "postgresql":
            op.drop_column("activity", name)
        else:
            op.execute(f"ALTER TABLE activity DROP COLUMN {name}")
