"""security hardening (issue #9): definer functions, sync-table checks, known users only

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

PostgreSQL only (SQLite has no roles): nothing in the schema's tables changes.

* Every SECURITY DEFINER function is re-created with schema-qualified names and
  ``search_path = pg_catalog, pg_temp`` (pg_temp last: a login's temporary table can no
  longer stand in for ``app_user`` or ``pg_roles`` inside them); the older trigger
  functions get ``pg_catalog, public, pg_temp``.
* ``ld_conflict_side_ok`` and ``ld_pushed_now``: what the sync tables' policies check;
  ``ld_check_logged``, a statement-level trigger on ``change_log``: every logged change
  (not a refusal) is on a row its author may change (one set-based query per push batch,
  not a function call per row: the per-row check cost 2 s per 5,000 changes);
  ``ld_row_writable`` answers the same question for one row.
* Every policy is re-created from :mod:`leaddesk.models.access` as it now stands: every rule
  requires a known, active user of this database; a change logged by a login is its own
  (author, pushed_by), received now, with a clock no more than 5 minutes ahead of the
  server's; a field clock points at a change of the same push;
  a conflict involves a change of the push and names real changes on both sides.

* Field clocks more than 5 minutes ahead of the server's (planted by a login before this
  revision, or stamped by an office PC with a fast clock) are brought back to the
  upgrade's time.

Roles, grants and function owners are cluster or server matters: ``leaddesk team init``
(re-run on an existing team database) installs them (:func:`team_admin.install_roles`).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from leaddesk.models import access_sql as access

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SERVER_MS = "(extract(epoch from clock_timestamp()) * 1000)::bigint"
TRIGGER_FUNCTIONS = ("ld_trg_search()", "ld_search_contacts(uuid[])", "ld_search_accounts(uuid[])",
                     "ld_search_opportunities(uuid[])", "ld_notify_change()", "ld_trg_access()")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(access.FUNCTIONS_SQL)
    op.execute(access.HISTORY_SQL)
    # today's check names tables of later revisions (contact_card, 0014): checked when first called
    op.execute("SET LOCAL check_function_bodies = off")
    op.execute(access.sync_check_sql())
    op.execute("SET LOCAL check_function_bodies = on")
    op.execute(access.LOG_TRIGGER_SQL)
    for fn in TRIGGER_FUNCTIONS:
        op.execute(f"ALTER FUNCTION public.{fn} SECURITY DEFINER {access.TRIGGER_PATH}")
    # Field clocks from the future, planted before this revision (or left by an office PC
    # with a fast clock): brought back to the upgrade's time, so later edits win again and
    # server edits of those rows are no longer refused. The values stay as they are.
    op.execute(f"UPDATE hub_field_version SET hlc = ({_SERVER_MS} << 16) "
               f"WHERE (hlc >> 16) > {_SERVER_MS} + {access.SKEW_MS}")
    tables = set(sa.inspect(op.get_bind()).get_table_names())
    for stmt in access.drop_policy_sql(tables):
        op.execute(stmt)
    for stmt in access.policy_sql(tables):
        op.execute(stmt)


def downgrade() -> None:
    # The hardened functions and policies stay: they serve the previous revision's schema
    # unchanged, and loosening them again would reopen what issue #9 closed.
    pass
