"""The search index: one document per account, contact and opportunity.

Derived data, kept current by database triggers (migration 0002), so every write path,
including bulk imports and (later) applied sync changes, is indexed. Not synced.
SQLite adds an FTS5 trigram index over ``text``; PostgreSQL a pg_trgm GIN index.
"""

from __future__ import annotations

import sqlite3
import unicodedata
import uuid

from sqlalchemy import Boolean, Index, Integer, String, Text, Uuid, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from leaddesk.models.base import Base

#: Tables that are part of the search machinery but not of the ORM metadata (SQLite FTS5
#: and its shadow tables); Alembic's comparison must ignore them.
SEARCH_EXTRA_TABLES = frozenset(
    {"search_fts", "search_fts_data", "search_fts_idx", "search_fts_docsize", "search_fts_config", "search_fts_content"}
)


class SearchDoc(Base):
    __tablename__ = "search_doc"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(20))
    row_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(300))
    #: Folded title (lower case, no accents) for 1-2 character prefix search.
    title_key: Mapped[str] = mapped_column(String(300))
    subtitle: Mapped[str | None] = mapped_column(String(300))
    #: Folded text of every searchable field: names, company, e-mails, phones.
    text: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ix_search_doc_row_id", "row_id", unique=True),
        Index("ix_search_doc_title_key", "title_key"),
    )


_COMBINING_LO, _COMBINING_HI = "\u0300", "\u036f"


def fold(text: str | None) -> str:
    """Search folding: lower case, compatibility-decomposed, Latin accents removed.

    The same rule runs in SQL: ``ld_fold()`` on SQLite (this function, registered on every
    connection) and on PostgreSQL ``regexp_replace(normalize(lower(x), NFKD), ...)``, so
    the index and the query always agree ("Müller" ~ "muller", "İstanbul" ~ "istanbul").
    Only the Combining Diacritical Marks block is stripped: Thai vowels and Arabic marks,
    which change meaning, are kept.
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not (_COMBINING_LO <= ch <= _COMBINING_HI))


@event.listens_for(Engine, "connect")
def _register_sqlite_functions(dbapi_conn, _record) -> None:
    if isinstance(dbapi_conn, sqlite3.Connection):
        dbapi_conn.create_function("ld_fold", 1, fold, deterministic=True)
        # The search triggers skip rows while a bulk load runs on *this* connection
        # (services/bulk.py); other connections keep indexing row by row.
        # Keyed by id(): sqlite3 connections take no weak references. Every new connection
        # *replaces* its entry here, so a reused id never inherits a stale flag.
        flag = _BULK[id(dbapi_conn)] = [False]
        dbapi_conn.create_function("ld_bulk_active", 0, lambda: 1 if flag[0] else 0)


_BULK: dict[int, list[bool]] = {}


def set_bulk_active(dbapi_conn, active: bool) -> None:
    """Turn the per-row search triggers off (or back on) for one SQLite connection."""
    _BULK[id(dbapi_conn)][0] = active


_UPSERT_TAIL = """
ON CONFLICT (row_id) DO UPDATE SET deleted = excluded.deleted, title = excluded.title,
  title_key = excluded.title_key, subtitle = excluded.subtitle, text = excluded.text"""


def _digits(expr: str) -> str:
    for ch in (" ", "-", "/", "(", ")", ".", "+"):
        expr = f"replace({expr}, '{ch}', '')"
    return expr


def upsert_sql(dialect: str) -> dict[str, str]:
    """The statements that (re)build search documents, with a ``{where}`` slot over the
    aliases ``c`` (contact), ``a`` (account), ``o`` (opportunity). The same text as the
    triggers of migration 0002 (which keeps its own frozen copy, as migrations must)."""
    pg = dialect == "postgresql"
    live = "NOT {t}.deleted" if pg else "{t}.deleted = 0"
    agg = (lambda expr: f"string_agg({expr}, ' ')") if pg else (lambda expr: f"group_concat({expr}, ' ')")
    emails = f"(SELECT {agg('e.address')} FROM contact_email e WHERE e.contact_id = c.id AND {live.format(t='e')})"
    first_email = (f"(SELECT e.address FROM contact_email e WHERE e.contact_id = c.id AND {live.format(t='e')} "
                   "ORDER BY e.position LIMIT 1)")
    phones = (f"(SELECT {agg('p.e164 || ' + repr(' ') + ' || ' + _digits('p.raw'))} FROM contact_phone p "
              f"WHERE p.contact_id = c.id AND {live.format(t='p')})")
    return {
        "contact": f"""
INSERT INTO search_doc (entity, row_id, deleted, title, title_key, subtitle, text)
SELECT 'contact', c.id, c.deleted, c.display_name, ld_fold(c.display_name),
       coalesce(a.name, {first_email}),
       ld_fold(c.display_name || ' ' || coalesce(c.job_title, '') || ' ' || coalesce(a.name, '') || ' '
               || coalesce({emails}, '') || ' ' || coalesce({phones}, ''))
FROM contact c LEFT JOIN account a ON a.id = c.account_id
WHERE {{where}}{_UPSERT_TAIL}""",
        "account": f"""
INSERT INTO search_doc (entity, row_id, deleted, title, title_key, subtitle, text)
SELECT 'account', a.id, a.deleted, a.name, ld_fold(a.name),
       coalesce(a.city, a.domain, a.industry),
       ld_fold(a.name || ' ' || coalesce(a.domain, '') || ' ' || coalesce(a.city, '') || ' '
               || coalesce(a.phone, '') || ' ' || coalesce({_digits('a.phone')}, ''))
FROM account a
WHERE {{where}}{_UPSERT_TAIL}""",
        "opportunity": f"""
INSERT INTO search_doc (entity, row_id, deleted, title, title_key, subtitle, text)
SELECT 'opportunity', o.id, o.deleted, o.name, ld_fold(o.name), a.name,
       ld_fold(o.name || ' ' || coalesce(a.name, ''))
FROM opportunity o LEFT JOIN account a ON a.id = o.account_id
WHERE {{where}}{_UPSERT_TAIL}""",
    }
