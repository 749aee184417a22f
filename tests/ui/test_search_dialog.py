"""Ctrl+K search as a user types: debounced, off the UI thread, newest answer wins."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from leaddesk.services.people import accounts, contacts
from leaddesk.ui.people.search_dialog import SearchDialog


@pytest.fixture
def dialog(qtbot, db):
    acme = accounts.create_account(db, name="Acme Lojistik")
    contacts.create_contact(db, given_name="Ayşe", family_name="Yılmaz", account_id=acme.id,
                            emails=["ayse@acme.example"])
    contacts.create_contact(db, given_name="Jörg", family_name="Müller", emails=["jm@example.de"])
    d = SearchDialog(db)
    qtbot.addWidget(d)
    return d


def test_search_dialog_types_and_opens_the_first_hit(qtbot, dialog, qtmodeltester):
    dialog.open_with()
    with qtbot.waitSignal(dialog.results_shown, timeout=2000):
        qtbot.keyClicks(dialog.edit, "mull")
    assert dialog.model.rowCount() == 1
    assert "Jörg Müller" in dialog.model.index(0, 0).data()
    qtmodeltester.check(dialog.model)
    with qtbot.waitSignal(dialog.hit_chosen, timeout=1000) as chosen:
        qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    assert chosen.args[0].entity == "contact" and chosen.args[0].title == "Jörg Müller"


def test_search_dialog_company_query_lists_account_then_contact(qtbot, dialog):
    dialog.open_with()
    with qtbot.waitSignal(dialog.results_shown, timeout=2000):
        qtbot.keyClicks(dialog.edit, "lojistik")
    entities = [dialog.model.hit(r).entity for r in range(dialog.model.rowCount())]
    assert entities == ["account", "contact"]
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Down)
    assert dialog.list.currentIndex().row() == 1


def test_search_dialog_drops_answers_to_older_queries(qtbot, dialog):
    dialog.edit.setText("mül")
    dialog.run_query()
    serial = dialog._serial
    dialog._show(serial - 1, [])  # a late answer to an older query arrives
    assert dialog.model.rowCount() == 1


def test_search_dialog_says_when_nothing_is_found(qtbot, dialog):
    with qtbot.waitSignal(dialog.results_shown, timeout=2000):
        qtbot.keyClicks(dialog.edit, "zzzz")
    assert dialog.model.rowCount() == 0
    assert dialog.status.text() == "Nothing found."


def test_search_dialog_shows_a_contacts_score_temperature_and_persona(qtbot, db, qtmodeltester):
    from leaddesk.models import Contact
    from leaddesk.services.qualification import personas
    from leaddesk.ui.itemmodels.roles import Roles

    acme = accounts.create_account(db, name="Acme Lojistik")
    ayse = contacts.create_contact(db, given_name="Ayşe", family_name="Yılmaz", account_id=acme.id)
    cem = contacts.create_contact(db, given_name="Cem", family_name="Lojistikçi")
    with db.unit_of_work() as s:
        s.get(Contact, ayse.id).fit_score, s.get(Contact, ayse.id).interest_score = 50, 20
    buyer = personas.create_persona(db, name="Logistics buyer")
    personas.set_contact_persona(db, ayse.id, buyer.id)
    d = SearchDialog(db)
    qtbot.addWidget(d)
    d.open_with()
    d.list.resize(600, 300)
    with qtbot.waitSignal(d.results_shown, timeout=2000):
        qtbot.keyClicks(d.edit, "lojistik")
    qtmodeltester.check(d.model)
    rows = {d.model.hit(r).id: d.model.index(r, 0) for r in range(d.model.rowCount())}
    assert set(rows) == {acme.id, ayse.id, cem.id}
    assert "70  ·  Hot  ·  Logistics buyer" in rows[ayse.id].data()
    assert "70  ·  Hot  ·  Logistics buyer" in rows[ayse.id].data(Qt.ItemDataRole.ToolTipRole)
    assert rows[cem.id].data().endswith("0  ·  Cold")  # no persona
    assert "Hot" not in rows[acme.id].data() and "Cold" not in rows[acme.id].data()  # an account: none
    assert rows[ayse.id].data(Roles.ROW).persona_name == "Logistics buyer"
    d.list.grab()  # the delegate paints the pill and the persona without error
