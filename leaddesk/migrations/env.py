"""Alembic environment: runs on a connection handed in by leaddesk.migrate, or on a URL."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

import leaddesk.models  # noqa: F401  (registers every table on Base.metadata)
from leaddesk.models import SEARCH_EXTRA_TABLES, Base

config = context.config
target_metadata = Base.metadata


def _include_name(name, type_, _parent_names) -> bool:
    # SQLite's FTS5 search table and its shadow tables are made by migration 0002 with
    # raw DDL; they are not ORM tables and must not be "removed" by autogenerate.
    if type_ == "table" and name in SEARCH_EXTRA_TABLES:
        return False
    # The pg_trgm GIN index is PostgreSQL-only DDL made by hand in 0002.
    return not (type_ == "index" and name == "ix_search_doc_text_trgm")


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_name=_include_name,
        render_as_batch=True,  # SQLite ALTERs are table rebuilds
        compare_type=True,
        compare_server_default=False,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if isinstance(connection, Engine):  # pytest-alembic may hand over an engine
        with connection.begin() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
        return
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("LEADDESK_DB")
    if not url:
        raise SystemExit("set LEADDESK_DB (or sqlalchemy.url) to the database to migrate")
    engine = create_engine(url)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url") or os.environ.get("LEADDESK_DB"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
