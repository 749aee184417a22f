"""sync tables: change_log, sync_batch, hub_field_version, sync_conflict, outbox_base

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

The tables of the sync protocol (leaddesk/models/hub.py explains each). They are made on
both engines, so one schema serves the hub and the replicas and the model-vs-DDL check
holds everywhere; the hub fills the first four, a replica ``outbox_base``.
``change_log.seq`` is a BIGSERIAL on PostgreSQL (the rowid on SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leaddesk.models.types

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = leaddesk.models.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "change_log",
        sa.Column("seq", SERIAL, autoincrement=True, nullable=False),
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("entity", sa.String(length=60), nullable=False),
        sa.Column("row_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("hlc", sa.BigInteger(), nullable=False),
        sa.Column("node", sa.Uuid(), nullable=False),
        sa.Column("author", sa.Uuid(), nullable=True),
        sa.Column("at", UTC, nullable=False),
        sa.Column("pushed_by", sa.String(length=63), nullable=True),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("base_seq", sa.BigInteger(), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_change_log")),
        sa.UniqueConstraint("change_id", name=op.f("uq_change_log_change_id")),
    )
    op.create_index("ix_change_log_entity_row", "change_log", ["entity", "row_id"], unique=False)
    op.create_table(
        "sync_batch",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("node", sa.Uuid(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_sync_batch")),
    )
    op.create_table(
        "hub_field_version",
        sa.Column("entity", sa.String(length=60), nullable=False),
        sa.Column("row_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("hlc", sa.BigInteger(), nullable=False),
        sa.Column("node", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("entity", "row_id", "field", name=op.f("pk_hub_field_version")),
    )
    op.create_table(
        "sync_conflict",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("entity", sa.String(length=60), nullable=False),
        sa.Column("row_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("kept_value", sa.Text(), nullable=True),
        sa.Column("lost_value", sa.Text(), nullable=True),
        sa.Column("kept_node", sa.Uuid(), nullable=False),
        sa.Column("lost_node", sa.Uuid(), nullable=False),
        sa.Column("kept_hlc", sa.BigInteger(), nullable=False),
        sa.Column("lost_hlc", sa.BigInteger(), nullable=False),
        sa.Column("kept_seq", sa.BigInteger(), nullable=False),
        sa.Column("lost_seq", sa.BigInteger(), nullable=False),
        sa.Column("kept_change_id", sa.Uuid(), nullable=True),
        sa.Column("lost_change_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("resolved", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflict")),
    )
    op.create_index("ix_sync_conflict_entity_row", "sync_conflict", ["entity", "row_id"], unique=False)
    op.create_index("ix_sync_conflict_resolved", "sync_conflict", ["resolved"], unique=False)
    op.create_table(
        "outbox_base",
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("base_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("change_id", name=op.f("pk_outbox_base")),
    )


def downgrade() -> None:
    op.drop_table("outbox_base")
    op.drop_index("ix_sync_conflict_resolved", table_name="sync_conflict")
    op.drop_index("ix_sync_conflict_entity_row", table_name="sync_conflict")
    op.drop_table("sync_conflict")
    op.drop_table("hub_field_version")
    op.drop_table("sync_batch")
    op.drop_index("ix_change_log_entity_row", table_name="change_log")
    op.drop_table("change_log")
