"""The hub's screening of new child rows against their parent's deletion, as reps' own
logins: a parent deleted by someone else refuses the child visibly; a parent the same
push restores (or created and deleted) does not. And every LeadDesk session to
PostgreSQL runs with JIT off."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from leaddesk.bootstrap import open_database
from leaddesk.config import Settings, TeamProfile
from leaddesk.db import make_engine
from leaddesk.models import Contact, ContactEmail, SyncConflict
from leaddesk.services.people import contacts
from leaddesk.services.team import join as team_join, sync as team_sync, trash
from leaddesk.services.team import conflicts as conflict_service
from leaddesk.sync.server import Hub
from tests.sync.team import PASSWORD
from tests.sync.test_team_join import memory_keyring  # noqa: F401 - fixture

pytestmark = pytest.mark.postgres


def _joined(team_hub, tmp_path, login: str, who: str):
    url = make_engine(team_hub, check=False).url
    settings = Settings(data_dir=tmp_path / who)
    team_join.join(settings, TeamProfile(host=url.host, port=url.port or 5432, database=url.database,
                                         user=login, sslmode="disable"), PASSWORD)
    db = open_database(settings)
    hub_url = team_join.hub_url(settings)
    return db, lambda: team_sync.sync_with_hub(db, hub_url, backup_dir=tmp_path / who / "backups")


def _hub_emails(engine, contact_id) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(select(ContactEmail.address).where(ContactEmail.contact_id == contact_id)))


def test_a_child_of_a_contact_deleted_by_the_manager_is_refused_visibly(pg_team, team_hub, tmp_path,
                                                                        memory_keyring):  # noqa: F811
    ids, engines, logins = pg_team
    alice, sync_alice = _joined(team_hub, tmp_path, logins["alice"], "alice")
    carol, sync_carol = _joined(team_hub, tmp_path, logins["carol"], "carol")
    try:
        contacts.delete_contact(carol, ids["contact_alice"])
        sync_carol()
        # offline, Alice adds an e-mail to her contact, not knowing it was deleted
        contacts.update_contact(alice, ids["contact_alice"], expected_version=None,
                                emails=["alice.lead@example.com", "second@example.com"])
        summary = sync_alice()
        assert summary.pending_after == 0
        assert _hub_emails(engines["erin"], ids["contact_alice"]) == {"alice.lead@example.com"}
        with engines["alice"].connect() as conn:  # her own login sees her refused change
            refused = conn.execute(select(SyncConflict).where(SyncConflict.kind == "rejected",
                                                              SyncConflict.entity == "contact_email")).all()
        assert [(r.lost_author, "deleted on the team server" in r.note) for r in refused] == [(ids["alice"], True)]
        # her laptop takes the hub's state back, and shows the refusal in her inbox
        with alice.engine.connect() as conn:
            assert set(conn.scalars(select(ContactEmail.address).where(
                ContactEmail.contact_id == ids["contact_alice"]))) == {"alice.lead@example.com"}
            assert conn.scalar(select(Contact.deleted).where(Contact.id == ids["contact_alice"])) is True
        assert conflict_service.count_open(alice) >= 1
    finally:
        alice.dispose()
        carol.dispose()


def test_a_child_added_with_a_restore_in_the_same_push_is_kept(pg_team, team_hub, tmp_path,
                                                               memory_keyring):  # noqa: F811
    ids, engines, logins = pg_team
    alice, sync_alice = _joined(team_hub, tmp_path, logins["alice"], "alice")
    carol, sync_carol = _joined(team_hub, tmp_path, logins["carol"], "carol")
    try:
        contacts.delete_contact(carol, ids["contact_alice"])
        sync_carol()
        sync_alice()  # Alice sees it in her Trash ...
        trash.restore(alice, "contact", ids["contact_alice"])  # ... restores it and adds an e-mail, offline
        contacts.update_contact(alice, ids["contact_alice"], expected_version=None,
                                emails=["alice.lead@example.com", "second@example.com"])
        summary = sync_alice()
        assert summary.pending_after == 0
        assert _hub_emails(engines["erin"], ids["contact_alice"]) == {"alice.lead@example.com", "second@example.com"}
        with engines["erin"].connect() as conn:
            assert conn.scalar(select(Contact.deleted).where(Contact.id == ids["contact_alice"])) is False
            assert not conn.execute(select(SyncConflict).where(SyncConflict.kind == "rejected")).all()
    finally:
        alice.dispose()
        carol.dispose()


def test_every_leaddesk_session_to_postgresql_runs_without_jit(team_hub):
    """The RLS policies make plans look costly: with JIT on, a rep's 2,000-row pull spent
    0.5 s compiling for a 9 ms query (BENCHMARKS.md, Sync)."""
    engine = make_engine(team_hub)
    hub = Hub(team_hub)
    try:
        for e in (engine, hub.engine):
            with e.connect() as conn:
                assert conn.scalar(text("SHOW jit")) == "off"
        with hub.engine.connect() as conn:
            assert conn.scalar(text("SHOW TimeZone")) == "UTC"
    finally:
        engine.dispose()
        hub.dispose()
