"""Issue #14 point 1 in the app: the events dialog. A manager creates an event through the
editor, edits it (and meets someone else's change as a conflict with Reload), deletes and
restores it; the list shows leads and cost per lead and filters; "Use as current event"
makes it the event captures are tagged with; a rep's dialog lists events and picks the
current one, with every editing button disabled and saying who may edit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtTest import QAbstractItemModelTester

from leaddesk.models import access
from leaddesk.models.enums import CampaignKind
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import contacts
from leaddesk.services.team import users
from leaddesk.ui.marketing._campaign_model import COST, CPL, LEADS, NAME
from leaddesk.ui.marketing.current_event import current_event_id
from leaddesk.ui.marketing.event_editor import EventEditorDialog
from leaddesk.ui.marketing.events import EventsDialog

TODAY = dt.date(2026, 3, 1)


def _signed_in(make_db, db, role: str):
    person = users.create_user(db, f"{role.title()} Person", f"{role}@example.com", role=role)
    other = make_db(actor_id=person.id)
    with other.reader() as s:
        other.write.subject = access.load_subject(s, person.id)
    return other


def _dialog(qtbot, db) -> EventsDialog:
    dialog = EventsDialog(db, today=TODAY)
    qtbot.addWidget(dialog)
    return dialog


def _shown(dialog) -> list[list[str]]:
    p = dialog.proxy
    return [[p.index(r, c).data() for c in range(p.columnCount())] for r in range(p.rowCount())]


def _editor(dialog) -> EventEditorDialog:
    editors = [w for w in dialog.findChildren(EventEditorDialog) if w.isVisible()]
    assert len(editors) == 1
    return editors[0]


@pytest.fixture
def manager_db(make_db, db):
    return _signed_in(make_db, db, "manager")


def test_a_manager_creates_an_event_through_the_editor(qtbot, manager_db, qtmodeltester):
    dialog = _dialog(qtbot, manager_db)
    tester = QAbstractItemModelTester(dialog.model, QAbstractItemModelTester.FailureReportingMode.Warning)
    assert dialog.new_button.isEnabled() and dialog.read_only_note.isHidden()
    dialog.new_button.click()
    editor = _editor(dialog)
    editor.name.setText("LogiMAT 2026")
    editor.kind.setCurrentIndex(editor.kind.findData(CampaignKind.TRADE_SHOW))
    editor.starts_on.set_value(dt.date(2026, 3, 10))
    editor.ends_on.set_value(dt.date(2026, 3, 12))
    editor.location.setText("Stuttgart")
    editor.cost.setText("12,500.50")
    editor.currency.setCurrentText("eur")
    editor.buttons.button(editor.buttons.StandardButton.Save).click()
    assert not editor.isVisible()
    [stored] = campaigns.list_campaigns(manager_db)
    assert (stored.name, stored.kind, stored.starts_on, stored.ends_on, stored.location, stored.cost,
            stored.currency) == ("LogiMAT 2026", CampaignKind.TRADE_SHOW, dt.date(2026, 3, 10),
                                 dt.date(2026, 3, 12), "Stuttgart", Decimal("12500.50"), "EUR")
    assert dialog.current_campaign_id() == stored.id  # the new event is selected
    assert _shown(dialog) == [["LogiMAT 2026", "Trade show", "10–12 Mar", "Stuttgart", "€12,500.50", "0", "0", ""]]
    qtmodeltester.check(dialog.model)
    del tester


def test_the_editor_shows_a_refused_value_on_its_field_and_saves_nothing(qtbot, manager_db):
    dialog = _dialog(qtbot, manager_db)
    editor = dialog.new_event()
    editor.name.setText("Fair")
    editor.starts_on.set_value(dt.date(2026, 3, 10))
    editor.ends_on.set_value(dt.date(2026, 3, 8))
    editor.save()
    assert editor.isVisible() and editor.errors.invalid_field == "ends_on"
    assert "before it starts" in editor.errors.label.text()
    assert editor.ends_on.edit.property("invalid") is True
    editor.ends_on.edit.setDate(QDate(2026, 3, 12))  # fixing the field clears its error
    assert not editor.errors.is_shown()
    editor.cost.setText("-5")
    editor.save()
    assert editor.errors.invalid_field == "cost" and campaigns.list_campaigns(manager_db) == []


def test_editing_an_event_and_someone_elses_change_meanwhile(qtbot, manager_db, db):
    fair = campaigns.create_campaign(manager_db, name="LogiMAT", kind="trade_show", cost="3000", currency="EUR")
    for i in range(3):
        contacts.create_contact(manager_db, given_name=f"Lead{i}", family_name="X", campaign_id=fair.id)
    dialog = _dialog(qtbot, manager_db)
    assert _shown(dialog)[0][LEADS] == "3" and _shown(dialog)[0][CPL] == "€1,000"
    assert dialog.select_campaign(fair.id)
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)  # Enter on a row: a manager edits it
    editor = _editor(dialog)
    assert editor.name.text() == "LogiMAT" and editor.cost.text() == "3,000.00"
    editor.name.setText("LogiMAT 2026")
    editor.save()
    assert campaigns.get_campaign(db, fair.id).name == "LogiMAT 2026"
    assert _shown(dialog)[0][NAME] == "LogiMAT 2026"

    editor = dialog.edit_event()  # opened on version 2 ...
    campaigns.update_campaign(db, fair.id, expected_version=None, location="Stuttgart")  # ... someone saves v3
    editor.cost.setText("4000")
    editor.save()
    assert editor.isVisible() and editor.errors.is_shown()
    assert "changed by someone else" in editor.errors.label.text()
    assert editor.errors.reload_button.isVisibleTo(editor)
    assert campaigns.get_campaign(db, fair.id).cost == Decimal("3000.00")  # nothing written
    editor.errors.reload_button.click()
    assert editor.location.text() == "Stuttgart" and editor.cost.text() == "3,000.00"
    editor.cost.setText("4000")
    editor.save()
    assert not editor.isVisible()
    stored = campaigns.get_campaign(db, fair.id)
    assert (stored.cost, stored.location) == (Decimal("4000.00"), "Stuttgart")
    assert _shown(dialog)[0][CPL] == "€1,333.33"


def test_delete_restore_and_the_filter(qtbot, manager_db, monkeypatch):
    fair = campaigns.create_campaign(manager_db, name="LogiMAT", kind="trade_show", location="Stuttgart",
                                     starts_on="2026-03-10")
    campaigns.create_campaign(manager_db, name="Spring webinar", kind="webinar", starts_on="2026-04-02",
                              notes="Recorded for the Stuttgart partners")
    campaigns.create_campaign(manager_db, name="Evergreen SEO", kind="seo")
    dialog = _dialog(qtbot, manager_db)
    assert [r[0] for r in _shown(dialog)] == ["Spring webinar", "LogiMAT", "Evergreen SEO"]  # upcoming first
    dialog.filter.setText("stuttgart")  # place of one, notes of another
    assert [r[0] for r in _shown(dialog)] == ["Spring webinar", "LogiMAT"]
    dialog.filter.setText("webinar stuttgart")
    assert [r[0] for r in _shown(dialog)] == ["Spring webinar"]
    dialog.filter.clear()

    dialog.select_campaign(fair.id)
    dialog.use_as_current()
    monkeypatch.setattr(dialog, "ask_delete", lambda name: False)
    dialog.delete_button.click()
    assert len(campaigns.list_campaigns(manager_db)) == 3  # not confirmed: kept
    monkeypatch.setattr(dialog, "ask_delete", lambda name: name == "LogiMAT")
    dialog.delete_button.click()
    assert [c.name for c in campaigns.list_campaigns(manager_db)] == ["Spring webinar", "Evergreen SEO"]
    assert current_event_id(manager_db) is None  # a deleted event is no longer current
    assert "LogiMAT" not in [r[0] for r in _shown(dialog)]
    dialog.show_deleted.setChecked(True)
    assert [r[0] for r in _shown(dialog)] == ["LogiMAT"]
    assert dialog.restore_button.isVisibleTo(dialog) and not dialog.delete_button.isVisibleTo(dialog)
    assert not dialog.use_button.isEnabled() and not dialog.edit_button.isEnabled()
    dialog.select_campaign(fair.id)
    dialog.restore_button.click()
    assert "LogiMAT" in [c.name for c in campaigns.list_campaigns(manager_db)]


def test_use_as_current_event_marks_it_and_remembers_it(qtbot, manager_db):
    fair = campaigns.create_campaign(manager_db, name="LogiMAT", kind="trade_show", starts_on="2026-03-10")
    other = campaigns.create_campaign(manager_db, name="CeMAT", kind="trade_show", starts_on="2026-05-10")
    dialog = _dialog(qtbot, manager_db)
    assert "No current event" in dialog.current_label.text() and not dialog.clear_button.isEnabled()
    dialog.select_campaign(fair.id)
    assert dialog.use_button.isEnabled()
    dialog.use_button.click()
    assert current_event_id(manager_db) == fair.id and current_event_id() == fair.id
    assert "Current event: <b>LogiMAT</b>" in dialog.current_label.text()
    assert not dialog.use_button.isEnabled()  # already current
    row = dialog.model.row_of(fair.id)
    assert dialog.model.index(row, NAME).data(Qt.ItemDataRole.FontRole).bold()
    assert not dialog.model.index(dialog.model.row_of(other.id), NAME).data(Qt.ItemDataRole.FontRole)
    dialog.close()
    again = _dialog(qtbot, manager_db)  # kept across dialogs (QSettings)
    assert "Current event: <b>LogiMAT</b>" in again.current_label.text()
    again.clear_button.click()
    assert current_event_id(manager_db) is None


def test_a_reps_dialog_lists_and_picks_but_cannot_edit(qtbot, db, make_db):
    fair = campaigns.create_campaign(db, name="LogiMAT", kind="trade_show", starts_on="2026-03-10")
    rep_db = _signed_in(make_db, db, "rep")
    dialog = _dialog(qtbot, rep_db)
    dialog.show()
    assert not dialog.read_only_note.isHidden()
    assert [r[0] for r in _shown(dialog)] == ["LogiMAT"]
    dialog.select_campaign(fair.id)
    for button in (dialog.new_button, dialog.edit_button, dialog.delete_button, dialog.restore_button):
        assert not button.isEnabled()
        assert "managers and admins" in button.toolTip()
    assert dialog.new_event() is None and dialog.edit_event() is None
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)  # Enter on a row: a rep picks it as the current event
    assert current_event_id(rep_db) == fair.id and not dialog.findChildren(EventEditorDialog)
    assert dialog.result() == 0 and not dialog.isHidden()  # the dialog's Close button was not pressed
    # the service refuses a rep's change too, and the editor says so in its banner
    editor = EventEditorDialog(rep_db, campaigns.get_campaign(rep_db, fair.id))
    qtbot.addWidget(editor)
    editor.name.setText("Renamed")
    editor.save()
    assert editor.errors.is_shown() and "manager" in editor.errors.label.text().lower()
    assert campaigns.get_campaign(db, fair.id).name == "LogiMAT"


def test_closing_the_editor_with_typed_changes_asks_first(qtbot, manager_db, monkeypatch):
    from leaddesk.ui.widgets.form_guard import DiscardGuard

    asked = []
    monkeypatch.setattr(DiscardGuard, "ask", lambda self: asked.append(self.what) or False)  # "Keep editing"
    dialog = _dialog(qtbot, manager_db)
    editor = dialog.new_event()
    editor.reject()  # nothing typed: closes without a question
    assert asked == [] and not editor.isVisible()
    editor = dialog.new_event()
    editor.name.setText("Half-typed fair")
    editor.reject()
    assert asked == ["this event"] and editor.isVisible()  # kept editing
    monkeypatch.setattr(DiscardGuard, "ask", lambda self: True)  # "Discard"
    editor.reject()
    assert not editor.isVisible() and campaigns.list_campaigns(manager_db) == []


@pytest.mark.qt_log_level_fail("WARNING")
@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_the_filter_proxy_passes_qts_model_checks(qtbot, manager_db, qtmodeltester):
    for i, kind in enumerate(("trade_show", "webinar", "seo", "event")):
        campaigns.create_campaign(manager_db, name=f"Campaign {i}", kind=kind, starts_on=f"2026-0{i + 1}-01",
                                  cost=str(100 * (i + 1)), currency="EUR")
    dialog = _dialog(qtbot, manager_db)
    tester = QAbstractItemModelTester(dialog.proxy, QAbstractItemModelTester.FailureReportingMode.Warning)
    dialog.filter.setText("webinar")
    assert dialog.proxy.rowCount() == 1
    dialog.filter.clear()
    dialog.table.sortByColumn(COST, Qt.SortOrder.DescendingOrder)
    assert [dialog.proxy.index(r, NAME).data() for r in range(4)] == [f"Campaign {i}" for i in (3, 2, 1, 0)]
    dialog.table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
    assert dialog.proxy.index(0, NAME).data() == "Campaign 0"
    qtmodeltester.check(dialog.proxy)
    del tester


@pytest.mark.real_pools
def test_the_dialog_loads_and_saves_on_worker_threads(qtbot, manager_db):
    campaigns.create_campaign(manager_db, name="LogiMAT", kind="trade_show", starts_on="2026-03-10")
    dialog = _dialog(qtbot, manager_db)
    qtbot.waitUntil(lambda: dialog.proxy.rowCount() == 1, timeout=10000)
    editor = dialog.new_event()
    editor.name.setText("CeMAT")
    with qtbot.waitSignal(editor.saved, timeout=10000):
        editor.save()
    qtbot.waitUntil(lambda: dialog.proxy.rowCount() == 2 and dialog.current_row() is not None
                    and dialog.current_row().campaign.name == "CeMAT", timeout=10000)
