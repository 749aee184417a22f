from __future__ import annotations

import datetime as dt
import random
import threading
import uuid

import pytest
from sqlalchemy import event, func, select

from leaddesk.errors import Conflict, NotFound, ValidationError
from leaddesk.models import ScoringRule
from leaddesk.models.enums import ScoreFamily
from leaddesk.services.people import accounts, contacts
from leaddesk.services.marketing import campaigns
from leaddesk.services.qualification import personas, scoring
from leaddesk.services import settings as team_settings
from leaddesk.services.team import setup
from leaddesk.services.qualification.dto import Grade, Quadrant, ScoreReason

UTC = dt.timezone.utc
NOW = dt.datetime(2025, 6, 1, 12, tzinfo=UTC)
FIT, INTEREST = ScoreFamily.FIT, ScoreFamily.INTEREST


@pytest.fixture
def db(empty_db):
    """Seeded like ``leaddesk init`` but without the default rules: these tests write their own."""
    setup.initialize(empty_db, admin_name="Ada Admin", admin_email="ada@example.com", scoring_rules=False)
    return empty_db


def basic_rules(db):
    return [
        scoring.create_rule(db, name="Decision maker", criterion="seniority_in", points=20,
                            params={"values": ["director", "vp", "c_level"]}),
        scoring.create_rule(db, name="Target industry", criterion="industry_in", points=15,
                            params={"values": ["logistics"]}),
        scoring.create_rule(db, name="Pricing page", criterion="engagement", points=15,
                            params={"kind": "pricing_page_visit", "within_days": 30}),
        scoring.create_rule(db, name="Careers page", criterion="engagement", points=-10,
                            params={"kind": "careers_page_visit"}),
        scoring.create_rule(db, name="Student e-mail", criterion="email_domain_in", points=-20,
                            params={"domains": ["edu"]}),
    ]


def visit(db, contact_id, kind, days_ago):
    campaigns.record_engagement(db, contact_id, kind, NOW - dt.timedelta(days=days_ago))


def test_score_contact_explains_and_stores_the_score(db):
    basic_rules(db)
    acme = accounts.create_account(db, name="Acme", industry="Logistics")
    c = contacts.create_contact(db, given_name="Deniz", seniority="director", account_id=acme.id,
                                emails=["deniz@acme.com"])
    visit(db, c.id, "pricing_page_visit", 3)
    visit(db, c.id, "pricing_page_visit", 45)
    result = scoring.score_contact(db, c.id, now=NOW)
    assert (result.fit, result.interest, result.total) == (35, 15, 50)
    assert result.reasons == (ScoreReason("Decision maker", FIT, 20), ScoreReason("Target industry", FIT, 15),
                              ScoreReason("Pricing page", INTEREST, 15))
    assert (result.grade, result.quadrant) == (Grade.WARM, Quadrant.NURTURE)
    stored = contacts.get_contact(db, c.id)
    assert (stored.fit_score, stored.interest_score) == (35, 15)


def test_score_negative_points_lower_the_score_and_say_why(db):
    basic_rules(db)
    c = contacts.create_contact(db, given_name="Sam", seniority="director", emails=["sam@cs.uni.edu"])
    visit(db, c.id, "pricing_page_visit", 1)
    visit(db, c.id, "careers_page_visit", 400)
    result = scoring.score_contact(db, c.id, now=NOW)
    assert (result.fit, result.interest) == (0, 5)
    assert ScoreReason("Student e-mail", FIT, -20) in result.reasons
    assert ScoreReason("Careers page", INTEREST, -10) in result.reasons
    assert result.quadrant is Quadrant.DISQUALIFY


def test_score_engagement_window_and_minimum_count(db):
    scoring.create_rule(db, name="Repeat visits", criterion="engagement", points=10,
                        params={"kind": "site_visit", "min_count": 2, "within_days": 30})
    c = contacts.create_contact(db, given_name="Ann")
    visit(db, c.id, "site_visit", 2)
    visit(db, c.id, "site_visit", 31)
    assert scoring.score_contact(db, c.id, now=NOW).interest == 0
    visit(db, c.id, "site_visit", 29)
    assert scoring.score_contact(db, c.id, now=NOW).interest == 10


def test_score_thresholds_come_from_team_settings(db):
    scoring.create_rule(db, name="Pricing", criterion="engagement", points=15, params={"kind": "pricing_page_visit"})
    c = contacts.create_contact(db, given_name="Ann")
    visit(db, c.id, "pricing_page_visit", 1)
    assert scoring.score_contact(db, c.id, now=NOW).grade is Grade.COLD
    team_settings.set_setting(db, "score_warm", 10)
    assert scoring.score_contact(db, c.id, now=NOW).grade is Grade.WARM
    team_settings.set_setting(db, "score_hot", 15)
    result = scoring.score_contact(db, c.id, now=NOW)
    assert (result.grade, result.quadrant) == (Grade.HOT, Quadrant.QUALIFY_CAREFULLY)


def test_score_persona_rule_and_free_mail(db):
    p = personas.create_persona(db, name="Ops", job_titles=["Operations"])
    scoring.create_rule(db, name="Matches Ops persona", criterion="persona_match", points=10,
                        params={"persona_id": str(p.id)})
    scoring.create_rule(db, name="Free e-mail", criterion="free_email", points=-5)
    c = contacts.create_contact(db, given_name="Ann", emails=["ann@gmail.com"])
    assert scoring.score_contact(db, c.id, now=NOW).fit == -5
    personas.set_contact_persona(db, c.id, p.id)
    assert scoring.score_contact(db, c.id, now=NOW).fit == 5


def test_score_unknown_or_deleted_contact_is_not_found(db):
    c = contacts.create_contact(db, given_name="Gone")
    contacts.delete_contact(db, c.id)
    for ident in (c.id, uuid.uuid4()):
        with pytest.raises(NotFound):
            scoring.score_contact(db, ident)


@pytest.mark.parametrize("data, field", [
    ({"criterion": "horoscope"}, "criterion"),
    ({"params": {}}, "params.values"),
    ({"params": {"values": ["king"]}}, "params.values"),
    ({"params": {"values": ["director"], "extra": 1}}, "params"),
    ({"points": 500}, "points"),
    ({"points": "lots"}, "points"),
    ({"points": None}, "points"),
    ({"family": "mood"}, "family"),
    ({"name": None}, "name"),
])
def test_rule_bad_input_is_refused_and_nothing_written(db, data, field):
    base = dict(name="Decision maker", criterion="seniority_in", points=20, params={"values": ["director"]})
    with pytest.raises(ValidationError) as err:
        scoring.create_rule(db, **{**base, **data})
    assert err.value.field == field
    assert scoring.list_rules(db) == []


def test_rule_persona_must_exist(db):
    with pytest.raises(ValidationError) as err:
        scoring.create_rule(db, name="Ghost persona", criterion="persona_match", points=5,
                            params={"persona_id": str(uuid.uuid4())})
    assert err.value.field == "params.persona_id"
    assert scoring.list_rules(db) == []


def test_rule_update_rechecks_params_and_versions(db, make_db):
    r = scoring.create_rule(db, name="Decision maker", criterion="seniority_in", points=20,
                            params={"values": ["Director"]})
    assert (r.family, r.params, r.position) == (FIT, {"values": ["director"]}, 1)
    with pytest.raises(ValidationError) as err:
        scoring.update_rule(db, r.id, expected_version=r.version, criterion="employees_between")
    assert err.value.field == "params"  # the old params do not fit the new criterion
    assert "takes no parameter values" in str(err.value)
    r2 = scoring.update_rule(db, r.id, expected_version=r.version, criterion="employees_between",
                             params={"min": 50}, family="fit", points=-5)
    assert (r2.criterion, r2.params, r2.points) == ("employees_between", {"min": 50, "max": None}, -5)
    scoring.update_rule(make_db(), r.id, expected_version=r2.version, active=False)
    with pytest.raises(Conflict):
        scoring.update_rule(db, r.id, expected_version=r2.version, points=1)
    assert scoring.list_rules(db, active_only=True) == []
    scoring.delete_rule(db, r.id)
    assert scoring.list_rules(db) == []
    scoring.restore_rule(db, r.id)
    assert [x.id for x in scoring.list_rules(db)] == [r.id]


def test_seed_default_rules_once_and_deleted_defaults_stay_deleted(db):
    added = scoring.seed_default_rules(db)
    assert len(added) == len(scoring.DEFAULT_RULES)
    assert [r.position for r in scoring.list_rules(db)] == sorted(r.position for r in added)
    scoring.delete_rule(db, added[0].id)
    assert scoring.seed_default_rules(db) == []
    assert added[0].id not in [r.id for r in scoring.list_rules(db)]


def _population(db, n: int, seed: int = 7):
    """Contacts with varied facts, so the rules hit and miss in many combinations."""
    rnd = random.Random(seed)
    accts = [accounts.create_account(db, name=f"Acct {i}", industry=ind, employees=emp)
             for i, (ind, emp) in enumerate([("Logistics", 200), ("Retail", 20), (None, None), ("Banking", 9000)])]
    made = []
    for i in range(n):
        c = contacts.create_contact(
            db, given_name=f"P{i:03d}", seniority=rnd.choice(["unknown", "manager", "director", "c_level"]),
            job_title=rnd.choice([None, "Head of Procurement", "Working Student", "CFO"]),
            account_id=rnd.choice([None, *[a.id for a in accts]]),
            emails=rnd.choice([[], [f"p{i}@gmail.com"], [f"p{i}@uni.edu"], [f"p{i}@acme.com", f"p{i}@gmail.com"]]),
            country=rnd.choice([None, "DE", "TR"]),
        )
        for _ in range(rnd.randint(0, 4)):
            kind = rnd.choice(["pricing_page_visit", "site_visit", "download", "careers_page_visit", "email_reply"])
            visit(db, c.id, kind, rnd.randint(0, 120))
        made.append(c)
    return made


def test_rescore_all_matches_score_contact_and_writes_only_changes(db):
    scoring.seed_default_rules(db)
    scoring.create_rule(db, name="Germany or Türkiye", criterion="country_in", points=5,
                        params={"values": ["DE", "TR"]})
    people = _population(db, 40)
    gone = contacts.create_contact(db, given_name="Deleted", seniority="director")
    contacts.delete_contact(db, gone.id)
    calls = []
    result = scoring.rescore_all(db, progress=lambda done, total: calls.append((done, total)), batch_size=7, now=NOW)
    assert (result.scored, result.cancelled) == (40, False)
    assert calls[0] == (0, 40) and calls[-1] == (40, 40) and len(calls) == 1 + 6
    stored = {c.id: contacts.get_contact(db, c.id) for c in people}
    assert result.changed == sum(1 for d in stored.values() if (d.fit_score, d.interest_score) != (0, 0))
    assert result.changed > 20
    assert {d.fit_score for d in stored.values()} | {d.interest_score for d in stored.values()} != {0}
    for c in people:
        single = scoring.score_contact(db, c.id, now=NOW)
        assert (single.fit, single.interest) == (stored[c.id].fit_score, stored[c.id].interest_score), c.display_name
    assert contacts.get_contact(db, gone.id, include_deleted=True).fit_score == 0

    if db.hub_mode:  # a team hub journals straight into its change log
        from leaddesk.models import ChangeLog as Outbox  # noqa: N814
    else:
        from leaddesk.models import Outbox
    with db.reader() as s:
        journaled = s.scalar(select(func.count()).select_from(Outbox).where(Outbox.field.in_(["fit_score",
                                                                                              "interest_score"])))
    assert journaled > 0
    again = scoring.rescore_all(db, batch_size=7, now=NOW)
    assert (again.scored, again.changed) == (40, 0)
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Outbox).where(
            Outbox.field.in_(["fit_score", "interest_score"]))) == journaled


def test_rescore_all_runs_a_fixed_number_of_queries_per_batch(db):
    scoring.seed_default_rules(db)
    _population(db, 30, seed=3)
    selects = []

    def count(conn, cursor, statement, *args):
        journal = ("pg_advisory_xact_lock", "hub_field_version", "nextval(", "change_log", "session_user")
        if statement.lstrip().upper().startswith("SELECT") and not any(j in statement for j in journal):
            selects.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = scoring.rescore_all(db, batch_size=1000, now=NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert result.scored == 30 and result.changed > 0
    # settings, rules, count; then per batch: contacts, e-mails, engagement, changed contacts; empty last batch
    assert len(selects) <= 10, selects


def test_rescore_all_can_be_cancelled_between_batches(db):
    scoring.create_rule(db, name="Manager", criterion="seniority_in", points=10, params={"values": ["manager"]})
    people = [contacts.create_contact(db, given_name=f"M{i}", seniority="manager") for i in range(10)]
    cancel = threading.Event()

    def progress(done, total):
        if done >= 4:
            cancel.set()

    result = scoring.rescore_all(db, progress=progress, cancel=cancel, batch_size=4, now=NOW)
    assert (result.scored, result.changed, result.cancelled) == (4, 4, True)
    assert sorted(contacts.get_contact(db, c.id).fit_score for c in people) == [0] * 6 + [10] * 4


def test_score_skips_a_rule_that_sync_left_inconsistent(db):
    """Sync merges field by field: a criterion from one laptop may meet params from another."""
    good = scoring.create_rule(db, name="Manager", criterion="seniority_in", points=10, params={"values": ["manager"]})
    odd = scoring.create_rule(db, name="Size", criterion="employees_between", points=50, params={"min": 1})
    with db.unit_of_work() as s:
        s.get(ScoringRule, odd.id).params = {"values": ["manager"]}  # as a merge could leave it
    acme = accounts.create_account(db, name="Acme", employees=10)
    c = contacts.create_contact(db, given_name="Ann", seniority="manager", account_id=acme.id)
    result = scoring.score_contact(db, c.id, now=NOW)
    assert result.reasons == (ScoreReason(good.name, FIT, 10),)
    assert scoring.rescore_all(db, now=NOW).scored == 1
