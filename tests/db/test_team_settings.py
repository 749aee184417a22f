"""Issue #12 point 8, the services under the team settings screen: a manager sets the team's
settings, stage definitions and pipelines; a rep is refused by the service (the journal's
rules, the same as the team server's); the account view's pipelines with their counts."""

from __future__ import annotations

import pytest

from leaddesk.errors import PermissionDenied, ValidationError
from leaddesk.models import access
from leaddesk.services import settings as team_settings
from leaddesk.services.people import accounts
from leaddesk.services.pipeline import board, opportunities, pipelines
from leaddesk.services.qualification import definitions
from leaddesk.services.team import users


def _as(make_db, db, role: str):
    """A second installation signed in as a new user of ``role`` (rules applied)."""
    person = users.create_user(db, f"{role.title()} Person", f"{role}@example.com", role=role)
    other = make_db(actor_id=person.id)
    with other.reader() as s:
        other.write.subject = access.load_subject(s, person.id)
    assert other.write.subject.role == role
    return other


def test_a_manager_saves_settings_in_one_go(db, make_db):
    manager = _as(make_db, db, "manager")
    saved = team_settings.set_settings(manager, {"lead_cap": "250", "score_hot": 70, "score_warm": 35,
                                                 "bant_required": ["need", "budget"], "auto_handoff": False,
                                                 "default_currency": "usd", "default_region": "gb"})
    assert saved["lead_cap"] == 250 and saved["default_currency"] == "USD" and saved["default_region"] == "GB"
    stored = team_settings.get_settings(db)
    assert (stored["lead_cap"], stored["score_hot"], stored["score_warm"], stored["bant_required"],
            stored["auto_handoff"]) == (250, 70, 35, ["budget", "need"], False)
    assert stored["requalify_days"] == 90  # untouched keys keep their default


@pytest.mark.parametrize("values, field", [
    ({"lead_cap": 0, "score_hot": 80}, "lead_cap"),
    ({"score_hot": 80, "default_currency": "EURO"}, "default_currency"),
    ({"score_hot": 80, "default_region": "Atlantis"}, "default_region"),
    ({"score_hot": 20}, "score_hot"),  # below the stored warm (30)
    ({"score_warm": 60}, "score_warm"),  # not below the stored hot (60)
    ({"bant_required": ["budget", "money"]}, "bant_required"),
    ({"auto_handoff": "yes"}, "auto_handoff"),
    ({"no_such_key": 1}, "key"),
])
def test_one_bad_value_saves_nothing(db, values, field):
    before = team_settings.get_settings(db)
    with pytest.raises(ValidationError) as err:
        team_settings.set_settings(db, values)
    assert err.value.field == field
    assert team_settings.get_settings(db) == before


def test_a_rep_is_refused_every_configuration_change(db, make_db):
    rep = _as(make_db, db, "rep")
    pipe = pipelines.list_pipelines(db)[0]
    stage = pipelines.list_stages(db, pipe.id)[0]
    sql = definitions.get_definition(db, "sql")
    before = (team_settings.get_settings(db), definitions.list_definitions(db), pipelines.list_pipelines(db),
              pipelines.list_stages(db, pipe.id))
    attempts = [
        lambda: team_settings.set_settings(rep, {"lead_cap": 10}),
        lambda: team_settings.set_setting(rep, "score_hot", 90),
        lambda: definitions.update_definition(rep, "sql", expected_version=sql.version, definition="Anything."),
        lambda: pipelines.create_pipeline(rep, "Rep's own", stages=[("New", 10, None)]),
        lambda: pipelines.rename_pipeline(rep, pipe.id, "Mine", expected_version=pipe.version),
        lambda: pipelines.update_stage(rep, stage.id, expected_version=stage.version, rotting_days=1),
        lambda: pipelines.add_stage(rep, pipe.id, "Extra"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match="managers and admins"):
            attempt()
    assert (team_settings.get_settings(db), definitions.list_definitions(db), pipelines.list_pipelines(db),
            pipelines.list_stages(db, pipe.id)) == before
    assert rep.write.subject.role == "rep" and definitions.list_definitions(rep) == before[1]  # reading is fine


def test_a_manager_edits_definitions_and_pipelines(db, make_db):
    manager = _as(make_db, db, "manager")
    sql = definitions.get_definition(db, "sql")
    definitions.update_definition(manager, "sql", expected_version=sql.version, name="Sales-qualified",
                                  definition="Budget, authority, need and timing confirmed.",
                                  entry_criteria="A demo is booked.")
    after = definitions.get_definition(db, "sql")
    assert (after.name, after.entry_criteria) == ("Sales-qualified", "A demo is booked.")

    renewals = pipelines.create_pipeline(manager, "Renewals", stages=[("Due", 50, 30), ("Signed", 90, None)])
    pipelines.rename_pipeline(manager, renewals.id, "Renewals 2027", expected_version=renewals.version)
    due, signed = pipelines.list_stages(db, renewals.id)
    pipelines.update_stage(manager, due.id, expected_version=due.version, rotting_days=14, probability=40)
    extra = pipelines.add_stage(manager, renewals.id, "Negotiation", probability=70, rotting_days=10)
    pipelines.reorder_stages(manager, renewals.id, [extra.id, due.id, signed.id])
    pipelines.delete_stage(manager, signed.id)
    stages = pipelines.list_stages(db, renewals.id)
    assert [(s.name, s.position, s.probability, s.rotting_days) for s in stages] == [
        ("Negotiation", 0, 70, 10), ("Due", 1, 40, 14)]
    assert "Renewals 2027" in [p.name for p in pipelines.list_pipelines(db)]


def test_account_pipelines_counts_and_order(db):
    default = pipelines.list_pipelines(db)[0]
    renewals = pipelines.create_pipeline(db, "Renewals", stages=[("Due", 50, 30)])
    acme = accounts.create_account(db, name="Acme GmbH")
    lonely = accounts.create_account(db, name="Lonely Ltd")
    won = opportunities.create_opportunity(db, acme.id, "First order", pipeline_id=default.id)
    opportunities.close_won(db, won.id)
    opportunities.create_opportunity(db, acme.id, "Second order", pipeline_id=default.id)
    for name in ("Renewal 2027", "Renewal 2028"):
        opportunities.create_opportunity(db, acme.id, name, pipeline_id=renewals.id)
    got = board.account_pipelines(db, acme.id)
    assert [(p.name, p.deals, p.open_deals, p.is_default) for p in got] == [
        ("Renewals", 2, 2, False), (default.name, 2, 1, True)]
    # Only the default pipeline for an account without deals (where its first deal goes).
    assert [(p.pipeline_id, p.deals) for p in board.account_pipelines(db, lonely.id)] == [(default.id, 0)]
    # The board reads the chosen pipeline's cards of the account.
    cards = board.load_board(db, board.BoardFilter(pipeline_id=renewals.id, account_id=acme.id)).cards
    assert sorted(c.name for c in cards) == ["Renewal 2027", "Renewal 2028"]
