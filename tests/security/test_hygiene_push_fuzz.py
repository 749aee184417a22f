"""A fuzzed push payload (issue #9): whatever a rep's own login sends as values (NUL, lone
surrogates, control characters, values longer than their column, text that is not JSON),
the team server answers with a result, never an error that would block the queue: every
change is either applied or kept as refused, nothing unstorable reaches the data tables,
and the next clean push goes through."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from leaddesk.models import ChangeLog, Contact
from leaddesk.clock import pack
from leaddesk.sync.field_values import forbidden_char
from leaddesk.sync.protocol import Change, PushBatch
from leaddesk.sync.server import Hub

pytestmark = pytest.mark.postgres

FIELDS = ("given_name", "family_name", "job_title")
NASTY = ["a\x00b", "\ud800", "x\x1by", "back\bspace", "form\ffeed", "del\x7f", "tab\tand\nline", "L" * 300, "", "Ünïcödé ✓", "نام", "ชื่อ"]
texts = st.one_of(st.sampled_from(NASTY), st.text(st.characters(exclude_categories=()), max_size=12))
values = st.one_of(
    texts.map(lambda t: json.dumps(t, ensure_ascii=False)),
    texts.map(json.dumps),
    st.sampled_from(["not json", "{\"a\": 1}", "12", "null", "[\"\\u0000\"]"]),
)
edits = st.lists(st.tuples(st.sampled_from(FIELDS), values), min_size=1, max_size=6)


def _batch(hub: Hub, author, row_id, items) -> PushBatch:
    now = dt.datetime.now(dt.timezone.utc)
    base = pack(int(now.timestamp() * 1000))
    changes = tuple(Change(change_id=uuid.uuid4(), entity="contact", row_id=row_id, field=f, value=v, hlc=base + i,
                           node=uuid.uuid4(), author=author, at=now) for i, (f, v) in enumerate(items))
    return PushBatch(batch_id=uuid.uuid4(), node=uuid.uuid4(), changes=changes, schema=hub.schema)


def _unstorable(value: str) -> bool:
    try:
        return forbidden_char(json.loads(value)) is not None
    except ValueError:
        return False


@pytest.fixture
def alice_hub(pg_team):
    ids, engines, logins = pg_team
    url = engines["alice"].url.render_as_string(hide_password=False)
    hub = Hub(url)
    su = create_engine(engines["alice"].url.set(username="postgres", password=None), poolclass=NullPool)
    yield ids, hub, su
    hub.dispose()
    su.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=edits)
def test_a_fuzzed_push_is_answered_change_by_change_and_never_blocks(alice_hub, items):
    ids, hub, su = alice_hub
    batch = _batch(hub, ids["alice"], ids["contact_alice"], items)
    result = hub.push(batch)
    assert result.received == len(items) and not result.duplicate
    with su.connect() as conn:
        logged = dict(conn.execute(select(ChangeLog.change_id, ChangeLog.rejected).where(
            ChangeLog.change_id.in_([c.change_id for c in batch.changes]))).all())
        row = conn.execute(select(Contact).where(Contact.id == ids["contact_alice"])).one()
    assert set(logged) == {c.change_id for c in batch.changes}  # every change kept: applied or refused
    assert sum(logged.values()) == result.rejected
    for c in batch.changes:
        if _unstorable(c.value):
            assert logged[c.change_id], c.value  # what no field may hold is always refused
    for name in FIELDS:
        assert forbidden_char(getattr(row, name)) is None
    # and the queue is never blocked: a clean edit right after goes through
    clean = hub.push(_batch(hub, ids["alice"], ids["contact_alice"], [("job_title", json.dumps("Clean"))]))
    assert (clean.rejected, clean.applied) == (0, 1)
