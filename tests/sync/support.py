"""Helpers of the sync tests: replicas with controllable clocks, a flaky transport, and a
comparable view of every synced table."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, select

from leaddesk.models import ChangeLog, Outbox, SyncConflict
from leaddesk.sync.field_values import encode
from leaddesk.sync.protocol import HubUnavailable, PullPage, PushBatch, PushResult, entities

NODE_NS = uuid.UUID("6f1b8f4e-2f0a-4c6b-9d1e-0b9a3d3c2a10")


def node_of(name: str) -> uuid.UUID:
    """A fixed node id per replica name: ties between equal HLCs break the same way every run."""
    return uuid.uuid5(NODE_NS, name)


@dataclass
class World:
    """A shared fake wall clock near real time (the hub checks skew against its own clock).

    Every reading moves it 1 ms on, so of two edits on different replicas the later one
    has the higher HLC, whatever the real timing: outcomes are the same on every run.
    """

    now: int = field(default_factory=lambda: time.time_ns() // 1_000_000)

    def advance(self, ms: int = 1) -> None:
        self.now += ms

    def wall(self, skew_ms: int = 0):
        def read() -> int:
            self.now += 1
            return self.now + skew_ms

        return read


class FlakyHub:
    """A transport around a Hub that loses the link on demand.

    ``drop_before``: pushes lost before they reach the hub; ``drop_after``: pushes the hub
    commits whose answer is lost; ``drop_pull``: pulls whose answer is lost.
    """

    def __init__(self, hub, *, drop_before: int = 0, drop_after: int = 0, drop_pull: int = 0):
        self.hub = hub
        self.drop_before = drop_before
        self.drop_after = drop_after
        self.drop_pull = drop_pull
        self.sent: list[PushBatch] = []

    @property
    def schema(self):
        return self.hub.schema

    def push(self, batch: PushBatch) -> PushResult:
        if self.drop_before:
            self.drop_before -= 1
            raise HubUnavailable("link dropped before sending")
        self.sent.append(batch)
        result = self.hub.push(batch)
        if self.drop_after:
            self.drop_after -= 1
            raise HubUnavailable("link dropped after the server committed")
        return result

    def pull(self, since: int, limit: int = 2000) -> PullPage:
        page = self.hub.pull(since, limit)
        if self.drop_pull:
            self.drop_pull -= 1
            raise HubUnavailable("link dropped during pull")
        return page


def synced_data(engine) -> dict[str, dict]:
    """Every synced row's payload (JSON text per field), by table and id: what must be equal
    on every replica and on the hub after sync (bookkeeping columns differ by design)."""
    out: dict[str, dict] = {}
    with engine.connect() as conn:
        for name, spec in entities().items():
            cols = list(spec.fields.items())
            rows = conn.execute(select(spec.table.c.id, *[c for _, c in cols])).all()
            out[name] = {str(r[0]): {k: encode(r[i + 1]) for i, (k, _) in enumerate(cols)} for r in rows}
    return out


def outbox_count(db) -> int:
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Outbox))


def log_count(hub) -> int:
    with hub.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(ChangeLog))


def duplicate_change_ids(hub) -> int:
    with hub.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(ChangeLog)) - conn.scalar(
            select(func.count(func.distinct(ChangeLog.change_id))))


def conflicts(hub) -> list:
    with hub.engine.connect() as conn:
        return conn.execute(select(SyncConflict).order_by(SyncConflict.id)).all()
