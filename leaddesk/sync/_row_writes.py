"""How merged rows reach each database: a few statements per table, whatever the mix.

SQLite: an ``executemany`` through the driver per table (updates: one per set of changed
columns, as SQLite's row triggers fire per column named). PostgreSQL: ``COPY`` into the
table, or into a temporary table that one set-based statement then applies (updates under
a per-row bit mask, the hub's clocks, the change log), so statement-level triggers run
once per table. Apart from :class:`~leaddesk.sync._row_store.RowStore`, which decides what
is written: this is only how, in each database's SQL.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

from sqlalchemy import Column
from sqlalchemy.engine import Connection

from leaddesk.models import ChangeLog
from leaddesk.sync._driver_io import _convert_rows, _driver_errors, _q
from leaddesk.sync.protocol import EntitySpec

_log = ChangeLog.__table__
_MASK_BITS = 62


#: Bookkeeping columns of a new row, in the order :meth:`RowStore.flush` gives them.
_NEW_ROW = ("id", "created_at", "created_by", "updated_at", "updated_by", "version", "hlc", "node")


def _columns(spec: EntitySpec) -> list[Column]:
    """Payload columns, then the bookkeeping of a new row (:data:`_NEW_ROW`)."""
    return [*spec.fields.values(), *(spec.table.c[k] for k in _NEW_ROW)]


# --- SQLite: executemany through the driver -----------------------------------------------

def _sqlite_insert_rows(conn: Connection, spec: EntitySpec, rows: list[tuple]) -> None:
    cols = _columns(spec)
    sql = (f"INSERT INTO {_q(conn, spec.table.name)} ({', '.join(_q(conn, c.name) for c in cols)}) "
           f"VALUES ({', '.join('?' * len(cols))})")
    keys = list(spec.fields)
    conn.exec_driver_sql(sql, _convert_rows(conn, cols, ([values.get(k) for k in keys] + list(extra)
                                                         for values, extra in rows)))


def _sqlite_update_rows(conn: Connection, spec: EntitySpec, rows: list[tuple]) -> None:
    """One executemany per set of changed columns (SQLite's row-level triggers fire per
    column named in the SET list, so a column is only named where it changed)."""
    table, cols = spec.table, spec.fields
    by_fields: dict[tuple[str, ...], list[list]] = {}
    for row_id, at, author, dirty, values in rows:
        fields = tuple(sorted(dirty))
        by_fields.setdefault(fields, []).append([*(values[f] for f in fields), at, author, row_id])
    for fields, params in by_fields.items():
        sets = ", ".join(f"{_q(conn, cols[f].name)} = ?" for f in fields)
        sql = (f"UPDATE {_q(conn, table.name)} SET {sets}, version = version + 1, updated_at = ?, updated_by = ? "
               "WHERE id = ?")
        conn.exec_driver_sql(sql, _convert_rows(
            conn, [*(cols[f] for f in fields), table.c.updated_at, table.c.updated_by, table.c.id], params))


# --- PostgreSQL: COPY, then one set-based statement -----------------------------------------

_temp_names = itertools.count(1)
_TEMP_PREFIX = "ld_sync_"


def _copy(conn: Connection, target: str, names: Sequence[str], rows: Iterable[Sequence]) -> None:
    """``COPY target (names) FROM STDIN`` on the connection's own transaction (psycopg
    formats each row in C). A driver error comes out as SQLAlchemy's, like any statement's
    (so a dropped link is :class:`HubUnavailable`, a refused row a ``ProtocolError``).

    PostgreSQL refuses ``COPY FROM`` into a table under row-level security (every hub
    table, for a LeadDesk login): then the rows go into a temporary table by ``COPY`` and
    on with one ``INSERT ... SELECT``, which the policies check like any insert."""
    columns = ", ".join(_q(conn, n) for n in names)
    if not target.startswith(_TEMP_PREFIX) and not _bypasses_rls(conn):
        temp = _temp_table(conn, columns, target)
        _copy(conn, temp, names, rows)
        conn.exec_driver_sql(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {temp}")
        return
    sql = f"COPY {target} ({columns}) FROM STDIN"
    with _driver_errors(conn, sql), conn.connection.driver_connection.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _bypasses_rls(conn: Connection) -> bool:
    """Is the current role exempt from row-level security (a superuser, BYPASSRLS)?"""
    return bool(conn.exec_driver_sql(
        "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user").scalar())


def _temp_table(conn: Connection, select_list: str, source: str) -> str:
    """A temporary table shaped like ``SELECT select_list FROM source`` (column types from
    the real table), dropped at commit."""
    name = f"{_TEMP_PREFIX}{next(_temp_names)}"
    conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS SELECT {select_list} FROM {source} WITH NO DATA")
    return name


def _pg_insert_rows(conn: Connection, spec: EntitySpec, rows: list[tuple]) -> None:
    """New rows of one table: one ``COPY`` (the table's statement-level triggers run once)."""
    cols = _columns(spec)
    keys = list(spec.fields)
    _copy(conn, _q(conn, spec.table.name), [c.name for c in cols],
          _convert_rows(conn, cols, ([values.get(k) for k in keys] + list(extra) for values, extra in rows)))


def _pg_update_rows(conn: Connection, spec: EntitySpec, rows: list[tuple]) -> None:
    """Changed fields of many rows of one table with ONE ``UPDATE ... FROM`` a temporary
    table filled by ``COPY``: the columns any row changed are in the SET list, and a per-row
    bit mask picks, for each row, between its new value and the value it holds, so a row
    keeps every column its changes did not win."""
    table, cols = spec.table, spec.fields
    changed = set().union(*(r[3] for r in rows))
    union = [f for f in cols if f in changed]
    bit = {f: i for i, f in enumerate(union)}
    n_masks = (len(union) + _MASK_BITS - 1) // _MASK_BITS
    t = _q(conn, table.name)
    temp = _temp_table(conn, ", ".join(
        ["id AS b_id", "updated_at AS b_at", "updated_by AS b_by"]
        + [f"0::bigint AS m{j}" for j in range(n_masks)]
        + [f"{_q(conn, cols[f].name)} AS v{i}" for i, f in enumerate(union)]), t)
    data = []
    for row_id, at, author, dirty, values in rows:
        row = [row_id, at, author, *([0] * n_masks), *([None] * len(union))]
        for f in dirty:
            i = bit[f]
            row[3 + i // _MASK_BITS] |= 1 << (i % _MASK_BITS)
            row[3 + n_masks + i] = values[f]
        data.append(row)
    _copy(conn, temp, ["b_id", "b_at", "b_by", *(f"m{j}" for j in range(n_masks)), *(f"v{i}" for i in range(len(union)))],
          _convert_rows(conn, [table.c.id, table.c.updated_at, table.c.updated_by,
                               *([table.c.version] * n_masks), *(cols[f] for f in union)], data))
    sets = []
    for i, f in enumerate(union):
        name = _q(conn, cols[f].name)
        sets.append(f"{name} = CASE WHEN x.m{i // _MASK_BITS} & {1 << (i % _MASK_BITS)} <> 0 "
                    f"THEN x.v{i} ELSE t.{name} END")
    sets += ["version = t.version + 1", "updated_at = x.b_at", "updated_by = x.b_by"]
    conn.exec_driver_sql(f"UPDATE {t} AS t SET {', '.join(sets)} FROM {temp} AS x WHERE t.id = x.b_id")


_CLOCK_COLUMNS = ("entity", "row_id", "field", "hlc", "node", "seq", "change_id")


def _pg_upsert_hub_clocks(conn: Connection, clocks: list[tuple]) -> None:
    names = ", ".join(_CLOCK_COLUMNS)
    temp = _temp_table(conn, names, "hub_field_version")
    _copy(conn, temp, _CLOCK_COLUMNS, ((n, r, f, s.hlc, s.node, s.seq, s.change_id) for n, r, f, s in clocks))
    conn.exec_driver_sql(
        f"INSERT INTO hub_field_version ({names}) SELECT {names} FROM {temp} "
        "ON CONFLICT (entity, row_id, field) DO UPDATE SET hlc = excluded.hlc, node = excluded.node, "
        "seq = excluded.seq, change_id = excluded.change_id")


LOG_COLUMNS = ("seq", "change_id", "entity", "row_id", "field", "value", "hlc", "node", "author", "at", "pushed_by",
               "batch_id", "base_seq", "received_at")


def _pg_insert_log(conn: Connection, rows: list[tuple]) -> None:
    """Accepted changes into ``change_log`` (tuples in :data:`LOG_COLUMNS` order): one COPY."""
    _copy(conn, "change_log", LOG_COLUMNS, _convert_rows(conn, [_log.c[c] for c in LOG_COLUMNS], rows))


def insert_many(conn: Connection, stmt, rows: list[dict], *, triggers: bool = False) -> None:
    """Insert many rows. On PostgreSQL a plain executemany (pipelined by psycopg: fastest)
    runs one statement per row, so a table with statement-level triggers (the data tables:
    search index, NOTIFY) would run them per row; for those (``triggers``) RETURNING makes
    SQLAlchemy send multi-row INSERTs ("insertmanyvalues") instead."""
    if triggers and conn.dialect.name == "postgresql":
        stmt = stmt.returning(*stmt.table.primary_key.columns)
    conn.execute(stmt, rows)
