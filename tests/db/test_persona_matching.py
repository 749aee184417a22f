"""Personas in the rep's and manager's hands (issue #12 point 5): countries in matching,
automatic matching of every lead (rematch_all) and of saved contacts (match_in_session),
the editor's live count, and reps refused persona edits. SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from leaddesk.errors import PermissionDenied, ValidationError
from leaddesk.models import ChangeLog, Contact, Outbox
from leaddesk.models.access import Subject
from leaddesk.services.people import accounts, contacts
from leaddesk.services.qualification import personas
from leaddesk.services.team import users


def _dach(db, **extra):
    data = dict(name="DACH Warehouse", job_titles=["Warehouse Manager"], countries=["de", "Austria", "CH"])
    data.update(extra)
    return personas.create_persona(db, **data)


def _persona_of(db, *cids):
    with db.reader() as s:
        got = dict(s.execute(select(Contact.id, Contact.persona_id).where(Contact.id.in_(cids))).all())
    return [got[c] for c in cids]


def _journal(db):
    log = ChangeLog if db.hub_mode else Outbox
    with db.reader() as s:
        rows = s.execute(select(log.row_id, log.value).where(log.entity == "contact", log.field == "persona_id"))
        return [(r, json.loads(v)) for r, v in rows]


def test_countries_are_cleaned_to_iso_codes_and_bad_ones_refused(db):
    p = _dach(db)
    assert p.countries == ("DE", "AT", "CH")
    assert personas.get_persona(db, p.id).countries == ("DE", "AT", "CH")
    with pytest.raises(ValidationError) as err:
        personas.update_persona(db, p.id, expected_version=p.version, countries=["DE", "Atlantis"])
    assert err.value.field == "countries" and "Atlantis" in str(err.value)
    assert personas.update_persona(db, p.id, expected_version=p.version, countries="tr, TUR").countries == ("TR",)


def test_matching_uses_the_contacts_country_else_its_accounts(db):
    p = _dach(db)
    berlin = accounts.create_account(db, name="Lager Berlin", country="DE")
    izmir = accounts.create_account(db, name="Depo İzmir", country="TR")
    own = contacts.create_contact(db, given_name="Own", job_title="Lagerleiter", country="AT", account_id=izmir.id)
    firm = contacts.create_contact(db, given_name="Firm", job_title="Warehouse Manager", account_id=berlin.id)
    away = contacts.create_contact(db, given_name="Away", job_title="Depo Müdürü", account_id=izmir.id)
    nowhere = contacts.create_contact(db, given_name="Nowhere", job_title="Warehouse Manager")

    m = personas.match_personas(db, own.id)[0]
    assert (m.persona.id, m.score) == (p.id, 100) and "in AT" in m.reasons
    m = personas.match_personas(db, firm.id)[0]
    assert m.score == 100 and "in DE" in m.reasons
    m = personas.match_personas(db, away.id)[0]
    assert m.score == round(100 * 35 / 50) and "in TR, not in DE, AT, CH" in m.reasons
    assert "country unknown" in personas.match_personas(db, nowhere.id)[0].reasons


def test_match_in_session_sets_the_best_non_avoid_persona_or_none(db):
    wh = personas.create_persona(db, name="Warehouse", job_titles=["Warehouse Manager"])
    personas.create_persona(db, name="Students (avoid)", job_titles=["Student"], avoid=True)
    a = contacts.create_contact(db, given_name="A", job_title="Lagerleiter")
    b = contacts.create_contact(db, given_name="B", job_title="Student")
    c = contacts.create_contact(db, given_name="C", job_title="Astronaut")
    personas.set_contact_persona(db, c.id, wh.id)  # set by hand, no longer fits: cleared
    versions = {x.id: contacts.get_contact(db, x.id).version for x in (a, b, c)}
    with db.unit_of_work() as s:
        got = personas.match_in_session(s, [a.id, b.id, c.id])
    assert got == {a.id: wh.id, b.id: None, c.id: None}
    assert _persona_of(db, a.id, b.id, c.id) == [wh.id, None, None]
    after = {x.id: contacts.get_contact(db, x.id).version for x in (a, b, c)}
    assert after == {a.id: versions[a.id] + 1, b.id: versions[b.id], c.id: versions[c.id] + 1}
    assert {(r, v) for r, v in _journal(db)} >= {(a.id, str(wh.id)), (c.id, None)}
    with db.unit_of_work() as s:
        assert personas.match_in_session(s, []) == {}


def test_rematch_all_moves_leads_to_the_new_best_persona(db):
    wh = personas.create_persona(db, name="Warehouse", job_titles=["Warehouse Manager"])
    buyer = personas.create_persona(db, name="Buyer", job_titles=["Purchasing Manager"])
    people = [contacts.create_contact(db, given_name=f"P{i}", job_title=t)
              for i, t in enumerate(["Lagerleiter", "مدیر انبار", "Satın Alma Müdürü", "Einkaufsleiter", "Poet"])]
    ids = [p.id for p in people]
    steps = []
    result = personas.rematch_all(db, progress=lambda done, total: steps.append((done, total)), batch_size=2)
    assert (result.scored, result.changed, result.cancelled) == (5, 4, False)
    assert steps == [(0, 5), (2, 5), (4, 5), (5, 5)]
    assert _persona_of(db, *ids) == [wh.id, wh.id, buyer.id, buyer.id, None]
    assert personas.rematch_all(db).changed == 0  # nothing moves twice

    # a DACH persona is created: the German warehouse manager moves to it (100 each, its name first)
    contacts.update_contact(db, ids[0], expected_version=contacts.get_contact(db, ids[0]).version, country="DE")
    dach = _dach(db, name="DACH Lager")
    assert personas.rematch_all(db).changed == 1
    assert _persona_of(db, *ids) == [dach.id, wh.id, buyer.id, buyer.id, None]
    # the warehouse persona changes to poets: its Persian manager moves to the DACH one (70 without a country)
    personas.update_persona(db, wh.id, expected_version=wh.version, job_titles=["Poet"])
    assert personas.rematch_all(db).changed == 2
    assert _persona_of(db, *ids) == [dach.id, dach.id, buyer.id, buyer.id, wh.id]
    written = {(r, v) for r, v in _journal(db)}
    assert {(ids[1], str(dach.id)), (ids[4], str(wh.id)), (ids[0], str(dach.id))} <= written
    personas.delete_persona(db, buyer.id)
    assert personas.rematch_all(db).changed == 2
    assert _persona_of(db, *ids) == [dach.id, dach.id, None, None, wh.id]


def test_count_matches_for_a_draft_persona(db):
    berlin = accounts.create_account(db, name="Lager Berlin", country="DE", employees=200)
    for t in ["Lagerleiter", "Depo Müdürü", "Warehouse Manager", "Poet"]:
        contacts.create_contact(db, given_name=t, job_title=t, account_id=berlin.id)
    contacts.create_contact(db, given_name="Tr", job_title="Depo Müdürü", country="TR")
    assert personas.count_matches(db, {"name": "x", "job_titles": "Warehouse Manager"}) == (4, 5)
    assert personas.count_matches(db, {"countries": ["TR"]}) == (1, 5)  # the account's country counts
    assert personas.count_matches(db, {"countries": "DE", "company_size_max": 500}) == (4, 5)
    assert personas.count_matches(db, {"company_size_min": 500}) == (0, 5)
    with pytest.raises(ValidationError):
        personas.count_matches(db, {"countries": ["Narnia"]})


def test_a_rep_cannot_change_personas_and_is_told_why(db, make_db):
    p = _dach(db)
    bob = users.create_user(db, "Bob Rep", "bob@example.com")
    as_bob = make_db(actor_id=bob.id)
    as_bob.write.subject = Subject(bob.id, "rep", frozenset({bob.id}))
    assert "sales rep" in personas.editing_refused(as_bob)
    assert personas.editing_refused(db) is None
    for attempt in (lambda: personas.create_persona(as_bob, name="Mine"),
                    lambda: personas.update_persona(as_bob, p.id, expected_version=p.version, name="Renamed"),
                    lambda: personas.mark_reviewed(as_bob, p.id),
                    lambda: personas.delete_persona(as_bob, p.id)):
        with pytest.raises(PermissionDenied, match="Only managers and admins can change buyer personas; you are "
                                                   "signed in as a sales rep"):
            attempt()
    assert [x.name for x in personas.list_personas(as_bob)] == ["DACH Warehouse"]  # reads are fine
    assert personas.get_persona(db, p.id).version == p.version
    manager = make_db(actor_id=bob.id)
    manager.write.subject = Subject(bob.id, "manager", frozenset({bob.id}))
    assert personas.update_persona(manager, p.id, expected_version=p.version, name="Renamed").name == "Renamed"


def test_match_in_session_sees_the_contact_as_saved_in_the_same_transaction(db):
    """The contact's save and its re-match are one unit of work: the new title counts."""
    wh = personas.create_persona(db, name="Warehouse", job_titles=["Warehouse Manager"])
    c = contacts.create_contact(db, given_name="Zeynep", job_title="Poet")
    with db.unit_of_work() as s:
        obj = s.get(Contact, c.id)
        obj.job_title = "Depo Müdürü"
        assert personas.match_in_session(s, [c.id]) == {c.id: wh.id}
        assert obj.persona_id == wh.id
    saved = contacts.get_contact(db, c.id)
    assert (saved.job_title, saved.persona_id) == ("Depo Müdürü", wh.id)
    assert saved.version == c.version + 2  # the pending title is flushed before the facts are read
