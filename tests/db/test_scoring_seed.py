"""Scoring is real from the first start: `init` seeds the default rules (negative points
included) with fixed ids, and the demo's scores and personas are the engine's."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select, text

from leaddesk import migrate
from leaddesk.clock import HybridClock
from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.models import Contact, Outbox, ScoringRule
from leaddesk.services.demo import generate as demo
from leaddesk.services.qualification import personas, scoring
from leaddesk.services.records import seed_id
from leaddesk.services.team import setup

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)


def _rules(database) -> set[tuple]:
    with database.reader() as s:
        return {(r.id, r.name, r.criterion, repr(sorted(r.params.items())), r.points, r.position, r.deleted)
                for r in s.scalars(select(ScoringRule))}


def test_init_seeds_the_default_rules_once_with_negative_points(empty_db):
    first = setup.initialize(empty_db, admin_email="ada@example.com")
    second = setup.initialize(empty_db)
    assert first.rules_added == len(scoring.DEFAULT_RULES) and second.rules_added == 0
    rules = {r.name: r for r in scoring.list_rules(empty_db)}
    assert len(rules) == len(scoring.DEFAULT_RULES)
    assert {r.id for r in rules.values()} == {seed_id("scoring_rule", key) for key, *_ in scoring.DEFAULT_RULES}
    negative = {r.criterion: r.points for r in rules.values() if r.points < 0}
    assert set(negative) >= {"free_email", "email_domain_in", "engagement", "competitor_domain"}
    assert rules["Visited the careers page (job seeker?)"].points == -20
    assert rules["Student e-mail address"].params["domains"][0] == "edu"


def test_two_databases_initialised_apart_hold_identical_rules(db, tmp_path):
    path = tmp_path / "other.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    other = Database(engine, WriteContext(node=uuid.uuid4(), clock=HybridClock()))
    try:
        setup.initialize(other, admin_email="bob@example.com")
        assert _rules(other) == _rules(db) and len(_rules(db)) == len(scoring.DEFAULT_RULES)
    finally:
        other.dispose()


def test_an_existing_database_gets_the_missing_rules_and_a_deleted_default_stays_deleted(empty_db):
    setup.initialize(empty_db, admin_email="ada@example.com", scoring_rules=False)  # as before this version
    assert scoring.list_rules(empty_db) == []
    assert setup.initialize(empty_db).rules_added == len(scoring.DEFAULT_RULES)
    free = next(r for r in scoring.list_rules(empty_db) if r.criterion == "free_email")
    scoring.delete_rule(empty_db, free.id)
    assert setup.initialize(empty_db).rules_added == 0
    assert free.id not in {r.id for r in scoring.list_rules(empty_db)}
    with empty_db.reader() as s:
        assert s.scalar(select(func.count()).select_from(ScoringRule)) == len(scoring.DEFAULT_RULES)


def test_competitor_rule_hits_once_the_team_names_its_competitors(db):
    from leaddesk.services.people import contacts

    rule = next(r for r in scoring.list_rules(db) if r.criterion == "competitor_domain")
    c = contacts.create_contact(db, given_name="Spy", emails=["spy@rival.example"])
    assert rule.name not in {x.name for x in scoring.score_contact(db, c.id).reasons}  # no domains yet
    scoring.update_rule(db, rule.id, expected_version=rule.version, params={"domains": ["rival.example"]})
    result = scoring.score_contact(db, c.id)
    assert (rule.name, rule.points) in {(x.name, x.points) for x in result.reasons} and result.fit < 0


def test_demo_scores_and_personas_are_the_engines_and_stay_a_snapshot(db):
    with db.reader() as s:
        queued = s.scalar(select(func.count()).select_from(Outbox))
    demo.generate(db, "small", seed=7, now=NOW)
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Outbox)) == queued  # nothing to push
        stats = s.execute(text(
            "SELECT min(fit_score + interest_score), max(fit_score + interest_score), "
            "count(DISTINCT fit_score + interest_score), count(persona_id), count(*) FROM contact")).one()
        sample = s.execute(select(Contact.id, Contact.persona_id).order_by(Contact.id).limit(60)).all()
    low, high, distinct, with_persona, total = stats
    assert low < 0 and high >= 60 and distinct > 10  # negative points, hot leads, a spread
    assert 0 < with_persona < total
    # the engine, run over the loaded data, agrees with every stored score
    assert scoring.rescore_all(db, now=NOW).changed == 0
    for cid, persona_id in sample:
        # the best BUYER persona: an avoid-profile (closed-lost segments) is never assigned
        matches = [m for m in personas.match_personas(db, cid, minimum=personas.BEST_MATCH_MINIMUM)
                   if not m.persona.avoid]
        assert persona_id == (matches[0].persona.id if matches else None)


def test_the_apps_start_gives_an_existing_database_the_default_rules(empty_db, db_url, tmp_path, monkeypatch):
    import argparse

    from leaddesk.ui.app import open_for_gui

    monkeypatch.setenv("LEADDESK_DATA_DIR", str(tmp_path / "data"))
    setup.initialize(empty_db, admin_email="ada@example.com", scoring_rules=False)  # as before this version
    opened = open_for_gui(argparse.Namespace(db=db_url))
    try:
        assert len(scoring.list_rules(opened)) == len(scoring.DEFAULT_RULES)
        opened2 = open_for_gui(argparse.Namespace(db=db_url))  # the next start adds nothing
        opened2.dispose()
        assert len(scoring.list_rules(opened)) == len(scoring.DEFAULT_RULES)
    finally:
        opened.dispose()
