"""A hub rescore's stamp without a look-up under the push lock.

On a team hub the rescore's reading thread reads the highest field clock of its batch's
span of contacts, after the contacts, and ``bulk_update`` stamps the write past it
(``clocks_top``) instead of looking the clocks up under the push lock. Three things must
hold: the stamp still passes every clock of the rows it overwrites; a clock moved between
that read and the write is caught by the version guard (a Conflict, nothing written); and a
write whose rows are read again (a rep's, for the permission rules) does not trust a top
read before them.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from leaddesk.clock import pack
from leaddesk.errors import Conflict
from leaddesk.models import ChangeLog, Contact, HubFieldVersion
from leaddesk.models.access import Subject
from leaddesk.services.people import contacts
from leaddesk.services.qualification import scoring
from leaddesk.services.team import setup, users
from leaddesk.sync import bulk_writes
from tests.db.test_scoring import NOW

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def db(empty_db):
    setup.initialize(empty_db, admin_name="Ada Admin", admin_email="ada@example.com", scoring_rules=False)
    assert empty_db.hub_mode
    return empty_db


def _ahead(db, contact_id, field: str, seconds: int) -> int:
    """Move one field clock of a contact ``seconds`` ahead of now (a laptop's fast clock
    that the hub accepted within its skew limit); returns it."""
    hlc = pack(int(time.time() * 1000) + seconds * 1000, 7)
    with db.unit_of_work() as s:
        s.execute(update(HubFieldVersion).where(HubFieldVersion.entity == "contact",
                                                HubFieldVersion.row_id == contact_id,
                                                HubFieldVersion.field == field).values(hlc=hlc))
    return hlc


def _entries(db, field: str = "fit_score") -> dict:
    with db.reader() as s:
        return {r.row_id: r.hlc for r in s.execute(
            select(ChangeLog.row_id, ChangeLog.hlc).where(ChangeLog.entity == "contact", ChangeLog.field == field))}


def test_a_hub_rescore_stamps_past_a_field_clock_ahead_in_its_batch(db):
    scoring.create_rule(db, name="Managers", criterion="seniority_in", points=10, params={"values": ["manager"]})
    people = [contacts.create_contact(db, given_name=f"P{i}", seniority="manager") for i in range(6)]
    ahead = _ahead(db, people[3].id, "*", 120)  # the creation clock of a row the rescore rewrites
    result = scoring.rescore_all(db, batch_size=2, now=NOW)  # three batches, read ahead
    assert result.changed == 6
    stamped = _entries(db)
    assert set(stamped) == {p.id for p in people}
    assert stamped[people[3].id] > ahead  # LWW: the rescore's score wins over the older clock
    assert stamped[people[0].id] < ahead  # the first batch did not need to pass it


def test_a_clock_moved_after_the_top_was_read_is_a_conflict_and_nothing_is_written(db):
    a = contacts.create_contact(db, given_name="Ann")
    b = contacts.create_contact(db, given_name="Ben")
    with db.reader() as s:
        read = {r.id: SimpleNamespace(id=r.id, version=r.version, hlc=r.hlc, fit_score=r.fit_score)
                for r in s.execute(select(Contact.id, Contact.version, Contact.hlc, Contact.fit_score))}
        top = s.scalar(select(HubFieldVersion.hlc).order_by(HubFieldVersion.hlc.desc()).limit(1))
    contacts.update_contact(db, b.id, expected_version=None, notes="saved meanwhile: a newer clock")
    before = _entries(db), _entries(db, "notes")
    with pytest.raises(Conflict) as err, db.unit_of_work() as s:
        bulk_writes.bulk_update(s, Contact, {a.id: {"fit_score": 7}, b.id: {"fit_score": 7}}, current=read,
                                clocks_top=top)
    assert err.value.ident == b.id
    assert (_entries(db), _entries(db, "notes")) == before
    with db.reader() as s:
        assert s.scalar(select(Contact.fit_score).where(Contact.id == a.id)) == 0


def test_a_write_that_reads_its_rows_again_looks_the_clocks_up_itself(db, make_db):
    """A rep's bulk update reads the rows again for the permission rules: a top given by the
    caller was read before them and is not trusted (here it is far too low)."""
    bob = users.create_user(db, "Bob Rep", "bob@example.com")
    his = contacts.create_contact(db, given_name="Bob's", owner_id=bob.id)
    ahead = _ahead(db, his.id, "*", 120)
    as_bob = make_db(actor_id=bob.id)
    as_bob.write.subject = Subject(bob.id, "rep", frozenset({bob.id}))
    with as_bob.reader() as s:
        read = {r.id: r for r in s.execute(select(Contact.id, Contact.version, Contact.hlc, Contact.fit_score))}
    with as_bob.unit_of_work() as s:
        assert bulk_writes.bulk_update(s, Contact, {his.id: {"fit_score": 9}}, current=read, clocks_top=0) == 1
    assert _entries(db)[his.id] > ahead


def test_a_direct_writes_base_is_every_change_before_it(db):
    """On the hub a direct write (a save, a bulk batch) read the rows as every earlier
    change left them: its change-log rows carry the seq just before their own first one
    as their base (taken from the seqs under the push lock, not a max(seq) that a user's
    row-level security would filter)."""
    from sqlalchemy import func

    scoring.create_rule(db, name="Managers", criterion="seniority_in", points=10, params={"values": ["manager"]})
    people = [contacts.create_contact(db, given_name=f"P{i}", seniority="manager") for i in range(4)]
    contacts.update_contact(db, people[0].id, expected_version=None, notes="a save")
    scoring.rescore_all(db, batch_size=2, now=NOW)
    with db.reader() as s:
        batches = s.execute(select(ChangeLog.batch_id, func.min(ChangeLog.seq), func.min(ChangeLog.base_seq),
                                   func.max(ChangeLog.base_seq)).group_by(ChangeLog.batch_id)
                            .order_by(func.min(ChangeLog.seq))).all()
    assert len(batches) >= 4 + 1 + 2  # the creations, the save, two rescore batches
    for _, first, low, high in batches:
        assert low == high == first - 1
