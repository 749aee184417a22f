"""Global search behaves the same on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from leaddesk.models import SearchDoc
from leaddesk.services.people import accounts, contacts, search
from leaddesk.services.people.search import fold


@pytest.fixture
def people(db):
    acme = accounts.create_account(db, name="Acme Lojistik A.Ş.", city="İzmir", website="https://acme-lojistik.com.tr")
    nord = accounts.create_account(db, name="Nordwind GmbH", city="Hamburg")
    ids = {
        "joerg": contacts.create_contact(db, given_name="Jörg", family_name="Müller", account_id=nord.id,
                                         emails=["j.mueller@nordwind.de"], phones=["040 1234567"], country="DE").id,
        "ayse": contacts.create_contact(db, given_name="Ayşe", family_name="Yılmaz", account_id=acme.id,
                                        job_title="Satın Alma Müdürü", emails=["ayse@acme-lojistik.com.tr"],
                                        phones=["+90 232 555 0101"]).id,
        "somchai": contacts.create_contact(db, given_name="สมชาย", family_name="ใจดี", emails=["somchai@example.co.th"]).id,
        "reza": contacts.create_contact(db, given_name="رضا", family_name="احمدی", emails=["reza@example.ir"]).id,
    }
    ids["acme"], ids["nord"] = acme.id, nord.id
    return ids


def _ids(hits):
    return [h.id for h in hits]


@pytest.mark.parametrize(
    "query, who",
    [
        ("müller", "joerg"),
        ("MULLER", "joerg"),          # case and accents folded
        ("nordwind.de", "joerg"),      # e-mail substring
        ("1234567", "joerg"),          # phone digits
        ("040 123", "joerg"),          # phone as typed, with a space
        ("yılmaz", "ayse"),
        ("satın alma", "ayse"),        # job title
        ("สมชาย", "somchai"),          # Thai
        ("احمدی", "reza"),             # Persian
    ],
)
def test_search_finds_contacts_by_name_email_phone_and_title(db, people, query, who):
    hits = search.search(db, query)
    assert people[who] in _ids(hits)


def test_search_finds_contacts_by_company_and_ranks_title_matches_first(db, people):
    hits = search.search(db, "nordwind")
    assert _ids(hits)[0] == people["nord"]  # the account's own title starts with it
    assert people["joerg"] in _ids(hits)   # a contact at that company


def test_search_short_queries_use_title_prefix(db, people):
    assert _ids(search.search(db, "ay")) == [people["ayse"]]
    assert search.search(db, "") == []


def test_search_index_follows_edits_renames_and_deletes(db, people):
    c = contacts.get_contact(db, people["joerg"])
    contacts.update_contact(db, c.id, expected_version=c.version, family_name="Schulze",
                            emails=["joerg@schulze.example"])
    assert people["joerg"] not in _ids(search.search(db, "müller"))
    assert people["joerg"] in _ids(search.search(db, "schulze.example"))
    a = accounts.get_account(db, people["nord"])
    accounts.update_account(db, a.id, expected_version=a.version, name="Ostwind AG")
    assert people["joerg"] in _ids(search.search(db, "ostwind"))  # contact's company text updated
    contacts.delete_contact(db, people["joerg"])
    assert people["joerg"] not in _ids(search.search(db, "schulze"))
    contacts.restore_contact(db, people["joerg"])
    assert people["joerg"] in _ids(search.search(db, "schulze"))


def test_search_special_characters_are_literal(db, people):
    assert search.search(db, '100% "quoted"') == []
    assert search.search(db, "a_b") == []


def test_search_rebuild_keeps_the_same_documents(db, people):
    with db.reader() as s:
        before = sorted((d.row_id, d.text) for d in s.scalars(select(SearchDoc)))
    search.rebuild_index(db)
    with db.reader() as s:
        after = sorted((d.row_id, d.text) for d in s.scalars(select(SearchDoc)))
    assert after == before and len(after) == 6


def test_search_sql_fold_matches_python_fold(db):
    from sqlalchemy import func

    samples = ["Müller", "İSTANBUL", "Çağrı Öztürk", "Ærøskøbing", "สมชาย", "مُحَمَّد", "ＡＢＣ"]
    with db.reader() as s:
        for value in samples:
            assert s.scalar(select(func.ld_fold(value))) == fold(value), value


def test_search_bulk_load_indexes_its_rows_once_at_the_end(db):
    from leaddesk.models import Account, Contact, ContactEmail, Outbox
    from leaddesk.services.bulk import bulk_load
    from leaddesk.sync.journal import bulk_insert

    existing = contacts.create_contact(db, given_name="Old", family_name="Timer")
    from leaddesk.ids import new_id

    acct_id, contact_id = new_id(), new_id()
    with db.unit_of_work() as s, bulk_load(s):
        bulk_insert(s, Account, [{"id": acct_id, "name": "Bulkhead Ltd", "name_key": "bulkhead ltd"}], journal=False)
        bulk_insert(s, Contact, [{"id": contact_id, "display_name": "Bea Bulk", "name_key": "bea bulk",
                                  "given_name": "Bea", "family_name": "Bulk", "account_id": acct_id}], journal=False)
        bulk_insert(s, ContactEmail, [{"contact_id": contact_id, "address": "bea@bulkhead.example",
                                       "address_normalized": "bea@bulkhead.example"},
                                      {"contact_id": existing.id, "address": "old@timer.example",
                                       "address_normalized": "old@timer.example"}], journal=False)
    assert _ids(search.search(db, "bulkhead")) == [acct_id, contact_id]  # account, then its contact
    assert contact_id in _ids(search.search(db, "bea@bulk"))
    assert existing.id in _ids(search.search(db, "old@timer"))  # child added to an older contact
    with db.reader() as s:
        assert s.scalar(select(Outbox.change_id).where(Outbox.row_id == contact_id)) is None  # a snapshot
    # after the block the per-row triggers are back
    contacts.create_contact(db, given_name="After", family_name="Wards")
    assert _ids(search.search(db, "wards"))


def _set_scores(db, scores):
    from leaddesk.models import Contact

    with db.unit_of_work() as s:  # what the scoring service would store
        for cid, (fit, interest) in scores.items():
            row = s.get(Contact, cid)
            row.fit_score, row.interest_score = fit, interest


def test_search_contact_hits_carry_score_grade_and_persona(db, people):
    from leaddesk.services import settings as team_settings
    from leaddesk.services.qualification import personas

    _set_scores(db, {people["joerg"]: (40, 30), people["ayse"]: (20, 15)})
    buyer = personas.create_persona(db, name="Logistics buyer")
    personas.set_contact_persona(db, people["joerg"], buyer.id)
    hits = {h.id: h for h in search.search(db, "nordwind")}
    joerg, nord = hits[people["joerg"]], hits[people["nord"]]
    assert (joerg.score, joerg.grade, joerg.persona_name) == (70, "hot", "Logistics buyer")
    assert (nord.score, nord.grade, nord.persona_name) == (None, None, None)  # an account has none
    ayse = next(h for h in search.search(db, "yılmaz") if h.id == people["ayse"])
    assert (ayse.score, ayse.grade, ayse.persona_name) == (35, "warm", None)  # no persona
    acme = next(h for h in search.search(db, "acme lojistik") if h.id == people["acme"])
    assert (acme.score, acme.grade, acme.persona_name) == (None, None, None)
    # the team's thresholds, read per search; a deleted persona is no longer shown
    team_settings.set_setting(db, "score_hot", 80)
    team_settings.set_setting(db, "score_warm", 36)
    personas.delete_persona(db, buyer.id)
    joerg = next(h for h in search.search(db, "müller") if h.id == people["joerg"])
    assert (joerg.score, joerg.grade, joerg.persona_name) == (70, "warm", None)
    assert next(h for h in search.search(db, "ay") if h.id == people["ayse"]).grade == "cold"
    # an unscored contact is cold with 0
    somchai = next(h for h in search.search(db, "สมชาย") if h.id == people["somchai"])
    assert (somchai.score, somchai.grade) == (0, "cold")
