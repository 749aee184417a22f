from __future__ import annotations

import datetime as dt

import pytest

from leaddesk.errors import Conflict, NotFound, ValidationError
from leaddesk.models.enums import Seniority
from leaddesk.services.people import accounts, contacts
from leaddesk.services.qualification import personas

UTC = dt.timezone.utc


def ops_lead(db, **extra):
    data = dict(name="Operations Olivia", job_titles="Head of Operations, Warehouse Manager",
                seniorities=["director", "Manager"], departments=["Operations", "Logistics"],
                industries=["Logistics", "Retail"], company_size_min=50, company_size_max=1000,
                goals="Fewer mis-picks", talking_points="Ask about peak season")
    data.update(extra)
    return personas.create_persona(db, **data)


def test_persona_create_cleans_lists_and_updates_with_versions(db, make_db):
    p = ops_lead(db, industries=[" Logistics ", "logistics", "Retail", ""])
    assert p.job_titles == ("Head of Operations", "Warehouse Manager")
    assert p.seniorities == (Seniority.DIRECTOR, Seniority.MANAGER)
    assert p.industries == ("Logistics", "Retail")
    p2 = personas.update_persona(db, p.id, expected_version=p.version, avoid=True, industries=[])
    assert (p2.avoid, p2.industries, p2.version) == (True, (), p.version + 1)
    personas.update_persona(make_db(), p.id, expected_version=p2.version, goals="Faster onboarding")
    with pytest.raises(Conflict):
        personas.update_persona(db, p.id, expected_version=p2.version, goals="Lower cost")
    assert personas.get_persona(db, p.id).goals == "Faster onboarding"


@pytest.mark.parametrize("extra, field", [
    ({"name": ""}, "name"),
    ({"seniorities": ["emperor"]}, "seniorities"),
    ({"company_size_min": 500, "company_size_max": 50}, "company_size_max"),
    ({"company_size_min": -1}, "company_size_min"),
    ({"job_titles": 42}, "job_titles"),
    ({"hobbies": "golf"}, "hobbies"),
])
def test_persona_bad_input_is_refused_and_nothing_written(db, extra, field):
    with pytest.raises(ValidationError) as err:
        ops_lead(db, **extra)
    assert err.value.field == field
    assert personas.list_personas(db) == []


def test_persona_names_are_unique_among_live_personas(db):
    p = ops_lead(db)
    with pytest.raises(ValidationError) as err:
        ops_lead(db, name="operations OLIVIA")
    assert err.value.field == "name"
    other = ops_lead(db, name="Finance Fred")
    with pytest.raises(ValidationError):
        personas.update_persona(db, other.id, expected_version=other.version, name="Operations Olivia")
    personas.delete_persona(db, p.id)
    assert ops_lead(db).name == "Operations Olivia"


def test_persona_update_checks_size_range_against_stored_value(db):
    p = ops_lead(db)
    with pytest.raises(ValidationError) as err:
        personas.update_persona(db, p.id, expected_version=p.version, company_size_max=10)
    assert err.value.field == "company_size_max"


def test_persona_mark_reviewed_list_delete_restore(db):
    p = ops_lead(db)
    avoid = ops_lead(db, name="Student Sam", avoid=True)
    when = dt.datetime(2025, 4, 1, 8, tzinfo=UTC)
    assert personas.mark_reviewed(db, p.id, expected_version=p.version, now=when).reviewed_at == when
    assert [x.name for x in personas.list_personas(db)] == ["Operations Olivia", "Student Sam"]
    assert [x.id for x in personas.list_personas(db, avoid=True)] == [avoid.id]
    personas.delete_persona(db, avoid.id)
    assert [x.id for x in personas.list_personas(db)] == [p.id]
    personas.restore_persona(db, avoid.id)
    assert len(personas.list_personas(db)) == 2


def test_persona_match_ranks_and_explains(db):
    acme = accounts.create_account(db, name="Acme Logistics", industry="Logistics", employees=250)
    olivia = ops_lead(db)
    fred = personas.create_persona(db, name="Finance Fred", job_titles=["CFO", "Finance Director"],
                                   seniorities=["c_level", "director"], departments=["Finance"])
    junk = personas.create_persona(db, name="Job seeker", job_titles=["Intern"], avoid=True)
    c = contacts.create_contact(db, given_name="Deniz", job_title="Director of Warehouse Operations",
                                seniority="director", department="Operations", account_id=acme.id)

    matches = personas.match_personas(db, c.id)
    assert [m.persona.id for m in matches] == [olivia.id, fred.id]
    best = matches[0]
    # job title only resembles ("operations", half of 35), the rest (20+15+15+15) matches
    assert best.score == round(100 * (17.5 + 65) / 100)
    assert "company size 250 within 50-1000 employees" in best.reasons
    assert any(r.startswith("job title 'Director of Warehouse Operations' resembles") for r in best.reasons)
    # only the seniority (20 of 35+20+15): "director" alone does not make titles similar
    assert matches[1].score == round(100 * 20 / 70)
    assert matches[1].reasons[0] == "seniority director matches"
    assert junk.id not in [m.persona.id for m in matches]


def test_persona_match_counts_only_specified_traits_and_whole_words(db):
    it = personas.create_persona(db, name="IT buyer", departments=["IT"])
    facility = contacts.create_contact(db, given_name="Fay", department="Facility Management")
    assert personas.match_personas(db, facility.id) == []
    tech = contacts.create_contact(db, given_name="Tim", department="IT & Security")
    [m] = personas.match_personas(db, tech.id)
    assert (m.persona.id, m.score) == (it.id, 100)


def test_persona_avoid_profiles_are_matched_and_flagged(db):
    avoid = personas.create_persona(db, name="Students", job_titles=["Student", "Intern"], avoid=True)
    c = contacts.create_contact(db, given_name="Sam", job_title="Working Student")
    [m] = personas.match_personas(db, c.id)
    assert (m.persona.id, m.persona.avoid, m.score) == (avoid.id, True, 100)


def test_set_contact_persona_and_clear(db):
    p = ops_lead(db)
    c = contacts.create_contact(db, given_name="Deniz")
    out = personas.set_contact_persona(db, c.id, p.id, expected_version=c.version)
    assert (out.persona_id, out.contact_version) == (p.id, c.version + 1)
    assert contacts.get_contact(db, c.id).persona_id == p.id
    with pytest.raises(Conflict):
        personas.set_contact_persona(db, c.id, None, expected_version=c.version)
    assert personas.set_contact_persona(db, c.id, None).persona_id is None
    personas.delete_persona(db, p.id)
    with pytest.raises(NotFound):
        personas.set_contact_persona(db, c.id, p.id)
    assert contacts.get_contact(db, c.id).persona_id is None
