"""The history horizon (sync notes 3.7): an admin trims the hub's change log; a laptop that
last pulled before the trim cannot catch up change by change, so it re-downloads what its
user sees, keeps and sends its unsent edits, and drops what it may no longer see. All as
the reps' and the admin's own logins (row-level security on)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select, text

from leaddesk import cli
from leaddesk.bootstrap import open_database
from leaddesk.config import Settings, TeamProfile
from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.errors import PermissionDenied, ValidationError
from leaddesk.models import ChangeLog, Contact, HistoryPurge, Opportunity
from leaddesk.services.people import contacts
from leaddesk.services.pipeline import opportunities as pipeline
from leaddesk.services.team import admin as team_admin, join as team_join, sync as team_sync
from leaddesk.sync import client
from leaddesk.sync.protocol import entities
from leaddesk.sync.server import Hub
from tests.sync.team import PASSWORD
from tests.sync.test_team_join import memory_keyring  # noqa: F401 - fixture

pytestmark = pytest.mark.postgres


class Laptop:
    def __init__(self, team_hub, tmp_path, login: str, who: str):
        url = make_engine(team_hub, check=False).url
        self.settings = Settings(data_dir=tmp_path / who)
        team_join.join(self.settings, TeamProfile(host=url.host, port=url.port or 5432, database=url.database,
                                                  user=login, sslmode="disable"), PASSWORD)
        self.db = open_database(self.settings)
        self.url = team_join.hub_url(self.settings)
        self.backups = tmp_path / who / "backups"

    def sync(self):
        return team_sync.sync_with_hub(self.db, self.url, backup_dir=self.backups)


def _as(engine, user_id) -> Database:
    db = Database(engine, WriteContext(node=uuid.uuid4()))
    db.write.actor_id = user_id
    return db


def _same_as_hub(laptop: Laptop, login_engine) -> None:
    """Every synced table: the laptop holds exactly the rows the login sees, with their values."""
    with login_engine.connect() as hc, laptop.db.engine.connect() as lc:
        for name, spec in entities().items():
            cols = [spec.table.c.id, *[spec.table.c[c.name] for c in spec.fields.values()]]
            theirs = {r[0]: tuple(r) for r in hc.execute(select(*cols))}
            mine = {r[0]: tuple(r) for r in lc.execute(select(*cols))}
            assert mine == theirs, f"{name}: laptop and hub differ"


def test_only_admins_trim_the_history(pg_team):
    ids, engines, logins = pg_team
    with pytest.raises(PermissionDenied):
        team_admin.purge_history(_as(engines["carol"], ids["carol"]), 0)
    with pytest.raises(ValidationError):
        team_admin.purge_history(_as(engines["erin"], ids["erin"]), -1)
    with engines["erin"].connect() as conn:
        before = conn.scalar(text("SELECT ld_max_seq()"))
    # a year's default keeps everything written today
    assert team_admin.purge_history(_as(engines["erin"], ids["erin"])).removed == 0
    trim = team_admin.purge_history(_as(engines["erin"], ids["erin"]), 0)
    assert trim.removed > 0 and trim.horizon == before
    with engines["alice"].connect() as conn:  # every team member may read the horizon, nobody writes it
        assert conn.scalar(select(func.count()).select_from(HistoryPurge)) == 1
        assert conn.scalar(select(func.count()).select_from(ChangeLog)) == 0
        with pytest.raises(Exception, match="permission denied|row-level security"):
            conn.execute(text("DELETE FROM history_purge"))
    # trimming again removes nothing new and keeps the horizon
    assert team_admin.purge_history(_as(engines["erin"], ids["erin"]), 0) == team_admin.HistoryTrim(0, before)


def test_a_laptop_away_past_the_horizon_resyncs_and_keeps_its_unsent_edits(pg_team, team_hub, tmp_path,
                                                                           memory_keyring):  # noqa: F811
    ids, engines, logins = pg_team
    alice = Laptop(team_hub, tmp_path, logins["alice"], "alice")
    carol = Laptop(team_hub, tmp_path, logins["carol"], "carol")
    try:
        alice.sync()
        carol.sync()
        # Alice, offline for a long time: an edit and a new lead
        contacts.update_contact(alice.db, ids["contact_alice"], expected_version=None, city="Izmir")
        fresh = contacts.create_contact(alice.db, given_name="Deniz", family_name="Fair", owner_id=ids["alice"])
        # meanwhile in the office: Carol edits Alice's contact, gives Alice's deal to Bob and
        # Bob's to Alice, deletes the unowned contact
        contacts.update_contact(carol.db, ids["contact_alice"], expected_version=None, notes="met at the fair")
        pipeline.update_opportunity(carol.db, ids["opp_alice"], None, owner_id=ids["bob"])
        pipeline.update_opportunity(carol.db, ids["opp_bob"], None, owner_id=ids["alice"])
        contacts.delete_contact(carol.db, ids["contact_nobody"])
        carol.sync()
        # a year later, the admin trims the history
        assert team_admin.purge_history(_as(engines["erin"], ids["erin"]), 0).removed > 0

        # pulling alone (nothing pushed yet): the fresh copy keeps showing her unsent edits
        stats = client.pull(alice.db, Hub(alice.url))
        assert stats.resynced
        assert client.pending_count(alice.db) > 0
        assert contacts.get_contact(alice.db, ids["contact_alice"]).city == "Izmir"
        assert contacts.get_contact(alice.db, ids["contact_alice"]).notes == "met at the fair"
        assert contacts.get_contact(alice.db, fresh.id).given_name == "Deniz"
        with alice.db.engine.connect() as conn:
            held = set(conn.scalars(select(Opportunity.id)))
        assert ids["opp_bob"] in held and ids["opp_alice"] not in held

        summary = alice.sync()
        assert summary.pending_after == 0 and not summary.resynced
        with engines["erin"].connect() as conn:
            row = conn.execute(select(Contact.city, Contact.notes).where(Contact.id == ids["contact_alice"])).one()
            assert tuple(row) == ("Izmir", "met at the fair")
            assert conn.scalar(select(Contact.given_name).where(Contact.id == fresh.id)) == "Deniz"
        _same_as_hub(alice, engines["alice"])
        carol.sync()
        _same_as_hub(carol, engines["carol"])
    finally:
        alice.db.dispose()
        carol.db.dispose()


def test_a_laptop_that_pulled_after_the_trim_just_pulls_on(pg_team, team_hub, tmp_path,
                                                           memory_keyring):  # noqa: F811
    ids, engines, logins = pg_team
    alice = Laptop(team_hub, tmp_path, logins["alice"], "alice")
    try:
        alice.sync()
        team_admin.purge_history(_as(engines["erin"], ids["erin"]), 0)
        assert not alice.sync().resynced  # she had pulled everything the trim removed
        contacts.update_contact(alice.db, ids["contact_alice"], expected_version=None, city="Bursa")
        summary = alice.sync()
        assert summary.sent == 1 and not summary.resynced
    finally:
        alice.db.dispose()


def test_cli_purge_history(capsys, pg_team, team_hub):
    code = cli.main(["team", "purge-history", "--url", team_hub, "--keep-days", "0"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "change(s) older than 0 day(s)" in out
    code = cli.main(["team", "purge-history", "--url", team_hub, "--keep-days", "-3"])
    out, err = capsys.readouterr()
    assert code != 0 and "cannot be negative" in err


def test_after_a_resync_duplicates_are_looked_for_among_everything(pg_team, team_hub, tmp_path,
                                                                    memory_keyring):  # noqa: F811
    """The changes a resync skipped are in no local log: duplicate detection must not rely
    on it. Bob captured a lead Alice had captured too, while she was away past the horizon."""
    from leaddesk.services.people import duplicates

    ids, engines, logins = pg_team
    alice = Laptop(team_hub, tmp_path, logins["alice"], "alice")
    bob = Laptop(team_hub, tmp_path, logins["bob"], "bob")
    try:
        alice.sync()
        contacts.create_contact(alice.db, given_name="Selin", family_name="Kaya", emails=["selin@fairgoods.example"],
                                owner_id=ids["alice"])
        alice.sync()  # Bob has not pulled it when he captures the same person offline ...
        contacts.create_contact(bob.db, given_name="Selin", family_name="Kaya", emails=["Selin@FairGoods.example"],
                                owner_id=ids["bob"], allow_duplicate=True)
        bob.sync()  # ... he syncs and sees the pair; Alice does not sync again for a year
        team_admin.purge_history(_as(engines["erin"], ids["erin"]), 0)
        summary = alice.sync()
        assert summary.resynced and summary.duplicates_found >= 1
        assert duplicates.open_count(alice.db) >= 1
    finally:
        alice.db.dispose()
        bob.db.dispose()
