"""A revision that renames a synced field keeps the laptop's unsent edits (sync notes 3.12)."""

from __future__ import annotations

import json

from sqlalchemy import select

from leaddesk.migrations.outbox import rename_field
from leaddesk.models import ROW_CREATED, ChangeLog, FieldVersion, HubFieldVersion, Outbox
from leaddesk.services.people import contacts


def test_rename_field_rewrites_pending_edits_creations_and_clocks(db):
    c = contacts.create_contact(db, given_name="Ana", family_name="Lopez", job_title="Buyer")
    contacts.update_contact(db, c.id, expected_version=None, job_title="Head buyer")
    journal = ChangeLog if db.hub_mode else Outbox  # a team server journals into its change log
    clocks = HubFieldVersion if db.hub_mode else FieldVersion
    with db.engine.begin() as conn:
        rewritten = rename_field(conn, "contact", "job_title", "position")
    assert rewritten == (0 if db.hub_mode else 2)  # the edit and the creation
    with db.reader() as s:
        fields = s.scalars(select(journal.field).where(journal.row_id == c.id, journal.entity == "contact")).all()
        created = s.scalar(select(journal.value).where(journal.row_id == c.id, journal.field == ROW_CREATED))
        clock_fields = s.scalars(select(clocks.field).where(clocks.row_id == c.id)).all()
    assert "position" in fields and "job_title" not in fields
    row = json.loads(created)
    assert row["position"] == "Buyer" and "job_title" not in row and row["given_name"] == "Ana"
    assert "position" in clock_fields and "job_title" not in clock_fields
