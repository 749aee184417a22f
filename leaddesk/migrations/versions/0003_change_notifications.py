"""change notifications: PostgreSQL NOTIFY on every write to a synced table

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

When several people work on one shared PostgreSQL database, each app LISTENs on
``leaddesk_changes`` and refreshes the views that show the tables named in the payload.
Statement-level, so a bulk import sends one notification per statement, and PostgreSQL
folds identical notifications within a transaction. SQLite has no NOTIFY: the app polls
``PRAGMA data_version`` instead (services/watch.py), so nothing is needed there.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The synced tables at this revision (a snapshot, not imported from the models).
TABLES = (
    "team", "app_user", "campaign", "persona", "account", "contact", "contact_email", "contact_phone",
    "lifecycle_event", "pipeline", "pipeline_stage", "lost_reason", "opportunity", "opportunity_event",
    "activity", "engagement_event", "bant", "scoring_rule", "indicator", "funnel_stage_definition", "team_setting",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""CREATE FUNCTION ld_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('leaddesk_changes', TG_TABLE_NAME);
  RETURN NULL;
END $$""")
    for table in TABLES:
        op.execute(f"CREATE TRIGGER notify_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION ld_notify_change()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS notify_{table} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS ld_notify_change()")
