"""Search text is cleaned, never an error (issue #9, points 4 and 7): a NUL, a lone
surrogate or a control character pasted into the search box finds what the rest of the
query finds, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from leaddesk.services.people import contacts, search


@pytest.mark.parametrize("query", ["Zeyn\x00ep", "Zeyn\ud800ep", "\x1bZeynep", "Zeynep\x7f"],
                         ids=["nul", "surrogate", "escape", "delete"])
def test_a_search_with_a_bad_character_finds_what_the_rest_finds(db, query):
    made = contacts.create_contact(db, given_name="Zeynep", family_name="Kaya")
    hits = search.search(db, query)
    assert [h.id for h in hits] == [made.id]


def test_a_search_of_nothing_but_bad_characters_finds_nothing(db):
    contacts.create_contact(db, given_name="Zeynep", family_name="Kaya")
    assert search.search(db, "\x00\ud800\x1b") == []


def test_clean_query_keeps_tabs_and_text():
    assert search.clean_query("a\tb\x00c\ud800") == "a\tbc"
