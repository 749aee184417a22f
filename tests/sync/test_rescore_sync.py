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


def test_a_laptops_persona_rematch_reaches_the_other_laptop(seeded, hub):
    """The re-matched personas travel with the scores: the other laptop receives both, and
    its own rescore over the same facts finds nothing to change."""
    from leaddesk.services.qualification import personas

    a, b = seeded
    buyer = personas.create_persona(a, name="Finance lead", job_titles=["CFO"])
    personas.create_persona(a, name="Student", job_titles=["Working Student"], avoid=True)
    scoring.create_rule(a, name="Finance lead", criterion="persona_match", points=25,
                        params={"persona_id": str(buyer.id)})
    people = _population(a, 20, seed=13)
    _sync_all(hub, a, b)
    result = scoring.rescore_all(a, batch_size=6, now=NOW)
    cfos = [c for c in people if c.job_title == "CFO"]
    assert cfos and result.changed >= len(cfos)
    _sync_all(hub, a, b)
    assert synced_data(a.engine) == synced_data(hub.engine) == synced_data(b.engine)
    for c in people:
        got = contacts.get_contact(b, c.id)
        assert got.persona_id == (buyer.id if c.job_title == "CFO" else None), c.display_name  # never "Student"
        single = scoring.score_contact(b, c.id, now=NOW)  # with the persona received: nothing to change
        assert (single.fit, single.interest) == (got.fit_score, got.interest_score)
        assert any(r.name == "Finance lead" for r in single.reasons) == (got.persona_id == buyer.id)
    assert scoring.rescore_all(b, batch_size=6, now=NOW).changed == 0
    assert outbox_count(a) == outbox_count(b) == 0
