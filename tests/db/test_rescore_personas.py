"""rescore_all re-matches personas in the same pass as it scores, and writes what the
one-contact path writes: ``personas.best_match`` over the buyer personas (then
``set_contact_persona``) and ``score_contact`` with that persona, contact by contact.
Persona first, because a persona match is a scoring factor. Both engines (a hub journals
into its change log, a laptop into its outbox)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from leaddesk.models import Account, ChangeLog, Contact, Outbox
from leaddesk.services.people import contacts
from leaddesk.services.qualification import personas, scoring
from leaddesk.services.team import setup
from tests.db.test_scoring import NOW, _population

FIELDS = ("persona_id", "fit_score", "interest_score")


@pytest.fixture
def db(empty_db):
    """Seeded like ``leaddesk init`` but without the default rules: each test adds its own."""
    setup.initialize(empty_db, admin_name="Ada Admin", admin_email="ada@example.com", scoring_rules=False)
    return empty_db


def _personas(db):
    """Two buyer personas and an avoid-profile that some contacts match better than any."""
    buyer = personas.create_persona(db, name="Finance lead", job_titles=["CFO"], seniorities=["c_level"],
                                    company_size_min=50, company_size_max=5000)
    procurement = personas.create_persona(db, name="Procurement", job_titles=["Head of Procurement"],
                                          industries=["Logistics", "Retail"])
    student = personas.create_persona(db, name="Student", job_titles=["Working Student"], avoid=True)
    return buyer, procurement, student


def _stored(db) -> dict:
    with db.reader() as s:
        return {r.id: (r.persona_id, r.fit_score, r.interest_score)
                for r in s.execute(select(Contact.id, *(Contact.__table__.c[f] for f in FIELDS))
                                   .where(Contact.deleted.is_(False)))}


def _journal(db) -> dict:
    """change id -> (row, field, value) of every journaled change of these fields."""
    log = ChangeLog if db.hub_mode else Outbox
    with db.reader() as s:
        return {r[0]: tuple(r[1:]) for r in s.execute(select(log.change_id, log.row_id, log.field, log.value)
                                                       .where(log.entity == "contact", log.field.in_(FIELDS)))}


def _new(after: dict, before: dict) -> list[tuple]:
    return sorted(v for k, v in after.items() if k not in before)


def _one_by_one(db, people) -> None:
    """The one-contact path: best buyer persona (best_match), stored, then score_contact."""
    buyers = [p for p in personas.list_personas(db, avoid=False)]
    with db.reader() as s:
        facts = {c.id: (c.job_title, c.seniority, c.department, a.industry if a else None,
                        a.employees if a else None)
                 for c, a in s.execute(select(Contact, Account).outerjoin(Account, Account.id == Contact.account_id))}
    for c in people:
        title, seniority, department, industry, employees = facts[c.id]
        match = personas.best_match(buyers, job_title=title, seniority=seniority, department=department,
                                    industry=industry, employees=employees)
        personas.set_contact_persona(db, c.id, match.persona.id if match else None)
        scoring.score_contact(db, c.id, now=NOW)


def test_bulk_rescore_writes_the_personas_and_scores_of_the_one_contact_path(db):
    scoring.seed_default_rules(db)
    buyer, procurement, student = _personas(db)
    for persona, points in ((buyer, 25), (procurement, 15), (student, -40)):
        scoring.create_rule(db, name=f"Is {persona.name}", criterion="persona_match", points=points,
                            params={"persona_id": str(persona.id)})
    people = _population(db, 40, seed=21)
    wrong = people[0]  # assigned by hand to the avoid-profile: the re-match replaces it
    personas.set_contact_persona(db, wrong.id, student.id)
    start, journal_start = _stored(db), _journal(db)

    _one_by_one(db, people)
    want = _stored(db)
    one_by_one = _new(_journal(db), journal_start)
    assert {p for p, _, _ in want.values()} == {buyer.id, procurement.id, None}  # both matched, no avoid
    assert want[wrong.id][0] != student.id

    with db.unit_of_work() as s:  # back to where they were, through the ORM
        for obj in s.scalars(select(Contact).where(Contact.id.in_(list(start)))):
            obj.persona_id, obj.fit_score, obj.interest_score = start[obj.id]
    before = _journal(db)
    result = scoring.rescore_all(db, batch_size=7, now=NOW)
    assert _stored(db) == want
    assert result.changed == sum(1 for i in want if want[i] != start[i])
    # field by field, the same changes journaled as the one-contact path journaled
    assert _new(_journal(db), before) == one_by_one
    assert any(f == "persona_id" for _, f, _ in one_by_one)

    again = _journal(db)
    assert scoring.rescore_all(db, batch_size=7, now=NOW).changed == 0
    assert _journal(db) == again


def test_a_changed_persona_rescores_its_leads_and_the_unmatched_lose_it(db):
    buyer, _, _ = _personas(db)
    scoring.create_rule(db, name="Finance lead", criterion="persona_match", points=30,
                        params={"persona_id": str(buyer.id)})
    acme = contacts.create_contact(db, given_name="Cem", job_title="CFO", seniority="c_level")
    other = contacts.create_contact(db, given_name="Oda", job_title="Office Manager")
    assert scoring.rescore_all(db, now=NOW).changed == 1
    got = contacts.get_contact(db, acme.id)
    assert (got.persona_id, got.fit_score) == (buyer.id, 30)
    assert contacts.get_contact(db, other.id).persona_id is None

    personas.update_persona(db, buyer.id, expected_version=None, job_titles=["Office Manager"], seniorities=[])
    assert scoring.rescore_all(db, now=NOW).changed == 2
    got, moved = contacts.get_contact(db, acme.id), contacts.get_contact(db, other.id)
    assert (got.persona_id, got.fit_score) == (None, 0)
    assert (moved.persona_id, moved.fit_score) == (buyer.id, 30)
    assert (got.version, moved.version) == (3, 2)  # one write per rescore that changed it


@pytest.mark.sqlite_only  # the demo's generator is the same on both engines; one is enough here
def test_a_fresh_demo_has_nothing_to_rescore_or_rematch(empty_db):
    """The demo matches and scores with the same rules (buyer personas only): rescore_all
    over it changes no persona and no score."""
    import datetime as dt

    from leaddesk.services.demo import generate as demo

    now = dt.datetime.now(dt.timezone.utc)
    setup.initialize(empty_db, admin_name="Ada Admin", admin_email="ada@example.com")
    demo.generate(empty_db, scale="small", seed=7, now=now)
    avoid = {p.id for p in personas.list_personas(empty_db, avoid=True)}
    stored = _stored(empty_db)
    assert avoid and not {p for p, _, _ in stored.values()} & avoid
    assert sum(1 for p, _, _ in stored.values() if p) > 100
    assert scoring.rescore_all(empty_db, now=now).changed == 0


def test_the_bulk_rescore_reads_countries_as_the_persona_engine_does(db):
    """A persona limited to countries: the bulk pass gives each lead what ``match_in_session``
    (the save path) gives it, the contact's own country first, else its account's."""
    from leaddesk.services.people import accounts

    dach = personas.create_persona(db, name="DACH ops", job_titles=["Warehouse Manager"], seniorities=["manager"],
                                   countries=["DE", "AT", "CH"])
    personas.create_persona(db, name="Ops anywhere", job_titles=["Warehouse Manager"])
    berlin = accounts.create_account(db, name="Lager Berlin", country="DE")
    izmir = accounts.create_account(db, name="Depo İzmir", country="TR")
    ids = [contacts.create_contact(db, given_name=n, job_title=t, seniority="manager", account_id=a.id,
                                   country=c).id
           for n, t, a, c in (("Lena", "Lagerleiter", berlin, None), ("Ali", "Depo Müdürü", izmir, None),
                              ("Eva", "Warehouse Manager", izmir, "AT"))]
    scoring.rescore_all(db, now=NOW)
    bulk = {cid: _stored(db)[cid][0] for cid in ids}
    with db.unit_of_work() as s:
        one_by_one = personas.match_in_session(s, ids)
    assert bulk == one_by_one
    assert bulk[ids[0]] == dach.id and bulk[ids[2]] == dach.id and bulk[ids[1]] != dach.id
