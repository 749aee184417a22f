"""Duplicate rules the mutation probe found unpinned (scripts/mutation_probe.py, area
"duplicates"). Both engines (the ``db`` fixture)."""

from __future__ import annotations

from leaddesk.services.people import accounts, contacts, duplicates


def _person(db, given, family, *, account):
    return contacts.create_contact(db, given_name=given, family_name=family, account_id=account,
                                   allow_duplicate=True, region="DE")


def test_probe_a_branch_name_that_only_adds_a_word_is_the_same_company(db):
    """"Müller Transporte Berlin" and "... Berlin Nord" are >= 90 similar, and the longer
    name only adds a word (no differing word on the other side): the same company, so two
    Katrin Vogels there are a pair."""
    main = accounts.create_account(db, name="Müller Transporte Berlin")
    branch = accounts.create_account(db, name="Müller Transporte Berlin Nord")
    a = _person(db, "Katrin", "Vogel", account=main.id)
    b = _person(db, "Katrin", "Vogel", account=branch.id)
    assert duplicates.detect(db) == 1
    [cand] = duplicates.list_candidates(db)
    assert {cand.a.id, cand.b.id} == {a.id, b.id}
    assert cand.reasons[0].startswith("Similar name at the same company")


def test_probe_a_different_word_is_still_another_company(db):
    """The other half of the same rule: a word on each side that differs is another company."""
    mavi = accounts.create_account(db, name="Mavi Tekstil İzmir")
    kara = accounts.create_account(db, name="Kara Tekstil İzmir")
    _person(db, "Ayşe", "Demir", account=mavi.id)
    _person(db, "Ayşe", "Demir", account=kara.id)
    assert duplicates.detect(db) == 0
