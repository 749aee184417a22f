"""rescore_all reads and scores the next batch on a second thread while it writes the
current one: a cancel keeps exactly the batches written, an error of the reading thread
reaches the caller (with the batches before it kept), and no thread is left behind."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from leaddesk.models import Contact
from leaddesk.services.qualification import _rescore_facts, scoring
from leaddesk.services.team import setup
from tests.db.test_scoring import NOW, _population


@pytest.fixture
def db(empty_db):
    """Seeded like ``leaddesk init`` but without the default rules: these tests write their own."""
    setup.initialize(empty_db, admin_name="Ada Admin", admin_email="ada@example.com", scoring_rules=False)
    return empty_db


def _scores(db) -> dict:
    with db.reader() as s:
        return {r.id: (r.fit_score, r.interest_score) for r in s.execute(
            select(Contact.id, Contact.fit_score, Contact.interest_score).where(Contact.deleted.is_(False))
            .order_by(Contact.id))}


def _readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "rescore-reader"]


def _rule(db):
    scoring.create_rule(db, name="Everyone", criterion="country_in", points=7,
                        params={"values": ["DE", "TR"]})
    scoring.create_rule(db, name="Seniority", criterion="seniority_in", points=11,
                        params={"values": ["manager", "director", "c_level"]})


def test_a_cancel_keeps_the_batches_written_and_nothing_after(db):
    people = _population(db, 24)
    _rule(db)
    before = _scores(db)
    cancel = threading.Event()
    calls = []

    def progress(done, total):
        calls.append(done)
        if done >= 6:
            cancel.set()

    result = scoring.rescore_all(db, progress=progress, cancel=cancel, batch_size=6, now=NOW)
    assert result.cancelled and result.scored == 6
    after = _scores(db)
    ids = sorted(after)
    changed = [i for i in ids if after[i] != before[i]]
    assert changed and set(changed) <= set(ids[:6])  # the first batch only, though the reader ran ahead
    assert not _readers()
    assert len(people) == 24


def test_an_error_while_reading_reaches_the_caller_and_keeps_the_batches_before(db, monkeypatch):
    _population(db, 20)
    _rule(db)
    before = _scores(db)
    real = _rescore_facts.FactsReader.batch
    calls = {"n": 0}

    def failing(self, after, n):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the disk went away")
        return real(self, after, n)

    monkeypatch.setattr(_rescore_facts.FactsReader, "batch", failing)
    with pytest.raises(RuntimeError, match="the disk went away"):
        scoring.rescore_all(db, batch_size=5, now=NOW)
    after = _scores(db)
    ids = sorted(after)
    assert any(after[i] != before[i] for i in ids[:10])  # two batches written before the error
    assert all(after[i] == before[i] for i in ids[10:])
    assert not _readers()


def test_many_small_pipelined_batches_write_what_one_batch_computes(db):
    _population(db, 30)
    _rule(db)
    small = scoring.rescore_all(db, batch_size=4, now=NOW)  # eight batches, read ahead
    assert (small.scored, small.cancelled) == (30, False) and small.changed > 0
    again = scoring.rescore_all(db, batch_size=1000, now=NOW)  # one batch: nothing left to change
    assert (again.scored, again.changed) == (30, 0)
    assert not _readers()
