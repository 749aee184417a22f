"""The lead view in the contact panel, driven as a rep would: select a contact in the
Contacts page and read its score, temperature, reasons, persona, HPIs, BANT and owner
(both engines). The list's Temperature and Persona columns."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from leaddesk.services.marketing import campaigns
from leaddesk.services.people import accounts, contacts
from leaddesk.services.qualification import bant, definitions, indicators, personas, scoring
from leaddesk.services.records import Changes
from leaddesk.services.team import setup, users
from leaddesk.ui.jobs import run_write
from leaddesk.ui.people._contact_columns import PERSONA_COLUMN, TEMPERATURE_COLUMN
from leaddesk.ui.people.contacts_page import ContactsPage
from leaddesk.ui.qualification.lead_panel import ago_text

NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture
def db(empty_db):
    """Seeded like ``leaddesk init`` but without the default scoring rules: these tests write their own."""
    setup.initialize(empty_db, admin_name="Ada Admin", admin_email="ada@example.com", scoring_rules=False)
    return empty_db


def plain(text: str) -> str:
    return text.translate({0x2066: None, 0x2067: None, 0x2068: None, 0x2069: None})


@pytest.fixture
def lead(db):
    scoring.create_rule(db, name="Decision-maker", criterion="seniority_in", points=20,
                        params={"values": ["director", "vp"]})
    scoring.create_rule(db, name="Target industry", criterion="industry_in", points=15,
                        params={"values": ["logistics"]})
    scoring.create_rule(db, name="Pricing page", criterion="engagement", points=15,
                        params={"kind": "pricing_page_visit", "within_days": 30})
    scoring.create_rule(db, name="Careers page", criterion="engagement", points=-10,
                        params={"kind": "careers_page_visit"})
    rep = users.create_user(db, "Zoe Rep", "zoe@example.com")
    acme = accounts.create_account(db, name="Acme Logistics", industry="Logistics")
    ops = personas.create_persona(db, name="Operations lead", job_titles=["Head of Operations"],
                                  talking_points="Fewer stock-outs, faster picking")
    indicators.create_indicator(db, name="Logistics firm", criterion="industry_in", params={"values": ["logistics"]})
    indicators.create_indicator(db, name="Runs 3+ warehouses", criterion="employees_between", params={"min": 500})
    indicators.create_indicator(db, name="Competitor contract ends")
    definitions.update_definition(db, "lead", expected_version=None, name="Lead",
                                  definition="A person whose name is in our database",
                                  entry_criteria="Gave a business card or filled a form")
    c = contacts.create_contact(db, given_name="Deniz", family_name="Kaya", job_title="Head of Operations",
                                seniority="director", account_id=acme.id, owner_id=rep.id)
    contacts.create_contact(db, given_name="Bare", family_name="Contact", owner_id=None)
    campaigns.record_engagement(db, c.id, "pricing_page_visit", NOW - dt.timedelta(days=2, hours=1))
    campaigns.record_engagement(db, c.id, "careers_page_visit", NOW - dt.timedelta(days=5, hours=1))
    scoring.score_contact(db, c.id)
    personas.set_contact_persona(db, c.id, ops.id)
    return c


@pytest.fixture
def page(qtbot, db, lead):
    widget = ContactsPage(db)
    qtbot.addWidget(widget)
    widget.resize(1366, 760)
    widget.show()
    qtbot.waitExposed(widget)
    widget.load()
    return widget


def select(qtbot, page, name: str) -> None:
    row = [page.model.index(r, 0).data() for r in range(page.model.rowCount())].index(name)
    rect = page.table.visualRect(page.model.index(row, 0))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_selecting_a_contact_shows_its_lead_view(qtbot, page, lead):
    select(qtbot, page, "Deniz Kaya")
    panel = page.detail.lead
    qtbot.waitUntil(lambda: panel.view is not None and panel.isVisible())
    assert panel.temperature.text() == "Warm"
    assert panel.score.text() == "40 points · fit 35 · interest 5"
    assert panel.quadrant.text().startswith("High fit, low interest → Nurture")
    assert panel.reasons.text().split("\n") == [
        "+20 Decision-maker", "+15 Target industry", "+15 Pricing page, 2 days ago", "−10 Careers page, 5 days ago"]  # a minus sign, the name's hyphen kept
    assert panel.persona.text().startswith("Operations lead (100 % match)\njob title 'Head of Operations' matches")
    assert panel.talking_points.text() == "Fewer stock-outs, faster picking"
    assert panel.indicators.text() == ("1 of 2 met\n✓ Logistics firm\n✗ Runs 3+ warehouses\n"
                                       "– Competitor contract ends (not checkable)")
    assert panel.stale.isHidden()  # the stored score is the live one
    assert panel.bant.text() == "Not qualified yet"
    assert plain(panel.owner.text()).startswith("Zoe Rep, assigned ")
    assert "A person whose name is in our database" in panel.stage.toolTip()
    assert "Entry criteria: Gave a business card or filled a form" in panel.stage.toolTip()
    box = panel.show_definition()
    assert box.text() == "A person whose name is in our database"
    box.close()


def test_the_lead_view_follows_a_new_bant_and_another_contact(qtbot, page, lead, db):
    select(qtbot, page, "Deniz Kaya")
    panel = page.detail.lead
    qtbot.waitUntil(lambda: panel.view is not None)
    with qtbot.waitSignal(panel.loaded, timeout=5000):
        run_write(page, lambda: (bant.record_bant(db, lead.id, budget_amount="0", budget_currency="EUR"),
                                 Changes.of("bant", lead.id))[1]).run()
    assert panel.bant.text().startswith("Negative: no budget (")
    with qtbot.waitSignal(panel.loaded, timeout=5000):
        select(qtbot, page, "Bare Contact")
    assert panel.temperature.text() == "Cold"
    assert panel.score.text() == "0 points · fit 0 · interest 0"
    assert panel.reasons.text() == "No scoring rule gives or takes points yet."
    assert panel.persona.text() == "No persona matches yet."
    assert not panel._form.isRowVisible(panel.talking_points)
    assert panel.bant.text() == "Not qualified yet"
    assert panel.owner.text() == "Unassigned"


def test_contact_list_shows_temperature_and_persona(qtbot, page, lead):
    rows = {page.model.index(r, 0).data(): r for r in range(page.model.rowCount())}
    assert page.model.index(rows["Deniz Kaya"], TEMPERATURE_COLUMN).data() == "Warm"
    assert page.model.index(rows["Deniz Kaya"], PERSONA_COLUMN).data() == "Operations lead"
    assert page.model.index(rows["Bare Contact"], TEMPERATURE_COLUMN).data() == "Cold"
    assert page.model.index(rows["Bare Contact"], PERSONA_COLUMN).data() == ""
    with qtbot.waitSignal(page.model.modelReset, timeout=5000, raising=False):
        page.table.sortByColumn(TEMPERATURE_COLUMN, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: page.model.index(0, 0).data() == "Deniz Kaya")
    page.table.sortByColumn(PERSONA_COLUMN, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: page.model.index(0, 0).data() == "Bare Contact")


def test_ago_text_counts_whole_days():
    assert ago_text(NOW - dt.timedelta(hours=3), NOW) == "today"
    assert ago_text(NOW - dt.timedelta(days=1, hours=1), NOW) == "yesterday"
    assert ago_text(NOW - dt.timedelta(days=12), NOW) == "12 days ago"


def test_a_stored_score_behind_the_rules_is_said(qtbot, db, lead):
    scoring.create_rule(db, name="Everyone in Acme", criterion="industry_in", points=5,
                        params={"values": ["logistics"]})
    page = ContactsPage(db)
    qtbot.addWidget(page)
    page.show()
    page.load()
    select(qtbot, page, "Deniz Kaya")
    panel = page.detail.lead
    qtbot.waitUntil(lambda: panel.view is not None)
    assert panel.score.text() == "45 points · fit 40 · interest 5"
    assert not panel.stale.isHidden()
    assert panel.stale.text().startswith("The list shows 40, stored before the current rules")
