"""The journal's set-based UPDATE: many rows, a few fields, journaled as ORM saves are.

:func:`bulk_update` is the bulk twin of journal.py's flush hooks. What a flush of ORM updates
does row by row (journal.py's ``before_flush``/``after_flush``) is done for a whole batch:

* the rows' current values, versions and creation clocks are read in one query, and only
  values that differ are kept (as the ORM's attribute history keeps them);
* the same permission rules are checked on each changed row, before and after;
* one clock for the batch (one flush has one): this replica's next tick, or on a hub the
  server's time moved past the rows' clocks (``_hub_stamp``);
* the rows get ``version + 1`` and the stamps, guarded by the versions read (a moved
  version is a :class:`Conflict`): on PostgreSQL one ``UPDATE ... FROM (VALUES ...)`` (its
  statement-level triggers, search and notify, run once), on SQLite one executemany;
* one outbox row per changed field and the field clocks (on a hub: change log and hub
  clocks, through ``_write_hub``).

The driver executemany here skips SQLAlchemy's per-row parameter bookkeeping (the bind
processors of the column types still convert every value): with 100,000 rows that
bookkeeping cost more than the writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Integer, Uuid, bindparam, cast, column, insert, select, update, values
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from leaddesk.errors import Conflict, PermissionDenied
from leaddesk.models import access
from leaddesk.sync._hub_journal import _hub_stamp, _write_hub
from leaddesk.sync._journal_permissions import _lookup
from leaddesk.sync.field_values import encode, refuse_forbidden
from leaddesk.sync.journal import (
    _change,
    _field_version,
    _outbox,
    _payload_columns,
    _write_context,
    utcnow,
)


def _executemany(conn, stmt, rows: Sequence[Mapping[str, Any]]) -> int:
    """``conn.execute(stmt, rows)`` through the driver's executemany: compiled once, each
    value through its type's bind processor. Returns the rows the driver counted."""
    if not rows:
        return 0
    keys = list(rows[0])
    compiled = stmt.compile(dialect=conn.dialect, column_keys=keys)
    procs = compiled._bind_processors
    names = compiled.positiontup if compiled.positional else list(compiled.binds)
    columns = []  # column by column: one conversion loop per column, not per value
    for n in names:
        proc = procs.get(n)
        if n in keys:
            col = [r[n] for r in rows]
            columns.append([proc(v) if v is not None else v for v in col] if proc is not None else col)
        else:  # a value written into the statement (the stamps): converted once
            v = compiled.binds[n].value
            columns.append([proc(v) if proc is not None and v is not None else v] * len(rows))
    params = list(zip(*columns))
    if not compiled.positional:
        params = [dict(zip(names, t)) for t in params]
    return conn.exec_driver_sql(compiled.string, params).rowcount


def _upsert_clocks(conn, rows: Sequence[dict]) -> None:
    latest = {(r["entity"], r["row_id"], r["field"]): r for r in rows}
    ins = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(_field_version)
    stmt = ins.on_conflict_do_update(index_elements=["entity", "row_id", "field"],
                                     set_={"hlc": ins.excluded.hlc, "node": ins.excluded.node})
    _executemany(conn, stmt, list(latest.values()))


def bulk_update(session: Session, model: type, new_values: Mapping[Any, Mapping[str, Any]], *,
                current: Mapping[Any, Any] | None = None) -> int:
    """Set a few payload fields of many existing rows, journaled exactly as ORM updates of
    the same rows in one flush would be (see the module's notes). Returns the rows changed.

    ``new_values`` maps row id -> {field: value}. Rows that do not exist are skipped.
    ``current`` may give each row as read in this transaction (attributes ``version``,
    ``hlc`` and the fields), which saves reading them again (ignored when a permission
    check needs the whole rows). A row whose version moved under the update raises
    :class:`Conflict`. ORM objects of these rows already loaded in ``session`` are not
    refreshed.
    """
    ctx = _write_context(session)
    table = model.__table__
    fields = sorted({f for v in new_values.values() for f in v})
    unknown = set(fields) - set(_payload_columns(model))
    if unknown:
        raise ValueError(f"bulk_update sets payload fields only, not {sorted(unknown)}")
    if not fields:
        return 0
    subject = ctx.subject
    check = subject is not None and not subject.is_admin and table.name in access.RULES
    conn = session.connection()
    if current is None or check:
        cols = list(table.c) if check else [table.c.id, table.c.version, table.c.hlc, *(table.c[f] for f in fields)]
        current = {r.id: r for r in conn.execute(select(*cols).where(table.c.id.in_(list(new_values))))}
    changed: dict[Any, dict[str, Any]] = {}
    for row_id, wanted in new_values.items():
        row = current.get(row_id)
        if row is None:
            continue
        diff = {f: v for f, v in wanted.items() if getattr(row, f) != v}
        for f, v in diff.items():
            refuse_forbidden(f, v)
        if diff:
            changed[row_id] = diff
    if not changed:
        return 0
    if check:
        lookup = _lookup(session)
        for row_id, diff in changed.items():
            before = dict(current[row_id]._mapping)
            if not (access.can_write(subject, table.name, before, lookup)
                    and access.can_write(subject, table.name, {**before, **diff}, lookup)):
                raise PermissionDenied(access.denial(table.name))
    if ctx.hub:
        rows = [SimpleNamespace(__tablename__=table.name, id=i, hlc=current[i].hlc) for i in changed]
        now, hlc = _hub_stamp(session, ctx, rows)
    else:
        now, hlc = utcnow(), ctx.clock.tick()
    params = [{"b_id": i, "b_version": current[i].version,
               **{f"b_{f}": diff.get(f, getattr(current[i], f)) for f in fields}} for i, diff in changed.items()]
    stamps = {"updated_at": now, "updated_by": ctx.actor_id}
    if conn.dialect.name == "postgresql":
        v = values(column("b_id", Uuid), column("b_version", Integer),
                   *(column(f"b_{f}", table.c[f].type) for f in fields), name="v").data(
            [tuple(p.values()) for p in params])
        stmt = (update(table).where(table.c.id == v.c.b_id, table.c.version == v.c.b_version)
                # cast: a VALUES column holding only NULLs (every persona_id cleared) is text
                .values(version=v.c.b_version + 1, **stamps, **{f: cast(v.c[f"b_{f}"], table.c[f].type) for f in fields}))
        count = conn.execute(stmt).rowcount
    else:
        stmt = (update(table).where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
                .values(version=bindparam("b_version") + 1, **stamps, **{f: bindparam(f"b_{f}") for f in fields}))
        count = _executemany(conn, stmt, params)
    if count != len(params):  # PostgreSQL: another transaction saved one of them meanwhile
        moved = conn.execute(select(table.c.id, table.c.version).where(table.c.id.in_(list(changed)))).all()
        row_id, now_at = next((i, v) for i, v in moved if v != current[i].version)
        raise Conflict(table.name, row_id, current[row_id].version, now_at)
    after = session.info["hub_now"] if ctx.hub else utcnow()
    changes = [_change(table.name, i, f, encode(v), hlc, ctx, after) for i, diff in changed.items() for f, v in diff.items()]
    if ctx.hub:
        _write_hub(conn, changes, after)
    else:
        _executemany(conn, insert(_outbox), changes)
        _upsert_clocks(conn, [{"entity": c["entity"], "row_id": c["row_id"], "field": c["field"],
                               "hlc": hlc, "node": ctx.node} for c in changes])
    return len(changed)
