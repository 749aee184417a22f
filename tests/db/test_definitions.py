from __future__ import annotations

import pytest

from leaddesk.errors import Conflict, ValidationError
from leaddesk.models.enums import LifecycleStage
from leaddesk.services.qualification import definitions


def test_definitions_listed_in_funnel_order(db):
    listed = definitions.list_definitions(db)
    assert [d.stage for d in listed] == list(LifecycleStage)
    sql = next(d for d in listed if d.stage is LifecycleStage.SQL)
    assert sql.entry_criteria == "BANT complete and positive."


def test_definition_update_and_stale_version(db, make_db):
    sql = definitions.get_definition(db, "sql")
    new = definitions.update_definition(db, LifecycleStage.SQL, expected_version=sql.version,
                                        definition="Passed BANT and booked a demo.", entry_criteria=None)
    assert (new.definition, new.entry_criteria, new.name, new.version) == (
        "Passed BANT and booked a demo.", None, sql.name, sql.version + 1)
    with pytest.raises(Conflict):
        definitions.update_definition(make_db(), "sql", expected_version=sql.version, name="SQL")
    assert definitions.get_definition(db, "sql").name == sql.name
    assert [d.stage for d in definitions.list_definitions(db)] == list(LifecycleStage)


@pytest.mark.parametrize("stage, data, field", [
    ("sql", {"definition": "  "}, "definition"),
    ("sql", {"name": ""}, "name"),
    ("sql", {"name": "x" * 101}, "name"),
    ("sql", {"colour": "red"}, "colour"),
    ("unicorn", {"name": "Unicorn"}, "stage"),
])
def test_definition_bad_input_is_refused_and_nothing_written(db, stage, data, field):
    before = definitions.list_definitions(db)
    with pytest.raises(ValidationError) as err:
        definitions.update_definition(db, stage, expected_version=None, **data)
    assert err.value.field == field
    assert definitions.list_definitions(db) == before


def test_definition_created_for_a_stage_an_old_database_lacks(empty_db):
    assert definitions.list_definitions(empty_db) == []
    with pytest.raises(ValidationError) as err:
        definitions.update_definition(empty_db, "mql", expected_version=None, name="MQL")
    assert err.value.field == "definition"
    made = definitions.update_definition(empty_db, "mql", expected_version=None, name="MQL",
                                         definition="Interested and fits.")
    assert [d.id for d in definitions.list_definitions(empty_db)] == [made.id]
    assert definitions.get_definition(empty_db, "lead") is None
