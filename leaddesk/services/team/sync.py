"""Sync this installation's local database with the team's PostgreSQL (the hub).

A thin use-case layer over :mod:`leaddesk.sync` for the CLI and the app: it resolves the
hub, runs one sync and returns a summary a person can read. The phases, in order:

1. ``backup``: a copy of the local file (``migrate.backup_sqlite``);
2. ``push``: the outbox (``client.push``);
3. ``pull``: the hub's change log (``client.pull``);
4. ``conflicts``: resolutions made here go up, then the hub's conflicts come down into
   the local inbox (:mod:`leaddesk.sync.conflicts`), so a "use other" edit pushed in
   phase 2 and its resolution travel in the same sync.

An optional ``progress(phase, done, total)`` callback is called as each phase starts
(``done`` counts finished phases of ``total``) and once more with ``"done"`` at the end;
it runs on the syncing thread. Errors are :class:`leaddesk.sync.protocol.SyncError`
subclasses (LeadDeskErrors): the outbox is always kept, so retrying is safe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from leaddesk import migrate
from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import SyncState
from leaddesk.services.team import conflicts
from leaddesk.sync import client
from leaddesk.sync import conflicts as sync_conflicts
from leaddesk.sync.protocol import HubUnavailable, SyncError
from leaddesk.sync.server import Hub

#: progress(phase, done, total): phase is one of PHASES, then "done".
Progress = Callable[[str, int, int], None]
PHASES = ("backup", "push", "pull", "conflicts", "check", "duplicates")
#: The count check (per-table counts and id hashes against the hub) runs at most this
#: often; a change of someone's team or role triggers it at once (snapshot.py).
CHECK_EVERY = dt.timedelta(hours=1)
LAST_CHECK = "last_count_check"
#: sync_state key: when this replica last finished a sync (ISO 8601, UTC).
LAST_SYNCED = "last_synced_at"


@dataclass(frozen=True)
class SyncSummary:
    sent: int
    received: int
    applied: int
    #: Conflicts this sync's pushes caused on the hub.
    conflicts: int
    pending_after: int
    last_pulled_seq: int
    backup: Path | None
    #: Conflicts open in the local inbox after the sync.
    open_conflicts: int = 0
    #: Resolutions made here that this sync told the hub about.
    resolutions_sent: int = 0
    synced_at: dt.datetime | None = None
    #: New duplicate pairs queued for review after this sync.
    duplicates_found: int = 0
    #: The count check's verdict ("ok", "repaired ..."), None when not due.
    count_check: str | None = None
    #: This laptop had been away longer than the team server keeps its history: it
    #: downloaded a fresh copy of what its user sees (unsent edits kept and sent).
    resynced: bool = False


@dataclass(frozen=True)
class SyncStatus:
    pending: int
    last_pulled_seq: int
    open_conflicts: int = 0
    last_synced_at: dt.datetime | None = None


def sync_status(db: Database) -> SyncStatus:
    if db.dialect != "sqlite":  # the hub itself: nothing to push; its conflicts are its own
        return SyncStatus(0, 0, conflicts.count_open(db))
    return SyncStatus(client.pending_count(db), client.last_pulled_seq(db), conflicts.count_open(db),
                      last_synced_at(db))


def last_synced_at(db: Database) -> dt.datetime | None:
    with db.reader() as s:
        value = s.scalar(select(SyncState.value).where(SyncState.key == LAST_SYNCED))
    try:
        return dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _remember_sync(db: Database, when: dt.datetime) -> None:
    with db.engine.begin() as conn:
        ins = sqlite.insert(SyncState.__table__).values(key=LAST_SYNCED, value=when.isoformat())
        conn.execute(ins.on_conflict_do_update(index_elements=["key"], set_={"value": when.isoformat()}))


def sync_with_hub(db: Database, hub_url: str, *, backup_dir: Path | None = None,
                  progress: Progress | None = None) -> SyncSummary:
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
        from leaddesk.redaction import describe_url, redact, url_password

        raise HubUnavailable(f"Cannot use the team server '{describe_url(hub_url)}': "
                             f"{redact(str(exc), [url_password(hub_url)])}") from exc

    def step(phase: str) -> None:
        if progress is not None:
            progress(phase, PHASES.index(phase) if phase in PHASES else len(PHASES), len(PHASES))

    try:
        step("backup")
        saved = None
        target = backup_dir or client.default_backup_dir(db)
        if target is not None:
            saved = migrate.backup_sqlite(db.engine, target, 5, "pre-sync")
        step("push")
        pushed = client.push(db, hub)
        step("pull")
        before = client.last_pulled_seq(db)
        pulled = client.pull(db, hub)
        step("conflicts")
        sent = sync_conflicts.push_resolutions(db, hub)
        sync_conflicts.pull_conflicts(db, hub)
        step("check")
        checked = _count_check(db, hub)
    finally:
        hub.dispose()
    step("duplicates")
    found = _after_pull(db, before, everything=pulled.resynced)
    now = dt.datetime.now(dt.timezone.utc)
    _remember_sync(db, now)
    step("done")
    return SyncSummary(
        sent=sum(r.received for r in pushed),
        received=pulled.changes,
        applied=pulled.applied,
        conflicts=sum(r.conflicts for r in pushed if not r.duplicate),
        pending_after=client.pending_count(db),
        last_pulled_seq=client.last_pulled_seq(db),
        backup=saved,
        open_conflicts=conflicts.count_open(db),
        resolutions_sent=sent,
        synced_at=now,
        duplicates_found=found,
        count_check=checked,
        resynced=pulled.resynced,
    )


def _count_check(db: Database, hub: Hub) -> str | None:
    """Anki's sanity check, at most once per CHECK_EVERY: ``None`` when skipped, else
    "ok" or the tables repaired."""
    from leaddesk.sync import visibility

    with db.reader() as s:
        last = s.scalar(select(SyncState.value).where(SyncState.key == LAST_CHECK))
    now = dt.datetime.now(dt.timezone.utc)
    if last and now - dt.datetime.fromisoformat(last) < CHECK_EVERY:
        return None
    result = visibility.verify(db, hub.engine)
    with db.engine.begin() as conn:
        ins = sqlite.insert(SyncState.__table__).values(key=LAST_CHECK, value=now.isoformat())
        conn.execute(ins.on_conflict_do_update(index_elements=["key"], set_={"value": now.isoformat()}))
    return "ok" if result.ok else "repaired " + ", ".join(result.mismatched)


def _after_pull(db: Database, since: int, *, everything: bool = False) -> int:
    """Follow merges and look for duplicate accounts and contacts among those this pull
    changed (and those made here since the last sync). Accounts first: following an
    account merge moves contacts, which the contact pass then sees in their new company.
    ``everything``: after a resync past the history horizon the changes it skipped are in
    no local log, so every account and contact is looked at."""
    from leaddesk.models import ChangeLog, Outbox
    from leaddesk.services.people import account_duplicates, duplicates

    if everything:
        return account_duplicates.after_sync(db, None).detected + duplicates.after_sync(db, None).detected

    kinds = ("account", "contact", "contact_email", "contact_phone")
    with db.reader() as s:
        rows = s.execute(select(ChangeLog.entity, ChangeLog.row_id).where(
            ChangeLog.seq > since, ChangeLog.entity.in_(kinds))).all()
        rows += s.execute(select(Outbox.entity, Outbox.row_id).where(Outbox.entity.in_(kinds))).all()
    found = account_duplicates.after_sync(db, account_duplicates.touched_accounts(rows)).detected
    touched = duplicates.touched_contacts(db, rows)
    return found + duplicates.after_sync(db, touched).detected
