"""Values and queries through the database driver itself, exactly as SQLAlchemy would bind them.

:func:`_converter` is what SQLAlchemy does to a value bound to a column (cached per column
and driver), :func:`_convert_rows` applies it to whole rows column by column,
:func:`_fetch` runs one query with the driver and returns plain tuples, and
:func:`_driver_errors` turns the driver's errors into SQLAlchemy's. Apart from the row
storage and the hub, which both use them, because they hold no rule of sync: only the
driver's ways, the fast path under every batch and page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import JSON, Column
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator

from leaddesk.models.types import UTCDateTime

_UTC = dt.timezone.utc


_converters: dict[tuple, Callable[[Any], Any] | None] = {}


def _is_json(column: Column) -> bool:
    kind = column.type
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return isinstance(kind, JSON)


def _converter(column: Column, dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy does to a value bound to ``column`` (type checks, enums to their
    values, money rounded or in cents, times in UTC, UUIDs as hex on SQLite), or None if
    nothing. On PostgreSQL a JSON column's value becomes its JSON text, as psycopg would
    send it (``json.dumps``; None is JSON ``null``, as SQLAlchemy stores it). Cached per
    column and driver, not per engine: a sync makes a new engine each time."""
    key = (column, dialect.name, dialect.driver)
    if key not in _converters:
        if dialect.name == "postgresql" and _is_json(column):
            _converters[key] = getattr(dialect, "_json_serializer", None) or json.dumps
        else:
            proc = column.type.dialect_impl(dialect).bind_processor(dialect)
            if dialect.name == "sqlite" and isinstance(column.type, UTCDateTime) and proc is not None:
                fast = _fast_sqlite_time(proc)
                proc = fast if _same(fast, proc) else proc
            _converters[key] = proc
    return _converters[key]


def _fast_sqlite_time(proc: Callable) -> Callable:
    """UTCDateTime on SQLite in one C call for the usual aware UTC value (a pulled page
    copies two per change log row), remembering the last one (a batch's rows share their
    arrival time); anything else takes SQLAlchemy's own ``proc``."""
    last = [(None, None)]

    def convert(value):
        seen, text = last[0]
        if value is not None and value == seen:
            return text
        if value is not None and value.tzinfo is _UTC:
            text = value.isoformat(" ", "microseconds")[:-6]  # without its "+00:00"
            last[0] = (value, text)  # one tuple: consistent even if two threads race
            return text
        return proc(value)
    return convert


def _same(fast: Callable, proc: Callable | None) -> bool:
    """Does the fast converter store what SQLAlchemy stores? (Checked once per column, on
    a few probe values, so a change in SQLAlchemy's storage format falls back safely.)"""
    if proc is None:
        return False
    probes = [dt.datetime(2026, 11, 23, 9, 5, 7, 123456, tzinfo=_UTC), dt.datetime(1999, 1, 2, tzinfo=_UTC),
              dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=3))), None]
    try:
        return all(fast(v) == proc(v) for v in probes)
    except (TypeError, ValueError):
        return False


def _fetch(conn: Connection, sql: str, params) -> list[tuple]:
    """All rows of one query run by the driver itself on ``conn`` (its transaction): plain
    tuples of the driver's values, without SQLAlchemy's per-row result objects. Driver
    errors come out as SQLAlchemy's, as for any statement."""
    with _driver_errors(conn, sql):
        cur = conn.connection.driver_connection.cursor()
        try:
            cur.execute(sql, params)
            return cur.fetchall()
        finally:
            cur.close()


@contextlib.contextmanager
def _driver_errors(conn: Connection, sql: str):
    base = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except base as exc:
        raise DBAPIError.instance(sql, None, exc, base, dialect=conn.dialect) from exc


def _q(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _convert_rows(conn: Connection, columns: Sequence[Column], rows: Iterable[Sequence]) -> list[tuple]:
    """Rows as the driver takes them: each value through its column's converter (column
    by column with ``map``: no per-value Python loop of our own)."""
    procs = [_converter(c, conn.dialect) for c in columns]
    rows = list(rows)
    if not rows or not any(procs):
        return [tuple(r) for r in rows]
    data = list(zip(*rows))
    for i, proc in enumerate(procs):
        if proc is not None:
            data[i] = map(proc, data[i])
    return list(zip(*data))


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is _UTC else value.astimezone(_UTC)
