"""Learning from won/lost (issue #12 point 7) on a constructed history: one rule clearly
predicts wins, one (scored positive today) predicts losses, one is too rare to say."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from leaddesk.errors import Conflict, PermissionDenied
from leaddesk.models import Indicator
from leaddesk.models.access import Subject
from leaddesk.services.people import accounts, contacts
from leaddesk.services.pipeline import lost_reasons, opportunities
from leaddesk.services.qualification import learning, scoring
from leaddesk.services.team import setup, users

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.timezone.utc)


@pytest.fixture
def db(empty_db):
    """Seeded like ``leaddesk init`` but without the default rules: these tests write their own."""
    setup.initialize(empty_db, admin_name="Ada Admin", admin_email="ada@example.com", scoring_rules=False)
    return empty_db


@pytest.fixture
def rules(db):
    def rule(name, criterion, params, points):
        return scoring.create_rule(db, name=name, criterion=criterion, params=params, points=points)
    return {
        "director": rule("Director", "seniority_in", {"values": ["director"]}, 5),
        "free": rule("Free mail", "free_email", {}, 10),
        "japan": rule("Japan", "country_in", {"values": ["JP"]}, 20),
    }


def _lead(db, i, *, director: bool, free: bool, japan: bool = False, stage="mql", account=None):
    domain = "gmail.com" if free else "acme-logistics.com"
    return contacts.create_contact(
        db, given_name=f"Lead {i}", seniority="director" if director else "entry", lifecycle_stage=stage,
        emails=[f"lead{i}@{domain}"], country="JP" if japan else "DE", account_id=account, now=NOW)


def _history(db, *, scale: int = 1):
    """20*scale won and 20*scale lost closed leads, and 3 open ones that must not count.
    Won: 16 directors of 20; lost: 4 of 20. Free mail: 2 of the won, 15 of the lost.
    Japan: one won and one lost. Half of the outcomes come from deals, half from stages."""
    acct = accounts.create_account(db, name="Acme Logistics").id
    reason = lost_reasons.list_lost_reasons(db)[0].id
    i = 0
    for won in (True, False):
        for k in range(20 * scale):
            director = k < (16 if won else 4) * scale
            free = k >= (18 if won else 5) * scale
            via_deal = k % 2 == 0
            stage = "mql" if via_deal else ("customer" if won else "disqualified")
            c = _lead(db, i, director=director, free=free, japan=k == 1, stage=stage, account=acct)
            i += 1
            if via_deal:
                opp = opportunities.create_opportunity(db, acct, f"Deal {i}", primary_contact_id=c.id, now=NOW)
                if won:
                    opportunities.close_won(db, opp.id, now=NOW)
                else:
                    opportunities.close_lost(db, opp.id, reason, now=NOW)
    for k in range(3):  # open: not an outcome yet
        c = _lead(db, 1000 + k, director=True, free=False, account=acct)
        opportunities.create_opportunity(db, acct, f"Open {k}", primary_contact_id=c.id, now=NOW)


def test_the_predictive_rule_gains_and_the_misleading_one_turns_negative(db, rules):
    _history(db)
    report = learning.learn(db, now=NOW, batch_size=7)  # several batches
    assert (report.won, report.lost) == (20, 20)
    director, free, japan = (report.row(rules[k].id) for k in ("director", "free", "japan"))

    c = director.counts
    assert (c.won_hit, c.lost_hit, c.won_miss, c.lost_miss) == (16, 4, 4, 16)
    assert c.win_rate_hit == pytest.approx(0.8) and c.win_rate_miss == pytest.approx(0.2)
    assert c.lift == pytest.approx(1.6)
    low, high = c.lift_interval
    assert 1.0 < low < 1.6 < high <= 2.0  # a win rate cannot pass 100%: lift <= 1 / 0.5
    assert director.proposed > director.points  # 5 today: the evidence asks for more

    c = free.counts
    assert (c.won_hit, c.lost_hit) == (2, 15)
    assert c.lift < 1 and c.lift_interval[1] < 1
    assert free.points == 10 and free.proposed < 0  # scored as a plus today; it predicts losses

    assert japan.counts.hits == 2 and japan.proposed is None
    assert japan.note.startswith("Too few outcomes")
    # the proposals spend what the rules they replace spend now (the team's scale)
    assert abs(director.proposed) + abs(free.proposed) == pytest.approx(5 + 10, abs=1)


def test_a_lead_with_a_won_and_a_lost_deal_counts_as_won_once(db, rules):
    acct = accounts.create_account(db, name="Acme").id
    c = _lead(db, 1, director=True, free=False, account=acct)
    reason = lost_reasons.list_lost_reasons(db)[0].id
    first = opportunities.create_opportunity(db, acct, "First", primary_contact_id=c.id, now=NOW)
    opportunities.close_lost(db, first.id, reason, now=NOW)
    second = opportunities.create_opportunity(db, acct, "Second", primary_contact_id=c.id, now=NOW)
    opportunities.close_won(db, second.id, now=NOW)
    report = learning.learn(db, now=NOW)
    assert (report.won, report.lost) == (1, 0)
    assert report.row(rules["director"].id).counts.won_hit == 1


def test_small_samples_propose_nothing(db, rules):
    acct = accounts.create_account(db, name="Acme").id
    for i in range(12):
        _lead(db, i, director=i < 6, free=False, stage="customer" if i < 6 else "disqualified", account=acct)
    report = learning.learn(db, now=NOW)
    assert report.closed == 12
    assert all(r.proposed is None for r in report.rows)
    assert report.row(rules["director"].id).note == "Too few outcomes: 12 closed leads, 30 needed."
    assert report.row(rules["director"].id).counts.lift == pytest.approx(2.0)  # counted all the same


def test_indicators_written_as_rules_get_evidence_but_no_points(db, rules):
    with db.unit_of_work() as s:
        s.add(Indicator(name="Decides", criterion="seniority_in", params={"values": ["director"]}))
    _history(db)
    report = learning.learn(db, now=NOW)
    hpi = next(r for r in report.rows if r.kind == learning.INDICATOR)
    assert hpi.name == "Decides" and hpi.counts.lift == pytest.approx(1.6)
    assert hpi.proposed is None and hpi.note == learning.NO_POINTS


def test_accepting_changes_the_rules_together_or_not_at_all(db, rules):
    director, free = rules["director"], rules["free"]
    changed = learning.accept(db, [(director.id, 12, director.version), (free.id, -8, free.version)])
    assert [r.points for r in changed] == [12, -8]
    assert scoring.get_rule(db, director.id).points == 12 and scoring.get_rule(db, free.id).points == -8

    stale = scoring.get_rule(db, director.id)
    with pytest.raises(Conflict):
        learning.accept(db, [(free.id, 3, scoring.get_rule(db, free.id).version), (director.id, 1, stale.version - 1)])
    assert scoring.get_rule(db, free.id).points == -8  # the first change was rolled back with the second


def test_reps_are_refused_and_managers_may_accept(db, rules, make_db):
    director = rules["director"]
    bob = users.create_user(db, "Bob Rep", "bob@example.com")
    mia = users.create_user(db, "Mia Manager", "mia@example.com", role="manager")
    as_bob = make_db(actor_id=bob.id)
    as_bob.write.subject = Subject(bob.id, "rep", frozenset({bob.id}))
    assert not learning.may_accept(as_bob)
    with pytest.raises(PermissionDenied, match="Only managers and admins"):
        learning.accept(as_bob, [(director.id, 15, director.version)])
    assert scoring.get_rule(db, director.id).points == 5
    learning.learn(as_bob, now=NOW)  # a rep may still look

    as_mia = make_db(actor_id=mia.id)
    as_mia.write.subject = Subject(mia.id, "manager", frozenset({mia.id, bob.id}))
    learning.accept(as_mia, [(director.id, 15, director.version)])
    assert scoring.get_rule(db, director.id).points == 15


def test_the_demo_history_teaches_something(empty_db):
    """The demo's customers lean to the titles the rules favour (demo/_outcomes.py): the
    decision-maker rule goes with wins, free web-mail with losses; proposals are made."""
    from leaddesk.services.demo import generate as demo

    setup.initialize(empty_db, admin_name="Ada Admin", admin_email="ada@example.com")
    demo.generate(empty_db, "small", seed=7, now=NOW)
    report = learning.learn(empty_db, now=NOW)
    assert report.closed >= learning.MIN_OUTCOMES
    by_name = {r.name: r for r in report.rows}
    assert by_name["Decision-maker seniority (director and above)"].counts.lift > 1.2
    assert by_name["Only a free web-mail address"].counts.lift < 0.5
    assert sum(r.proposed is not None for r in report.rows) >= 4


def test_a_cancelled_analysis_proposes_nothing(db, rules):
    _history(db)
    stop = threading.Event()
    seen = []

    def progress(done, total):
        seen.append((done, total))
        if done:
            stop.set()

    report = learning.learn(db, now=NOW, batch_size=10, progress=progress, cancel=stop)
    assert report.cancelled and report.closed == 10 and seen == [(0, 40), (10, 40)]
    assert {r.note for r in report.rows} == {learning.STOPPED} and all(r.proposed is None for r in report.rows)
