"""The rule table checked where the read filter cannot hide a wrong write rule (issue #9).

The role matrix of the sync tests asks "may X change row R?" only for rows X can see, so
a write rule that let managers change *any* team's rows survived the suite: other teams'
rows were filtered out before the write rule was asked. Here the predicates are asked
directly, for every owned table, role and owner, against an expectation written out by
hand from the README's table; and the server is asked with INSERTs (which no read policy
filters) and re-assignments, as each role's own login."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from leaddesk.errors import PermissionDenied
from leaddesk.models import Contact, Opportunity, access
from leaddesk.models.access import ADMIN, MANAGER, REP, Subject
from leaddesk.services.people import contacts
from tests.sync.team import population

ALICE, BOB, CAROL, DAVE, ERIN = (uuid.uuid4() for _ in range(5))
NORTH = frozenset({ALICE, BOB, CAROL})
SUBJECTS = {"rep": Subject(ALICE, REP, NORTH), "manager": Subject(CAROL, MANAGER, NORTH),
            "admin": Subject(ERIN, ADMIN, frozenset({ERIN}))}
#: The owner of the row, seen from the subject: itself, a teammate, another team, nobody.
OWNERS = {"rep": {"own": ALICE, "teammate": BOB, "other team": DAVE, "unassigned": None},
          "manager": {"own": CAROL, "teammate": BOB, "other team": DAVE, "unassigned": None},
          "admin": {"own": ERIN, "teammate": ERIN, "other team": DAVE, "unassigned": None}}

# (kind, role) -> {relation: (read, write)}: the README's "who sees what", by hand.
EXPECTED = {
    ("shared", "rep"): {"own": (1, 1), "teammate": (1, 0), "other team": (0, 0), "unassigned": (1, 1)},
    ("shared", "manager"): {"own": (1, 1), "teammate": (1, 1), "other team": (0, 0), "unassigned": (1, 1)},
    ("shared", "admin"): {"own": (1, 1), "teammate": (1, 1), "other team": (1, 1), "unassigned": (1, 1)},
    ("private", "rep"): {"own": (1, 1), "teammate": (0, 0), "other team": (0, 0), "unassigned": (1, 1)},
    ("private", "manager"): {"own": (1, 1), "teammate": (1, 1), "other team": (0, 0), "unassigned": (1, 1)},
    ("private", "admin"): {"own": (1, 1), "teammate": (1, 1), "other team": (1, 1), "unassigned": (1, 1)},
}
KIND = {"account": "shared", "contact": "shared", "opportunity": "private", "activity": "private"}


def _nothing(entity, row_id):
    return None


@pytest.mark.parametrize("entity", sorted(KIND))
@pytest.mark.parametrize("role", sorted(SUBJECTS))
def test_owned_tables_follow_the_written_table(entity, role):
    subject = SUBJECTS[role]
    for relation, (read, write) in EXPECTED[(KIND[entity], role)].items():
        row = {"owner_id": OWNERS[role][relation]}
        assert access.can_read(subject, entity, row, _nothing) is bool(read), (entity, role, relation)
        assert access.can_write(subject, entity, row, _nothing) is bool(write), (entity, role, relation)


@pytest.mark.parametrize("role", sorted(SUBJECTS))
def test_children_follow_their_parent_even_when_hidden(role):
    subject = SUBJECTS[role]
    for relation, (read, write) in EXPECTED[("shared", role)].items():
        parent = {"id": uuid.uuid4(), "owner_id": OWNERS[role][relation]}

        def lookup(entity, row_id, parent=parent):
            return parent if entity == "contact" and row_id == parent["id"] else None

        for child in ("contact_email", "contact_phone", "bant", "lifecycle_event", "engagement_event"):
            row = {"contact_id": parent["id"]}
            assert access.can_read(subject, child, row, lookup) is bool(read), (child, role, relation)
            assert access.can_write(subject, child, row, lookup) is bool(write), (child, role, relation)
        if role != "admin":  # an orphan (its contact unknown here) is nobody's to change but an admin's
            assert access.can_write(subject, "contact_email", {"contact_id": uuid.uuid4()}, lookup) is False


def test_configuration_and_people():
    for entity, rule in access.RULES.items():
        if not isinstance(rule, access.Reference):
            continue
        admin_only = entity in ("team", "app_user")
        assert access.can_write(SUBJECTS["rep"], entity, {}, _nothing) is False, entity
        assert access.can_write(SUBJECTS["manager"], entity, {}, _nothing) is (not admin_only), entity
        assert access.can_write(SUBJECTS["admin"], entity, {}, _nothing) is True, entity
        assert all(access.can_read(s, entity, {}, _nothing) for s in SUBJECTS.values())


# --- the app refuses what the server would ---------------------------------------------------

def test_a_manager_cannot_hand_a_row_to_another_team_in_the_app(make_db):
    db = make_db()
    ids = population(db)
    with db.reader() as s:
        carol = access.load_subject(s, ids["carol"])
    db.write.subject, db.write.actor_id = carol, ids["carol"]
    with pytest.raises(PermissionDenied):
        with db.unit_of_work() as s:
            s.get(Contact, ids["contact_alice"]).owner_id = ids["dave"]
    with pytest.raises(PermissionDenied):
        with db.unit_of_work() as s:
            s.get(Opportunity, ids["opp_alice"]).owner_id = ids["dave"]
    with pytest.raises(PermissionDenied):
        contacts.create_contact(db, given_name="For", family_name="South", owner_id=ids["dave"])
    # within her team she may
    with db.unit_of_work() as s:
        s.get(Opportunity, ids["opp_alice"]).owner_id = ids["bob"]


# --- the server, as each login, with INSERTs no read policy filters ---------------------------

COPY_WITH_OWNER = ("INSERT INTO {t} SELECT * FROM jsonb_populate_record(NULL::{t}, "
                   "(SELECT to_jsonb(x) || jsonb_build_object('id', gen_random_uuid(), 'owner_id', CAST(:o AS uuid)) "
                   "FROM {t} x WHERE x.id = :src))")


@pytest.mark.postgres
@pytest.mark.parametrize(("who", "table", "src", "owner", "allowed"), [
    ("carol", "contact", "contact_alice", "dave", False),   # manager -> another team
    ("carol", "opportunity", "opp_alice", "dave", False),
    ("carol", "opportunity", "opp_alice", "bob", True),     # manager -> her team
    ("alice", "opportunity", "opp_alice", "bob", False),    # rep -> a teammate
    ("alice", "contact", "contact_alice", "bob", False),
    ("alice", "contact", "contact_alice", "alice", True),   # rep -> herself
    ("dave", "contact", "contact_dave", "alice", False),    # rep -> another team
    ("erin", "contact", "contact_alice", "dave", True),     # admin: anyone
])
def test_the_server_refuses_rows_made_for_others(pg_team, who, table, src, owner, allowed):
    ids, engines, _ = pg_team
    stmt = text(COPY_WITH_OWNER.format(t=table))
    params = {"o": ids[owner], "src": ids[src]}
    if allowed:
        with engines[who].begin() as conn:
            assert conn.execute(stmt, params).rowcount == 1
        return
    with pytest.raises(DBAPIError, match="row-level security"):
        with engines[who].begin() as conn:
            conn.execute(stmt, params)


# --- every table, command, role and owner, as the role's own login ----------------------------

#: relation of each population owner to each subject
RELATION = {"alice": {"alice": "own", "bob": "teammate", "dave": "other team", "nobody": "unassigned"},
            "carol": {"alice": "teammate", "bob": "teammate", "dave": "other team", "nobody": "unassigned"},
            "erin": {"alice": "other team", "bob": "other team", "dave": "other team", "nobody": "unassigned"}}
ROLE = {"alice": "rep", "carol": "manager", "erin": "admin"}
TABLE_KIND = {"contact": "shared", "account": "shared", "contact_email": "shared", "opportunity": "private"}


def _rows(engine) -> dict:
    """(table, owner) -> id for the population's rows (read as the superuser)."""
    with engine.connect() as conn:
        out = {}
        for table, parent in (("contact", None), ("account", None), ("opportunity", None),
                              ("contact_email", "contact")):
            owner = "p.owner_id" if parent else "t.owner_id"
            join = f"JOIN {parent} p ON p.id = t.contact_id" if parent else ""
            for row_id, owner_id in conn.execute(text(f"SELECT t.id, {owner} FROM {table} t {join}")):
                out.setdefault((table, owner_id), row_id)
        return out


@pytest.mark.postgres
@pytest.mark.parametrize("who", sorted(ROLE))
def test_every_command_on_every_owned_table_as_each_login(pg_team, hub_url, who):
    ids, engines, _ = pg_team
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    su = create_engine(hub_url, poolclass=NullPool)
    rows = _rows(su)
    su.dispose()
    owners = {"alice": ids["alice"], "bob": ids["bob"], "dave": ids["dave"], "nobody": None}
    checked = 0
    for table, kind in TABLE_KIND.items():
        for owner_name, relation in RELATION[who].items():
            row_id = rows.get((table, owners[owner_name]))
            if row_id is None:
                continue
            read, write = EXPECTED[(kind, ROLE[who])][relation]
            engine = engines[who]
            with engine.connect() as conn:
                seen = conn.scalar(text(f"SELECT count(*) FROM {table} WHERE id = :i"), {"i": row_id})
            assert seen == read, (who, "SELECT", table, relation)
            with engine.begin() as conn:
                n = conn.execute(text(f"UPDATE {table} SET version = version WHERE id = :i"), {"i": row_id}).rowcount
            assert n == write, (who, "UPDATE", table, relation)
            with pytest.raises(DBAPIError, match="permission denied"):
                with engine.begin() as conn:
                    conn.execute(text(f"DELETE FROM {table} WHERE id = :i"), {"i": row_id})
            checked += 1
            copy = text(f"INSERT INTO {table} SELECT * FROM jsonb_populate_record(NULL::{table}, "
                        f"(SELECT to_jsonb(x) || jsonb_build_object('id', gen_random_uuid()) FROM {table} x "
                        "WHERE x.id = :i))")
            if not read:
                continue  # she cannot even read the row to copy it
            if write:
                with engine.begin() as conn:
                    assert conn.execute(copy, {"i": row_id}).rowcount == 1, (who, "INSERT", table, relation)
            else:
                with pytest.raises(DBAPIError, match="row-level security"):
                    with engine.begin() as conn:
                        conn.execute(copy, {"i": row_id})
    assert checked >= 12  # four tables, three or four owners each
    # configuration and people: everybody reads, the right role writes, nobody deletes
    for table, writers in (("pipeline", {"manager", "admin"}), ("app_user", {"admin"})):
        with engines[who].begin() as conn:
            assert conn.scalar(text(f"SELECT count(*) FROM {table}")) > 0
            n = conn.execute(text(f"UPDATE {table} SET version = version")).rowcount
        assert (n > 0) is (ROLE[who] in writers), (who, table)
        with pytest.raises(DBAPIError, match="permission denied"):
            with engines[who].begin() as conn:
                conn.execute(text(f"DELETE FROM {table}"))
