"""The search index is rewritten only for rows whose indexed columns change (revision 0012).

A marker is planted in a row's search document: an update that leaves the document's
columns alone (scores, persona, fields the document does not hold) must leave the marker;
an update of what the document holds (names, titles, the account, deleted) must replace
it, on both engines, through the ORM and through ``bulk_update`` (the rescore's path).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from leaddesk.models import Account, Contact, Opportunity, SearchDoc
from leaddesk.services.people import accounts, contacts, search
from leaddesk.services.pipeline import opportunities
from leaddesk.sync import bulk_writes

MARK = "planted marker"


@pytest.fixture
def rows(db):
    acme = accounts.create_account(db, name="Acme Lojistik", city="Izmir")
    ayse = contacts.create_contact(db, given_name="Ayse", family_name="Yilmaz", account_id=acme.id,
                                   job_title="Buyer", emails=["ayse@acme.example"])
    bora = contacts.create_contact(db, given_name="Bora", family_name="Kaya", account_id=acme.id)
    deal = opportunities.create_opportunity(db, acme.id, "Fleet renewal")
    return {"acme": acme.id, "ayse": ayse.id, "bora": bora.id, "deal": deal.id}


def _plant(db, *ids):
    with db.unit_of_work() as s:
        s.execute(update(SearchDoc).where(SearchDoc.row_id.in_(ids)).values(text=MARK))


def _texts(db) -> dict:
    with db.reader() as s:
        return dict(s.execute(select(SearchDoc.row_id, SearchDoc.text)).all())


def _set(db, model, row_id, **values):
    """An ORM update of the given fields (the service layer's path, without its checks)."""
    with db.unit_of_work() as s:
        obj = s.get(model, row_id)
        for key, value in values.items():
            setattr(obj, key, value)


def test_score_and_other_updates_outside_the_document_leave_it_alone(db, rows):
    _plant(db, *rows.values())
    _set(db, Contact, rows["ayse"], fit_score=40, interest_score=12, notes="called twice")
    _set(db, Account, rows["acme"], employees=250, website="https://acme.example")
    _set(db, Opportunity, rows["deal"], amount=12000)
    with db.unit_of_work() as s:
        assert bulk_writes.bulk_update(s, Contact, {rows["ayse"]: {"fit_score": 55},
                                                    rows["bora"]: {"fit_score": 7, "interest_score": 3}}) == 2
    assert set(_texts(db).values()) == {MARK}


def test_changes_to_the_document_reindex_the_row(db, rows):
    _plant(db, *rows.values())
    contacts.update_contact(db, rows["ayse"], expected_version=None, job_title="Procurement Lead")
    _set(db, Opportunity, rows["deal"], name="Fleet expansion")
    texts = _texts(db)
    assert "procurement lead" in texts[rows["ayse"]]
    assert "fleet expansion" in texts[rows["deal"]]
    assert texts[rows["bora"]] == texts[rows["acme"]] == MARK
    assert [h.id for h in search.search(db, "procurement")] == [rows["ayse"]]


def test_account_rename_reindexes_the_account_its_contacts_and_opportunities(db, rows):
    _plant(db, *rows.values())
    accounts.update_account(db, rows["acme"], expected_version=None, name="Nordwind Logistik")
    texts = _texts(db)
    for key in ("acme", "ayse", "bora", "deal"):
        assert "nordwind logistik" in texts[rows[key]], key
    assert set(h.id for h in search.search(db, "nordwind")) == set(rows.values())


def test_account_city_change_reindexes_only_the_account(db, rows):
    _plant(db, *rows.values())
    _set(db, Account, rows["acme"], city="Ankara")
    texts = _texts(db)
    assert "ankara" in texts[rows["acme"]]
    assert texts[rows["ayse"]] == texts[rows["bora"]] == texts[rows["deal"]] == MARK


def test_delete_and_restore_follow_in_search(db, rows):
    contacts.delete_contact(db, rows["ayse"])
    assert rows["ayse"] not in [h.id for h in search.search(db, "yilmaz")]
    _plant(db, rows["ayse"])
    contacts.restore_contact(db, rows["ayse"])
    assert rows["ayse"] in [h.id for h in search.search(db, "yilmaz")]
    opportunities.delete_opportunity(db, rows["deal"])
    assert rows["deal"] not in [h.id for h in search.search(db, "fleet")]
    opportunities.restore_opportunity(db, rows["deal"])
    assert rows["deal"] in [h.id for h in search.search(db, "fleet")]


def _xmins(db) -> dict:
    with db.reader() as s:
        return dict(s.execute(text("SELECT row_id, xmin::text FROM search_doc")).all())


@pytest.mark.postgres_only
def test_postgres_score_update_does_not_write_search_doc(db, rows):
    """No new row version of any search document (xmin unchanged), and in a statement that
    changes one row's title and another's score, only the first is re-indexed."""
    before = _xmins(db)
    with db.unit_of_work() as s:
        bulk_writes.bulk_update(s, Contact, {rows["ayse"]: {"fit_score": 60, "persona_id": None},
                                             rows["bora"]: {"interest_score": 9}})
    _set(db, Contact, rows["bora"], fit_score=3)
    assert _xmins(db) == before
    _plant(db, rows["ayse"], rows["bora"])
    with db.unit_of_work() as s:
        bulk_writes.bulk_update(s, Contact, {rows["ayse"]: {"fit_score": 61},
                                             rows["bora"]: {"job_title": "Fleet Manager"}})
    texts = _texts(db)
    assert texts[rows["ayse"]] == MARK
    assert "fleet manager" in texts[rows["bora"]]


@pytest.mark.postgres_only
def test_postgres_bulk_journal_seqs_follow_change_ids_and_clocks_point_at_them(db, rows):
    """The hub journal of ``bulk_update`` (seqs given by the server during the COPY): one
    change-log row per changed field, seqs ascending with the change ids and above every
    earlier seq, and each hub clock naming its change's seq and id."""
    with db.reader() as s:
        top = s.scalar(text("SELECT coalesce(max(seq), 0) FROM change_log"))
    with db.unit_of_work() as s:
        assert bulk_writes.bulk_update(s, Contact, {rows["ayse"]: {"fit_score": 41, "interest_score": 5},
                                                    rows["bora"]: {"fit_score": 8}}) == 2
    with db.reader() as s:
        logged = s.execute(text("SELECT seq, change_id, row_id, field, base_seq FROM change_log "
                                "WHERE seq > :top ORDER BY seq"), {"top": top}).all()
        clocks = {(r.row_id, r.field): (r.seq, r.change_id) for r in s.execute(text(
            "SELECT row_id, field, seq, change_id FROM hub_field_version WHERE entity = 'contact'"))}
    assert sorted((r.row_id, r.field) for r in logged) == sorted(
        [(rows["ayse"], "fit_score"), (rows["ayse"], "interest_score"), (rows["bora"], "fit_score")])
    assert [r.change_id for r in logged] == sorted(r.change_id for r in logged)
    assert {r.base_seq for r in logged} == {top}
    for r in logged:
        assert clocks[(r.row_id, r.field)] == (r.seq, r.change_id)
