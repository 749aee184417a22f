"""A deal's notes and contact travel between two laptops and the hub like every field
(revision 0007): created on one, edited on both, converged everywhere."""

from __future__ import annotations

from leaddesk.services.people import accounts, contacts
from leaddesk.services.pipeline import opportunities as pipeline
from leaddesk.sync import client
from tests.sync.support import outbox_count, synced_data


def test_notes_and_contact_sync_and_concurrent_edits_converge(seeded, hub):
    a, b = seeded
    acme = accounts.create_account(a, name="Acme plc")
    ann = contacts.create_contact(a, given_name="Ann", family_name="Archer", account_id=acme.id)
    opp = pipeline.create_opportunity(a, acme.id, "Fleet", notes="Met at the fair", primary_contact_id=ann.id)
    for db in (a, b):
        client.sync(db, hub, backup=False)
    on_b = pipeline.get_opportunity(b, opp.id)
    assert (on_b.notes, on_b.primary_contact_id) == ("Met at the fair", ann.id)
    pipeline.update_opportunity(a, opp.id, None, notes="CFO decides")
    pipeline.update_opportunity(b, opp.id, None, notes="CFO decides in Q1")  # later clock: kept
    for db in (a, b, a):
        client.sync(db, hub, backup=False)
    for db in (a, b):
        assert pipeline.get_opportunity(db, opp.id).notes == "CFO decides in Q1"
        assert synced_data(db.engine) == synced_data(hub.engine) and outbox_count(db) == 0
