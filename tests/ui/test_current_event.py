"""The current event (issue #14 point 1): kept per database in the app's UI state, so two
databases never share one; the event picker lists running and upcoming events first with
"No event", emits ``event_changed`` when the user picks, follows a change made elsewhere
and reloads when campaigns change; a deleted current event is forgotten."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from leaddesk.services.capture import events
from leaddesk.services.marketing import campaigns
from leaddesk.ui import state
from leaddesk.ui.jobs import run_write
from leaddesk.ui.marketing import current_event as ce
from leaddesk.ui.marketing.current_event import (
    EventPicker,
    current_event_id,
    database_key,
    set_current_event,
)

TODAY = dt.date(2026, 3, 11)


def _picker(qtbot, db) -> EventPicker:
    picker = EventPicker(db, today=TODAY)
    qtbot.addWidget(picker)
    return picker


def _texts(picker) -> list[str]:
    return [picker.itemText(i) for i in range(picker.count())]


@pytest.fixture
def shows(db):
    make = campaigns.create_campaign
    return {
        "past": make(db, name="Hannover Messe 2025", kind="trade_show", starts_on="2025-03-31", ends_on="2025-04-04",
                     location="Hannover"),
        "recent": make(db, name="Partner day", kind="event", starts_on="2026-02-20"),
        "running": make(db, name="LogiMAT 2026", kind="trade_show", starts_on="2026-03-10", ends_on="2026-03-12",
                        location="Stuttgart"),
        "soon": make(db, name="Spring webinar", kind="webinar", starts_on="2026-04-02"),
        "later": make(db, name="CeMAT 2026", kind="trade_show", starts_on="2026-09-20", ends_on="2026-09-23"),
        "undated": make(db, name="Roadshow", kind="event"),
        "mail": make(db, name="March newsletter", kind="email", starts_on="2026-03-05"),
    }


def test_the_picker_lists_running_and_upcoming_events_first(qtbot, db, shows):
    picker = _picker(qtbot, db)
    assert [c.name for c in picker.events()] == [
        "LogiMAT 2026", "Spring webinar", "CeMAT 2026", "Roadshow", "Partner day", "Hannover Messe 2025"]
    texts = _texts(picker)
    assert texts[0] == "No event" and picker.event_id() is None
    assert texts[1] == "LogiMAT 2026 · 10–12 Mar · Stuttgart"
    assert texts[6] == "Hannover Messe 2025 · 31 Mar – 4 Apr 2025 · Hannover"
    assert "March newsletter" not in " ".join(texts)  # an e-mail campaign is no event


def test_picking_an_event_emits_and_is_kept_per_database(qtbot, db, shows, make_db, tmp_path):
    picker = _picker(qtbot, db)
    with qtbot.waitSignal(picker.event_changed) as emitted:
        picker.setCurrentIndex(_texts(picker).index("Spring webinar · 2 Apr"))
    assert emitted.args == [shows["soon"].id]
    assert current_event_id(db) == shows["soon"].id and current_event_id() == shows["soon"].id
    assert state.value(f"{ce.SETTINGS_GROUP}/{database_key(db)}") == str(shows["soon"].id)

    second = make_db()  # another installation of the same database: the same key
    assert database_key(second) == database_key(db) and current_event_id(second) == shows["soon"].id

    from leaddesk.db import Database, WriteContext, make_engine
    from leaddesk import migrate

    other_engine = make_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    migrate.upgrade(other_engine)
    other = Database(other_engine, WriteContext(node=uuid.uuid4()))
    try:
        assert database_key(other) != database_key(db) and current_event_id(other) is None
        set_current_event(uuid.uuid4(), other)
        assert current_event_id(db) == shows["soon"].id  # untouched by the other database
    finally:
        other.dispose()

    with qtbot.waitSignal(picker.event_changed) as emitted:
        picker.setCurrentIndex(0)
    assert emitted.args == [None] and current_event_id(db) is None


def test_pickers_follow_a_change_made_elsewhere(qtbot, db, shows):
    first, second = _picker(qtbot, db), _picker(qtbot, db)
    with qtbot.waitSignal(second.event_changed) as emitted:
        assert first.select_event(shows["running"].id)
    assert emitted.args == [shows["running"].id] and second.event_id() == shows["running"].id
    with qtbot.waitSignal(first.event_changed) as emitted:
        set_current_event(shows["later"].id, db)  # e.g. "Use as current event" in the events dialog
    assert emitted.args == [shows["later"].id] and first.event_id() == second.event_id() == shows["later"].id
    assert not first.select_event(shows["mail"].id)  # not offered: nothing changes
    assert current_event_id(db) == shows["later"].id


def test_the_picker_reloads_when_campaigns_change_and_forgets_a_deleted_event(qtbot, db, shows):
    picker = _picker(qtbot, db)
    picker.select_event(shows["running"].id)
    run_write(None, lambda: campaigns.create_campaign(db, name="Motek 2026", kind="trade_show",
                                                      starts_on="2026-10-06")).run()
    assert "Motek 2026 · 6 Oct" in _texts(picker)  # data_changed: reloaded
    assert picker.event_id() == shows["running"].id
    with qtbot.waitSignal(picker.event_changed) as emitted:
        run_write(None, lambda: campaigns.delete_campaign(db, shows["running"].id)).run()
    assert emitted.args == [None] and picker.event_id() is None
    assert current_event_id(db) is None
    assert not any(t.startswith("LogiMAT") for t in _texts(picker))


def test_a_current_event_of_another_kind_is_still_offered(qtbot, db, shows):
    set_current_event(shows["mail"].id, db)
    picker = _picker(qtbot, db)
    assert picker.event_id() == shows["mail"].id
    assert any(t.startswith("March newsletter") for t in _texts(picker))


def test_the_events_come_running_then_upcoming_then_undated_then_past(db, shows):
    """The picker's order is the service's (``events.list_events``); a campaign of another
    kind is listed only when kept (the current event)."""
    order = [c.name for c in events.list_events(db, today=TODAY, keep=shows["mail"].id)]
    assert order == ["LogiMAT 2026", "Spring webinar", "CeMAT 2026", "Roadshow", "March newsletter", "Partner day",
                     "Hannover Messe 2025"]
    assert "March newsletter" not in [c.name for c in events.list_events(db, today=TODAY)]
