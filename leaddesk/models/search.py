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
