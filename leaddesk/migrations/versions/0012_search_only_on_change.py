"""search index: re-index only the rows whose indexed columns changed (issue #12)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

PostgreSQL only. The statement-level search trigger of revision 0002 (``ld_trg_search``,
made SECURITY DEFINER with a fixed search path by 0008) re-indexed every row an UPDATE
touched, whatever it changed: rescoring 100,000 leads (scores and persona, neither in the
search document) re-wrote 100,000 search documents and their trigram index entries, 9 of
the 12 s of the issue #12 figure. Now an UPDATE re-indexes only the rows whose OLD and
NEW versions (the statement's transition tables, joined on id) differ in what their
document is built from (``IS DISTINCT FROM``):

* contact: display name, job title, account, deleted;
* account: name, domain, city, industry, phone, deleted (and, as before, the contacts and
  opportunities of an account whose name changed);
* opportunity: name, account, deleted.

INSERTs and the e-mail and phone tables are indexed as before. ``UPDATE OF <columns>``
cannot be used: PostgreSQL refuses a column list on triggers with transition tables.

SQLite needs nothing: its per-row triggers (0002) already fire only ``AFTER UPDATE OF``
the indexed columns.

Downgrade restores the trigger function of 0002 with 0008's SECURITY DEFINER and path.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from leaddesk.models import access_sql as access

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The columns each search document is built from (revision 0002's ``_sql``).
INDEXED = {
    "contact": ("display_name", "job_title", "account_id", "deleted"),
    "account": ("name", "domain", "city", "industry", "phone", "deleted"),
    "opportunity": ("name", "account_id", "deleted"),
}


def _changed(table: str) -> str:
    """SQL: the ids of the statement's rows whose indexed columns changed."""
    cols = INDEXED[table]
    old = ", ".join(f"o.{c}" for c in cols)
    new = ", ".join(f"n.{c}" for c in cols)
    return f"SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE ({old}) IS DISTINCT FROM ({new})"


def _function(contact_upd: str, account_upd: str, opportunity_upd: str) -> str:
    return f"""CREATE OR REPLACE FUNCTION public.ld_trg_search() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER {access.TRIGGER_PATH} AS $$
BEGIN
  IF TG_TABLE_NAME = 'contact' THEN
    IF TG_OP = 'UPDATE' THEN
      PERFORM public.ld_search_contacts(ARRAY({contact_upd}));
    ELSE
      PERFORM public.ld_search_contacts(ARRAY(SELECT id FROM new_rows));
    END IF;
  ELSIF TG_TABLE_NAME = 'opportunity' THEN
    IF TG_OP = 'UPDATE' THEN
      PERFORM public.ld_search_opportunities(ARRAY({opportunity_upd}));
    ELSE
      PERFORM public.ld_search_opportunities(ARRAY(SELECT id FROM new_rows));
    END IF;
  ELSIF TG_TABLE_NAME IN ('contact_email', 'contact_phone') THEN
    IF TG_OP = 'UPDATE' THEN
      PERFORM public.ld_search_contacts(ARRAY(SELECT contact_id FROM new_rows UNION SELECT contact_id FROM old_rows));
    ELSE
      PERFORM public.ld_search_contacts(ARRAY(SELECT DISTINCT contact_id FROM new_rows));
    END IF;
  ELSIF TG_TABLE_NAME = 'account' THEN
    IF TG_OP = 'UPDATE' THEN
      PERFORM public.ld_search_accounts(ARRAY({account_upd}));
      PERFORM public.ld_search_contacts(ARRAY(
        SELECT c.id FROM public.contact c JOIN new_rows n ON c.account_id = n.id JOIN old_rows o ON o.id = n.id
        WHERE o.name IS DISTINCT FROM n.name));
      PERFORM public.ld_search_opportunities(ARRAY(
        SELECT x.id FROM public.opportunity x JOIN new_rows n ON x.account_id = n.id JOIN old_rows o ON o.id = n.id
        WHERE o.name IS DISTINCT FROM n.name));
    ELSE
      PERFORM public.ld_search_accounts(ARRAY(SELECT id FROM new_rows));
    END IF;
  END IF;
  RETURN NULL;
END $$"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_function(_changed("contact"), _changed("account"), _changed("opportunity")))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    every = "SELECT id FROM new_rows"
    op.execute(_function(every, every, every))
