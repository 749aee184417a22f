"""How sync moves the clock, pinned where the mutation probe found no test holding it
(scripts/mutation_probe.py, area "clock"). A real PostgreSQL hub and SQLite laptops; a
laptop's wall clock is the shared fake one of tests/sync/support.World (with a skew)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from leaddesk.clock import HybridClock
from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.models import ChangeLog, FieldVersion
from leaddesk.services.people import contacts
from leaddesk.sync import client
from leaddesk.sync.protocol import ClockSkewRefused
from tests.sync.support import outbox_count

AHEAD_MS = 120_000  # a laptop two minutes fast: inside the 300 s window the hub accepts


def _newest_hub_clock(hub, row_id=None) -> int:
    stmt = select(func.max(ChangeLog.hlc))
    if row_id is not None:
        stmt = stmt.where(ChangeLog.row_id == row_id)
    with hub.engine.connect() as conn:
        return conn.scalar(stmt)


def test_probe_a_pull_moves_the_clock_past_the_newest_change_of_the_page(seeded, make_replica, hub):
    _, b = seeded
    fast = make_replica("fast", skew_ms=AHEAD_MS)
    client.sync(fast, hub, backup=False)
    made = [contacts.create_contact(fast, given_name=f"Fast{i}", family_name="Lane") for i in range(3)]
    client.sync(fast, hub, backup=False)
    client.sync(b, hub, backup=False)  # one page with the three creations, oldest first
    assert b.write.clock.last >= _newest_hub_clock(hub)
    # so an edit made after seeing them wins over every one of them
    contacts.update_contact(b, made[-1].id, expected_version=None, job_title="Set after seeing it")
    client.sync(b, hub, backup=False)
    client.sync(fast, hub, backup=False)
    assert contacts.get_contact(fast, made[-1].id).job_title == "Set after seeing it"


def test_probe_restore_clock_counts_the_clocks_of_edits_already_pushed(make_replica, hub, world, monkeypatch):
    fast = make_replica("fast", skew_ms=AHEAD_MS)
    client.sync(fast, hub, backup=False)
    made = contacts.create_contact(fast, given_name="Pushed", family_name="Only")
    client.sync(fast, hub, backup=False)
    contacts.update_contact(fast, made.id, expected_version=None, job_title="Edited")  # a field clock
    client.push(fast, hub)  # acknowledged: the outbox is empty, and no pull wrote the clock down
    assert outbox_count(fast) == 0
    with fast.engine.connect() as conn:
        newest_edit = conn.scalar(select(func.max(FieldVersion.hlc)))
    assert newest_edit is not None
    # a restart with the wall clock set right (two minutes back): a fresh clock
    monkeypatch.setattr(fast.write.clock, "_wall", world.wall())
    fast.write.clock.reset(0)
    assert client.restore_clock(fast) >= newest_edit
    assert fast.write.clock.tick() > newest_edit


def test_probe_an_office_edit_on_the_server_orders_after_a_laptop_slightly_ahead(seeded, make_replica, hub,
                                                                                 hub_url):
    fast = make_replica("fast", skew_ms=AHEAD_MS)
    client.sync(fast, hub, backup=False)
    made = contacts.create_contact(fast, given_name="Laptop", family_name="Ahead")
    client.sync(fast, hub, backup=False)
    stored = _newest_hub_clock(hub, made.id)
    office = Database(make_engine(hub_url), WriteContext(node=uuid.uuid4(), clock=HybridClock()))
    try:
        contacts.update_contact(office, made.id, expected_version=None, job_title="Set in the office")
    finally:
        office.dispose()
    with hub.engine.connect() as conn:
        edit = conn.scalar(select(ChangeLog.hlc).where(ChangeLog.row_id == made.id, ChangeLog.field == "job_title"))
    assert edit > stored  # strictly: after the row's newest clock, whatever the server's time
    client.sync(fast, hub, backup=False)
    assert contacts.get_contact(fast, made.id).job_title == "Set in the office"


def test_probe_the_newest_change_of_a_batch_decides_which_computer_is_blamed(make_replica, hub, monkeypatch):
    from leaddesk.sync import journal

    laptop = make_replica("jumpy")
    contacts.create_contact(laptop, given_name="Before", family_name="Jump")  # its clock still right
    real = journal.utcnow
    monkeypatch.setattr(journal, "utcnow", lambda: real() + dt.timedelta(hours=1))
    monkeypatch.setattr(laptop.write.clock, "_wall",
                        lambda: int((real() + dt.timedelta(hours=1)).timestamp() * 1000))
    contacts.create_contact(laptop, given_name="After", family_name="Jump")  # now an hour fast
    with pytest.raises(ClockSkewRefused) as err:
        hub.push(client.next_batch(laptop, schema=hub.schema))
    assert err.value.cause == "this"
