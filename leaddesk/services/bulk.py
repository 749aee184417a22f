"""Bulk loads (demo data, imports): many rows in one transaction, indexed once at the end.

On SQLite the search triggers fire per row (and rewrite a contact's document once per
e-mail and phone); inside :func:`bulk_load` they stand aside, and the loaded rows are
indexed with one set-based statement per entity when the block ends. PostgreSQL's
statement-level triggers are already set-based, so nothing changes there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.orm import Session

from leaddesk.models.search import set_bulk_active, upsert_sql


@contextlib.contextmanager
def bulk_load(session: Session) -> Iterator[Session]:
    """Use inside a unit of work: ``with db.unit_of_work() as s, bulk_load(s): ...``."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    raw = session.connection().connection.driver_connection if sqlite else None
    if sqlite:
        set_bulk_active(raw, True)
    try:
        yield session
    finally:
        if sqlite:
            set_bulk_active(raw, False)
    if sqlite:
        reindex_bulk_rows(session)


def reindex_bulk_rows(session: Session) -> None:
    """Index the rows that ``journal.bulk_insert`` wrote in this session (by their clocks)."""
    hlcs: dict[str, set[int]] = session.info.pop("bulk_hlcs", {})
    sql = upsert_sql(session.get_bind().dialect.name)

    def clocks(table: str) -> str:
        return ", ".join(str(int(h)) for h in sorted(hlcs.get(table, ()))) or "NULL"

    if hlcs.get("account"):
        session.execute(text(sql["account"].format(where=f"a.hlc IN ({clocks('account')})")))
    if hlcs.get("contact") or hlcs.get("contact_email") or hlcs.get("contact_phone"):
        where = (f"c.hlc IN ({clocks('contact')})"
                 f" OR c.id IN (SELECT contact_id FROM contact_email WHERE hlc IN ({clocks('contact_email')}))"
                 f" OR c.id IN (SELECT contact_id FROM contact_phone WHERE hlc IN ({clocks('contact_phone')}))")
        session.execute(text(sql["contact"].format(where=where)))
    if hlcs.get("opportunity"):
        session.execute(text(sql["opportunity"].format(where=f"o.hlc IN ({clocks('opportunity')})")))
