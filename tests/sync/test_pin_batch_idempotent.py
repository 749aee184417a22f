"""Pin: the hub applies a change once, however often it arrives.

* a batch that holds the same change twice (same change id and clock) applies it once;
* the same batch pushed twice (a retry after a lost acknowledgement) applies once;
* the same changes re-sent in another batch apply once.

"Once" means: the row's values and version on the hub, its change-log rows and the
conflicts are as after a single application. The hub is PostgreSQL only."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from sqlalchemy import select

from leaddesk.models import Account
from leaddesk.services.people import accounts
from leaddesk.sync import client
from leaddesk.sync.protocol import PushBatch
from tests.sync.support import conflicts, duplicate_change_ids, log_count


def _hub_account(hub, account_id):
    with hub.engine.connect() as conn:
        return conn.execute(select(Account.name, Account.website, Account.version)
                            .where(Account.id == account_id)).one()


@pytest.fixture
def edited(seeded, hub):
    """Laptop ``a`` with an account synced to the hub, then two of its fields edited on the
    laptop: the batch of those edits, not yet sent, and the hub's state before it."""
    a, _b = seeded
    made = accounts.create_account(a, name="Acme", website="https://acme.example")
    client.sync(a, hub, backup=False)
    before = _hub_account(hub, made.id)
    accounts.update_account(a, made.id, expected_version=made.version, name="Acme Corp", website="https://acme-corp.example")
    batch = client.next_batch(a, schema=hub.schema)
    assert batch is not None and len(batch.changes) >= 2  # name, website and what follows from them
    return a, made.id, batch, before, log_count(hub)


def _applied_once(hub, account_id, before, log_before, n):
    name, website, version = _hub_account(hub, account_id)
    assert (name, website) == ("Acme Corp", "https://acme-corp.example")
    assert version == before.version + 1  # one write of the row, as for a batch sent once
    assert log_count(hub) == log_before + n
    assert duplicate_change_ids(hub) == 0
    assert conflicts(hub) == []


def _control(hub, account_id, batch, before, log_before):
    """The same batch sent once, plain: what "applied once" looks like."""
    result = hub.push(batch)
    assert not result.duplicate and result.accepted == len(batch.changes) and result.skipped == 0
    _applied_once(hub, account_id, before, log_before, len(batch.changes))


def test_plain_batch_applies_once(hub, edited):
    _a, account_id, batch, before, log_before = edited
    _control(hub, account_id, batch, before, log_before)


def test_batch_holding_the_same_change_twice_applies_it_once(hub, edited):
    a, account_id, batch, before, log_before = edited
    n = len(batch.changes)
    doubled = dataclasses.replace(batch, changes=batch.changes + batch.changes)
    result = hub.push(doubled)
    assert result.batch_id == batch.batch_id and not result.duplicate
    assert (result.received, result.accepted, result.skipped, result.rejected) == (2 * n, n, n, 0)
    assert result.conflicts == 0 and result.refused_rows == ()
    _applied_once(hub, account_id, before, log_before, n)
    # the laptop takes the answer as the acknowledgement: its outbox is empty
    client.acknowledge(a, batch.batch_id, result.refused_rows)
    assert client.pending_count(a) == 0


def test_same_batch_pushed_twice_applies_once(hub, edited):
    a, account_id, batch, before, log_before = edited
    first = hub.push(batch)
    # the answer is lost; the laptop sends the same batch again
    again = client.next_batch(a, schema=hub.schema)
    assert again.batch_id == batch.batch_id and again.changes == batch.changes
    retry = hub.push(again)
    assert retry.duplicate and dataclasses.replace(retry, duplicate=False) == first
    _applied_once(hub, account_id, before, log_before, len(batch.changes))
    client.acknowledge(a, retry.batch_id, retry.refused_rows)
    assert client.pending_count(a) == 0


def test_same_changes_in_another_batch_apply_once(hub, edited):
    _a, account_id, batch, before, log_before = edited
    hub.push(batch)
    resent = PushBatch(batch_id=uuid.uuid4(), node=batch.node, changes=batch.changes, schema=batch.schema)
    result = hub.push(resent)
    assert not result.duplicate
    assert (result.accepted, result.skipped, result.applied) == (0, len(batch.changes), 0)
    _applied_once(hub, account_id, before, log_before, len(batch.changes))


def test_doubled_batch_pushed_twice_applies_once(hub, edited):
    _a, account_id, batch, before, log_before = edited
    doubled = dataclasses.replace(batch, changes=batch.changes + batch.changes)
    first = hub.push(doubled)
    retry = hub.push(doubled)
    assert retry.duplicate and dataclasses.replace(retry, duplicate=False) == first
    _applied_once(hub, account_id, before, log_before, len(batch.changes))
