"""contact: fill factor 80 so score and persona updates stay on their page (issue #12)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

PostgreSQL only. Rescoring rewrites ``fit_score``, ``interest_score`` and ``persona_id``
(and the stamps: ``version``, ``updated_at``, ``hlc``, ``node``) of most leads; none of
these columns is in an index of ``contact`` (its indexes: the primary key, ``name_key``,
``account_id``, ``(owner_id, lifecycle_stage)``, ``lifecycle_stage``, ``campaign_id``), so
each such update can be a heap-only tuple (HOT) update, which adds no entry to any of the
six indexes, as long as the new row version fits on the same page. With the default fill
factor of 100, pages loaded in one go (an import, a snapshot) are full, and every updated
row moved to another page with an entry in every index: 130 of 97,539 updates of the
100,000-lead rescore were HOT. Fill factor 80 keeps a fifth of each page free for new
versions of its rows.

The setting applies to pages written from now on (inserts, and pages rewritten by later
updates once vacuum has freed room); pages already full stay full until rewritten. This
migration does not rewrite the table (no ``VACUUM FULL`` or ``CLUSTER``, which would lock
``contact`` for the length of the rewrite); an administrator who wants it at once can run
``VACUUM FULL contact`` in a quiet hour.

SQLite has no fill factor: nothing to do there. The model (``models/contacts.py``) does not
carry the setting: it is storage, not schema, and the model-against-DDL comparison of
tests/migrations does not look at storage parameters.

Downgrade resets the fill factor to the default (100).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILLFACTOR = 80


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE contact SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE contact RESET (fillfactor)")
