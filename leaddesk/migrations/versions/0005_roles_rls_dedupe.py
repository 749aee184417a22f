"""team roles: row-level security, rejected and merged conflicts, duplicates and merges

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

* ``duplicate_candidate`` and ``record_merge`` (synced, see leaddesk/models/dedupe.py);
* ``access_change`` (hub): rows whose visibility may have changed, filled by triggers;
* ``change_log.rejected``, ``sync_batch.pushed_by``, and the new columns of
  ``sync_conflict`` (authors, note, resolution);
* PostgreSQL only: the functions ``ld_me()``, ``ld_role()``, ``ld_team()`` (who is asking,
  from ``session_user``), row-level security ENABLEd and FORCEd on every synced table and
  every sync table with the policies of :mod:`leaddesk.models.access` as they stand at
  this revision (a later change of rules is a new revision that drops and re-creates
  them), and the index/notify trigger functions made SECURITY DEFINER so they keep the
  search index whole whoever writes.

Roles are cluster objects: they are made by ``leaddesk team init`` / ``add-user``, not here.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leaddesk.models.types
from leaddesk.models import access_sql as access

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = leaddesk.models.types.UTCDateTime(timezone=True)
DEFINER_FUNCTIONS = ("ld_trg_search()", "ld_search_contacts(uuid[])", "ld_search_accounts(uuid[])",
                     "ld_search_opportunities(uuid[])", "ld_notify_change()")


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
    op.create_table(
        "duplicate_candidate",
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("a_id", sa.Uuid(), nullable=False),
        sa.Column("b_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("status", sa.Enum("open", "dismissed", "merged", name="duplicate_status", native_enum=False,
                                    create_constraint=True, length=17), nullable=False),
        *_synced_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_candidate")),
    )
    op.create_index("ix_duplicate_candidate_status", "duplicate_candidate", ["status"])
    op.create_index("ix_duplicate_candidate_a_id", "duplicate_candidate", ["a_id"])
    op.create_index("ix_duplicate_candidate_b_id", "duplicate_candidate", ["b_id"])
    op.create_table(
        "record_merge",
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("survivor_id", sa.Uuid(), nullable=False),
        sa.Column("loser_id", sa.Uuid(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("undone", sa.Boolean(), nullable=False),
        *_synced_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_merge")),
    )
    op.create_index("ix_record_merge_survivor_id", "record_merge", ["survivor_id"])
    op.create_index("ix_record_merge_loser_id", "record_merge", ["loser_id"])
    op.create_table(
        "access_change",
        sa.Column("seq", SERIAL, autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(length=60), nullable=False),
        sa.Column("row_id", sa.Uuid(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_access_change")),
    )
    op.add_column("change_log", sa.Column("rejected", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("sync_batch", sa.Column("pushed_by", sa.String(length=63), nullable=True))
    for name, type_ in (("kept_author", sa.Uuid()), ("lost_author", sa.Uuid()), ("note", sa.Text()),
                        ("resolution", sa.String(length=20)), ("resolved_by", sa.Uuid()), ("resolved_at", UTC)):
        op.add_column("sync_conflict", sa.Column(name, type_, nullable=True))
    op.add_column("sync_conflict", sa.Column("resolved_pending", sa.Boolean(), server_default=sa.false(),
                                             nullable=False))
    op.create_index("ix_app_user_db_role", "app_user", ["db_role"])
    if op.get_bind().dialect.name == "postgresql":
        _pg_upgrade()


def _pg_upgrade() -> None:
    for fn in DEFINER_FUNCTIONS:
        op.execute(f"ALTER FUNCTION {fn} SECURITY DEFINER SET search_path = pg_catalog, public")
    op.execute(access.FUNCTIONS_SQL)
    # The sync tables' policies call these (they are today's, issue #9: see 0008); some
    # name tables of later revisions, so their bodies are checked when first called.
    op.execute("SET LOCAL check_function_bodies = off")
    op.execute(access.sync_check_sql())
    op.execute("SET LOCAL check_function_bodies = on")
    op.execute("""CREATE FUNCTION ld_trg_access() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  INSERT INTO access_change (entity, row_id, at) VALUES (TG_TABLE_NAME, NEW.id, clock_timestamp());
  RETURN NULL;
END $$""")
    for table in access.OWNER_TABLES:
        op.execute(f"CREATE TRIGGER access_{table} AFTER UPDATE OF owner_id ON {table} FOR EACH ROW "
                   "WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id) EXECUTE FUNCTION ld_trg_access()")
    op.execute("CREATE TRIGGER access_app_user AFTER UPDATE OF team_id, role, active, db_role, deleted ON app_user "
               "FOR EACH ROW WHEN (OLD.team_id IS DISTINCT FROM NEW.team_id OR OLD.role IS DISTINCT FROM NEW.role "
               "OR OLD.active IS DISTINCT FROM NEW.active OR OLD.db_role IS DISTINCT FROM NEW.db_role "
               "OR OLD.deleted IS DISTINCT FROM NEW.deleted) EXECUTE FUNCTION ld_trg_access()")
    # The policies of the tables that exist at this revision (later ones add theirs).
    for stmt in access.policy_sql(set(sa.inspect(op.get_bind()).get_table_names())):
        op.execute(stmt)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for stmt in access.drop_policy_sql(set(sa.inspect(op.get_bind()).get_table_names())):
            op.execute(stmt)
        op.execute("DROP TRIGGER IF EXISTS access_app_user ON app_user")
        for table in access.OWNER_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS access_{table} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS ld_trg_access()")
        for fn in ("ld_max_seq()", "ld_team()", "ld_role()", "ld_me()"):
            op.execute(f"DROP FUNCTION IF EXISTS {fn}")
        for fn in DEFINER_FUNCTIONS:
            op.execute(f"ALTER FUNCTION {fn} SECURITY INVOKER RESET search_path")
    for name in ("resolved_pending", "resolved_at", "resolved_by", "resolution", "note", "lost_author",
                 "kept_author"):
        with op.batch_alter_table("sync_conflict") as batch:
            batch.drop_column(name)
    with op.batch_alter_table("sync_batch") as batch:
        batch.drop_column("pushed_by")
    with op.batch_alter_table("change_log") as batch:
        batch.drop_column("rejected")
    op.drop_table("access_change")
    op.drop_index("ix_app_user_db_role", table_name="app_user")
    op.drop_index("ix_record_merge_loser_id", table_name="record_merge")
    op.drop_index("ix_record_merge_survivor_id", table_name="record_merge")
    op.drop_table("record_merge")
    op.drop_index("ix_duplicate_candidate_b_id", table_name="duplicate_candidate")
    op.drop_index("ix_duplicate_candidate_a_id", table_name="duplicate_candidate")
    op.drop_index("ix_duplicate_candidate_status", table_name="duplicate_candidate")
    op.drop_table("duplicate_candidate")
