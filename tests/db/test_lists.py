"""The list pages' queries (services.lists) on SQLite and PostgreSQL: contains-match text
filters through the search index, sorting by every shown column, keyset paging."""

from __future__ import annotations

import pytest

from leaddesk.errors import ValidationError
from leaddesk.models import Contact
from leaddesk.models.enums import LifecycleStage
from leaddesk.services.people import accounts, contacts, lists
from leaddesk.services import settings as team_settings
from leaddesk.services.qualification import personas
from leaddesk.services.team import users


def _all(fetch, **kw):
    """Every row, page by page (small pages, so the keyset cursor is exercised)."""
    out, after = [], None
    while True:
        page = fetch(after=after, limit=2, **kw)
        out.extend(page.items)
        if page.next_cursor is None:
            return out
        after = page.next_cursor


@pytest.fixture
def book(db):
    acme = accounts.create_account(db, name="Acme plc", city="Leeds")
    mueller = accounts.create_account(db, name="Müller Logistik AG")
    accounts.create_account(db, name="Plcorp Ltd")
    accounts.create_account(db, name="Nordwind GmbH")
    rep = users.create_user(db, name="Zoe Rep", email="zoe@example.com", role="rep")
    ids = {
        "ann": contacts.create_contact(db, given_name="Ann", family_name="Archer", account_id=acme.id,
                                       emails=["ann@acme.co.uk"], phones=["+44 113 496 0000"]).id,
        "bob": contacts.create_contact(db, given_name="Bob", family_name="Baker", account_id=mueller.id,
                                       emails=["bob@mueller.de"], owner_id=rep.id).id,
        "cem": contacts.create_contact(db, given_name="Cem", family_name="Çelik", emails=["cem@example.com.tr"]).id,
        "dee": contacts.create_contact(db, given_name="Dee", family_name="Dorn", account_id=acme.id).id,
    }
    scores = {"ann": (10, 5), "bob": (40, 30), "cem": (0, 0), "dee": (20, 0)}
    stages = {"ann": "mql", "bob": "customer", "cem": "lead", "dee": "sql"}
    with db.unit_of_work() as s:  # what the scoring service and stage changes would store
        for who, (fit, interest) in scores.items():
            row = s.get(Contact, ids[who])
            row.fit_score, row.interest_score = fit, interest
            row.lifecycle_stage = LifecycleStage(stages[who])
    ids["rep"] = rep.id
    return ids


def _names(rows):
    return [r.display_name for r in rows]


def test_list_account_rows_matches_anywhere_in_the_name_ignoring_case_and_accents(db, book):
    def names(text):
        return [r.name for r in _all(lists.list_account_rows, db=db, name=text)]

    assert names("plc") == ["Acme plc", "Plcorp Ltd"]
    assert names("PLC") == ["Acme plc", "Plcorp Ltd"]
    assert names("muller") == ["Müller Logistik AG"]   # accents folded like search
    assert names("gistik") == ["Müller Logistik AG"]   # inside a word
    assert names("gm") == ["Nordwind GmbH"]            # two letters: still a substring
    assert names("leeds") == []                        # the city is not the name
    assert names("") == ["Acme plc", "Müller Logistik AG", "Nordwind GmbH", "Plcorp Ltd"]
    assert names("100%_") == []                        # LIKE wildcards are literal


def test_list_account_rows_leaves_deleted_accounts_out(db, book):
    victim = next(r for r in _all(lists.list_account_rows, db=db, name="nordwind"))
    accounts.delete_account(db, victim.id)
    assert _all(lists.list_account_rows, db=db, name="nordwind") == []


@pytest.mark.parametrize("text, expected", [
    ("archer", ["Ann Archer"]),            # name
    ("acme", ["Ann Archer", "Dee Dorn"]),   # company
    ("mueller.de", ["Bob Baker"]),          # e-mail
    ("celik", ["Cem Çelik"]),               # accents folded
    ("ER", ["Ann Archer", "Bob Baker"]),    # two letters, any case
    ("nobody", []),
])
def test_list_contact_rows_text_filter_matches_name_company_and_email(db, book, text, expected):
    assert _names(_all(lists.list_contact_rows, db=db, text=text)) == expected


def test_list_contact_rows_text_filter_follows_edits(db, book):
    detail = contacts.get_contact(db, book["cem"])
    contacts.update_contact(db, book["cem"], expected_version=detail.version, family_name="Yildiz")
    assert _names(_all(lists.list_contact_rows, db=db, text="yildiz")) == ["Cem Yildiz"]
    assert _all(lists.list_contact_rows, db=db, text="celik") == []


def test_list_contact_rows_shows_score_stage_and_owner(db, book):
    bob = _all(lists.list_contact_rows, db=db, text="baker")[0]
    assert (bob.score, bob.fit_score, bob.interest_score) == (70, 40, 30)
    assert bob.lifecycle_stage == LifecycleStage.CUSTOMER
    assert bob.owner_name == "Zoe Rep" and bob.owner_id == book["rep"]
    assert (bob.account_name, bob.email) == ("Müller Logistik AG", "bob@mueller.de")


@pytest.mark.parametrize("sort, descending, expected", [
    ("name", False, ["Ann Archer", "Bob Baker", "Cem Çelik", "Dee Dorn"]),
    ("name", True, ["Dee Dorn", "Cem Çelik", "Bob Baker", "Ann Archer"]),
    ("score", True, ["Bob Baker", "Dee Dorn", "Ann Archer", "Cem Çelik"]),
    ("score", False, ["Cem Çelik", "Ann Archer", "Dee Dorn", "Bob Baker"]),
    # the lifecycle's order, not the alphabet: lead, mql, sql, customer
    ("stage", False, ["Cem Çelik", "Ann Archer", "Dee Dorn", "Bob Baker"]),
    # no owner sorts first; ties by name
    ("owner", False, ["Ann Archer", "Cem Çelik", "Dee Dorn", "Bob Baker"]),
    ("owner", True, ["Bob Baker", "Ann Archer", "Cem Çelik", "Dee Dorn"]),
    ("company", False, ["Cem Çelik", "Ann Archer", "Dee Dorn", "Bob Baker"]),
    # hot (70) first, then the cold ones by name (defaults: hot 60, warm 30)
    ("temperature", True, ["Bob Baker", "Ann Archer", "Cem Çelik", "Dee Dorn"]),
    ("temperature", False, ["Ann Archer", "Cem Çelik", "Dee Dorn", "Bob Baker"]),
    # no persona sorts first
    ("persona", False, ["Ann Archer", "Bob Baker", "Cem Çelik", "Dee Dorn"]),
])
def test_list_contact_rows_sorts_by_each_column_across_pages(db, book, sort, descending, expected):
    assert _names(_all(lists.list_contact_rows, db=db, sort=sort, descending=descending)) == expected


def test_list_contact_rows_show_temperature_by_the_teams_thresholds_and_the_persona(db, book):
    rows = {r.display_name: r for r in _all(lists.list_contact_rows, db=db)}
    assert {n: r.temperature for n, r in rows.items()} == {
        "Ann Archer": "cold", "Bob Baker": "hot", "Cem Çelik": "cold", "Dee Dorn": "cold"}
    assert {r.persona_name for r in rows.values()} == {None}
    team_settings.set_setting(db, "score_hot", 70)
    team_settings.set_setting(db, "score_warm", 15)
    ops = personas.create_persona(db, name="Ops lead")
    fin = personas.create_persona(db, name="finance chief")
    personas.set_contact_persona(db, book["dee"], ops.id)
    personas.set_contact_persona(db, book["cem"], fin.id)
    rows = {r.display_name: r for r in _all(lists.list_contact_rows, db=db)}
    assert {n: r.temperature for n, r in rows.items()} == {
        "Ann Archer": "warm", "Bob Baker": "hot", "Cem Çelik": "cold", "Dee Dorn": "warm"}
    assert rows["Dee Dorn"].persona_name == "Ops lead" and rows["Ann Archer"].persona_name is None
    by_persona = _names(_all(lists.list_contact_rows, db=db, sort="persona", descending=True))
    assert by_persona == ["Dee Dorn", "Cem Çelik", "Ann Archer", "Bob Baker"]  # case-insensitive: Ops > finance
    by_temperature = _names(_all(lists.list_contact_rows, db=db, sort="temperature", descending=True))
    assert by_temperature == ["Bob Baker", "Ann Archer", "Dee Dorn", "Cem Çelik"]
    personas.delete_persona(db, ops.id)
    assert _all(lists.list_contact_rows, db=db, text="dorn")[0].persona_name is None


def test_list_contact_rows_combines_text_stage_and_owner(db, book):
    assert _names(_all(lists.list_contact_rows, db=db, text="acme", stage="sql")) == ["Dee Dorn"]
    assert _names(_all(lists.list_contact_rows, db=db, owner_id=book["rep"], text="b")) == ["Bob Baker"]
    assert _all(lists.list_contact_rows, db=db, owner_id=book["rep"], text="acme") == []


def test_list_contact_rows_refuses_an_unknown_sort_or_stage(db, book):
    with pytest.raises(ValidationError, match="cannot be sorted by 'shoe size'"):
        lists.list_contact_rows(db, sort="shoe size")
    with pytest.raises(ValidationError, match="'golden' is not a lifecycle stage"):
        lists.list_contact_rows(db, stage="golden")


@pytest.mark.parametrize("typed", ["pl\x00c", "plc\ud800", "\x00"])
def test_list_filters_drop_what_no_text_can_hold(db, book, typed):
    """A NUL or a lone surrogate pasted into a filter (PostgreSQL refuses both in a query)
    is dropped, as in search: the rest of the text still filters."""
    accounts_found = [r.name for r in _all(lists.list_account_rows, db=db, name=typed)]
    contacts_found = _names(_all(lists.list_contact_rows, db=db, text=typed))
    if typed.strip("\x00\ud800"):
        assert accounts_found == ["Acme plc", "Plcorp Ltd"]
        assert set(contacts_found) == {"Ann Archer", "Dee Dorn"}
    else:  # nothing left: no filter
        assert len(accounts_found) == 4 and len(contacts_found) == 4
