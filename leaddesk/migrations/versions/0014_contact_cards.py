"""trade-show capture: contact.website and contact_card (issue #14)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

* ``contact.website``: a card's web site (nullable; existing contacts get NULL).
* ``contact_card`` (synced, a child of its contact like its e-mails and phones): the card
  image, QR payload or vCard a contact was captured from, with what was read and how sure
  the reader was. The image is base64 text so it syncs as a JSON value like every field.
* PostgreSQL: the new table's row-level security (the contact's rules) and the sync check
  functions re-made from today's rules, which now name ``contact_card``. The table
  privileges of the team's groups are granted by ``leaddesk team init``, which upgrades a
  team database and re-grants (as for every table).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leaddesk.models.types
from leaddesk.models import access_sql as access

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = leaddesk.models.types.UTCDateTime(timezone=True)


def _synced_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("hlc", sa.BigInteger(), nullable=False),
        sa.Column("node", sa.Uuid(), nullable=False),
    ]


def upgrade() -> None:
    op.add_column("contact", sa.Column("website", sa.String(length=500), nullable=True))
    op.create_table(
        "contact_card",
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.Enum("qr", "ocr", "vcard", "manual", name="capture_source", native_enum=False,
                                    create_constraint=True, length=14), nullable=False),
        sa.Column("captured_at", UTC, nullable=False),
        sa.Column("image_mime", sa.String(length=40), nullable=True),
        sa.Column("image_b64", sa.Text(), nullable=True),
        sa.Column("image_sha256", sa.String(length=64), nullable=True),
        sa.Column("raw_text", sa.Text(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("fields_read", sa.JSON(), nullable=False),
        *_synced_columns(),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], name=op.f("fk_contact_card_contact_id_contact")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"],
                                name=op.f("fk_contact_card_campaign_id_campaign")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_card")),
    )
    op.create_index("ix_contact_card_contact_id", "contact_card", ["contact_id"])
    if op.get_bind().dialect.name == "postgresql":
        _pg_policies(with_cards=True)


def _pg_policies(*, with_cards: bool) -> None:
    """The sync tables' policies ask "is the row visible?" with one branch per synced table:
    re-made so that a card's changes are as visible as its contact."""
    tables = set(sa.inspect(op.get_bind()).get_table_names())
    if not with_cards:
        tables.discard("contact_card")
    sync_tables = set(access.sync_policies()) & tables
    for stmt in access.drop_policy_sql(sync_tables | ({"contact_card"} if with_cards else set())):
        op.execute(stmt)
    for stmt in access.policy_sql(sync_tables | ({"contact_card"} if with_cards else set()), existing=tables):
        op.execute(stmt)
    op.execute("SET LOCAL check_function_bodies = off")
    op.execute(access.sync_check_sql())
    op.execute("SET LOCAL check_function_bodies = on")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for stmt in access.drop_policy_sql({"contact_card"}):
            op.execute(stmt)
        _pg_policies(with_cards=False)
    op.drop_index("ix_contact_card_contact_id", table_name="contact_card")
    op.drop_table("contact_card")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("contact", "website")
    else:
        op.execute("ALTER TABLE contact DROP COLUMN website")
