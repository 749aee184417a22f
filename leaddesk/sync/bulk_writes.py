"""The journal's set-based UPDATE: many rows, a few fields, journaled as ORM saves are.

:func:`bulk_update` is the bulk twin of journal.py's flush hooks. What a flush of ORM updates
does row by row (journal.py's ``before_flush``/``after_flush``) is done for a whole batch:

* the rows' current values, versions and creation clocks are read in one query, and only
  values that differ are kept (as the ORM's attribute history keeps them);
* the same permission rules are checked on each changed row, before and after;
* one clock for the batch (one flush has one): this replica's next tick, or on a hub the
  server's time moved past the rows' clocks (``_hub_stamp``);
* the rows get ``version + 1`` and the stamps, guarded by the versions read (a moved
  version is a :class:`Conflict`): on PostgreSQL one ``UPDATE ... FROM`` (its
  statement-level triggers, search and notify, run once), on SQLite one executemany;
* one outbox row per changed field and the field clocks (on a hub: change log and hub
  clocks), written as whole batches by ``_bulk_journal``.

The writes go through the driver (an executemany on SQLite; on PostgreSQL ``COPY`` into a
temporary table, then one ``UPDATE ... FROM`` it), each value converted as its column's
type would bind it: SQLAlchemy's per-row parameter bookkeeping cost more than the writes
with 100,000 rows. On a hub, a row the server's row-level security hides from the UPDATE
is not written, and then nothing of the batch is (:class:`PermissionDenied`): the in-app
rules refuse such a batch first, the server is the backstop.

The work splits in two: :func:`prepare` (no database: the differing fields, the checks on
the values, and on PostgreSQL the ``COPY`` lines of the rows and of the hub journal) and
:func:`write` (stamp, UPDATE, journal). ``bulk_update`` does both; a caller that reads
ahead on another thread (``scoring.rescore_all``) prepares there, so the writing thread
only writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leaddesk.errors import Conflict, PermissionDenied
from leaddesk.models import access
from leaddesk.models.access import Subject
from leaddesk.sync import _bulk_journal
from leaddesk.sync._hub_journal import _hub_stamp
from leaddesk.sync._journal_permissions import _lookup
from leaddesk.sync._row_writes import _temp_table
from leaddesk.sync.field_values import refuse_forbidden
from leaddesk.sync.journal import _payload_columns, _write_context, utcnow


def _converters(dialect, columns) -> list:
    """Each column's bind processor on this dialect (None: as is)."""
    return [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]


def _convert(value, proc):
    return proc(value) if proc is not None and value is not None else value


@dataclass(frozen=True)
class Prepared:
    """A bulk update worked out before it touches the database (:func:`prepare`)."""

    model: type
    new_values: Mapping[Any, Mapping[str, Any]]
    fields: list[str]
    changed: list[tuple]  # (id, row as read, {field: new value}), the rows that differ
    params: list[tuple]  # (id, version, *the fields' values), one per changed row
    changes: list[tuple]  # (id, field, value), one per changed field: the journal's
    rows_hlc: int  # the highest creation clock of the changed rows as read
    copy_rows: list[str] | None  # PostgreSQL: ``params`` as COPY lines
    hub_lines: list[str] | None  # PostgreSQL: the change log's per-change lines, seq to come
    checked_for: Subject | None = None  # the user whose write rules passed on the rows as read


def _check_owned(subject: Subject | None, table, changed: list) -> Subject | None:
    """The write rules of ``subject`` on rows read with their owner column, before and after
    (:class:`PermissionDenied` for the first refused); the subject checked, or None when
    these rows need no check or the rule needs more than the owner (then :func:`write`
    reads the rows again, whole)."""
    if subject is None or subject.is_admin or table.name not in access.RULES:
        return None
    owner = getattr(access.RULES[table.name], "owner", None)  # TeamShared, Private
    if owner is None or not all(hasattr(row, owner) for _, row, _ in changed):
        return None
    name = table.name
    for _, row, diff in changed:
        before = {owner: getattr(row, owner)}
        if not (access.can_write(subject, name, before, None)
                and access.can_write(subject, name, {**before, **diff}, None)):
            raise PermissionDenied(access.denial(name))
    return subject


def prepare(model: type, new_values: Mapping[Any, Mapping[str, Any]], current: Mapping[Any, Any],
            dialect, *, subject: Subject | None = None) -> Prepared:
    """What :func:`write` needs, from the rows as read (``current``: attributes ``version``,
    ``hlc`` and the fields); no database. Refuses a value no column may hold. With the
    ``subject`` who will write, and rows read with their owner column, also checks the
    write rules (:class:`PermissionDenied`): the write is guarded by the versions read, so
    the rows it changes are the rows checked."""
    table = model.__table__
    fields = sorted({f for v in new_values.values() for f in v})
    unknown = set(fields) - set(_payload_columns(model))
    if unknown:
        raise ValueError(f"bulk_update sets payload fields only, not {sorted(unknown)}")
    changed: list[tuple[Any, Any, dict[str, Any]]] = []
    for row_id, wanted in new_values.items():
        row = current.get(row_id)
        if row is None:
            continue
        diff = {f: v for f, v in wanted.items() if getattr(row, f) != v}
        for f, v in diff.items():
            if isinstance(v, (str, dict, list, tuple)):  # what can hold a forbidden character
                refuse_forbidden(f, v)
        if diff:
            changed.append((row_id, row, diff))
    params = [(i, row.version, *(diff[f] if f in diff else getattr(row, f) for f in fields))
              for i, row, diff in changed]
    changes = [(i, f, v) for i, _, diff in changed for f, v in diff.items()]
    rows_hlc = max([0, *(row.hlc for _, row, _ in changed if row.hlc is not None)])
    copy_rows = hub_lines = None
    if dialect.name == "postgresql" and changed:
        procs = _converters(dialect, [table.c.id, table.c.version, *(table.c[f] for f in fields)])
        rows = [tuple(_convert(v, p) for v, p in zip(row, procs)) for row in params] if any(procs) else params
        text = _bulk_journal.copy_text
        copy_rows = ["\t".join(map(text, row)) + "\n" for row in rows]
        hub_lines = _bulk_journal.hub_lines(changes)
    checked = _check_owned(subject, table, changed) if changed else None
    return Prepared(model, new_values, fields, changed, params, changes, rows_hlc, copy_rows, hub_lines, checked)


def _sqlite_update(conn, table, fields: list[str], params: list[tuple], stamps: tuple) -> int:
    """params: (id, version, *values); one executemany guarded by the versions read."""
    q = conn.dialect.identifier_preparer.quote
    procs = _converters(conn.dialect, [table.c.id, table.c.version, *(table.c[f] for f in fields)])
    columns = list(zip(*params))  # converted column by column
    for i, proc in enumerate(procs):
        if proc is not None:
            columns[i] = [proc(v) if v is not None else v for v in columns[i]]
    at, by = _converters(conn.dialect, [table.c.updated_at, table.c.updated_by])
    n = len(params)
    rows = list(zip(*columns[2:], [_convert(stamps[0], at)] * n, [_convert(stamps[1], by)] * n, *columns[:2]))
    sets = ", ".join(f"{q(f)} = ?" for f in fields)
    sql = (f"UPDATE {q(table.name)} SET {sets}, version = version + 1, updated_at = ?, updated_by = ? "
           "WHERE id = ? AND version = ?")
    return conn.exec_driver_sql(sql, rows).rowcount


def _pg_update(conn, table, prepared: Prepared, stamps: tuple) -> int:
    """``COPY`` of (id, version, values) into a temporary table, then one ``UPDATE ... FROM``
    (statement-level triggers once per batch; under RLS only the rows the login may change).
    The rows are also bounded by the span of their ids: without it the planner hashed the
    whole table for every batch (a scan of 100,000 contacts per 5,000 rows, 92 ms against
    25 ms); a rescore's batch is a span of ids in order, read as one index range."""
    q = conn.dialect.identifier_preparer.quote
    fields = prepared.fields
    names = ["b_id", "b_version", *(f"b_{i}" for i in range(len(fields)))]
    temp = _temp_table(conn, ", ".join(["id AS b_id", "version AS b_version",
                                        *(f"{q(f)} AS b_{i}" for i, f in enumerate(fields))]), q(table.name))
    ids = [row[0] for row in prepared.params]
    _bulk_journal.copy_lines(conn, temp, names, prepared.copy_rows)
    sets = ", ".join(f"{q(f)} = x.b_{i}" for i, f in enumerate(fields))
    return conn.exec_driver_sql(
        f"UPDATE {q(table.name)} AS t SET {sets}, version = t.version + 1, updated_at = %(at)s, updated_by = %(by)s "
        f"FROM {temp} AS x WHERE t.id = x.b_id AND t.version = x.b_version AND t.id BETWEEN %(lo)s AND %(hi)s",
        {"at": stamps[0], "by": stamps[1], "lo": min(ids), "hi": max(ids)}).rowcount


def _why_not_all(conn, table, changed: list, now, actor) -> None:
    """The UPDATE missed rows: :class:`Conflict` if another transaction saved one since it
    was read, else :class:`PermissionDenied` (the hub's row-level security refused them:
    still at the version read, or not visible at all)."""
    found = {r.id: r for r in conn.execute(select(table.c.id, table.c.version, table.c.updated_at,
                                                  table.c.updated_by)
                                           .where(table.c.id.in_([i for i, _, _ in changed])))}
    for row_id, row, _ in changed:
        now_at = found.get(row_id)
        if now_at is None or now_at.version == row.version:
            continue
        if not (now_at.version == row.version + 1 and now_at.updated_at == now and now_at.updated_by == actor):
            raise Conflict(table.name, row_id, row.version, now_at.version)
    raise PermissionDenied(access.denial(table.name))


def _checked(session: Session, table) -> bool:
    """Does this session's user pass the in-app write rules row by row (not an admin)?"""
    subject = _write_context(session).subject
    return subject is not None and not subject.is_admin and table.name in access.RULES


def bulk_update(session: Session, model: type, new_values: Mapping[Any, Mapping[str, Any]], *,
                current: Mapping[Any, Any] | None = None, clocks_top: int | None = None) -> int:
    """Set a few payload fields of many existing rows, journaled exactly as ORM updates of
    the same rows in one flush would be (see the module's notes). Returns the rows changed.

    ``new_values`` maps row id (a UUID) -> {field: value}. Rows that do not exist are
    skipped. ``current`` may give each row as read in this transaction (attributes
    ``version``, ``hlc`` and the fields), which saves reading them again (ignored when a
    permission check needs the whole rows). A row whose version moved under the update
    raises :class:`Conflict`; a row the hub's row-level security does not let this login
    change raises :class:`PermissionDenied` (nothing of the batch is written: the caller's
    transaction rolls back). ORM objects of these rows already loaded in ``session`` are not
    refreshed. ``clocks_top`` (on a hub, with ``current``): the highest field clock of these
    rows, read with them (``_hub_journal._hub_stamp`` then does not look it up under the push
    lock; the version guard makes that safe).
    """
    table = model.__table__
    conn = session.connection()
    check = _checked(session, table)
    if current is None or check:
        fields = sorted({f for v in new_values.values() for f in v})
        cols = list(table.c) if check else [table.c.id, table.c.version, table.c.hlc,
                                             *(table.c[f] for f in fields if f in table.c)]
        current = {r.id: r for r in conn.execute(select(*cols).where(table.c.id.in_(list(new_values))))}
        clocks_top = None  # read before these rows: not covered by their versions
    prepared = prepare(model, new_values, current, conn.dialect)
    if check:  # the rows read whole, here: every rule, parents looked up in this session
        subject, lookup = _write_context(session).subject, _lookup(session)
        for _, row, diff in prepared.changed:
            before = dict(row._mapping)
            if not (access.can_write(subject, table.name, before, lookup)
                    and access.can_write(subject, table.name, {**before, **diff}, lookup)):
                raise PermissionDenied(access.denial(table.name))
    return _write(session, prepared, clocks_top)


def write(session: Session, prepared: Prepared, *, clocks_top: int | None = None) -> int:
    """Write a :func:`prepare`\\ d update in this transaction (see :func:`bulk_update`). A
    user the write rules check row by row, whose rules ``prepare`` did not check on the
    rows as read, gets the rows read again here, whole (and ``clocks_top`` is then not
    trusted: it was read before them)."""
    table = prepared.model.__table__
    if prepared.changed and _checked(session, table) and prepared.checked_for != _write_context(session).subject:
        return bulk_update(session, prepared.model, prepared.new_values)
    return _write(session, prepared, clocks_top)


def _write(session: Session, prepared: Prepared, clocks_top: int | None) -> int:
    """The writes of :func:`write` (the write rules already checked)."""
    table = prepared.model.__table__
    if not prepared.changed:
        return 0
    ctx = _write_context(session)
    conn = session.connection()
    changed = prepared.changed
    if ctx.hub and clocks_top is not None:
        now, hlc = _hub_stamp(session, ctx, [], clocks_top=max(clocks_top, prepared.rows_hlc))
    elif ctx.hub:
        rows = [SimpleNamespace(__tablename__=table.name, id=i, hlc=row.hlc) for i, row, _ in changed]
        now, hlc = _hub_stamp(session, ctx, rows)
    else:
        now, hlc = utcnow(), ctx.clock.tick()
    pg = conn.dialect.name == "postgresql"
    if pg:
        count = _pg_update(conn, table, prepared, (now, ctx.actor_id))
    else:
        count = _sqlite_update(conn, table, prepared.fields, prepared.params, (now, ctx.actor_id))
    if count != len(prepared.params):
        _why_not_all(conn, table, changed, now, ctx.actor_id)
    after = session.info["hub_now"] if ctx.hub else utcnow()
    entity = str(table.name)  # not SQLAlchemy's quoted_name: the driver probes such a str per value
    if ctx.hub:
        _bulk_journal.write_hub(conn, entity, prepared.hub_lines, hlc, ctx, after)
    else:
        _bulk_journal.write_replica(conn, entity, prepared.changes, hlc, ctx, after)
    return len(changed)
