from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from leaddesk.errors import Conflict, NotFound, ValidationError
from leaddesk.models.enums import LifecycleStage, OpportunityStatus
from leaddesk.services.people import accounts, contacts
from leaddesk.services.team import users
from leaddesk.services.pipeline import lost_reasons, opportunities as p, pipelines

OPEN, WON, LOST = OpportunityStatus.OPEN, OpportunityStatus.WON, OpportunityStatus.LOST


def _default(db):
    pipe = next(x for x in pipelines.list_pipelines(db) if x.is_default)
    return pipe, pipelines.list_stages(db, pipe.id)


def _board(db, pipeline_id, stage_id=None):
    """Names of the open cards, top to bottom (of one column if given)."""
    return [c.name for c in p.list_open_opportunities(db, pipeline_id) if stage_id in (None, c.stage_id)]


@pytest.fixture
def acme(db):
    return accounts.create_account(db, name="Acme")


def test_opportunity_create_uses_defaults_and_records_history(db, acme):
    pipe, stages = _default(db)
    first = p.create_opportunity(db, acme.id, "Warehouse rollout", amount="12000.50")
    second = p.create_opportunity(db, acme.id, "Support contract", amount=900)
    assert (first.pipeline_id, first.stage_id, first.currency) == (pipe.id, stages[0].id, pipe.currency)
    assert first.status is OPEN and first.owner_id == db.write.actor_id
    assert first.amount == Decimal("12000.50")
    assert second.board_rank > first.board_rank
    assert _board(db, pipe.id) == ["Warehouse rollout", "Support contract"]
    (step,) = p.opportunity_history(db, first.id)
    assert (step.from_stage_id, step.to_stage_id, step.to_status, step.amount) == (
        None, stages[0].id, OPEN, Decimal("12000.50"))
    assert step.to_stage_name == stages[0].name


def test_opportunities_of_one_account_move_independently(db, acme):
    pipe, stages = _default(db)
    a = p.create_opportunity(db, acme.id, "Licences")
    b = p.create_opportunity(db, acme.id, "Training")
    p.move_opportunity(db, a.id, stages[3].id, expected_version=a.version)
    p.close_lost(db, b.id, lost_reasons.list_lost_reasons(db)[0].id)
    after_a, after_b = p.get_opportunity(db, a.id), p.get_opportunity(db, b.id)
    assert (after_a.stage_id, after_a.status) == (stages[3].id, OPEN)
    assert (after_b.stage_id, after_b.status) == (stages[0].id, LOST)
    assert [o.name for o in p.list_opportunities_for_account(db, acme.id, include_closed=False)] == ["Licences"]
    assert {o.name for o in p.list_opportunities_for_account(db, acme.id)} == {"Licences", "Training"}
    assert [s.to_status for s in p.opportunity_history(db, b.id)] == [OPEN, LOST]
    assert [s.to_stage_id for s in p.opportunity_history(db, a.id)] == [stages[0].id, stages[3].id]


@pytest.mark.parametrize(
    "make_kwargs, field",
    [
        (lambda ctx: {"amount": "-5"}, "amount"),
        (lambda ctx: {"amount": 10.5}, "amount"),
        (lambda ctx: {"amount": "1.234"}, "amount"),
        (lambda ctx: {"currency": "XYZ"}, "currency"),
        (lambda ctx: {"stage_id": ctx["other_stage"]}, "stage_id"),
        (lambda ctx: {"pipeline_id": uuid.uuid4()}, "pipeline_id"),
        (lambda ctx: {"account_id": uuid.uuid4()}, "account_id"),
        (lambda ctx: {"account_id": None}, "account_id"),
        (lambda ctx: {"name": "   "}, "name"),
        (lambda ctx: {"primary_contact_id": uuid.uuid4()}, "primary_contact_id"),
        (lambda ctx: {"probability": 120}, "probability"),
        (lambda ctx: {"expected_close_date": dt.datetime(2026, 5, 1, tzinfo=dt.timezone.utc)}, "expected_close_date"),
        (lambda ctx: {"owner_id": uuid.uuid4()}, "owner_id"),
    ],
)
def test_opportunity_bad_input_is_refused_and_nothing_written(db, acme, make_kwargs, field):
    pipe, _ = _default(db)
    other = pipelines.create_pipeline(db, "Partners", "USD", stages=[("Intro", 20, 7)])
    ctx = {"other_stage": pipelines.list_stages(db, other.id)[0].id}
    kwargs = {"account_id": acme.id, "name": "Deal", **make_kwargs(ctx)}
    with pytest.raises(ValidationError) as err:
        p.create_opportunity(db, **kwargs)
    assert err.value.field == field
    assert p.list_open_opportunities(db, pipe.id) == []
    assert p.list_open_opportunities(db, other.id) == []


def test_move_within_a_column_and_back_for_undo(db, acme):
    pipe, stages = _default(db)
    a, b, c = (p.create_opportunity(db, acme.id, n) for n in "ABC")
    col = stages[0].id
    p.move_opportunity(db, c.id, col, before_id=a.id)
    assert _board(db, pipe.id, col) == ["C", "A", "B"]
    moved = p.move_opportunity(db, c.id, col, after_id=a.id)
    assert _board(db, pipe.id, col) == ["A", "C", "B"]
    # Drag to another column, then undo with the stage and rank the UI kept.
    assert moved.stage_entered_at == c.stage_entered_at  # same column: still in the stage since then
    at = dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.timezone.utc)
    elsewhere = p.move_opportunity(db, c.id, stages[2].id, expected_version=moved.version, now=at)
    assert elsewhere.stage_id == stages[2].id and _board(db, pipe.id, col) == ["A", "B"]
    assert elsewhere.stage_entered_at == at
    assert [s.at for s in p.opportunity_history(db, c.id) if s.to_stage_id == stages[2].id] == [at]
    undone = p.move_opportunity(db, c.id, moved.stage_id, rank=moved.board_rank, expected_version=elsewhere.version)
    assert (undone.stage_id, undone.board_rank) == (moved.stage_id, moved.board_rank)
    assert _board(db, pipe.id, col) == ["A", "C", "B"]
    moves = [(s.from_stage_id, s.to_stage_id) for s in p.opportunity_history(db, c.id) if s.from_stage_id]
    assert sorted(moves) == sorted([(col, stages[2].id), (stages[2].id, col)])


def test_move_keeps_order_when_the_gap_between_neighbours_runs_out(db, acme):
    pipe, stages = _default(db)
    col = stages[0].id
    first = p.create_opportunity(db, acme.id, "first")
    p.create_opportunity(db, acme.id, "last")
    names = []
    for i in range(60):  # each insert halves the gap right below "first": floats run out
        card = p.create_opportunity(db, acme.id, f"n{i:02d}")
        p.move_opportunity(db, card.id, col, after_id=first.id)
        names.insert(0, card.name)
    assert _board(db, pipe.id, col) == ["first", *names, "last"]


def test_move_refused_for_a_stage_of_another_pipeline_or_a_closed_deal(db, acme):
    pipe, stages = _default(db)
    other = pipelines.create_pipeline(db, "Partners", "EUR", stages=[("Intro", 20, 7)])
    opp = p.create_opportunity(db, acme.id, "Deal")
    with pytest.raises(ValidationError) as err:
        p.move_opportunity(db, opp.id, pipelines.list_stages(db, other.id)[0].id)
    assert err.value.field == "stage_id"
    won = p.close_won(db, opp.id)
    with pytest.raises(ValidationError) as err:
        p.move_opportunity(db, opp.id, stages[1].id)
    assert err.value.field == "status" and "reopen" in str(err.value)
    assert p.get_opportunity(db, opp.id) == won


def test_close_won_makes_the_primary_contact_a_customer(db, acme):
    buyer = contacts.create_contact(db, given_name="Bea", account_id=acme.id, lifecycle_stage="sql")
    bystander = contacts.create_contact(db, given_name="Carl", account_id=acme.id, lifecycle_stage="sql")
    opp = p.create_opportunity(db, acme.id, "Deal", amount="500", primary_contact_id=buyer.id)
    won = p.close_won(db, opp.id, expected_version=opp.version)
    assert won.status is WON and won.closed_at is not None
    assert contacts.get_contact(db, buyer.id).lifecycle_stage is LifecycleStage.CUSTOMER
    assert [(s.from_stage, s.to_stage) for s in contacts.lifecycle_history(db, buyer.id)][-1] == (
        LifecycleStage.SQL, LifecycleStage.CUSTOMER)
    assert contacts.get_contact(db, bystander.id).lifecycle_stage is LifecycleStage.SQL
    assert [(s.from_status, s.to_status) for s in p.opportunity_history(db, opp.id)] == [(None, OPEN), (OPEN, WON)]
    assert opp.id not in {c.id for c in p.list_open_opportunities(db, opp.pipeline_id)}
    with pytest.raises(ValidationError) as err:
        p.close_lost(db, opp.id, lost_reasons.list_lost_reasons(db)[0].id)
    assert err.value.field == "status"


def test_close_lost_requires_an_active_reason(db, acme):
    opp = p.create_opportunity(db, acme.id, "Deal")
    reason = lost_reasons.add_lost_reason(db, "Went with a reseller")
    retired = lost_reasons.deactivate_lost_reason(db, lost_reasons.list_lost_reasons(db)[0].id)
    assert retired.id not in {r.id for r in lost_reasons.list_lost_reasons(db)}
    assert retired.id in {r.id for r in lost_reasons.list_lost_reasons(db, include_inactive=True)}
    for bad in (None, retired.id, uuid.uuid4()):
        with pytest.raises(ValidationError) as err:
            p.close_lost(db, opp.id, bad)
        assert err.value.field == "lost_reason_id"
    assert p.get_opportunity(db, opp.id) == opp
    lost = p.close_lost(db, opp.id, reason.id, note="  Cheaper offer  ")
    assert (lost.status, lost.lost_reason_id, lost.lost_note) == (LOST, reason.id, "Cheaper offer")


def test_reopen_puts_the_card_back_where_it_was(db, acme):
    pipe, stages = _default(db)
    a = p.create_opportunity(db, acme.id, "A", stage_id=stages[1].id)
    b = p.create_opportunity(db, acme.id, "B", stage_id=stages[1].id)
    lost = p.close_lost(db, a.id, lost_reasons.list_lost_reasons(db)[0].id, note="timing")
    with pytest.raises(ValidationError):
        p.reopen(db, b.id)
    back = p.reopen(db, a.id, expected_version=lost.version)
    assert (back.status, back.stage_id, back.board_rank) == (OPEN, stages[1].id, a.board_rank)
    assert (back.closed_at, back.lost_reason_id, back.lost_note) == (None, None, None)
    assert _board(db, pipe.id) == ["A", "B"]
    p.close_won(db, a.id)
    moved = p.reopen(db, a.id, stage_id=stages[4].id)
    assert moved.stage_id == stages[4].id
    assert [(s.from_status, s.to_status) for s in p.opportunity_history(db, a.id)] == [
        (None, OPEN), (OPEN, LOST), (LOST, OPEN), (OPEN, WON), (WON, OPEN)]


def test_stale_version_is_a_conflict_and_the_other_change_survives(db, make_db, acme):
    _, stages = _default(db)
    opp = p.create_opportunity(db, acme.id, "Deal", amount="100")
    bob = users.create_user(db, "Bob", "bob@example.com")
    other = make_db(actor_id=bob.id)
    theirs = p.move_opportunity(other, opp.id, stages[2].id, expected_version=opp.version)
    with pytest.raises(Conflict):
        p.update_opportunity(db, opp.id, opp.version, amount="999")
    with pytest.raises(Conflict):
        p.move_opportunity(db, opp.id, stages[1].id, expected_version=opp.version)
    with pytest.raises(Conflict):
        p.close_won(db, opp.id, expected_version=opp.version)
    now = p.get_opportunity(db, opp.id)
    assert now == theirs and now.amount == Decimal("100.00")
    assert p.opportunity_history(db, opp.id)[-1].by_user_id == bob.id


def test_update_opportunity_validates_and_bumps_version(db, acme):
    buyer = contacts.create_contact(db, given_name="Bea")  # another account is fine
    opp = p.create_opportunity(db, acme.id, "Deal")
    new = p.update_opportunity(db, opp.id, opp.version, amount=Decimal("42.10"), currency="usd", probability=35,
                               primary_contact_id=buyer.id, expected_close_date=dt.date(2026, 6, 30),
                               next_step="Send proposal")
    assert (new.amount, new.currency, new.probability, new.primary_contact_id, new.version) == (
        Decimal("42.10"), "USD", 35, buyer.id, opp.version + 1)
    for kwargs, field in (({"amount": 3.0}, "amount"), ({"currency": None}, "currency"),
                          ({"account_id": None}, "account_id"), ({"probability": -1}, "probability")):
        with pytest.raises(ValidationError) as err:
            p.update_opportunity(db, opp.id, new.version, **kwargs)
        assert err.value.field == field
    assert p.get_opportunity(db, opp.id) == new


def test_board_lists_open_cards_by_stage_then_rank_with_stage_probability(db, acme):
    pipe, stages = _default(db)
    late = p.create_opportunity(db, acme.id, "late", stage_id=stages[3].id, probability=60)
    early = p.create_opportunity(db, acme.id, "early")
    closed = p.create_opportunity(db, acme.id, "closed")
    p.close_won(db, closed.id)
    cards = p.list_open_opportunities(db, pipe.id)
    assert [c.id for c in cards] == [early.id, late.id]
    assert [c.probability for c in cards] == [stages[0].probability, 60]
    assert {c.account_name for c in cards} == {"Acme"}


def test_opportunity_soft_delete_and_restore(db, acme):
    pipe, _ = _default(db)
    opp = p.create_opportunity(db, acme.id, "Deal")
    gone = p.delete_opportunity(db, opp.id, expected_version=opp.version)
    assert gone.deleted
    with pytest.raises(NotFound):
        p.get_opportunity(db, opp.id)
    assert p.list_open_opportunities(db, pipe.id) == [] and p.list_opportunities_for_account(db, acme.id) == []
    back = p.restore_opportunity(db, opp.id)
    assert not back.deleted and _board(db, pipe.id) == ["Deal"]


def test_delete_stage_refused_while_open_deals_unless_moved(db, acme):
    pipe, stages = _default(db)
    p.create_opportunity(db, acme.id, "waiting", stage_id=stages[2].id)
    x = p.create_opportunity(db, acme.id, "x", stage_id=stages[1].id)
    y = p.create_opportunity(db, acme.id, "y", stage_id=stages[1].id)
    with pytest.raises(ValidationError) as err:
        pipelines.delete_stage(db, stages[1].id)
    assert err.value.field == "move_to_stage_id" and "2 open" in str(err.value)
    assert [s.id for s in pipelines.list_stages(db, pipe.id)] == [s.id for s in stages]
    with pytest.raises(ValidationError) as err:
        pipelines.delete_stage(db, stages[1].id, move_to_stage_id=stages[1].id)
    assert err.value.field == "move_to_stage_id"
    pipelines.delete_stage(db, stages[1].id, move_to_stage_id=stages[2].id)
    assert stages[1].id not in [s.id for s in pipelines.list_stages(db, pipe.id)]
    assert _board(db, pipe.id, stages[2].id) == ["waiting", "x", "y"]
    assert p.opportunity_history(db, x.id)[-1].from_stage_id == stages[1].id
    assert p.get_opportunity(db, y.id).stage_id == stages[2].id


def test_pipeline_create_default_and_stage_editing(db, acme):
    old, _ = _default(db)
    with pytest.raises(ValidationError) as err:
        pipelines.create_pipeline(db, "Partners", "EUR", stages=[("Intro", 150, 7)])
    assert err.value.field == "stages[0].probability"
    with pytest.raises(ValidationError) as err:
        pipelines.create_pipeline(db, old.name.upper(), "EUR")
    assert err.value.field == "name"
    assert [x.id for x in pipelines.list_pipelines(db)] == [old.id]
    new = pipelines.create_pipeline(db, "Partners", "usd", stages=[("Intro", 20, 7), ("Contract", 80)])
    assert (new.currency, new.is_default) == ("USD", False)
    pipelines.set_default_pipeline(db, new.id)
    assert [x.id for x in pipelines.list_pipelines(db) if x.is_default] == [new.id]
    opp = p.create_opportunity(db, acme.id, "Reseller deal")
    intro, contract = pipelines.list_stages(db, new.id)
    assert (opp.pipeline_id, opp.stage_id, opp.currency) == (new.id, intro.id, "USD")
    demo = pipelines.add_stage(db, new.id, "Demo", probability=40, rotting_days=5, position=1)
    assert [s.name for s in pipelines.list_stages(db, new.id)] == ["Intro", "Demo", "Contract"]
    pipelines.reorder_stages(db, new.id, [contract.id, intro.id, demo.id])
    assert [s.name for s in pipelines.list_stages(db, new.id)] == ["Contract", "Intro", "Demo"]
    with pytest.raises(ValidationError) as err:
        pipelines.reorder_stages(db, new.id, [contract.id, intro.id])
    assert err.value.field == "stage_ids"
    for kwargs, field in (({"probability": 101}, "probability"), ({"rotting_days": -1}, "rotting_days"),
                          ({"name": "intro"}, "name")):
        with pytest.raises(ValidationError) as err:
            pipelines.update_stage(db, demo.id, **kwargs)
        assert err.value.field == field
    demo = next(s for s in pipelines.list_stages(db, new.id) if s.id == demo.id)  # reordering bumped its version
    edited = pipelines.update_stage(db, demo.id, expected_version=demo.version, probability=45, description="Live demo")
    assert (edited.probability, edited.description, edited.rotting_days) == (45, "Live demo", 5)
    with pytest.raises(ValidationError):
        pipelines.delete_pipeline(db, new.id)  # the default one
    pipelines.set_default_pipeline(db, old.id)
    with pytest.raises(ValidationError):
        pipelines.delete_pipeline(db, new.id)  # still has an open opportunity
    p.close_won(db, opp.id)
    pipelines.delete_pipeline(db, new.id)
    assert [x.id for x in pipelines.list_pipelines(db)] == [old.id]
    pipelines.restore_pipeline(db, new.id)
    assert {x.id for x in pipelines.list_pipelines(db)} == {old.id, new.id}


def test_rename_pipeline_conflict_keeps_the_other_name(db, make_db):
    pipe, _ = _default(db)
    other = make_db()
    pipelines.rename_pipeline(other, pipe.id, "New business", expected_version=pipe.version)
    with pytest.raises(Conflict):
        pipelines.rename_pipeline(db, pipe.id, "Sales EU", expected_version=pipe.version)
    assert _default(db)[0].name == "New business"
