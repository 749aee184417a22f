"""My day and cadences, on both engines: a step reads "step 2 of 5 · New inbound lead", and
a reply recorded after the run started takes the run's steps off the page at its next read,
without the lead's timeline ever being opened; the page tells other views (data_changed)
and does not reload itself for its own announcement."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtTest import QAbstractItemModelTester

from leaddesk.services.followups import activities as a
from leaddesk.services.followups import cadences, my_day
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import accounts, contacts
from leaddesk.ui.followups._day_model import WHAT
from leaddesk.ui.followups.my_day import MyDayPage
from leaddesk.ui.jobs import app_signals

UTC = dt.timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
# The run starts at the wall clock (its rows' created_at): the page's clock is set a day on.
START = (dt.datetime.now(UTC) + dt.timedelta(days=1)).replace(hour=7, minute=30, second=0, microsecond=0)


@pytest.fixture
def run(db):
    me = db.write.actor_id
    acme = accounts.create_account(db, name="Acme Logistics")
    lea = contacts.create_contact(db, given_name="Lea", family_name="Lang", account_id=acme.id, owner_id=me)
    max_ = contacts.create_contact(db, given_name="Max", family_name="Moor", owner_id=me)
    cadences.apply_cadence(db, "new-inbound", [lea.id], start=START, tz=BERLIN)
    a.schedule_activity(db, "task", "Send the price list", START + dt.timedelta(hours=5), contact_id=max_.id,
                        owner_id=me)
    return lea


def texts(page) -> list[str]:
    """The activity rows (the leads' SLA breaches, listed first, left out)."""
    return [page.model.index(r, WHAT).data() for r in range(page.model.rowCount())
            if page.model.item_at(r) is not None and not isinstance(page.model.item_at(r), my_day.BreachItem)]


def open_page(qtbot, db, now):
    page = MyDayPage(db, clock=lambda: now, tz=BERLIN)
    qtbot.addWidget(page)
    QAbstractItemModelTester(page.model, QAbstractItemModelTester.FailureReportingMode.Warning)
    page.resize(1000, 420)
    page.show()
    with qtbot.waitSignal(page.loaded, timeout=3000):
        page.load()
    return page


def test_steps_show_their_place_in_the_run_and_go_when_the_lead_replies(qtbot, db, run):
    page = open_page(qtbot, db, START + dt.timedelta(minutes=5))
    shown = texts(page)
    assert "Call: First call · step 1 of 5 · New inbound lead" in shown
    assert "E-mail: Follow-up e-mail · step 2 of 5 · New inbound lead" in shown
    assert "Task: Send the price list" in shown  # not a cadence step: no label
    page.grab().save("/tmp/h/my-day-cadence.png")

    campaigns.record_engagement(db, run.id, "email_reply", START + dt.timedelta(hours=1))
    announced, loads = [], []
    app_signals.data_changed.connect(lambda changes, who: announced.append((changes, who)))
    page.loaded.connect(lambda: loads.append(1))
    page.clock = lambda: START + dt.timedelta(hours=2)
    with qtbot.waitSignal(page.loaded, timeout=3000):
        page.load()  # the minute timer's read, or F5: the timeline was never opened
    assert texts(page) == ["Task: Send the price list"]
    assert [(c.entities, who) for c, who in announced] == [(frozenset({"activity"}), page)]
    assert loads == [1]  # its own announcement does not make the page read again
    page.load()
    assert len(announced) == 1  # settled once: the next read writes nothing
