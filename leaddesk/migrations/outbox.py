"""Helpers for revisions that rename a synced field (sync notes 3.12).

A laptop may hold unsent edits (the outbox) made on the old schema when LeadDesk is
updated. Anki forces a full sync on such a change; LeadDesk keeps the outbox instead, so a
revision that renames a field calls :func:`rename_field` in the same transaction as the
column rename. It rewrites, on either engine:

* pending outbox rows of that field (``field``),
* the field inside pending row creations (the ROW_CREATED JSON object's key),
* the field's clocks (``field_version`` on a laptop, ``hub_field_version`` and the
  ``change_log`` on a team server, ``sync_conflict`` everywhere),

so that after the upgrade the edit is pushed under its new name and merges against the
right clock. A batch already sent but not acknowledged is rewritten too: the hub answers a
retry from the stored result of the batch id, so nothing is applied twice. (Every laptop
must run the new version before it syncs again: the schema handshake refuses mixed
versions.)

Usage inside a revision::

    from leaddesk.migrations.outbox import rename_field

    def upgrade():
        with op.batch_alter_table("contact") as batch:
            batch.alter_column("job_title", new_column_name="position")
        rename_field(op.get_bind(), "contact", "job_title", "position")
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

ROW_CREATED = "*"


def rename_field(conn: Connection, entity: str, old: str, new: str) -> int:
    """Rename ``entity.old`` to ``entity.new`` in the sync bookkeeping; returns the number
    of pending outbox rows rewritten."""
    params = {"e": entity, "old": old, "new": new, "star": ROW_CREATED, "path_old": f"$.{old}",
              "path_new": f"$.{new}"}
    n = conn.execute(text("UPDATE outbox SET field = :new WHERE entity = :e AND field = :old"), params).rowcount
    if conn.dialect.name == "postgresql":
        rename_key = ("value = ((value::jsonb - CAST(:old AS text)) || "
                      "jsonb_build_object(CAST(:new AS text), value::jsonb -> CAST(:old AS text)))::text")
        has_key = "value::jsonb ? CAST(:old AS text)"
    else:
        rename_key = "value = json_set(json_remove(value, :path_old), :path_new, json_extract(value, :path_old))"
        has_key = "json_type(value, :path_old) IS NOT NULL"
    for table in ("outbox", "change_log"):
        done = conn.execute(text(f"UPDATE {table} SET {rename_key} "
                                 f"WHERE entity = :e AND field = :star AND value IS NOT NULL AND {has_key}"), params)
        if table == "outbox":
            n += done.rowcount
    for table in ("field_version", "hub_field_version", "change_log", "sync_conflict"):
        conn.execute(text(f"UPDATE {table} SET field = :new WHERE entity = :e AND field = :old"), params)
    return n
