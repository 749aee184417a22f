"""Hand-off of hot leads, round-robin within caps, and reassignment with a reason (issue #12
point 4), on both engines."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import func, select

from leaddesk.errors import PermissionDenied, ValidationError
from leaddesk.models import Contact, LifecycleEvent, access
from leaddesk.models.enums import LifecycleStage
from leaddesk.services import settings as team_settings
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import contacts
from leaddesk.services.qualification import assignment, handoff, scoring
from leaddesk.services.qualification.assignment import LeadCapReached
from leaddesk.services.team import history, setup, users

UTC = dt.timezone.utc
NOW = dt.datetime(2025, 6, 1, 12, tzinfo=UTC)
REPS = ("Ana", "Ben", "Cem", "Dee")


@pytest.fixture
def team(empty_db):
    return make_team(empty_db)


def make_team(db):
    """North: four reps and a manager; South: one rep. Two rules: VP title +40, pricing page +25."""
    setup.initialize(db, admin_name="Ada Admin", admin_email="ada@example.com", scoring_rules=False)
    north = users.create_team(db, "North")
    south = users.create_team(db, "South")
    ids = {"north": north.id, "south": south.id, "ada": db.write.actor_id}
    for name in REPS:
        ids[name] = users.create_user(db, f"{name} Rep", f"{name.lower()}@example.com", role="rep",
                                      team_id=north.id).id
    ids["Mia"] = users.create_user(db, "Mia Manager", "mia@example.com", role="manager", team_id=north.id).id
    ids["Zed"] = users.create_user(db, "Zed Rep", "zed@example.com", role="rep", team_id=south.id).id
    scoring.create_rule(db, name="VP title", criterion="seniority_in", points=40, params={"values": ["vp"]})
    scoring.create_rule(db, name="Pricing page", criterion="engagement", points=25,
                        params={"kind": "pricing_page_visit", "within_days": 30})
    scoring.create_rule(db, name="Careers page", criterion="engagement", points=-10,
                        params={"kind": "careers_page_visit", "within_days": 30})
    return db, ids


def lead(db, name, *, owner=None, hot=True, stage="lead"):
    c = contacts.create_contact(db, given_name=name, family_name="Lead", seniority="vp", owner_id=owner,
                                lifecycle_stage=stage, now=NOW - dt.timedelta(days=3))
    if hot:
        campaigns.record_engagement(db, c.id, "pricing_page_visit", NOW - dt.timedelta(days=1))
    scoring.score_contact(db, c.id, now=NOW)
    return c.id


def row(db, cid) -> Contact:
    with db.reader() as s:
        return s.get(Contact, cid)


def owners_of(db, ids):
    return [row(db, c).owner_id for c in ids]


def as_user(db, user_id):
    with db.reader() as s:
        db.write.subject = None
        subject = access.load_subject(s, user_id)
    db.write.subject, db.write.actor_id = subject, user_id


def event_count(db) -> int:
    with db.reader() as s:
        return s.scalar(select(func.count()).select_from(LifecycleEvent))


# --- hand-off ---------------------------------------------------------------------------

def test_a_lead_reaching_the_hot_score_becomes_mql_with_its_reasons(team):
    db, ids = team
    hot = lead(db, "Hot")
    warm = lead(db, "Warm", hot=False)  # 40: not hot
    owned = lead(db, "Owned", owner=ids["Ben"])
    sql = lead(db, "Already", stage="sql")
    result = handoff.hand_off_hot_leads(db, now=NOW)
    assert {h.contact_id for h in result.handed_off} == {hot, owned}
    c = row(db, hot)
    assert c.lifecycle_stage == LifecycleStage.MQL and c.lifecycle_changed_at == NOW
    assert c.stage_reason == "Score 65 >= 60: +40 VP title, +25 Pricing page"
    with db.reader() as s:
        ev = s.scalars(select(LifecycleEvent).where(LifecycleEvent.contact_id == hot)
                       .order_by(LifecycleEvent.at.desc())).first()
    assert (ev.from_stage, ev.to_stage, ev.reason, ev.by_user_id) == (
        LifecycleStage.LEAD, LifecycleStage.MQL, c.stage_reason, ids["ada"])
    assert row(db, warm).lifecycle_stage == LifecycleStage.LEAD
    assert row(db, owned).owner_id == ids["Ben"] and row(db, owned).lifecycle_stage == LifecycleStage.MQL
    assert row(db, sql).lifecycle_stage == LifecycleStage.SQL
    # the admin is in no team and there are two: the lead stays in the pool, and says so
    assert c.owner_id is None and result.left_unassigned == (hot,)
    assert "1 left unassigned" in result.summary()


def test_unassigned_hot_leads_go_round_robin_within_the_team(team):
    db, ids = team
    first = [lead(db, f"Lead {i}") for i in range(6)]
    result = handoff.hand_off_hot_leads(db, now=NOW, team_id=ids["north"])
    got = [h.assigned_to for h in result.handed_off]
    names = {ids[n]: n for n in REPS}
    assert [names[o] for o in got] == ["Ana", "Ben", "Cem", "Dee", "Ana", "Ben"]
    assert Counter(owners_of(db, first)) == {ids["Ana"]: 2, ids["Ben"]: 2, ids["Cem"]: 1, ids["Dee"]: 1}
    assert result.summary() == ("6 hot leads handed off to sales (MQL); assigned round-robin: "
                                "Ana Rep 2, Ben Rep 2, Cem Rep 1, Dee Rep 1.")
    c = row(db, first[0])
    assert c.assigned_at is not None and c.assignment_reason.startswith("Round-robin after hand-off at score 65")
    # the next batch continues after Ben, who was given a lead last
    more = [lead(db, f"More {i}") for i in range(2)]
    later = NOW + dt.timedelta(hours=1)
    handoff.hand_off_hot_leads(db, now=later, team_id=ids["north"])
    assert owners_of(db, sorted(more, key=str)) == [ids["Cem"], ids["Dee"]]  # equal scores: by id
    assert ids["Mia"] not in owners_of(db, first + more)  # a manager is no round-robin rep


def test_the_acting_managers_team_is_used_and_a_reps_session_leaves_the_lead_in_the_pool(team):
    db, ids = team
    as_user(db, ids["Mia"])
    a = lead(db, "ForMia")
    handoff.hand_off_hot_leads(db, now=NOW)
    assert row(db, a).owner_id == ids["Ana"]
    as_user(db, ids["Cem"])
    b = lead(db, "ForCem")
    with db.unit_of_work() as s:  # the session-level entry requalify uses
        result = handoff.handoff_in(s, [b], now=NOW, by_user_id=ids["Cem"])
    assert result.left_unassigned == (b,)
    assert row(db, b).owner_id is None and row(db, b).lifecycle_stage == LifecycleStage.MQL


def test_caps_of_the_team_and_of_one_rep_are_respected(team):
    db, ids = team
    assignment.set_team_cap(db, ids["north"], 1)
    assignment.set_rep_cap(db, ids["Ben"], 2)
    leads = [lead(db, f"Lead {i}") for i in range(5)]
    handoff.hand_off_hot_leads(db, now=NOW, team_id=ids["north"])
    assert Counter(owners_of(db, leads)) == {ids["Ana"]: 1, ids["Ben"]: 2, ids["Cem"]: 1, ids["Dee"]: 1}
    load = {r.name: r for r in assignment.team_load(db, ids["north"]).reps}
    assert (load["Ben Rep"].open_leads, load["Ben Rep"].cap, load["Ben Rep"].cap_source) == (2, 2, "rep")
    assert (load["Ana Rep"].cap, load["Ana Rep"].cap_source) == (1, "team")


def test_everyone_full_refuses_the_whole_hand_off_and_writes_nothing(team):
    db, ids = team
    team_settings.set_setting(db, "lead_cap", 1)  # the setting's cap: no team or rep cap set
    for name in REPS:
        lead(db, f"Held by {name}", owner=ids[name], hot=False)
    extra = [lead(db, "One"), lead(db, "Two")]
    before = event_count(db)
    with pytest.raises(LeadCapReached) as exc:
        handoff.hand_off_hot_leads(db, now=NOW, team_id=ids["north"])
    assert str(exc.value) == ("All 4 reps of North are at their cap (1 open lead): raise a cap or reassign leads. "
                              "Nothing was assigned.")
    assert event_count(db) == before
    for cid in extra:
        c = row(db, cid)
        assert c.owner_id is None and c.lifecycle_stage == LifecycleStage.LEAD and c.stage_reason is None


def test_nurture_does_not_count_against_the_cap(team):
    db, ids = team
    team_settings.set_setting(db, "lead_cap", 1)
    lead(db, "Nurtured", owner=ids["Ana"], hot=False, stage="nurture")
    for name in REPS[1:]:  # the others are full
        lead(db, f"Held by {name}", owner=ids[name], hot=False)
    a = lead(db, "New")
    handoff.hand_off_hot_leads(db, now=NOW, team_id=ids["north"])
    assert row(db, a).owner_id == ids["Ana"]


def test_auto_handoff_off_disables_the_automatic_path_only(team):
    db, ids = team
    team_settings.set_setting(db, "auto_handoff", False)
    a = lead(db, "Hot")
    result = handoff.hand_off_hot_leads(db, now=NOW, team_id=ids["north"])
    assert result.disabled and row(db, a).lifecycle_stage == LifecycleStage.LEAD
    with db.unit_of_work() as s:
        assert handoff.handoff_in(s, [a], now=NOW, by_user_id=None).disabled
    result = handoff.hand_off_hot_leads(db, now=NOW, team_id=ids["north"], manual=True)
    assert [h.contact_id for h in result.handed_off] == [a]
    assert row(db, a).lifecycle_stage == LifecycleStage.MQL


# --- reassignment -----------------------------------------------------------------------

def test_reassign_needs_a_reason_and_records_who_when_why(team):
    db, ids = team
    a = lead(db, "Moving", owner=ids["Ana"], hot=False)
    with pytest.raises(ValidationError) as exc:
        assignment.reassign(db, [a], ids["Ben"], "  ")
    assert exc.value.field == "reason"
    assert row(db, a).owner_id == ids["Ana"]
    later = NOW + dt.timedelta(days=1)
    result = assignment.reassign(db, [a], ids["Ben"], "Ana is on leave", now=later)
    assert result.moved == (a,) and not result.over_cap
    c = row(db, a)
    assert (c.owner_id, c.assigned_at, c.assignment_reason) == (ids["Ben"], later, "Ana is on leave")
    entries = history.record_history(db, "contact", a)
    why = [e for e in entries if e.field == "assignment_reason"]
    owner = [e for e in entries if e.field == "owner_id"]
    assert why and why[0].value == "Ana is on leave" and why[0].author == "Ada Admin"
    assert owner and owner[0].text == "Ben Rep"


def test_reassign_respects_the_targets_cap_unless_a_manager_overrides(team):
    db, ids = team
    assignment.set_rep_cap(db, ids["Ben"], 1)
    lead(db, "Bens", owner=ids["Ben"], hot=False)
    a = lead(db, "Anas", owner=ids["Ana"], hot=False)
    with pytest.raises(LeadCapReached, match="Ben Rep holds 1 open leads of a cap of 1"):
        assignment.reassign(db, [a], ids["Ben"], "Territory")
    assert row(db, a).owner_id == ids["Ana"]
    as_user(db, ids["Cem"])
    with pytest.raises(PermissionDenied, match="Only a manager"):
        assignment.reassign(db, [a], ids["Ben"], "Territory", override_cap=True)
    as_user(db, ids["Mia"])
    result = assignment.reassign(db, [a], ids["Ben"], "Territory", override_cap=True)
    assert result.over_cap and row(db, a).owner_id == ids["Ben"]


def test_a_rep_may_take_pool_leads_but_not_take_or_give_away_others(team):
    db, ids = team
    bens = lead(db, "Bens", owner=ids["Ben"], hot=False)
    anas = lead(db, "Anas", owner=ids["Ana"], hot=False)
    pool = lead(db, "Pool", hot=False)
    as_user(db, ids["Ana"])
    with pytest.raises(PermissionDenied, match="belongs to someone else"):
        assignment.reassign(db, [pool, bens], ids["Ana"], "I know her")
    with pytest.raises(PermissionDenied, match="only a manager"):
        assignment.reassign(db, [anas], ids["Ben"], "Too busy")
    assert owners_of(db, [bens, anas, pool]) == [ids["Ben"], ids["Ana"], None]  # all or nothing
    assignment.reassign(db, [pool], ids["Ana"], "Met at the fair")
    assert row(db, pool).owner_id == ids["Ana"]


def test_a_manager_reassigns_within_her_team_only(team):
    db, ids = team
    a = lead(db, "Anas", owner=ids["Ana"], hot=False)
    as_user(db, ids["Mia"])
    with pytest.raises(PermissionDenied):
        assignment.reassign(db, [a], ids["Zed"], "South wants it")
    assignment.reassign(db, [a], ids["Dee"], "Dee speaks Turkish")
    assert row(db, a).owner_id == ids["Dee"]


def test_rep_loads_count_open_leads_set_based(team):
    db, ids = team
    for stage in ("lead", "iql", "mql", "sql", "nurture", "disqualified", "customer"):
        lead(db, f"S {stage}", owner=ids["Dee"], hot=False, stage=stage)
    (dee,) = assignment.rep_loads(db, [ids["Dee"]])
    assert (dee.open_leads, dee.cap, dee.cap_source) == (4, 500, "setting")


def test_the_reason_names_the_best_rules_first_and_sums_the_negative_ones():
    from leaddesk.models.enums import ScoreFamily
    from leaddesk.services.qualification.dto import Grade, Quadrant, ScoreBreakdown, ScoreReason

    reasons = tuple(ScoreReason(name, ScoreFamily.FIT, pts) for name, pts in (
        ("Small", 5), ("VP title", 25), ("Careers page", -10), ("Pricing", 15), ("Trial", 20), ("Reply", 10),
        ("Webinar", 5), ("Student", -5)))
    result = ScoreBreakdown(10, 55, 65, Grade.HOT, Quadrant.SALES_NOW, reasons)
    assert handoff.reason_text(result, 60) == (
        "Score 65 >= 60: +25 VP title, +20 Trial, +15 Pricing, +10 Reply, and 2 more, -15 from negative rules")


def test_a_rep_may_not_change_caps(team):
    db, ids = team
    as_user(db, ids["Ana"])
    with pytest.raises(PermissionDenied, match="Only a manager or an admin"):
        assignment.set_rep_cap(db, ids["Ana"], 10)
    (ana,) = assignment.rep_loads(db, [ids["Ana"]])
    assert (ana.cap, ana.own_cap) == (500, None)


def test_reassigning_to_the_current_owner_changes_nothing_for_that_contact(team):
    db, ids = team
    a = lead(db, "Anas", owner=ids["Ana"], hot=False)
    b = lead(db, "Bens", owner=ids["Ben"], hot=False)
    result = assignment.reassign(db, [b, a], ids["Ana"], "Territory", now=NOW)
    assert (result.moved, result.unchanged) == ((b,), (a,))
    assert row(db, a).assignment_reason is None and row(db, b).assignment_reason == "Territory"


def test_assign_pool_in_gives_only_unassigned_contacts_round_robin(team):
    db, ids = team
    owned = lead(db, "Owned", owner=ids["Dee"], hot=False)
    pool = [lead(db, f"Pool {i}", hot=False, stage="sql") for i in range(2)]
    with db.unit_of_work() as s:
        got = handoff.assign_pool_in(s, [owned, *pool], now=NOW, by_user_id=None, reason="BANT positive",
                                     team_id=ids["north"])
    # Dee was given a lead last (at creation): round-robin goes on with Ana, then Ben
    assert got == {pool[0]: ids["Ana"], pool[1]: ids["Ben"]}
    assert row(db, owned).owner_id == ids["Dee"] and row(db, pool[0]).assignment_reason == "BANT positive"


def _selects(db, fn):
    from sqlalchemy import event

    seen = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_loads_and_round_robin_cost_the_same_queries_for_few_or_many_leads(team):
    db, ids = team
    for name in REPS:
        lead(db, f"Few {name}", owner=ids[name], hot=False)

    def work():
        assignment.team_load(db, ids["north"])
        with db.reader() as s:
            assignment.round_robin(s, ids["north"], 3)

    few = _selects(db, work)
    for i in range(40):
        lead(db, f"Many {i}", owner=ids[REPS[i % 4]], hot=False)
    assert _selects(db, work) == few
