"""The BANT form driven by keyboard as a rep does during a call (both engines): Ctrl+B in
the contact detail opens it, one key per part sets its status, Tab walks the details top
down, the banner shows the outcome live, Ctrl+Enter saves and the contact moves (to SQL,
or to nurture with the reason); after a positive BANT the opportunity is created from
the form; the board's card menu opens it for an opportunity."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from leaddesk.models.enums import BantResult, LifecycleStage
from leaddesk.services.people import accounts, contacts
from leaddesk.services.pipeline import opportunities
from leaddesk.services.qualification import bant
from leaddesk.ui.people.contact_detail import ContactDetail
from leaddesk.ui.qualification.bant_form import BantForm

TODAY = dt.datetime.now(dt.timezone.utc).date()
IN_90 = (TODAY + dt.timedelta(days=90)).isoformat()


@pytest.fixture
def acme(db):
    return accounts.create_account(db, name="Acme Logistics")


@pytest.fixture
def lead(db, acme):
    return contacts.create_contact(db, given_name="Deniz", family_name="Kaya", account_id=acme.id,
                                   lifecycle_stage=LifecycleStage.MQL)


@pytest.fixture
def detail(qtbot, db, lead):
    widget = ContactDetail(db)
    qtbot.addWidget(widget)
    widget.resize(460, 900)
    widget.show()
    qtbot.waitExposed(widget)
    widget.show_contact(lead.id)
    qtbot.waitUntil(lambda: widget.contact is not None and widget.lead.view is not None)
    return widget


def open_by_ctrl_b(qtbot, detail) -> BantForm:
    detail.activateWindow()
    qtbot.waitUntil(detail.isActiveWindow)
    detail.name_label.setFocus()
    qtbot.keyClick(detail.name_label, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    form = detail.lead.findChild(BantForm)
    assert form is not None
    qtbot.waitUntil(lambda: form.isVisible() and form.rows and form.isEnabled())
    form.activateWindow()
    qtbot.waitUntil(lambda: form.rows["budget"].hasFocus())
    return form


def key(qtbot, k, text: str | None = None) -> None:
    widget = QApplication.focusWidget()
    if text is not None:
        assert isinstance(widget, QLineEdit), widget
        qtbot.keyClicks(widget, text)
    else:
        qtbot.keyClick(widget, k)


def tab(qtbot, times: int = 1) -> None:
    for _ in range(times):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)


def test_a_complete_bant_by_keyboard_shows_live_and_moves_the_lead_to_sql(qtbot, db, detail, lead):
    form = open_by_ctrl_b(qtbot, detail)
    assert form.banner.text() == f"Incomplete: budget unknown, authority unknown, need unknown, timing unknown — " \
                                 f"nurture until {IN_90}"
    assert form.rows["budget"].hint.text() == "Y yes · P partial · N no · U unknown"
    key(qtbot, Qt.Key.Key_Y)                      # budget: yes
    assert form.banner.text().startswith("Incomplete: authority unknown, need unknown, timing unknown")
    tab(qtbot)
    key(qtbot, None, "48000")                     # amount
    tab(qtbot, 2)                                 # currency (the team's, EUR) -> source
    key(qtbot, None, "CFO on the call")
    tab(qtbot, 2)                                 # budget note -> authority row
    assert form.rows["authority"].hasFocus()
    key(qtbot, Qt.Key.Key_P)
    assert form.banner.text().startswith("Incomplete: authority partial, need unknown")
    key(qtbot, Qt.Key.Key_1)                      # 1 = yes as well
    tab(qtbot)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Down)  # "Deniz Kaya decides"
    tab(qtbot, 3)                                 # decision maker -> role -> note -> need row (hidden person skipped)
    assert form.rows["need"].hasFocus(), QApplication.focusWidget()
    key(qtbot, Qt.Key.Key_Y)
    tab(qtbot)
    key(qtbot, None, "Our pickers walk 12 km a shift")
    tab(qtbot)
    key(qtbot, None, "Route optimiser")
    tab(qtbot, 3)                                 # no-need box -> note -> timing row
    assert form.rows["timing"].hasFocus()
    assert form.banner.text() == f"Incomplete: timing unknown — nurture until {IN_90}"
    form.grab().save("/tmp/h/bant-form-filling.png")
    key(qtbot, Qt.Key.Key_Y)
    assert form.banner.text() == "Complete: propose SQL"
    tab(qtbot)
    key(qtbot, None, "Q2 2031")
    tab(qtbot)
    key(qtbot, None, "Contract with the old vendor ends")
    with qtbot.waitSignal(form.saved, timeout=5000) as saved:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert saved.args[0].bant.result is BantResult.POSITIVE
    assert form.banner.text() == "Saved: Deniz Kaya is sales-qualified (SQL). BANT positive"
    qtbot.waitUntil(lambda: detail.contact.lifecycle_stage is LifecycleStage.SQL)
    assert detail.stage_badge.text() == "SQL"
    qtbot.waitUntil(lambda: detail.lead.bant_parts.text() == ("B yes · A yes · N yes · T yes"))
    got = bant.get_latest_bant(db, lead.id)
    assert (got.budget_source, got.need_offer, got.timing, got.timing_driver) == (
        "CFO on the call", "Route optimiser", "Q2 2031", "Contract with the old vendor ends")
    # the offer to make the opportunity, taken from the form
    assert form.create_button.isVisible() and form.create_button.text() == \
        "Create the opportunity on Acme Logistics"
    with qtbot.waitSignal(form.opportunity_created, timeout=5000) as made:
        qtbot.mouseClick(form.create_button, Qt.MouseButton.LeftButton)
    opp = opportunities.get_opportunity(db, made.args[0].id)
    assert (opp.name, opp.expected_close_date, opp.primary_contact_id) == (
        "Acme Logistics – Route optimiser", dt.date(2031, 6, 30), lead.id)
    assert form.created.text().startswith("Opportunity created: “Acme Logistics – Route optimiser”")
    form.grab().save("/tmp/h/bant-form-saved.png")


def test_an_incomplete_bant_sends_the_lead_to_nurture_with_the_reason(qtbot, db, detail, lead):
    form = open_by_ctrl_b(qtbot, detail)
    for status in (Qt.Key.Key_Y, Qt.Key.Key_P, Qt.Key.Key_Y, Qt.Key.Key_U):
        key(qtbot, status)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        while not isinstance(QApplication.focusWidget(), type(form.rows["budget"])) and \
                QApplication.focusWidget() is not form.requalify:
            tab(qtbot)
    form.requalify.setDate(form.requalify.date().addDays(-60))
    until = (TODAY + dt.timedelta(days=30)).isoformat()
    assert form.banner.text() == f"Incomplete: authority partial, timing unknown — nurture until {until}"
    form.grab().save("/tmp/h/bant-form.png")
    with qtbot.waitSignal(form.saved, timeout=5000):
        qtbot.keyClick(form.requalify, Qt.Key.Key_Enter, Qt.KeyboardModifier.ControlModifier)
    reason = f"BANT incomplete: authority partial, timing unknown; re-qualify on {until}"
    qtbot.waitUntil(lambda: detail.contact.lifecycle_stage is LifecycleStage.NURTURE)
    assert detail.stage_reason.text() == f"Reason: {reason}"
    assert contacts.lifecycle_history(db, lead.id)[-1].reason == reason
    qtbot.waitUntil(lambda: detail.lead.bant_parts.text() == (
        f"B yes · A partial · N yes · T unknown · re-qualify on {until}"))
    qtbot.wait(50)
    detail.grab().save("/tmp/h/lead-panel-bant.png")
    assert not form.create_button.isVisible()


def test_a_refused_value_keeps_the_form_open_and_points_at_the_field(qtbot, db, detail, lead):
    form = open_by_ctrl_b(qtbot, detail)
    form.amount.setText("48000")
    form.currency.setCurrentText("")
    form.save()
    assert form.error.isVisible() and "currency" in form.error.text()
    assert form.currency.hasFocus() and form.outcome is None
    assert bant.get_latest_bant(db, lead.id) is None


def test_the_board_card_menu_qualifies_its_opportunity(qtbot, db, lead, acme):
    from PySide6.QtGui import QUndoStack

    from leaddesk.ui.pipeline.pipeline_page import PipelinePage

    opp = opportunities.create_opportunity(db, acme.id, "Upsell", amount=1000, primary_contact_id=lead.id)
    page = PipelinePage(db, QUndoStack())
    qtbot.addWidget(page)
    page.show()
    page.load()
    qtbot.waitUntil(lambda: page.view.model.card(opp.id) is not None)
    menu = page.view.context_menu(page.view.model.card(opp.id))
    action = next(a for a in menu.actions() if a.text() == "&Qualify (BANT)…")
    action.trigger()
    form = page.view.bant_form
    qtbot.waitUntil(lambda: bool(form.rows))
    assert form.heading.text() == "BANT of Deniz Kaya (Acme Logistics) for the opportunity “Upsell”"
    for row in form.rows.values():
        row.set_status("yes")
    with qtbot.waitSignal(form.saved, timeout=5000):
        form.save()
    assert bant.get_latest_bant(db, lead.id, opportunity_id=opp.id).result is BantResult.POSITIVE
    assert not form.create_button.isVisible()  # it is already an opportunity's BANT


def test_a_new_decision_maker_typed_in_the_form_joins_the_account(qtbot, db, detail, lead, acme):
    form = open_by_ctrl_b(qtbot, detail)
    assert not form.new_person.isVisible()
    form.who.setCurrentIndex(form.who.findData("new"))
    assert form.new_person.isVisible() and form.rows["authority"].status().value == "yes"
    form.new_given.setText("Selin")
    form.new_family.setText("Aydin")
    form.new_title.setText("COO")
    form.role.setCurrentIndex(form.role.findText("Economic buyer"))
    with qtbot.waitSignal(form.saved, timeout=5000) as saved:
        form.save()
    boss = contacts.get_contact(db, saved.args[0].decision_maker_id)
    assert (boss.display_name, boss.job_title, boss.account_id) == ("Selin Aydin", "COO", acme.id)
    got = bant.get_latest_bant(db, lead.id)
    assert (got.decision_maker_id, got.decision_maker_role.value) == (boss.id, "economic_buyer")


def test_an_opportunity_without_a_primary_contact_says_so(qtbot, db, acme, no_dialogs):
    from PySide6.QtGui import QUndoStack

    from leaddesk.errors import ValidationError
    from leaddesk.ui.pipeline.pipeline_page import PipelinePage

    opp = opportunities.create_opportunity(db, acme.id, "Nobody's deal", amount=10)
    page = PipelinePage(db, QUndoStack())
    qtbot.addWidget(page)
    page.view.qualify(opp.id)
    assert [type(e) for e in no_dialogs] == [ValidationError]
    assert "“Nobody's deal” has no primary contact" in str(no_dialogs[0])
    assert page.view.findChild(BantForm) is None


def test_negative_shows_live_and_the_next_bant_starts_from_the_last(qtbot, db, detail, lead):
    form = open_by_ctrl_b(qtbot, detail)
    tab(qtbot, 5)                                 # budget's fields and note -> authority row
    tab(qtbot, 4)                                 # decision maker, role, note -> need row
    assert form.rows["need"].hasFocus()
    key(qtbot, Qt.Key.Key_3)                      # 3 = no
    assert form.banner.text() == f"Negative: no need — nurture until {IN_90}"
    key(qtbot, Qt.Key.Key_U)
    form.no_need.setChecked(True)                 # the explicit box says the same
    assert form.rows["need"].status().value == "no"
    assert form.banner.text().startswith("Negative: no need")
    form.need.setText("They just renewed with a competitor")
    with qtbot.waitSignal(form.saved, timeout=5000):
        form.save()
    qtbot.waitUntil(lambda: detail.contact.lifecycle_stage is LifecycleStage.NURTURE)
    form.close()
    qtbot.waitUntil(lambda: detail.lead.findChild(BantForm) is None)  # closed forms are deleted
    again = open_by_ctrl_b(qtbot, detail)
    assert again.rows["need"].status().value == "no" and again.no_need.isChecked()
    assert again.need.text() == "They just renewed with a competitor"
    assert again.banner.text() == f"Negative: no need — nurture until {IN_90}"


def test_the_form_keeps_a_partial_authority_with_its_named_decision_maker(qtbot, db, detail, lead, acme):
    boss = contacts.create_contact(db, given_name="Selin", family_name="Aydin", job_title="COO", account_id=acme.id)
    bant.record_bant(db, lead.id, authority_status="partial", decision_maker_id=boss.id, budget_status="yes",
                     budget_amount="900", budget_currency="EUR", decision_maker_role="champion")
    form = open_by_ctrl_b(qtbot, detail)
    assert (form.who.currentText(), form.role.currentText()) == ("Selin Aydin — COO", "Champion")
    assert form.rows["authority"].status().value == "partial"  # naming someone did not turn it into 'yes'
    assert form.banner.text().startswith("Incomplete: authority partial, need unknown, timing unknown")


def test_escape_on_a_filled_in_bant_asks_before_discarding(qtbot, db, detail, lead, monkeypatch):
    from leaddesk.ui.widgets.form_guard import DiscardGuard

    asked = []
    monkeypatch.setattr(DiscardGuard, "ask", lambda self: asked.append(self.what) or False)  # "Keep editing"
    form = open_by_ctrl_b(qtbot, detail)
    qtbot.keyClick(form.rows["budget"], Qt.Key.Key_Escape)  # nothing typed yet: closes at once
    assert asked == [] and not form.isVisible()
    qtbot.waitUntil(lambda: detail.lead.findChild(BantForm) is None)
    form = open_by_ctrl_b(qtbot, detail)
    key(qtbot, Qt.Key.Key_Y)
    qtbot.keyClick(form.rows["budget"], Qt.Key.Key_Escape)
    assert asked == ["this BANT"] and form.isVisible()
