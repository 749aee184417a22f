"""Ten laptops pushing at once while another pulls: the puller never skips a seq."""

from __future__ import annotations

import threading

from sqlalchemy import select

from leaddesk.models import ChangeLog
from leaddesk.services.people import accounts
from leaddesk.sync import client
from leaddesk.sync.server import Hub
from tests.sync.support import duplicate_change_ids, outbox_count

PUSHERS = 10
ROUNDS = 4
PER_ROUND = 3


def test_sync_concurrent_pushers_and_a_puller_see_every_change_exactly_once(make_replica, hub_url, hub):
    replicas = [make_replica(f"pusher-{i}", real_clock=True) for i in range(PUSHERS)]
    errors: list[BaseException] = []
    start = threading.Barrier(PUSHERS + 1)
    done = threading.Event()
    seen: list[tuple[int, object]] = []

    def pusher(db):
        own = Hub(hub_url)  # its own engine and connections
        try:
            start.wait()
            for r in range(ROUNDS):
                made = [accounts.create_account(db, name=f"{db.write.node.hex[:6]} {r}.{i}") for i in range(PER_ROUND)]
                accounts.update_account(db, made[0].id, expected_version=None, city=f"City {r}")
                client.push(db, own, batch_size=2)  # many small batches interleave
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            own.dispose()

    def puller():
        own = Hub(hub_url)
        since = 0
        try:
            start.wait()
            while True:
                finished = done.is_set()  # read BEFORE the pull: the last pull sees everything
                page = own.pull(since, 7)
                seen.extend((c.seq, c.change_id) for c in page.changes)
                since = page.last_seq
                if finished and not page.has_more:
                    break
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=pusher, args=(db,)) for db in replicas]
    pull_thread = threading.Thread(target=puller)
    for t in threads + [pull_thread]:
        t.start()
    for t in threads:
        t.join(60)
    done.set()
    pull_thread.join(60)
    assert not errors, errors
    with hub.engine.connect() as conn:
        logged = conn.execute(select(ChangeLog.seq, ChangeLog.change_id).order_by(ChangeLog.seq)).all()
    expected = PUSHERS * ROUNDS * (PER_ROUND + 1)
    assert len(logged) == expected and duplicate_change_ids(hub) == 0
    seqs = [s for s, _ in seen]
    assert seqs == sorted(set(seqs)), "the puller saw a seq twice or out of order"
    assert [tuple(r) for r in logged] == seen, "the puller skipped a change"
    assert all(outbox_count(db) == 0 for db in replicas)
