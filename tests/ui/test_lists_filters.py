"""The Contacts page's text filter and sortable score/stage/owner columns, and the Accounts
page's contains-match filter, driven as a user would (both engines, offscreen)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from leaddesk.models import Contact
from leaddesk.models.enums import LifecycleStage
from leaddesk.services.people import accounts, contacts
from leaddesk.services.team import users
from leaddesk.ui.people.accounts_page import AccountsPage
from leaddesk.ui.people._contact_columns import OWNER_COLUMN, SCORE_COLUMN, STAGE_COLUMN
from leaddesk.ui.people.contacts_page import ContactsPage

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def people(db):
    acme = accounts.create_account(db, name="Acme plc")
    other = accounts.create_account(db, name="Nordwind GmbH")
    zoe = users.create_user(db, name="Zoe Rep", email="zoe@example.com", role="rep")
    made = {
        "Ann Archer": (acme.id, ["ann@acme.co.uk"], None, (10, 5), "mql"),
        "Bob Baker": (other.id, ["bob@nordwind.de"], zoe.id, (40, 30), "customer"),
        "Cem Çelik": (None, ["cem@example.com.tr"], None, (0, 0), "lead"),
        "Dee Dorn": (acme.id, [], None, (20, 0), "sql"),
    }
    ids = {}
    for name, (account, emails, owner, _score, _stage) in made.items():
        given, family = name.split()
        ids[name] = contacts.create_contact(db, given_name=given, family_name=family, account_id=account,
                                            emails=emails, owner_id=owner).id
    with db.unit_of_work() as s:
        for name, (_a, _e, _o, (fit, interest), stage) in made.items():
            row = s.get(Contact, ids[name])
            row.fit_score, row.interest_score, row.lifecycle_stage = fit, interest, LifecycleStage(stage)
    return ids


@pytest.fixture
def page(qtbot, db, people):
    widget = ContactsPage(db)
    qtbot.addWidget(widget)
    widget.resize(1300, 600)
    widget.show()
    qtbot.waitExposed(widget)
    widget.load()
    return widget


def names_in(model) -> list[str]:
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def type_filter(qtbot, page, text: str) -> None:
    page.text_filter.clear()
    qtbot.keyClicks(page.text_filter, text)
    qtbot.waitUntil(lambda: not page._filter_timer.isActive() and not page.model.loading, timeout=3000)


def test_contacts_filter_matches_name_company_and_email_as_the_user_types(qtbot, page):
    type_filter(qtbot, page, "acme")
    assert names_in(page.model) == ["Ann Archer", "Dee Dorn"]          # company
    type_filter(qtbot, page, "nordwind.de")
    assert names_in(page.model) == ["Bob Baker"]                        # e-mail
    type_filter(qtbot, page, "CELIK")
    assert names_in(page.model) == ["Cem Çelik"]                        # name, case and accents folded
    type_filter(qtbot, page, "nobody at all")
    assert names_in(page.model) == []
    assert page.count_label.text() == "No contacts match these filters."
    page.text_filter.clear()
    qtbot.waitUntil(lambda: page.model.rowCount() == 4, timeout=3000)


def test_contacts_filter_combines_with_the_stage_filter_and_ctrl_f_focuses_it(qtbot, page):
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_F, CTRL)
    assert page.text_filter.hasFocus()
    type_filter(qtbot, page, "acme")
    page.stage_filter.setCurrentIndex(page.stage_filter.findData(LifecycleStage.SQL))
    assert names_in(page.model) == ["Dee Dorn"]


def test_contacts_page_shows_score_stage_and_owner_columns(qtbot, page):
    row = names_in(page.model).index("Bob Baker")
    assert page.model.index(row, SCORE_COLUMN).data() == "70"
    assert page.model.index(row, STAGE_COLUMN).data() == "Customer"
    assert page.model.index(row, OWNER_COLUMN).data() == "Zoe Rep"
    assert page.model.headerData(SCORE_COLUMN, Qt.Orientation.Horizontal) == "Score"
    assert page.model.headerData(OWNER_COLUMN, Qt.Orientation.Horizontal) == "Owner"
    assert page.model.index(row, SCORE_COLUMN).data(Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight


def click_header(qtbot, page, column: int) -> None:
    header = page.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=header.rect().center().__class__(x, 5))
    qtbot.waitUntil(lambda: not page.model.loading, timeout=3000)


def test_contacts_header_clicks_sort_in_the_database(qtbot, page):
    click_header(qtbot, page, SCORE_COLUMN)
    first = names_in(page.model)
    click_header(qtbot, page, SCORE_COLUMN)
    second = names_in(page.model)
    # One click sorts ascending, the next descending (whichever the header starts with).
    assert {tuple(first), tuple(second)} == {("Cem Çelik", "Ann Archer", "Dee Dorn", "Bob Baker"),
                                             ("Bob Baker", "Dee Dorn", "Ann Archer", "Cem Çelik")}
    assert first == list(reversed(second))
    click_header(qtbot, page, STAGE_COLUMN)
    stages = [page.model.index(r, STAGE_COLUMN).data() for r in range(4)]
    assert stages in (["Lead", "MQL", "SQL", "Customer"], ["Customer", "SQL", "MQL", "Lead"])
    click_header(qtbot, page, OWNER_COLUMN)
    owners = [page.model.index(r, OWNER_COLUMN).data() for r in range(4)]
    assert owners in (["", "", "", "Zoe Rep"], ["Zoe Rep", "", "", ""])


def test_contacts_header_click_on_an_unsortable_column_changes_nothing(qtbot, page):
    click_header(qtbot, page, SCORE_COLUMN)
    before = (names_in(page.model), page.model.sort_column, page.model.sort_order)
    click_header(qtbot, page, 1)  # job title: not sortable
    header = page.table.horizontalHeader()
    assert (names_in(page.model), page.model.sort_column, page.model.sort_order) == before
    assert header.sortIndicatorSection() == SCORE_COLUMN


def test_contacts_model_with_filter_and_sort_passes_the_model_tester(qtbot, qtmodeltester, page):
    page.model.sort(SCORE_COLUMN, Qt.SortOrder.DescendingOrder)
    type_filter(qtbot, page, "er")
    assert names_in(page.model) == ["Bob Baker", "Ann Archer"]
    qtmodeltester.check(page.model)


@pytest.mark.real_pools
def test_contacts_filter_runs_on_a_worker_thread(qtbot, db, people):
    widget = ContactsPage(db)
    qtbot.addWidget(widget)
    widget.show()
    widget.load()
    qtbot.waitUntil(lambda: widget.model.rowCount() == 4, timeout=5000)
    qtbot.keyClicks(widget.text_filter, "plc")
    qtbot.waitUntil(lambda: names_in(widget.model) == ["Ann Archer", "Dee Dorn"], timeout=5000)


# --- accounts -------------------------------------------------------------------------------

def test_accounts_filter_matches_anywhere_in_the_name(qtbot, qtmodeltester, db):
    for name in ("Acme plc", "Plcorp Ltd", "Müller AG", "Zeta GmbH"):
        accounts.create_account(db, name=name)
    page = AccountsPage(db)
    qtbot.addWidget(page)
    page.show()
    page.load()
    for typed, expected in (("plc", ["Acme plc", "Plcorp Ltd"]), ("MULLER", ["Müller AG"]), ("gm", ["Zeta GmbH"]),
                            ("", ["Acme plc", "Müller AG", "Plcorp Ltd", "Zeta GmbH"])):
        page.filter.clear()
        qtbot.keyClicks(page.filter, typed)
        qtbot.waitUntil(lambda: not page._debounce.isActive() and not page.model.loading, timeout=3000)
        assert names_in(page.model) == expected, typed
    assert page.filter.placeholderText() == "Filter by name"
    qtmodeltester.check(page.model)


def test_contacts_sort_is_remembered_with_the_column_widths(qtbot, db, page):
    page.table.sortByColumn(SCORE_COLUMN, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: not page.model.loading, timeout=3000)
    assert names_in(page.model)[0] == "Bob Baker"
    page.save_state()
    again = ContactsPage(db)
    qtbot.addWidget(again)
    assert again.model.sort_key() == ("score", True)
    again.load()
    assert names_in(again.model) == ["Bob Baker", "Dee Dorn", "Ann Archer", "Cem Çelik"]
