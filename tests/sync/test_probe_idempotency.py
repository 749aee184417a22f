"""A change is applied once, however often it reaches the hub (mutation probe, area
"idempotency"; scripts/mutation_probe.py). A real PostgreSQL hub, SQLite laptops."""

from __future__ import annotations

import uuid

from leaddesk.services.people import contacts
from leaddesk.sync import client
from tests.sync.support import duplicate_change_ids, log_count


def test_probe_the_same_change_twice_in_one_batch_is_logged_and_applied_once(seeded, hub):
    """A laptop's outbox read twice into one batch (a retry that re-read a page) must not
    make two log rows, nor fail the batch."""
    a, b = seeded
    made = contacts.create_contact(a, given_name="Twice", family_name="Sent")
    contacts.update_contact(a, made.id, expected_version=None, job_title="Buyer")
    batch = client.next_batch(a, schema=hub.schema)
    before = log_count(hub)
    doubled = type(batch)(batch_id=uuid.uuid4(), node=batch.node, changes=tuple(batch.changes) * 2,
                          schema=batch.schema)
    result = hub.push(doubled)
    assert not result.duplicate and result.refused_rows == ()
    assert (result.received, result.accepted) == (2 * len(batch.changes), len(batch.changes))
    assert log_count(hub) == before + len(batch.changes)
    assert duplicate_change_ids(hub) == 0
    client.sync(b, hub, backup=False)
    assert contacts.get_contact(b, made.id).job_title == "Buyer"
