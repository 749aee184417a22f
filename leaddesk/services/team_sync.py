"""Sync this installation's local database with the team's PostgreSQL (the hub).

A thin use-case layer over :mod:`leaddesk.sync` for the CLI and the app: it resolves the
hub, runs one sync (backup, push, pull) and returns a summary a person can read. Errors
are :class:`leaddesk.sync.protocol.SyncError` subclasses (LeadDeskErrors): the outbox is
always kept, so retrying is safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.sync import client
from leaddesk.sync.protocol import HubUnavailable, SyncError
from leaddesk.sync.server import Hub


@dataclass(frozen=True)
class SyncSummary:
    sent: int
    received: int
    applied: int
    conflicts: int
    pending_after: int
    last_pulled_seq: int
    backup: Path | None


@dataclass(frozen=True)
class SyncStatus:
    pending: int
    last_pulled_seq: int


def sync_status(db: Database) -> SyncStatus:
    return SyncStatus(client.pending_count(db), client.last_pulled_seq(db))


def sync_with_hub(db: Database, hub_url: str, *, backup_dir: Path | None = None) -> SyncSummary:
    """One full sync with the hub at ``hub_url`` (a PostgreSQL URL)."""
    if db.dialect != "sqlite":
        raise ValidationError("Only a local (SQLite) replica syncs; this app already works on the shared "
                              "PostgreSQL database directly.", field="db")
    if not hub_url:
        raise ValidationError("Give the team server's URL (--hub, or LEADDESK_HUB).", field="hub")
    try:
        hub = Hub(hub_url)
    except SyncError:
        raise
    except Exception as exc:  # a malformed URL or a missing driver: say which
        raise HubUnavailable(f"Cannot use the team server '{hub_url}': {exc}") from exc
    try:
        report = client.sync(db, hub, backup_dir=backup_dir)
    finally:
        hub.dispose()
    conflicts = sum(r.conflicts for r in report.pushed if not r.duplicate)
    pulled = report.pulled
    return SyncSummary(
        sent=report.sent,
        received=pulled.changes if pulled else 0,
        applied=pulled.applied if pulled else 0,
        conflicts=conflicts,
        pending_after=client.pending_count(db),
        last_pulled_seq=client.last_pulled_seq(db),
        backup=report.backup,
    )
