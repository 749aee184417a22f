"""A team on the hub: two teams of reps and managers, an admin, their PostgreSQL logins,
and rows owned by each (shared by the role, join and scene tests)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.models import ContactEmail, User
from leaddesk.services.people import accounts, contacts
from leaddesk.services.pipeline import opportunities as pipeline, pipelines
from leaddesk.services.team import setup
from leaddesk.services.team import admin as team_admin, users

PEOPLE = ("alice", "bob", "carol", "dave", "erin")
PASSWORD = "s3cret-pass"


@pytest.fixture
def team_hub(hub_url, hub):
    """The run's hub with LeadDesk's roles installed (idempotent) and emptied."""
    engine = make_engine(hub_url)
    team_admin.install_roles(engine)
    engine.dispose()
    return hub_url


def population(db: Database) -> dict:
    """Two teams: North (alice, bob: reps; carol: manager), South (dave: rep); erin: admin.
    Contacts, opportunities and an activity owned by each, plus unowned ones."""
    setup.initialize(db, admin_name="Erin Admin", admin_email="erin@example.com")
    ids: dict = {}
    with db.reader() as s:
        ids["erin"] = s.scalar(select(User.id).where(User.email_normalized == "erin@example.com"))
    north = users.create_team(db, "North")
    south = users.create_team(db, "South")
    ids["alice"] = users.create_user(db, "Alice Rep", "alice@example.com", role="rep", team_id=north.id).id
    ids["bob"] = users.create_user(db, "Bob Rep", "bob@example.com", role="rep", team_id=north.id).id
    ids["carol"] = users.create_user(db, "Carol Manager", "carol@example.com", role="manager", team_id=north.id).id
    ids["dave"] = users.create_user(db, "Dave Rep", "dave@example.com", role="rep", team_id=south.id).id
    pipe = pipelines.list_pipelines(db)[0]
    ids["pipeline"] = pipe.id
    for who in ("alice", "bob", "dave", None):
        key = who or "nobody"
        c = contacts.create_contact(db, given_name=key.title(), family_name="Lead",
                                    emails=[f"{key}.lead@example.com"], owner_id=ids.get(who))
        ids[f"contact_{key}"] = c.id
        with db.reader() as s:
            ids[f"email_{key}"] = s.scalar(select(ContactEmail.id).where(ContactEmail.contact_id == c.id))
        if who:
            acct = accounts.create_account(db, name=f"{key.title()} GmbH", owner_id=ids[who])
            o = pipeline.create_opportunity(db, acct.id, f"{key.title()} deal", pipeline_id=pipe.id,
                                            owner_id=ids[who], primary_contact_id=c.id)
            ids[f"opp_{key}"] = o.id
    return ids


@pytest.fixture
def pg_team(team_hub):
    su = make_engine(team_hub)
    db = Database(su, WriteContext(node=uuid.uuid4()))
    ids = population(db)
    suffix = uuid.uuid4().hex[:6]
    logins = {}
    for who in PEOPLE:
        team_admin.create_login(db, ids[who], password=PASSWORD, name=f"ld_{suffix}_{who}")
        logins[who] = f"ld_{suffix}_{who}"
    engines = {who: create_engine(su.url.set(username=name, password=PASSWORD), poolclass=NullPool)
               for who, name in logins.items()}
    yield ids, engines, logins
    for e in engines.values():
        e.dispose()
    db.dispose()
    with su.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in logins.values():
            conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
    su.dispose()


