"""The one write path's bookkeeping: stamps and records every change to a synced row.

Every save, whether one ORM object in a form or a bulk import, passes through here:

* ``before_flush`` stamps new and changed rows (who/when, the row's creation clock) and
  refuses hard deletes (synced rows get tombstones, never ``DELETE``);
* ``after_flush`` writes, in the same transaction, one ``outbox`` row per changed field
  (one per new row, holding the whole row) and moves that field's clock in
  ``field_version``.

So a row, its field clocks and its outbox entries commit or roll back together: crash-safe
by construction (sync notes, section 3.4).

On a team hub (a PostgreSQL database with the sync tables, opened directly, e.g. by a
manager in the office) there is nothing to push: the same changes go straight into the
hub's ``change_log`` with a serialised seq (the push lock is taken before the first
write, the order pushes take it in, so no deadlock), and into ``hub_field_version``. They
are stamped with the SERVER's clock (``clock_timestamp()``, read once per transaction),
never this PC's: times, and an HLC derived from the server's time and moved past the
fields' current clocks (the optimistic lock, ``version``, guarantees the writer saw the
current values, so its edit is causally later and must win). A fast clock on an office PC
therefore cannot carry the laptops that pull its edits ahead of the server.

Every save also passes the input hygiene check: no text (nor JSON) value of any table
may hold NUL, a lone surrogate or a control character other than tab, newline and
carriage return (:func:`~leaddesk.sync.field_values.refuse_forbidden`); PostgreSQL refuses NUL, so such a value
saved on a laptop could never reach the team server.

When the session's write context carries a :class:`~leaddesk.models.access.Subject`, a
save the user may not make is refused here with :class:`PermissionDenied`, the same rules
the hub's row-level security applies (models/access.py). Core ``update()``/``delete()`` statements bypass
ORM events; services must not use them on synced tables (a test greps for it).

The rules about values live in field_values.py, the permission check in
_journal_permissions.py, and the hub's stamping and change-log writes in _hub_journal.py;
this module holds the hooks that every save passes through and the bulk path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from leaddesk.db import attach_to_write_sessions
from leaddesk.ids import new_id
from leaddesk.models import (
    BOOKKEEPING,
    Base,
    ROW_CREATED,
    FieldVersion,
    Outbox,
    Synced,
)
from leaddesk.sync._hub_journal import _hub_stamp, _write_hub
from leaddesk.sync._journal_permissions import _check_permissions
from leaddesk.sync.field_values import encode, refuse_forbidden

_outbox = Outbox.__table__
_field_version = FieldVersion.__table__


class HardDeleteRefused(RuntimeError):
    """A synced row was passed to ``session.delete``; soft-delete it instead."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _payload_columns(model) -> list[str]:
    return [a.key for a in inspect(model).column_attrs if a.key not in BOOKKEEPING]


def _write_context(session: Session):
    ctx = session.info.get("write")
    if ctx is None:
        raise RuntimeError("session has no write context: open it with Database.unit_of_work()")
    return ctx


def _fill_python_defaults(obj) -> None:
    mapper = inspect(type(obj))
    state = inspect(obj)
    for attr in mapper.column_attrs:
        col = attr.columns[0]
        if attr.key in state.dict or col.default is None:
            continue
        default = col.default
        if default.is_scalar:
            setattr(obj, attr.key, default.arg)
        elif default.is_callable:
            setattr(obj, attr.key, default.arg(None))


def _check_text(session: Session) -> None:
    """Every new row's values, and every changed value of a changed row, of every table
    (one check where all saves pass, so no field of any form or import is forgotten)."""
    for obj in session.new:
        if isinstance(obj, Base):
            for attr in inspect(type(obj)).column_attrs:
                refuse_forbidden(attr.key, getattr(obj, attr.key, None))
    for obj in session.dirty:
        if not isinstance(obj, Base):
            continue
        state = inspect(obj)
        for attr in inspect(type(obj)).column_attrs:
            hist = state.attrs[attr.key].history
            for value in hist.added:
                refuse_forbidden(attr.key, value)


def _before_flush(session: Session, _flush_context, _instances) -> None:
    ctx = _write_context(session)
    _check_text(session)
    synced_new = [o for o in session.new if isinstance(o, Synced)]
    synced_dirty = [o for o in session.dirty if isinstance(o, Synced) and session.is_modified(o)]
    for obj in session.deleted:
        if isinstance(obj, Synced):
            raise HardDeleteRefused(
                f"{type(obj).__name__} rows are never hard-deleted; set deleted=True instead"
            )
    if not synced_new and not synced_dirty:
        return
    if ctx.subject is not None:
        for obj in synced_new:
            _fill_python_defaults(obj)  # ids first: a child's rule looks at its new parent
        _check_permissions(session, ctx.subject, synced_new, synced_dirty)
    if ctx.hub:
        now, hlc = _hub_stamp(session, ctx, synced_dirty)
    else:
        now = utcnow()
        hlc = ctx.clock.tick()
    for obj in synced_new:
        _fill_python_defaults(obj)
        obj.created_at = obj.created_at or now
        obj.updated_at = now
        obj.created_by = obj.created_by or ctx.actor_id
        obj.updated_by = ctx.actor_id
        obj.hlc = hlc
        obj.node = ctx.node
    for obj in synced_dirty:
        obj.updated_at = now
        obj.updated_by = ctx.actor_id
    session.info["journal_hlc"] = hlc


def _after_flush(session: Session, _flush_context) -> None:
    ctx = _write_context(session)
    hlc = session.info.pop("journal_hlc", None)
    if hlc is None:
        return
    now = session.info["hub_now"] if ctx.hub else utcnow()
    changes: list[dict] = []
    clocks: list[dict] = []
    for obj in session.new:
        if not isinstance(obj, Synced):
            continue
        table = obj.__tablename__
        snapshot = {k: getattr(obj, k) for k in _payload_columns(type(obj))}
        changes.append(_change(table, obj.id, ROW_CREATED, encode(snapshot), hlc, ctx, now))
    for obj in session.dirty:
        if not isinstance(obj, Synced) or obj in session.new:
            continue
        state = inspect(obj)
        table = obj.__tablename__
        for key in _payload_columns(type(obj)):
            hist = state.attrs[key].history
            if not hist.has_changes():
                continue
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old == new and hist.deleted:
                continue
            changes.append(_change(table, obj.id, key, encode(new), hlc, ctx, now))
            clocks.append({"entity": table, "row_id": obj.id, "field": key, "hlc": hlc, "node": ctx.node})
    conn = session.connection()
    if ctx.hub:
        _write_hub(conn, changes, now)
        return
    if changes:
        conn.execute(insert(_outbox), changes)
    if clocks:
        upsert_field_versions(conn, clocks)


def _change(entity, row_id, field, value, hlc, ctx, now) -> dict:
    return {
        "change_id": new_id(),
        "entity": entity,
        "row_id": row_id,
        "field": field,
        "value": value,
        "hlc": hlc,
        "node": ctx.node,
        "actor_id": ctx.actor_id,
        "batch_id": None,
        "created_at": now,
    }


def upsert_field_versions(conn, rows: Sequence[dict]) -> None:
    """Set the clock of each (entity, row_id, field), keeping only the latest per key."""
    latest: dict[tuple, dict] = {}
    for r in rows:
        latest[(r["entity"], r["row_id"], r["field"])] = r
    dialect = conn.dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_field_version)
    stmt = ins.on_conflict_do_update(
        index_elements=["entity", "row_id", "field"],
        set_={"hlc": ins.excluded.hlc, "node": ins.excluded.node},
    )
    conn.execute(stmt, list(latest.values()))


def install(factory: sessionmaker) -> None:
    """Attach the journal to a session factory (once: it is called as the factory is made).

    No ``event.contains`` guard: SQLAlchemy keys that registry by ``id()``, and a new
    factory at a freed factory's address would look "installed" and write unstamped rows.
    """
    if getattr(factory, "_leaddesk_journal", False):
        return
    event.listen(factory, "before_flush", _before_flush)
    event.listen(factory, "after_flush", _after_flush)
    factory._leaddesk_journal = True


#: Every Database made from now on journals its saves (db.py, below this layer, cannot
#: import this module; it calls what is attached).
attach_to_write_sessions(install)


def bulk_insert(session: Session, model: type, rows: Iterable[dict], *, journal: bool = True) -> int:
    """Insert many new rows of ``model`` with the same stamping and journal as the ORM path.

    ``rows`` are dicts of payload columns (ids may be given, so children can refer to
    parents made in the same import). Returns the number of rows inserted.

    ``journal=False`` is for *snapshot* loads (demo data; later, a replica's first
    download): the rows are stamped with their creation clock (``hlc``/``node``), which is
    the clock of every field they hold, but they are not queued in the outbox as changes
    to push. The clocks used are recorded in ``session.info["bulk_hlcs"]`` so a bulk load
    can re-index exactly those rows (services/bulk.py).
    """
    ctx = _write_context(session)
    table = model.__table__
    columns = _payload_columns(model)
    scalar_defaults: dict[str, Any] = {}
    callable_defaults: dict[str, Any] = {}
    for attr in inspect(model).column_attrs:
        col = attr.columns[0]
        if col.default is None or attr.key not in columns:
            continue
        if col.default.is_scalar:
            scalar_defaults[attr.key] = col.default.arg
        elif col.default.is_callable:
            callable_defaults[attr.key] = col.default.arg
    if ctx.hub and journal:
        now, hlc = _hub_stamp(session, ctx, [])
    else:
        now = utcnow()
        hlc = ctx.clock.tick()
    session.info.setdefault("bulk_hlcs", {}).setdefault(table.name, set()).add(hlc)
    prepared, changes = [], []
    for row in rows:
        full = {c: row.get(c, scalar_defaults.get(c)) for c in columns}
        for key, make in callable_defaults.items():
            if full.get(key) is None:
                full[key] = make(None)
        row_id = row.get("id") or new_id()
        full.update(
            id=row_id,
            created_at=row.get("created_at") or now,
            created_by=ctx.actor_id,
            updated_at=now,
            updated_by=ctx.actor_id,
            version=1,
            hlc=hlc,
            node=ctx.node,
        )
        for key in columns:
            refuse_forbidden(key, full[key])
        prepared.append(full)
        if journal:
            changes.append(
                _change(table.name, row_id, ROW_CREATED, encode({c: full[c] for c in columns}), hlc, ctx, now)
            )
    if not prepared:
        return 0
    conn = session.connection()
    conn.execute(insert(table), prepared)
    if changes and ctx.hub:
        _write_hub(conn, changes, now)
    elif changes:
        conn.execute(insert(_outbox), changes)
    return len(prepared)


