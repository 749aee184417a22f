"""The defining scene of issue #4, end to end, with real parts: two reps at a trade show
work offline on their laptops (SQLite replicas joined with their own logins), while their
manager edits the same data on the team's PostgreSQL in the office (row-level security,
her own login). Back online, everything merges, nothing is lost, every real conflict is
listed, the duplicate they both captured is queued for review, and a change the server
refused is visible to its author, not silently dropped."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from leaddesk.bootstrap import open_database
from leaddesk.config import Settings, TeamProfile
from leaddesk.db import Database, make_engine
from leaddesk.errors import PermissionDenied
from leaddesk.models import Contact, Opportunity
from leaddesk.services.followups import activities
from leaddesk.services.team import conflicts, join as team_join, sync as team_sync
from leaddesk.services.people import contacts, duplicates
from leaddesk.services.pipeline import opportunities as pipeline, pipelines
from leaddesk.services.people._duplicate_common import pair_id
from leaddesk.sync import visibility
from leaddesk.sync.protocol import entities
from tests.sync.team import PASSWORD
from tests.sync.test_team_join import memory_keyring  # noqa: F401 - fixture

pytestmark = pytest.mark.postgres


def _laptop(tmp_path, team_hub, login: str, name: str) -> tuple[Database, Settings, str]:
    url = make_engine(team_hub, check=False).url
    settings = Settings(data_dir=tmp_path / name)
    profile = TeamProfile(host=url.host, port=url.port or 5432, database=url.database, user=login, sslmode="disable")
    team_join.join(settings, profile, PASSWORD)
    db = open_database(settings)
    return db, settings, team_join.hub_url(settings)


def _office(team_hub, login: str) -> Database:
    url = make_engine(team_hub, check=False).url.set(username=login, password=PASSWORD)
    return open_database(Settings(db_url=url.render_as_string(hide_password=False)), upgrade=False)


def _same_as_hub(db: Database, hub_engine) -> None:
    """Every row this user may see is on the laptop with the hub's values, and no other."""
    assert visibility.verify(db, hub_engine, repair=False).ok
    with hub_engine.connect() as hc, db.engine.connect() as lc:
        for name, spec in entities().items():
            cols = [spec.table.c[c.name] for c in spec.fields.values()] + [spec.table.c.id]
            remote = {r.id: tuple(r) for r in hc.execute(select(*cols))}
            local = {r.id: tuple(r) for r in lc.execute(select(*cols))}
            assert local == remote, name


def _sync(db, url):
    return team_sync.sync_with_hub(db, url, backup_dir=None)


def test_trade_show_three_days_offline_then_everything_merges(pg_team, team_hub, tmp_path,
                                                              memory_keyring):  # noqa: F811
    ids, engines, logins = pg_team
    alice, _, alice_url = _laptop(tmp_path, team_hub, logins["alice"], "alice")
    bob, _, bob_url = _laptop(tmp_path, team_hub, logins["bob"], "bob")
    carol = _office(team_hub, logins["carol"])
    try:
        stages = pipelines.list_stages(alice, pipeline.get_opportunity(alice, ids["opp_alice"]).pipeline_id)

        # --- three days at the fair, no network --------------------------------------------
        selin_a = contacts.create_contact(alice, given_name="Selin", family_name="Kaya", owner_id=ids["alice"],
                                          emails=["selin.kaya@fairgoods.example"], job_title="Buyer")
        activities.log_activity(alice, "meeting", "Booth talk", contact_id=selin_a.id, owner_id=ids["alice"])
        pipeline.move_opportunity(alice, ids["opp_alice"], stages[2].id)
        contacts.update_contact(alice, ids["contact_nobody"], expected_version=None, job_title="Head of Sales")
        contacts.update_contact(alice, ids["contact_alice"], expected_version=None, notes="Met at booth 12")

        selin_b = contacts.create_contact(bob, given_name="Selin", family_name="Kaya", owner_id=ids["bob"],
                                          emails=["Selin.Kaya@FairGoods.example"], job_title="Head buyer")
        pipeline.update_opportunity(bob, ids["opp_bob"], None, next_step="Send the quote")
        contacts.update_contact(bob, ids["contact_nobody"], expected_version=None, job_title="Sales Director")
        with pytest.raises(PermissionDenied):  # in-app rules: not his contact
            contacts.update_contact(bob, ids["contact_alice"], expected_version=None, notes="mine now")

        # --- meanwhile in the office ----------------------------------------------------------
        pipeline.update_opportunity(carol, ids["opp_alice"], None, amount="50000")
        pipeline.update_opportunity(carol, ids["opp_bob"], None, owner_id=ids["alice"])  # Bob's deal goes to Alice
        contacts.delete_contact(carol, ids["contact_alice"])

        # --- back online ---------------------------------------------------------------------
        # until quiet: what a sync makes (duplicate pairs, merges followed) travels next time
        for _ in range(4):
            summaries = [_sync(db, url) for db, url in ((alice, alice_url), (bob, bob_url))]
            if not any(s.pending_after for s in summaries) and not any(s.sent for s in summaries):
                break
        assert all(s.pending_after == 0 for s in summaries)

        # converged: each laptop equals the hub as its user may see it
        _same_as_hub(alice, engines["alice"])
        _same_as_hub(bob, engines["bob"])

        # different fields of one deal merged silently: Alice's stage move and Carol's amount
        deal = pipeline.get_opportunity(alice, ids["opp_alice"])
        assert deal.stage_id == stages[2].id and str(deal.amount) == "50000.00"

        # the deal that changed hands moved laptops; Bob's refused edit is visible to him
        with bob.reader() as s:
            assert s.get(Opportunity, ids["opp_bob"]) is None
        assert pipeline.get_opportunity(alice, ids["opp_bob"]).next_step != "Send the quote"
        bobs = [f for r in conflicts.list_conflicts(bob) for f in r.fields]
        refused = [f for f in bobs if f.kind == "rejected"]
        assert refused and "Send the quote" in {str(f.other) for f in refused}

        # a real conflict on the same field is listed on both laptops, with both values
        for db in (alice, bob):
            lines = [f for r in conflicts.list_conflicts(db) for f in r.fields
                     if f.kind == "field" and r.row_id == ids["contact_nobody"]]
            assert lines and {str(lines[0].kept), str(lines[0].other)} == {"Head of Sales", "Sales Director"}

        # an edit of a record deleted in the office is kept on the tombstone and listed
        with engines["erin"].connect() as hc:
            row = hc.execute(select(Contact.deleted, Contact.notes).where(Contact.id == ids["contact_alice"])).one()
        assert row.deleted and row.notes == "Met at booth 12"
        assert any(f.kind == "edit_deleted" for r in conflicts.list_conflicts(alice) for f in r.fields)

        # the person both reps captured is queued (by the sync itself) as one duplicate
        # pair, the same on both laptops
        pairs = [{c.a.id, c.b.id} for c in duplicates.list_candidates(alice)]
        assert {selin_a.id, selin_b.id} in pairs
        assert pair_id(selin_a.id, selin_b.id) in {c.id for c in duplicates.list_candidates(bob)}

        # nothing lost: every value typed offline is in the hub's change log, won or not
        with engines["erin"].connect() as hc:
            values = {json.loads(v) for (v,) in hc.execute(text(
                "SELECT value FROM change_log WHERE field IN ('job_title', 'next_step', 'notes')")) if v}
        assert {"Head of Sales", "Sales Director", "Send the quote", "Met at booth 12"} <= values
    finally:
        for db in (alice, bob, carol):
            db.dispose()
