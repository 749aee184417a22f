"""Bulk loads (demo data, imports): many rows in one transaction, indexed once at the end.

On SQLite the search triggers fire per row (and rewrite a contact's document once per
e-mail and phone); inside :func:`bulk_load` they stand aside, and the loaded rows are
indexed with one set-based statement per entity when the block ends. PostgreSQL's
statement-level triggers are already set-based; there the loaded tables are ``ANALYZE``d
when the block ends (the server's advice after a bulk load): until autovacuum gets to them
the planner would plan with the statistics of the empty tables, and the first rescore
after loading 100,000 leads read each batch of 5,000 by sorting the whole table (75 ms a
batch instead of 12 ms). A login that does not own the tables gets a warning from the
server and the statistics autovacuum gathers later.
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
    else:
        for table in sorted(session.info.pop("bulk_hlcs", {})):
            session.execute(text(f'ANALYZE "{table}"'))


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
