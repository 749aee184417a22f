"""search index: search_doc kept by triggers; FTS5 trigram (SQLite) / pg_trgm GIN (PostgreSQL)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Why triggers: every write path (forms, bulk imports, later the sync's applied changes)
must be indexed, and the two engines must agree. The folding rule (lower case, NFKD,
Latin accents stripped) is ``leaddesk.models.search.fold`` — registered on SQLite
connections as ``ld_fold`` — and ``ld_fold()`` below on PostgreSQL. On SQLite,
``ld_bulk_active()`` (also registered per connection) lets a bulk load skip the per-row
triggers and index its rows in one statement at the end.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPSERT_TAIL = """
ON CONFLICT (row_id) DO UPDATE SET deleted = excluded.deleted, title = excluded.title,
  title_key = excluded.title_key, subtitle = excluded.subtitle, text = excluded.text"""


def _digits(expr: str) -> str:
    for ch in (" ", "-", "/", "(", ")", ".", "+"):
        expr = f"replace({expr}, '{ch}', '')"
    return expr


def _sql(dialect: str):
    """(contact, account, opportunity) upsert statements with a ``{where}`` slot."""
    pg = dialect == "postgresql"
    live = "NOT {t}.deleted" if pg else "{t}.deleted = 0"
    agg = (lambda expr: f"string_agg({expr}, ' ')") if pg else (lambda expr: f"group_concat({expr}, ' ')")
    emails = f"(SELECT {agg('e.address')} FROM contact_email e WHERE e.contact_id = c.id AND {live.format(t='e')})"
    first_email = (f"(SELECT e.address FROM contact_email e WHERE e.contact_id = c.id AND {live.format(t='e')} "
                   "ORDER BY e.position LIMIT 1)")
    phones = (f"(SELECT {agg('p.e164 || ' + repr(' ') + ' || ' + _digits('p.raw'))} FROM contact_phone p "
              f"WHERE p.contact_id = c.id AND {live.format(t='p')})")
    contact = f"""
INSERT INTO search_doc (entity, row_id, deleted, title, title_key, subtitle, text)
SELECT 'contact', c.id, c.deleted, c.display_name, ld_fold(c.display_name),
       coalesce(a.name, {first_email}),
       ld_fold(c.display_name || ' ' || coalesce(c.job_title, '') || ' ' || coalesce(a.name, '') || ' '
               || coalesce({emails}, '') || ' ' || coalesce({phones}, ''))
FROM contact c LEFT JOIN account a ON a.id = c.account_id
WHERE {{where}}{UPSERT_TAIL}"""
    account = f"""
INSERT INTO search_doc (entity, row_id, deleted, title, title_key, subtitle, text)
SELECT 'account', a.id, a.deleted, a.name, ld_fold(a.name),
       coalesce(a.city, a.domain, a.industry),
       ld_fold(a.name || ' ' || coalesce(a.domain, '') || ' ' || coalesce(a.city, '') || ' '
               || coalesce(a.phone, '') || ' ' || coalesce({_digits('a.phone')}, ''))
FROM account a
WHERE {{where}}{UPSERT_TAIL}"""
    opportunity = f"""
INSERT INTO search_doc (entity, row_id, deleted, title, title_key, subtitle, text)
SELECT 'opportunity', o.id, o.deleted, o.name, ld_fold(o.name), a.name,
       ld_fold(o.name || ' ' || coalesce(a.name, ''))
FROM opportunity o LEFT JOIN account a ON a.id = o.account_id
WHERE {{where}}{UPSERT_TAIL}"""
    return contact, account, opportunity


def _sqlite_upgrade() -> None:
    contact, account, opportunity = _sql("sqlite")
    op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(text, content='search_doc', content_rowid='id', "
               "tokenize='trigram')")
    op.execute("CREATE TRIGGER search_doc_ai AFTER INSERT ON search_doc BEGIN "
               "INSERT INTO search_fts(rowid, text) VALUES (new.id, new.text); END")
    op.execute("CREATE TRIGGER search_doc_ad AFTER DELETE ON search_doc BEGIN "
               "INSERT INTO search_fts(search_fts, rowid, text) VALUES ('delete', old.id, old.text); END")
    op.execute("CREATE TRIGGER search_doc_au AFTER UPDATE OF text ON search_doc BEGIN "
               "INSERT INTO search_fts(search_fts, rowid, text) VALUES ('delete', old.id, old.text); "
               "INSERT INTO search_fts(rowid, text) VALUES (new.id, new.text); END")

    def trig(name: str, when: str, table: str, body: str) -> None:
        # A bulk load (ld_bulk_active() is 1 on that connection only) skips the per-row
        # work and re-indexes its rows in one set-based statement at the end.
        op.execute(f"CREATE TRIGGER {name} {when} ON {table} "
                   f"WHEN NOT ld_bulk_active() BEGIN {body}; END")

    trig("search_account_ai", "AFTER INSERT", "account", account.format(where="a.id = NEW.id"))
    trig("search_account_au", "AFTER UPDATE OF name, domain, city, industry, phone, deleted", "account",
         account.format(where="a.id = NEW.id"))
    trig("search_account_rename", "AFTER UPDATE OF name", "account",
         contact.format(where="c.account_id = NEW.id") + "; "
         + opportunity.format(where="o.account_id = NEW.id"))
    trig("search_contact_ai", "AFTER INSERT", "contact", contact.format(where="c.id = NEW.id"))
    trig("search_contact_au", "AFTER UPDATE OF display_name, job_title, account_id, deleted", "contact",
         contact.format(where="c.id = NEW.id"))
    for child in ("contact_email", "contact_phone"):
        trig(f"search_{child}_ai", "AFTER INSERT", child, contact.format(where="c.id = NEW.contact_id"))
        trig(f"search_{child}_au", "AFTER UPDATE", child,
             contact.format(where="c.id IN (NEW.contact_id, OLD.contact_id)"))
    trig("search_opportunity_ai", "AFTER INSERT", "opportunity", opportunity.format(where="o.id = NEW.id"))
    trig("search_opportunity_au", "AFTER UPDATE OF name, account_id, deleted", "opportunity",
         opportunity.format(where="o.id = NEW.id"))
    # Index what the database already holds.
    op.execute(account.format(where="1 = 1"))
    op.execute(contact.format(where="1 = 1"))
    op.execute(opportunity.format(where="1 = 1"))


def _pg_upgrade() -> None:
    contact, account, opportunity = _sql("postgresql")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX ix_search_doc_text_trgm ON search_doc USING gin (text gin_trgm_ops)")
    op.execute(r"""CREATE FUNCTION ld_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
        $$ SELECT regexp_replace(normalize(lower(coalesce(t, '')), NFKD), '[\u0300-\u036f]', '', 'g') $$""")
    for name, stmt in (("contacts", contact.format(where="c.id = ANY(ids)")),
                       ("accounts", account.format(where="a.id = ANY(ids)")),
                       ("opportunities", opportunity.format(where="o.id = ANY(ids)"))):
        op.execute(f"CREATE FUNCTION ld_search_{name}(ids uuid[]) RETURNS void LANGUAGE sql AS $$ {stmt} $$")
    # Statement-level triggers with transition tables: one set-based refresh per INSERT or
    # UPDATE statement, so bulk imports (multi-row INSERTs) stay fast.
    op.execute("""CREATE FUNCTION ld_trg_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'contact' THEN
    PERFORM ld_search_contacts(ARRAY(SELECT id FROM new_rows));
  ELSIF TG_TABLE_NAME = 'opportunity' THEN
    PERFORM ld_search_opportunities(ARRAY(SELECT id FROM new_rows));
  ELSIF TG_TABLE_NAME IN ('contact_email', 'contact_phone') THEN
    IF TG_OP = 'UPDATE' THEN
      PERFORM ld_search_contacts(ARRAY(SELECT contact_id FROM new_rows UNION SELECT contact_id FROM old_rows));
    ELSE
      PERFORM ld_search_contacts(ARRAY(SELECT DISTINCT contact_id FROM new_rows));
    END IF;
  ELSIF TG_TABLE_NAME = 'account' THEN
    PERFORM ld_search_accounts(ARRAY(SELECT id FROM new_rows));
    IF TG_OP = 'UPDATE' THEN
      PERFORM ld_search_contacts(ARRAY(
        SELECT c.id FROM contact c JOIN new_rows n ON c.account_id = n.id JOIN old_rows o ON o.id = n.id
        WHERE o.name IS DISTINCT FROM n.name));
      PERFORM ld_search_opportunities(ARRAY(
        SELECT x.id FROM opportunity x JOIN new_rows n ON x.account_id = n.id JOIN old_rows o ON o.id = n.id
        WHERE o.name IS DISTINCT FROM n.name));
    END IF;
  END IF;
  RETURN NULL;
END $$""")
    for table in ("account", "contact", "contact_email", "contact_phone", "opportunity"):
        op.execute(f"CREATE TRIGGER search_{table}_ins AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
                   "FOR EACH STATEMENT EXECUTE FUNCTION ld_trg_search()")
        op.execute(f"CREATE TRIGGER search_{table}_upd AFTER UPDATE ON {table} "
                   "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
                   "FOR EACH STATEMENT EXECUTE FUNCTION ld_trg_search()")
    op.execute(account.format(where="true"))
    op.execute(contact.format(where="true"))
    op.execute(opportunity.format(where="true"))


def upgrade() -> None:
    op.create_table(
        "search_doc",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("row_id", sa.Uuid(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("title_key", sa.String(length=300), nullable=False),
        sa.Column("subtitle", sa.String(length=300), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_doc")),
    )
    op.create_index("ix_search_doc_row_id", "search_doc", ["row_id"], unique=True)
    op.create_index("ix_search_doc_title_key", "search_doc", ["title_key"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        _pg_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("account", "contact", "contact_email", "contact_phone", "opportunity"):
            op.execute(f"DROP TRIGGER IF EXISTS search_{table}_ins ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS search_{table}_upd ON {table}")
        op.execute("DROP FUNCTION IF EXISTS ld_trg_search()")
        for name in ("contacts", "accounts", "opportunities"):
            op.execute(f"DROP FUNCTION IF EXISTS ld_search_{name}(uuid[])")
        op.execute("DROP FUNCTION IF EXISTS ld_fold(text)")
        op.execute("DROP INDEX IF EXISTS ix_search_doc_text_trgm")
    else:
        for name in ("search_account_ai", "search_account_au", "search_account_rename", "search_contact_ai",
                     "search_contact_au", "search_contact_email_ai", "search_contact_email_au",
                     "search_contact_phone_ai", "search_contact_phone_au", "search_opportunity_ai",
                     "search_opportunity_au", "search_doc_ai", "search_doc_ad", "search_doc_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_index("ix_search_doc_title_key", table_name="search_doc")
    op.drop_index("ix_search_doc_row_id", table_name="search_doc")
    op.drop_table("search_doc")
