"""The set-based rescore (bulk_writes.bulk_update) writes what per-row ORM saves would have.

Same data, scored twice: once contact by contact through ``score_contact`` (ORM objects,
the journal's flush hooks), once by ``rescore_all`` (one UPDATE per batch). The stored
scores, the version bumps, the journal entries (outbox on a laptop, change log on a hub)
and the field clocks must be the same, and every clock moves forward.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from leaddesk.errors import PermissionDenied, ValidationError
from leaddesk.models import ChangeLog, Contact, FieldVersion, HubFieldVersion, Outbox
from leaddesk.models.access import Subject
from leaddesk.services.people import contacts
from leaddesk.services.qualification import scoring
from leaddesk.services.team import setup, users
from leaddesk.sync import bulk_writes
from tests.db.test_scoring import NOW, _population

SCORES = ("fit_score", "interest_score")


@pytest.fixture
def db(empty_db):
    """Seeded like ``leaddesk init`` but without the default rules: these tests write their own."""
    setup.initialize(empty_db, admin_name="Ada Admin", admin_email="ada@example.com", scoring_rules=False)
    return empty_db


def _tables(db):
    return (ChangeLog, HubFieldVersion) if db.hub_mode else (Outbox, FieldVersion)


def _state(db):
    """(journal entries of score fields by change id, field clocks, contact versions and scores)."""
    log, clocks = _tables(db)
    with db.reader() as s:
        entries = {r.change_id: r for r in s.execute(
            select(log.change_id, log.row_id, log.field, log.value, log.hlc,
                   (log.author if db.hub_mode else log.actor_id).label("actor_id"))
            .where(log.entity == "contact", log.field.in_(SCORES)))}
        clock = {(r.row_id, r.field): r.hlc for r in s.execute(
            select(clocks.row_id, clocks.field, clocks.hlc).where(clocks.entity == "contact"))}
        rows = {r.id: r for r in s.execute(
            select(Contact.id, Contact.version, Contact.fit_score, Contact.interest_score, Contact.updated_by))}
    return entries, clock, rows


def _effects(before, after):
    """What a rescore wrote: new entries (row, field, value), version bumps, moved clocks."""
    new = [e for cid, e in after[0].items() if cid not in before[0]]
    written = sorted((e.row_id, e.field, e.value) for e in new)
    bumps = {i: r.version - before[2][i].version for i, r in after[2].items() if r.version != before[2][i].version}
    moved = {k for k, h in after[1].items() if before[1].get(k) != h}
    old_top = max([0, *(e.hlc for e in before[0].values()), *before[1].values()])
    for e in new:  # each entry's clock is its field's clock now, later than anything before
        assert after[1][(e.row_id, e.field)] == e.hlc > old_top
    scores = {i: (r.fit_score, r.interest_score) for i, r in after[2].items()}
    return written, bumps, moved, scores


def test_bulk_rescore_writes_what_per_row_saves_write(db):
    scoring.seed_default_rules(db)
    scoring.create_rule(db, name="Germany or Türkiye", criterion="country_in", points=5,
                        params={"values": ["DE", "TR"]})
    people = _population(db, 30, seed=11)
    start = _state(db)
    for c in people:
        scoring.score_contact(db, c.id, now=NOW)
    per_row = _effects(start, _state(db))
    assert len(per_row[0]) > 20 and per_row[1] and set(per_row[1].values()) == {1}

    with db.unit_of_work() as s:  # back to the scores they had, through the ORM
        for obj in s.scalars(select(Contact).where(Contact.id.in_([c.id for c in people]))):
            obj.fit_score, obj.interest_score = start[2][obj.id].fit_score, start[2][obj.id].interest_score
    reset = _state(db)
    result = scoring.rescore_all(db, batch_size=7, now=NOW)
    bulk = _effects(reset, _state(db))
    assert bulk[0] == per_row[0]  # same fields, same values
    assert bulk[1] == per_row[1]  # the same rows got version + 1
    assert bulk[2] == per_row[2]  # the same field clocks moved
    assert bulk[3] == per_row[3]  # the same scores stored
    assert result.changed == len(per_row[1])
    assert {r.updated_by for i, r in _state(db)[2].items() if i in bulk[1]} == {db.write.actor_id}

    again = _state(db)
    assert scoring.rescore_all(db, batch_size=7, now=NOW).changed == 0
    assert _effects(again, _state(db))[:3] == ([], {}, set())


def test_bulk_update_writes_only_differing_fields_and_refuses_bad_input(db):
    a = contacts.create_contact(db, given_name="Ann")
    b = contacts.create_contact(db, given_name="Ben")
    with db.unit_of_work() as s:
        s.get(Contact, a.id).fit_score = 5
    before = _state(db)
    with db.unit_of_work() as s:
        assert bulk_writes.bulk_update(s, Contact, {a.id: {"fit_score": 5, "interest_score": 3},
                                                b.id: {"fit_score": 0}}) == 1
    written, bumps, moved, scores = _effects(before, _state(db))
    assert written == [(a.id, "interest_score", "3")] and bumps == {a.id: 1}
    assert moved == {(a.id, "interest_score")} and scores[a.id] == (5, 3)
    with pytest.raises(ValueError), db.unit_of_work() as s:
        bulk_writes.bulk_update(s, Contact, {a.id: {"version": 9}})
    with pytest.raises(ValidationError), db.unit_of_work() as s:
        bulk_writes.bulk_update(s, Contact, {a.id: {"job_title": "CFO\x00"}})
    assert _state(db)[2][a.id].version == before[2][a.id].version + 1


def test_a_reps_rescore_writes_only_what_the_rep_may(db, make_db):
    """As the ORM path did: a changed score on a colleague's contact is refused for the whole
    batch (nothing of it written); the rep's own and the team's unassigned leads are rescored."""
    scoring.create_rule(db, name="Manager", criterion="seniority_in", points=10, params={"values": ["manager"]})
    bob = users.create_user(db, "Bob Rep", "bob@example.com")
    ada = contacts.create_contact(db, given_name="Ada's", seniority="manager", owner_id=db.write.actor_id)
    his = contacts.create_contact(db, given_name="Bob's", seniority="manager", owner_id=bob.id)
    pool = contacts.create_contact(db, given_name="Pool", seniority="manager", owner_id=None)
    as_bob = make_db(actor_id=bob.id)
    as_bob.write.subject = Subject(bob.id, "rep", frozenset({bob.id, db.write.actor_id}))  # sees Ada's
    before = _state(db)
    with pytest.raises(PermissionDenied):
        scoring.rescore_all(as_bob, now=NOW)
    assert _effects(before, _state(db))[:3] == ([], {}, set())

    scoring.score_contact(db, ada.id, now=NOW)  # Ada rescores hers
    before = _state(db)
    assert scoring.rescore_all(as_bob, now=NOW).changed == 2
    written, bumps, _, scores = _effects(before, _state(db))
    assert set(bumps) == {his.id, pool.id} and scores[his.id] == scores[pool.id] == (10, 0)
    assert {e.actor_id for cid, e in _state(db)[0].items() if cid not in before[0]} == {bob.id}


def test_bulk_update_keeps_text_exact_through_copy(db):
    """On PostgreSQL the rows and the change log travel as COPY text: tabs, newlines,
    backslashes and a literal \\N must arrive as they were (on SQLite, bound as is)."""
    import json

    from leaddesk.sync.field_values import encode

    a = contacts.create_contact(db, given_name="Ann")
    note = "tab\there\nline\\back \\N end\r"
    with db.unit_of_work() as s:
        assert bulk_writes.bulk_update(s, Contact, {a.id: {"notes": note, "job_title": None}}) == 1
    log = ChangeLog if db.hub_mode else Outbox
    with db.reader() as s:
        assert s.scalar(select(Contact.notes).where(Contact.id == a.id)) == note
        value = s.scalar(select(log.value).where(log.row_id == a.id, log.field == "notes"))
    assert value == encode(note) and json.loads(value) == note


def test_bulk_update_over_a_row_saved_meanwhile_is_a_conflict_and_writes_nothing(db):
    """Rows read, then one saved by someone else before the bulk write: Conflict naming it,
    and none of the batch (nor its journal) is written."""
    from types import SimpleNamespace

    from leaddesk.errors import Conflict

    a = contacts.create_contact(db, given_name="Ann")
    b = contacts.create_contact(db, given_name="Ben")
    with db.reader() as s:
        read = {r.id: SimpleNamespace(id=r.id, version=r.version, hlc=r.hlc, fit_score=r.fit_score)
                for r in s.execute(select(Contact.id, Contact.version, Contact.hlc, Contact.fit_score))}
    contacts.update_contact(db, b.id, expected_version=None, notes="saved meanwhile")
    before = _state(db)
    with pytest.raises(Conflict) as err, db.unit_of_work() as s:
        bulk_writes.bulk_update(s, Contact, {a.id: {"fit_score": 7}, b.id: {"fit_score": 7}}, current=read)
    assert (err.value.ident, err.value.expected, err.value.actual) == (b.id, 1, 2)
    assert _state(db) == before


def test_bulk_update_of_an_enum_field_stores_its_value(db):
    from leaddesk.models.enums import Seniority

    a = contacts.create_contact(db, given_name="Ann")
    with db.unit_of_work() as s:
        assert bulk_writes.bulk_update(s, Contact, {a.id: {"seniority": Seniority.DIRECTOR}}) == 1
    assert contacts.get_contact(db, a.id).seniority == Seniority.DIRECTOR
    log = ChangeLog if db.hub_mode else Outbox
    with db.reader() as s:
        assert s.scalar(select(log.value).where(log.row_id == a.id, log.field == "seniority")) == '"director"'


@pytest.mark.postgres_only
def test_postgres_score_updates_of_a_freshly_loaded_table_stay_on_their_pages(db):
    """Revision 0013 gives ``contact`` a fill factor of 80: a freshly loaded table keeps
    room on each page, so a rescore's new row versions (scores, persona, stamps: no indexed
    column) stay on their page as heap-only updates instead of moving to a new page with an
    entry in every index. At fill factor 100 the loaded pages are full and only the rows of
    the last, partly filled page can stay."""
    from sqlalchemy import text

    from leaddesk.ids import new_id
    from leaddesk.services.bulk import bulk_load
    from leaddesk.sync import journal

    with db.reader() as s:
        assert "fillfactor=80" in (s.scalar(text("SELECT reloptions FROM pg_class WHERE relname = 'contact'")) or [])
    people = [{"id": new_id(), "given_name": f"Lead{i}", "display_name": f"Lead {i}", "name_key": f"lead {i}"}
              for i in range(2000)]
    with db.unit_of_work() as s, bulk_load(s):
        journal.bulk_insert(s, Contact, people, journal=False)

    def pages() -> dict:
        with db.reader() as s:
            return dict(s.execute(text("SELECT id, (ctid::text::point)[0] FROM contact")).all())

    before = pages()
    assert len(set(before.values())) > 20  # many pages, nearly all full but for the fill factor
    with db.unit_of_work() as s:  # every eighth lead rescored, as one batch
        bulk_writes.bulk_update(s, Contact, {p["id"]: {"fit_score": 40} for p in people[::8]})
    after = pages()
    stayed = sum(after[p["id"]] == before[p["id"]] for p in people[::8])
    assert stayed >= 0.9 * len(people[::8])


@pytest.mark.postgres_only
def test_postgres_bulk_load_leaves_the_planner_statistics_of_what_it_loaded(db):
    """After a bulk load the loaded tables are analyzed, so the first rescore is planned
    for 300 leads (an index range per batch), not for the empty table of before."""
    from sqlalchemy import text

    from leaddesk.ids import new_id
    from leaddesk.services.bulk import bulk_load
    from leaddesk.sync import journal

    people = [{"id": new_id(), "given_name": f"Lead{i}", "display_name": f"Lead {i}", "name_key": f"lead {i}"}
              for i in range(300)]
    with db.unit_of_work() as s, bulk_load(s):
        journal.bulk_insert(s, Contact, people, journal=False)
    with db.reader() as s:
        assert s.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'contact'")) == 300


def test_prepare_checks_a_reps_write_rules_on_the_rows_as_read_and_write_trusts_only_that(db, make_db):
    """The rescore's reading thread prepares each batch with the rep's rules checked on the
    rows it read (their owner included): a colleague's lead refuses the batch before any
    write. A batch prepared without that check (or for someone else) is checked again by
    ``write``, on the rows read whole: it cannot slip a colleague's lead through."""
    from types import SimpleNamespace

    bob = users.create_user(db, "Bob Rep", "bob@example.com")
    carl = users.create_user(db, "Carl Rep", "carl@example.com")
    his = contacts.create_contact(db, given_name="Bob's", owner_id=bob.id)
    pool = contacts.create_contact(db, given_name="Pool", owner_id=None)
    theirs = contacts.create_contact(db, given_name="Carl's", owner_id=carl.id)
    as_bob = make_db(actor_id=bob.id)
    bob_subject = as_bob.write.subject = Subject(bob.id, "rep", frozenset({bob.id, carl.id}))
    with db.reader() as s:
        read = {r.id: SimpleNamespace(id=r.id, version=r.version, hlc=r.hlc, fit_score=r.fit_score,
                                      owner_id=r.owner_id)
                for r in s.execute(select(Contact.id, Contact.version, Contact.hlc, Contact.fit_score,
                                          Contact.owner_id))}
    dialect = db.engine.dialect
    mine = bulk_writes.prepare(Contact, {his.id: {"fit_score": 5}, pool.id: {"fit_score": 5}}, read, dialect,
                               subject=bob_subject)
    assert mine.checked_for == bob_subject
    with pytest.raises(PermissionDenied):
        bulk_writes.prepare(Contact, {theirs.id: {"fit_score": 5}}, read, dialect, subject=bob_subject)
    unchecked = bulk_writes.prepare(Contact, {theirs.id: {"fit_score": 5}}, read, dialect)
    assert unchecked.checked_for is None
    before = _state(db)
    with pytest.raises(PermissionDenied), as_bob.unit_of_work() as s:
        bulk_writes.write(s, unchecked)
    assert _effects(before, _state(db))[:3] == ([], {}, set())
    with as_bob.unit_of_work() as s:
        assert bulk_writes.write(s, mine) == 2
    assert set(_effects(before, _state(db))[1]) == {his.id, pool.id}
