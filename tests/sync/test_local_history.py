"""A replica keeps its own copy of the hub's change log: every pulled change lands in its
local ``change_log`` (same columns, same seq) in the page's own transaction, and pulling
a page again changes nothing. That copy is the field history a laptop shows offline."""

from __future__ import annotations

from sqlalchemy import func, select

from leaddesk.models import ChangeLog
from leaddesk.services.people import contacts
from leaddesk.services.team import history
from leaddesk.sync import client
from leaddesk.sync.protocol import Change, PullPage
from tests.sync.support import synced_data

COLUMNS = [c.name for c in ChangeLog.__table__.columns]


def log_rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*ChangeLog.__table__.columns).order_by(ChangeLog.seq))]


def test_sync_pulled_changes_are_copied_into_the_local_change_log(seeded, hub):
    a, b = seeded
    c = contacts.create_contact(a, given_name="Ada", family_name="Lovelace", emails=["ada@example.com"])
    contacts.update_contact(a, c.id, expected_version=None, job_title="Analyst")
    contacts.update_contact(a, c.id, expected_version=None, job_title="Engineer")
    client.sync(a, hub, backup=False)
    client.sync(b, hub, backup=False)
    on_hub = log_rows(hub.engine)
    # Both replicas pulled everything, their own pushes included: an exact copy, row for row.
    assert log_rows(b.engine) == on_hub
    assert log_rows(a.engine) == on_hub
    assert client.last_pulled_seq(b) == on_hub[-1][COLUMNS.index("seq")]
    titles = [(r[COLUMNS.index("field")], r[COLUMNS.index("value")]) for r in on_hub
              if r[COLUMNS.index("row_id")] == c.id and r[COLUMNS.index("field")] == "job_title"]
    assert titles == [("job_title", '"Analyst"'), ("job_title", '"Engineer"')]
    # The history panel on the other laptop reads it: both edits, synced, by A's user.
    entries = [e for e in history.record_history(b, "contact", c.id).entries if e.field == "job_title"]
    assert [(e.value, e.state, e.author_id) for e in entries] == [
        ("Engineer", history.SYNCED, a.write.actor_id), ("Analyst", history.SYNCED, a.write.actor_id)]


def test_sync_a_page_pulled_again_is_harmless(seeded, hub):
    a, b = seeded
    c = contacts.create_contact(a, given_name="Grace", family_name="Hopper")
    contacts.update_contact(a, c.id, expected_version=None, city="Arlington")
    client.sync(a, hub, backup=False)
    before = client.last_pulled_seq(b)
    client.pull(b, hub)
    after = log_rows(b.engine)
    data = synced_data(b.engine)
    page = hub.pull(before, 10_000)
    assert page.changes and not page.has_more
    # The same page again (a retry whose first answer was lost after the local commit) ...
    assert client.apply_page(b, page) == 0
    # ... and a replica that lost its cursor and pulls everything once more.
    with b.engine.begin() as conn:
        client._put(conn, client.LAST_PULLED, 0)
    client.pull(b, hub)
    assert log_rows(b.engine) == after and synced_data(b.engine) == data
    assert client.last_pulled_seq(b) == page.last_seq


def test_sync_local_change_log_is_written_in_the_page_transaction(seeded, hub, monkeypatch):
    """A page that fails half-way leaves neither data, nor log rows, nor a moved cursor."""
    a, b = seeded
    contacts.create_contact(a, given_name="Katherine", family_name="Johnson")
    client.sync(a, hub, backup=False)
    before_log, before_seq = log_rows(b.engine), client.last_pulled_seq(b)
    page = hub.pull(before_seq, 10_000)

    def boom(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(client, "_put", boom)
    try:
        client.apply_page(b, page)
    except RuntimeError:
        pass
    monkeypatch.undo()
    assert log_rows(b.engine) == before_log and client.last_pulled_seq(b) == before_seq
    client.pull(b, hub)
    with b.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ChangeLog)) == len(log_rows(hub.engine))


def test_sync_a_change_from_another_transport_is_logged_with_placeholders(seeded, hub):
    """A transport that only knows the protocol's fields (not the hub's batch, pusher and
    arrival time) still gets its changes logged: nil batch id, arrival = edit time."""
    a, b = seeded
    contacts.create_contact(a, given_name="Hedy", family_name="Lamarr")
    client.sync(a, hub, backup=False)
    page = hub.pull(client.last_pulled_seq(b), 10_000)
    plain = tuple(Change(**{k: getattr(ch, k) for k in Change.__dataclass_fields__})
                  for ch in page.changes)
    client.apply_page(b, PullPage(plain, page.last_seq, page.has_more))
    rows = {r[COLUMNS.index("change_id")]: dict(zip(COLUMNS, r)) for r in log_rows(b.engine)}
    for ch in plain:
        row = rows[ch.change_id]
        assert (row["seq"], row["value"], row["hlc"], row["node"], row["author"]) == (
            ch.seq, ch.value, ch.hlc, ch.node, ch.author)
        assert row["batch_id"] == client.UNKNOWN_BATCH and row["received_at"] == ch.at and row["pushed_by"] is None
