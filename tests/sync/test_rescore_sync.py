"""A laptop's bulk rescore (bulk_writes.bulk_update) syncs like any save: the hub and the
other laptop end with the same scores, and rescoring there changes nothing more."""

from __future__ import annotations

from sqlalchemy import func, select

from leaddesk.models import ChangeLog
from leaddesk.services.people import contacts
from leaddesk.services.qualification import scoring
from leaddesk.sync import client
from tests.db.test_scoring import NOW, _population
from tests.sync.support import outbox_count, synced_data


def _sync_all(hub, *dbs):
    for db in (*dbs, *dbs[:-1]):
        client.sync(db, hub, backup=False)


def _score_changes(hub) -> int:
    with hub.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(ChangeLog).where(
            ChangeLog.entity == "contact", ChangeLog.field.in_(["fit_score", "interest_score"])))


def test_a_laptops_bulk_rescore_reaches_the_hub_and_the_other_laptop(seeded, hub):
    a, b = seeded
    scoring.seed_default_rules(a)
    people = _population(a, 25, seed=5)
    _sync_all(hub, a, b)
    before = outbox_count(a)
    result = scoring.rescore_all(a, batch_size=6, now=NOW)
    assert result.changed > 10
    assert outbox_count(a) > before  # queued field by field, as ORM saves are
    _sync_all(hub, a, b)
    want = synced_data(hub.engine)
    assert synced_data(a.engine) == want == synced_data(b.engine)
    assert outbox_count(a) == outbox_count(b) == 0
    pushed = _score_changes(hub)
    assert pushed >= result.changed
    for c in people:
        single = scoring.score_contact(a, c.id, now=NOW)  # the reference, per contact: nothing to change
        got = contacts.get_contact(b, c.id)
        assert (got.fit_score, got.interest_score) == (single.fit, single.interest)
    assert scoring.rescore_all(b, batch_size=6, now=NOW).changed == 0  # same facts, same scores
    assert outbox_count(a) == outbox_count(b) == 0


def test_both_laptops_rescore_offline_and_converge(seeded, hub):
    a, b = seeded
    scoring.seed_default_rules(a)
    _population(a, 15, seed=9)
    _sync_all(hub, a, b)
    assert scoring.rescore_all(a, batch_size=4, now=NOW).changed > 5
    assert scoring.rescore_all(b, batch_size=4, now=NOW).changed > 5
    _sync_all(hub, a, b)
    want = synced_data(hub.engine)
    assert synced_data(a.engine) == want == synced_data(b.engine)
    assert scoring.rescore_all(a, now=NOW).changed == scoring.rescore_all(b, now=NOW).changed == 0
