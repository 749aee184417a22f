"""Hypothesis state machine over the real services: three laptops edit, delete, restore and
sync (sometimes losing the link after the hub committed, or before sending, or pulling
without pushing). After everyone syncs twice: every replica equals the hub, every outbox
is empty, no change was applied twice, none was lost, and every field holds the value of
its highest-clock change."""

from __future__ import annotations

import json
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test
from sqlalchemy import func, select

from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.errors import NotFound
from leaddesk.models import ChangeLog
from leaddesk.services.people import accounts, contacts
from leaddesk.services.team import setup
from leaddesk.sync import client
from leaddesk.clock import HybridClock
from leaddesk.sync.field_values import encode
from leaddesk.sync.protocol import HubUnavailable
from leaddesk.sync.server import Hub
from tests.sync.conftest import empty_hub
from tests.sync.support import FlakyHub, World, node_of, outbox_count, synced_data

SKEWS_MS = (0, 180, -200)
CONTACT_FIELDS = ("job_title", "city", "department", "notes")
REPLICA = st.integers(0, len(SKEWS_MS) - 1)
PICK = st.integers(0, 50)


class SyncMachine(RuleBasedStateMachine):
    hub_url: str = ""
    template: Path = Path()

    def __init__(self):
        super().__init__()
        empty_hub(self.hub_url)
        self.hub = Hub(self.hub_url)
        self.dir = Path(tempfile.mkdtemp(prefix="ld-sync-sm-"))
        self.world = World()
        self.replicas: list[Database] = []
        for i, skew in enumerate(SKEWS_MS):
            path = self.dir / f"r{i}.sqlite3"
            shutil.copyfile(self.template, path)
            clock = HybridClock(wall_millis=self.world.wall(skew))
            self.replicas.append(Database(make_engine(f"sqlite:///{path}"), WriteContext(node_of(f"sm{i}"), clock)))
        first = self.replicas[0]
        setup.initialize(first, admin_name="Ada Admin", admin_email="ada@example.com")
        self.contacts = [contacts.create_contact(first, given_name=f"Seed {i}").id for i in range(2)]
        self.accounts = [accounts.create_account(first, name="Seed Co").id]
        self.edits: list[tuple[str, str, str]] = []  # (entity, field, JSON value): each unique
        self.n = 0
        for db in self.replicas:
            client.sync(db, self.hub, backup=False)
            db.write.actor_id = first.write.actor_id

    def _value(self) -> str:
        self.n += 1
        return f"v{self.n}"

    def _contact(self, pick: int):
        return self.contacts[pick % len(self.contacts)]

    # --- edits through the service layer --------------------------------------------------

    @rule(r=REPLICA)
    def create_contact(self, r):
        self.contacts.append(contacts.create_contact(self.replicas[r], given_name=self._value()).id)

    @rule(r=REPLICA, pick=PICK, name=st.sampled_from(CONTACT_FIELDS))
    def edit_contact(self, r, pick, name):
        value = self._value()
        try:
            contacts.update_contact(self.replicas[r], self._contact(pick), expected_version=None, **{name: value})
        except NotFound:  # not pulled here yet, or deleted
            return
        self.edits.append(("contact", name, encode(value)))

    @rule(r=REPLICA, pick=PICK)
    def set_email(self, r, pick):
        try:
            contacts.update_contact(self.replicas[r], self._contact(pick), expected_version=None,
                                    emails=[f"{self._value()}@example.com"], allow_duplicate=True)
        except NotFound:
            pass

    @rule(r=REPLICA, pick=PICK)
    def delete_contact(self, r, pick):
        try:
            contacts.delete_contact(self.replicas[r], self._contact(pick))
        except NotFound:
            pass

    @rule(r=REPLICA, pick=PICK)
    def restore_contact(self, r, pick):
        try:
            contacts.restore_contact(self.replicas[r], self._contact(pick))
        except NotFound:
            pass

    @rule(r=REPLICA, money=st.booleans())
    def edit_account(self, r, money):
        value = self._value()
        data = {"annual_revenue": Decimal(f"{self.n}.{self.n % 100:02d}"), "revenue_currency": "EUR"} if money \
            else {"city": value}
        accounts.update_account(self.replicas[r], self.accounts[0], expected_version=None, **data)
        if not money:
            self.edits.append(("account", "city", encode(value)))

    # --- sync, with and without faults ----------------------------------------------------

    @rule(r=REPLICA)
    def sync(self, r):
        client.sync(self.replicas[r], self.hub, backup=False)

    @rule(r=REPLICA)
    def sync_fail_after_commit(self, r):
        try:
            client.sync(self.replicas[r], FlakyHub(self.hub, drop_after=1), backup=False, batch_size=3)
        except HubUnavailable:
            pass

    @rule(r=REPLICA)
    def sync_fail_before_send(self, r):
        try:
            client.sync(self.replicas[r], FlakyHub(self.hub, drop_before=1), backup=False)
        except HubUnavailable:
            pass

    @rule(r=REPLICA)
    def pull_only(self, r):
        client.pull(self.replicas[r], self.hub)

    # --- the end: quiesce and compare ------------------------------------------------------

    def teardown(self):
        try:
            for _ in range(2):
                for db in self.replicas:
                    client.sync(db, self.hub, backup=False)
            self.check()
        finally:
            for db in self.replicas:
                db.dispose()
            self.hub.dispose()
            shutil.rmtree(self.dir, ignore_errors=True)

    def check(self):
        want = synced_data(self.hub.engine)
        for db in self.replicas:
            assert outbox_count(db) == 0
            assert synced_data(db.engine) == want
        with self.hub.engine.connect() as conn:
            log = conn.execute(select(ChangeLog.entity, ChangeLog.row_id, ChangeLog.field, ChangeLog.value,
                                      ChangeLog.hlc, ChangeLog.node)).all()
            assert conn.scalar(select(func.count(func.distinct(ChangeLog.change_id)))) == len(log)
        # None lost, none doubled: each edit's unique value is in the log exactly once.
        for entity, name, value in self.edits:
            assert sum(1 for e in log if (e.entity, e.field, e.value) == (entity, name, value)) == 1
        # Determinism: each field holds its max-(hlc, node) change's value.
        for entity, rows in (("contact", want["contact"]), ("account", want["account"])):
            for row_id, fields in rows.items():
                touching: dict[str, list] = {}
                for e in log:
                    if e.entity != entity or str(e.row_id) != row_id:
                        continue
                    items = json.loads(e.value).items() if e.field == "*" else [(e.field, json.loads(e.value))]
                    for name, value in items:
                        touching.setdefault(name, []).append(((e.hlc, e.node.int), value))
                for name, candidates in touching.items():
                    assert json.loads(fields[name]) == max(candidates, key=lambda c: c[0])[1], (entity, name)


def test_sync_state_machine_converges_and_loses_nothing(hub_url, sqlite_template):
    SyncMachine.hub_url = hub_url
    SyncMachine.template = sqlite_template
    run_state_machine_as_test(SyncMachine, settings=settings(
        max_examples=25, stateful_step_count=30, deadline=None, derandomize=True, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
