"""Persona matching by what a job title means, in any language, on SQLite and PostgreSQL:
"Depo Müdürü", "مدیر انبار", "مدير المستودع" and "Lagerleiter" pick the warehouse persona
exactly as "Warehouse Manager" does."""

from __future__ import annotations

import pytest

from leaddesk.services.people import accounts, contacts
from leaddesk.services.qualification import personas

FOUR = ["Depo Müdürü", "مدیر انبار", "مدير المستودع", "Lagerleiter"]


def _personas(db):
    olivia = personas.create_persona(
        db, name="Operations Olivia", job_titles=["Warehouse Manager", "Logistics Manager", "Head of Logistics"],
        seniorities=["manager", "director"], departments=["Operations", "Logistics"],
        industries=["Logistics & Warehousing"], company_size_min=50, company_size_max=2000)
    fred = personas.create_persona(db, name="Finance Fred", job_titles=["CFO", "Finance Director"],
                                   seniorities=["c_level", "director"], departments=["Finance"])
    ian = personas.create_persona(db, name="IT Ian", job_titles=["IT Manager", "Head of IT"],
                                  seniorities=["manager", "director"], departments=["IT"])
    return olivia, fred, ian


@pytest.mark.parametrize("title", FOUR)
def test_match_personas_picks_the_warehouse_persona_in_every_language(db, title):
    olivia, fred, ian = _personas(db)
    acme = accounts.create_account(db, name="Acme Depo", industry="Logistics & Warehousing", employees=300)
    english = contacts.create_contact(db, given_name="Wendy", job_title="Warehouse Manager", account_id=acme.id)
    other = contacts.create_contact(db, given_name="Deniz", job_title=title, account_id=acme.id)

    want = personas.match_personas(db, english.id)
    got = personas.match_personas(db, other.id)
    assert got[0].persona.id == olivia.id
    assert [(m.persona.id, m.score) for m in got] == [(m.persona.id, m.score) for m in want]
    assert got[0].score == 100
    assert f"job title '{title}' means 'Warehouse Manager' (warehouse, manager)" in got[0].reasons
    assert "seniority manager (from the job title) matches" in got[0].reasons
    assert fred.id not in [m.persona.id for m in got if m.score > 30]
    assert ian.id not in [m.persona.id for m in got if m.score > 30]


@pytest.mark.parametrize("title", ["Student", "Praktikant", "Stajyer"])
def test_students_and_interns_do_not_match_the_warehouse_persona(db, title):
    olivia, _, _ = _personas(db)
    c = contacts.create_contact(db, given_name="Sam", job_title=title)
    assert olivia.id not in [m.persona.id for m in personas.match_personas(db, c.id)]


def test_what_the_contact_says_wins_over_what_the_title_says(db):
    olivia, fred, _ = _personas(db)
    # the department and seniority filled in on the contact are matched, not the title's
    c = contacts.create_contact(db, given_name="Ali", job_title="Depo Müdürü", seniority="director",
                                department="Finance")
    scores = {m.persona.id: m.score for m in personas.match_personas(db, c.id)}
    # Olivia: title 35 + seniority 20 of 35+20+15+15+15; Fred: seniority 20 + department 15 of 70
    assert scores[olivia.id] == round(100 * 55 / 100)
    assert scores[fred.id] == round(100 * 35 / 70)
