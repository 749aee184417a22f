"""A rep's laptop joins the team with her own login: the profile is saved, the password
goes to the keyring (never a file), the replica holds exactly what she may see, and
visibility changes (re-assignments) reach it."""

from __future__ import annotations

import json

import pytest
from keyring.backend import KeyringBackend
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from leaddesk.config import Settings, TeamProfile, load_profile
from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.errors import DatabaseUnavailable, ValidationError
from leaddesk.models import Contact, ContactEmail, Opportunity
from leaddesk.services.team import admin as team_admin, join as team_join
from leaddesk.sync import snapshot, visibility
from tests.sync.team import PASSWORD

pytestmark = pytest.mark.postgres


class MemoryKeyring(KeyringBackend):
    """A keyring backend holding secrets in memory: this machine has no OS keyring
    daemon, and the code under test talks to keyring's backend interface only."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        self.items.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    import keyring

    before = keyring.get_keyring()
    kr = MemoryKeyring()
    keyring.set_keyring(kr)
    yield kr
    keyring.set_keyring(before)


@pytest.fixture
def no_keyring():
    import keyring
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


def _profile(team_hub, login) -> TeamProfile:
    url = make_engine(team_hub, check=False).url
    return TeamProfile(host=url.host, port=url.port or 5432, database=url.database, user=login, sslmode="disable")


def _ids(db: Database, model) -> set:
    with db.engine.connect() as conn:
        return set(conn.scalars(select(model.id)))


def test_join_downloads_exactly_what_the_rep_may_see(pg_team, team_hub, tmp_path, memory_keyring):
    ids, engines, logins = pg_team
    settings = Settings(data_dir=tmp_path / "alice")
    result = team_join.join(settings, _profile(team_hub, logins["alice"]), PASSWORD)
    assert (result.user_email, result.role, result.password_stored) == ("alice@example.com", "rep", True)
    # the password is in the keyring, not in any file of the data folder
    assert memory_keyring.items == {(team_join.SERVICE, _profile(team_hub, logins["alice"]).key): PASSWORD}
    for path in settings.data_dir.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".toml", ".txt"):
            assert PASSWORD not in path.read_text(errors="ignore"), path
    assert json.loads((settings.data_dir / "team.json").read_text())["user"] == logins["alice"]

    db = Database(make_engine(settings.database_url), WriteContext(node=__import__("uuid").uuid4()))
    try:
        assert _ids(db, Contact) == {ids["contact_alice"], ids["contact_bob"], ids["contact_nobody"]}
        assert _ids(db, Opportunity) == {ids["opp_alice"]}
        assert ids["email_dave"] not in _ids(db, ContactEmail)
        assert visibility.verify(db, engines["alice"]).ok
        # the app on this replica would sync with the keyring's password
        assert team_join.hub_url(Settings(data_dir=settings.data_dir)).startswith("postgresql+psycopg://")
    finally:
        db.dispose()


def test_reassignment_moves_a_deal_between_replicas(pg_team, team_hub, tmp_path, memory_keyring):
    """Carol (manager) gives Bob's deal to Alice and Alice's to Bob: after following the
    access changes, Alice holds the new one (whole, with its history) and not the old."""
    ids, engines, logins = pg_team
    settings = Settings(data_dir=tmp_path / "alice")
    team_join.join(settings, _profile(team_hub, logins["alice"]), PASSWORD)
    db = Database(make_engine(settings.database_url), WriteContext(node=__import__("uuid").uuid4()))
    try:
        with engines["carol"].begin() as conn:
            conn.execute(text("UPDATE opportunity SET owner_id = :a WHERE id = :o"), {"a": ids["alice"], "o": ids["opp_bob"]})
            conn.execute(text("UPDATE opportunity SET owner_id = :b WHERE id = :o"), {"b": ids["bob"], "o": ids["opp_alice"]})
        stats = visibility.follow_access_changes(db, engines["alice"])
        assert stats.refreshed >= 1 and stats.purged >= 1
        assert _ids(db, Opportunity) == {ids["opp_bob"]}
        with db.engine.connect() as conn:
            title = conn.scalar(select(Opportunity.name).where(Opportunity.id == ids["opp_bob"]))
        assert title == "Bob deal"
        assert visibility.verify(db, engines["alice"]).ok
        # and nothing to do the second time
        assert visibility.follow_access_changes(db, engines["alice"]).refreshed == 0
    finally:
        db.dispose()


def test_count_check_repairs_a_replica_that_lost_and_gained_rows(pg_team, team_hub, tmp_path, memory_keyring):
    ids, engines, logins = pg_team
    settings = Settings(data_dir=tmp_path / "alice")
    team_join.join(settings, _profile(team_hub, logins["alice"]), PASSWORD)
    db = Database(make_engine(settings.database_url), WriteContext(node=__import__("uuid").uuid4()))
    try:
        with snapshot.mirror_writes(db) as conn:  # damage: lose a visible contact, hold a foreign deal
            conn.execute(ContactEmail.__table__.delete().where(ContactEmail.contact_id == ids["contact_bob"]))
            conn.execute(Contact.__table__.delete().where(Contact.id == ids["contact_bob"]))
        with engines["erin"].connect() as hc:
            foreign = snapshot.hub_rows(hc, "opportunity", [ids["opp_dave"]])
        with snapshot.mirror_writes(db) as conn:
            snapshot.write_rows(conn, "opportunity", foreign)
        result = visibility.verify(db, engines["alice"])
        assert set(result.mismatched) >= {"contact", "opportunity", "contact_email"}
        assert ids["contact_bob"] in _ids(db, Contact) and ids["opp_dave"] not in _ids(db, Opportunity)
        assert visibility.verify(db, engines["alice"]).ok
    finally:
        db.dispose()


def test_no_keyring_fails_closed(pg_team, team_hub, tmp_path, no_keyring):
    ids, engines, logins = pg_team
    settings = Settings(data_dir=tmp_path / "alice")
    result = team_join.join(settings, _profile(team_hub, logins["alice"]), PASSWORD)
    assert result.password_stored is False
    for path in settings.data_dir.rglob("*"):
        if path.is_file() and not path.name.endswith((".sqlite3", "-wal", "-shm")):
            assert PASSWORD not in path.read_text(errors="ignore"), path
    with pytest.raises(team_join.CredentialsUnavailable, match="keyring"):
        team_join.hub_url(Settings(data_dir=settings.data_dir))
    # given at the prompt, it is used and still not kept
    assert PASSWORD in team_join.hub_url(Settings(data_dir=settings.data_dir), password=PASSWORD)
    assert load_profile(settings.data_dir).user_email == "alice@example.com"


def test_bad_joins_say_what_is_wrong_and_write_nothing(pg_team, team_hub, tmp_path, memory_keyring, hub_url):
    ids, engines, logins = pg_team
    settings = Settings(data_dir=tmp_path / "x")
    with pytest.raises(DatabaseUnavailable, match="Cannot connect"):
        team_join.join(settings, TeamProfile(host="127.0.0.1", port=1, database="nope", user="ld_nobody",
                                             sslmode="disable"), "pw")
    with pytest.raises(ValidationError, match="not linked"):  # a login with no LeadDesk user
        su = create_engine(hub_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        with su.connect() as conn:
            conn.execute(text("DROP ROLE IF EXISTS ld_stranger"))
            g = team_admin.groups_of(conn)
            conn.execute(text(f"CREATE ROLE ld_stranger LOGIN IN ROLE \"{g.user}\", \"{g.rep}\" PASSWORD 'x'"))
        try:
            team_join.join(settings, _profile(team_hub, "ld_stranger"), "x")
        finally:
            with su.connect() as conn:
                conn.execute(text("DROP ROLE IF EXISTS ld_stranger"))
            su.dispose()
    with pytest.raises(ValidationError, match="TLS mode"):
        team_join.join(settings, TeamProfile(host="h", database="d", user="u", sslmode="sometimes"), "pw")
    assert not (settings.data_dir / "team.json").exists()
    assert memory_keyring.items == {}
