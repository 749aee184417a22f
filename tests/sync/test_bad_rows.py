"""A value the team server refuses never blocks a laptop's queue, and a laptop never takes
a bad row from a pull: the bad change is shown as refused, everything else goes through,
and the sync after that is clean. On the superuser path and as a rep's own login."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select, text

from leaddesk.models import ChangeLog, Contact, Outbox, SyncConflict
from leaddesk.services.people import contacts
from leaddesk.services.team import sync as team_sync
from leaddesk.services.team import conflicts as conflict_service
from leaddesk.sync import client
from leaddesk.sync.protocol import ClockSkewRefused
from tests.sync.support import outbox_count
from tests.sync.test_push_screening import _joined
from tests.sync.test_team_join import memory_keyring  # noqa: F401 - fixture

pytestmark = pytest.mark.postgres

PLACEHOLDER = "PLACEHOLDER-TO-POISON"


#: Values the team server cannot take, as old data on a laptop may hold them: the SQL that
#: puts one into the SQLite row, the JSON text of it in the unsent change, and what the
#: refusal note says. A NUL is refused by the server's check of values; a name longer than
#: its column by PostgreSQL itself, which the server's search for the bad row finds.
POISONS = {
    "nul": ("'Nul' || char(0) || 'Name'", "Nul\\u0000Name", "U+0000"),
    "too_long": ("'" + "L" * 130 + "'", "L" * 130, "cannot store this value"),
}


def _poison(db, contact_id, kind: str = "nul") -> None:
    """Put a bad value into a contact's family name and into its unsent change, straight
    into the SQLite file (as data saved before LeadDesk refused such values would be)."""
    sql, json_text, _ = POISONS[kind]
    with db.engine.begin() as conn:
        conn.execute(text(f"UPDATE contact SET family_name = replace(family_name, :p, {sql}) WHERE id = :i"),
                     {"p": PLACEHOLDER, "i": contact_id.hex})
        changed = conn.execute(text("UPDATE outbox SET value = replace(value, :p, :v) WHERE instr(value, :p) > 0 "
                                    "RETURNING field"), {"p": PLACEHOLDER, "v": json_text}).scalars().all()
    assert "family_name" in changed or "*" in changed


def _refused_lines(db) -> list:
    return [(rec.entity, f.field, f.note) for rec in conflict_service.list_conflicts(db) for f in rec.fields
            if f.kind == "rejected"]


def _scene(db, sync, kind: str) -> dict:
    """A good contact, a good edit and a poisoned edit in one batch; the sync goes through."""
    first = contacts.create_contact(db, given_name="Good", family_name="Before", emails=["good@example.com"])
    sync()
    target = contacts.create_contact(db, given_name="Target", family_name="Fine")
    sync()
    contacts.update_contact(db, first.id, expected_version=None, job_title="Edited too")
    contacts.update_contact(db, target.id, expected_version=None, family_name=PLACEHOLDER, job_title="Kept")
    later = contacts.create_contact(db, given_name="Later", family_name="Made", emails=["later@example.com"])
    _poison(db, target.id, kind)
    summary = sync()
    return {"first": first.id, "target": target.id, "later": later.id, "summary": summary}


def _check_outcome(db, hub_engine, ids, summary, sync, kind: str) -> None:
    assert summary.pending_after == 0  # nothing stuck
    with hub_engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(Contact).where(
            Contact.id.in_([ids["first"], ids["target"], ids["later"]])))}
        refused = conn.execute(select(SyncConflict).where(SyncConflict.kind == "rejected")).all()
    assert rows[ids["first"]].job_title == "Edited too"
    assert ids["later"] in rows
    assert rows[ids["target"]].family_name == "Fine"  # the bad value never arrived ...
    assert rows[ids["target"]].job_title == "Kept"  # ... the good edit of the same record did
    # the poisoned change (and the display name made from the name, if it cannot be
    # stored either), and only those
    fields = {r.field for r in refused}
    assert {r.row_id for r in refused} == {ids["target"]} and "family_name" in fields
    assert fields <= {"family_name", "display_name"}
    assert all(POISONS[kind][2] in r.note and "nothing else of the sync was held back" in r.note for r in refused)
    # the laptop shows the refusal and took the server's value back
    lines = _refused_lines(db)
    assert lines and {(e, n) for e, _, n in lines} <= {("contact", r.note) for r in refused}
    assert "family_name" in {f for _, f, _ in lines}
    assert contacts.get_contact(db, ids["target"]).family_name == "Fine"
    # the next sync is clean: nothing sent, nothing new refused
    again = sync()
    assert (again.sent, again.pending_after, again.conflicts) == (0, 0, 0)
    assert _refused_lines(db) == lines


@pytest.mark.parametrize("kind", sorted(POISONS))
def test_a_bad_value_in_the_replica_is_refused_alone_as_superuser(seeded, hub, hub_url, tmp_path, kind):
    a, _ = seeded

    def sync():
        return team_sync.sync_with_hub(a, hub_url, backup_dir=tmp_path / "backups")

    got = _scene(a, sync, kind)
    _check_outcome(a, hub.engine, got, got["summary"], sync, kind)


@pytest.mark.parametrize("kind", sorted(POISONS))
def test_a_bad_value_in_the_replica_is_refused_alone_as_a_reps_login(pg_team, team_hub, tmp_path, kind,
                                                                     memory_keyring):  # noqa: F811
    ids, engines, logins = pg_team
    alice, sync_alice = _joined(team_hub, tmp_path, logins["alice"], "alice")
    try:
        got = _scene(alice, sync_alice, kind)
        _check_outcome(alice, engines["erin"], got, got["summary"], sync_alice, kind)
    finally:
        alice.dispose()


def test_a_refused_new_record_takes_its_children_with_it(seeded, hub):
    """A created contact whose name the server refuses: its e-mail (created with it) is
    refused too, the other record of the batch goes through, nothing stays queued."""
    a, _ = seeded
    bad = contacts.create_contact(a, given_name="Bad", family_name=PLACEHOLDER, emails=["bad@example.com"])
    good = contacts.create_contact(a, given_name="Fine", family_name="Person")
    _poison(a, bad.id, "too_long")
    [result] = client.push(a, hub)
    assert result.applied >= 1
    assert {e for e, _ in result.refused_rows} == {"contact", "contact_email", "lifecycle_event"}
    assert outbox_count(a) == 0
    with hub.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Contact).where(Contact.id == good.id)) == 1
        assert conn.scalar(select(func.count()).select_from(Contact).where(Contact.id == bad.id)) == 0
        notes = conn.execute(select(SyncConflict.entity, SyncConflict.note).where(
            SyncConflict.kind == "rejected").order_by(SyncConflict.entity)).all()
    assert [n.entity for n in notes] == ["contact", "contact_email", "lifecycle_event"]
    assert "cannot store" in notes[0].note and all("refused in the same sync" in n.note for n in notes[1:])
    assert client.push(a, hub) == []


# --- clocks: the computer that is wrong is named --------------------------------------------

def test_a_fast_laptop_clock_is_named_as_this_computer(make_replica, hub, monkeypatch):
    from leaddesk.sync import journal

    real = journal.utcnow
    monkeypatch.setattr(journal, "utcnow", lambda: real() + dt.timedelta(hours=1))  # its wall clock too
    ahead = make_replica("fast", skew_ms=3_600_000)
    contacts.create_contact(ahead, given_name="Future", family_name="Person")
    with pytest.raises(ClockSkewRefused) as err:
        client.sync(ahead, hub, backup=False)
    assert err.value.cause == "this" and "This computer's clock is 60 minutes ahead" in str(err.value)


def test_a_clock_carried_ahead_by_a_change_from_elsewhere_is_not_blamed_on_this_computer(make_replica, hub):
    right = make_replica("right")
    right.write.clock.observe((right.write.clock.tick() >> 16) + 3_600_000 << 16)  # as a pulled change would
    contacts.create_contact(right, given_name="Innocent", family_name="Laptop")
    with pytest.raises(ClockSkewRefused) as err:
        hub.push(client.next_batch(right, schema=hub.schema))
    assert err.value.cause == "elsewhere"
    assert "received from another computer" in str(err.value) and "own clock is right" in str(err.value)


def test_a_laptop_carried_ahead_by_a_change_from_elsewhere_recovers_with_the_servers_time(seeded, hub):
    """Before laptops screened what they pull, one forged clock blocked every later push of
    theirs for good: now the laptop re-stamps its unsent edits from the server's time,
    keeping their order, drops the bad field clocks (the rows come back from the server)
    and sends them."""
    a, _ = seeded
    made = contacts.create_contact(a, given_name="Carried", family_name="Ahead")
    client.sync(a, hub, backup=False)
    future = (a.write.clock.tick() >> 16) + TEN_YEARS_MS << 16
    a.write.clock.observe(future)  # as a pulled far-future change did
    with a.engine.begin() as conn:
        conn.execute(text("UPDATE field_version SET hlc = :h WHERE row_id = :r"), {"h": future, "r": made.id.hex})
    contacts.update_contact(a, made.id, expected_version=None, job_title="First")
    contacts.update_contact(a, made.id, expected_version=None, job_title="Second")
    report = client.sync(a, hub, backup=False)
    assert report.sent > 0 and outbox_count(a) == 0
    with hub.engine.connect() as conn:
        assert conn.scalar(select(Contact.job_title).where(Contact.id == made.id)) == "Second"  # order kept
        newest = conn.scalar(select(func.max(ChangeLog.hlc)))
        server_ms = int(conn.scalar(text("SELECT clock_timestamp()")).timestamp() * 1000)
    assert (newest >> 16) - server_ms < 300_000
    assert a.write.clock.last < future
    with a.engine.connect() as conn:
        assert conn.scalar(text("SELECT max(hlc) FROM field_version")) < future
        assert int(conn.scalar(text("SELECT value FROM sync_state WHERE key = 'hlc'"))) < future


def test_no_change_log_row_is_left_by_a_refused_batch(make_replica, hub):
    ahead = make_replica("fast2", skew_ms=3_600_000)
    contacts.create_contact(ahead, given_name="Future", family_name="Person")
    with pytest.raises(ClockSkewRefused):
        client.sync(ahead, hub, backup=False)
    with hub.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ChangeLog)) == 0
    with ahead.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Outbox)) > 0


# --- what a laptop takes from a pull ----------------------------------------------------------

def _forge(engine, *, entity_name, row_id, field, value, author, pushed_by, ahead_ms=0) -> uuid.UUID:
    """A change_log row written straight into the server (what a login could do with psql
    before the server checked it): returns its change id."""
    from leaddesk.clock import pack
    from leaddesk.sync.field_values import encode

    now = dt.datetime.now(dt.timezone.utc)
    change_id = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(ChangeLog.__table__.insert().values(
            change_id=change_id, entity=entity_name, row_id=row_id, field=field, value=encode(value),
            hlc=pack(int(now.timestamp() * 1000) + ahead_ms), node=uuid.uuid4(), author=author, at=now,
            pushed_by=pushed_by, batch_id=uuid.uuid4(), base_seq=0, received_at=now))
    return change_id


TEN_YEARS_MS = 10 * 365 * 24 * 3_600_000


def test_a_pulled_change_with_a_far_future_clock_is_refused_visibly_and_does_not_poison(seeded, hub, hub_url,
                                                                                        tmp_path):
    a, b = seeded
    made = contacts.create_contact(a, given_name="Hidden", family_name="Target")
    other = contacts.create_contact(a, given_name="Other", family_name="Person")
    client.sync(a, hub, backup=False)

    def sync_b():
        return team_sync.sync_with_hub(b, hub_url, backup_dir=tmp_path / "b")

    sync_b()
    _forge(hub.engine, entity_name="contact", row_id=made.id, field="deleted", value=True, author=a.write.actor_id,
           pushed_by="postgres", ahead_ms=TEN_YEARS_MS)
    contacts.update_contact(a, other.id, expected_version=None, job_title="Arrives")
    client.sync(a, hub, backup=False)
    sync_b()
    assert contacts.get_contact(b, other.id).job_title == "Arrives"  # the rest of the page is applied
    assert contacts.get_contact(b, made.id).deleted is False  # the forged deletion is not
    wall = b.write.clock.wall()
    assert b.write.clock.last >> 16 < wall + 600_000  # and its clock was not taken on
    lines = _refused_lines(b)
    assert [(e, f) for e, f, _ in lines] == [("contact", "deleted")]
    assert "did not apply" in lines[0][2] and "ahead of the time the team server received it" in lines[0][2]
    # this laptop's own edits still go through, and the notice stays (it is this laptop's)
    contacts.update_contact(b, made.id, expected_version=None, job_title="Still mine")
    again = sync_b()
    assert again.sent > 0 and again.pending_after == 0
    assert _refused_lines(b) == lines
    with hub.engine.connect() as conn:
        assert conn.scalar(select(Contact.job_title).where(Contact.id == made.id)) == "Still mine"
    # Keep closes the notice for good: the next syncs neither send it nor bring it back
    [record] = conflict_service.list_conflicts(b)
    conflict_service.keep(b, list(record.ids))
    sync_b()
    sync_b()
    assert _refused_lines(b) == []
    assert contacts.get_contact(b, made.id).deleted is False


def test_a_pulled_change_in_a_colleagues_name_is_refused(pg_team, team_hub, tmp_path, memory_keyring):  # noqa: F811
    ids, engines, logins = pg_team
    carol, sync_carol = _joined(team_hub, tmp_path, logins["carol"], "carol")
    try:
        # pushed by Alice's login, in Bob's name
        su = _su(team_hub)
        _forge(su, entity_name="contact", row_id=ids["contact_alice"], field="job_title", value="Forged by Alice",
               author=ids["bob"], pushed_by=logins["alice"])
        sync_carol()
        assert contacts.get_contact(carol, ids["contact_alice"]).job_title != "Forged by Alice"
        lines = _refused_lines(carol)
        assert [(e, f) for e, f, _ in lines] == [("contact", "job_title")]
        assert "someone other than the login that sent it" in lines[0][2]
        # a change of Alice's own, in her own name, is taken
        _forge(su, entity_name="contact", row_id=ids["contact_alice"], field="job_title",
               value="Alice's own", author=ids["alice"], pushed_by=logins["alice"])
        sync_carol()
        assert contacts.get_contact(carol, ids["contact_alice"]).job_title == "Alice's own"
        su.dispose()
    finally:
        carol.dispose()


def _su(url):
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(url, poolclass=NullPool)


def test_the_count_check_repairs_a_deletion_the_server_does_not_have(seeded, hub):
    from leaddesk.sync import visibility

    a, _ = seeded
    made = contacts.create_contact(a, given_name="Wrongly", family_name="Hidden")
    gone = contacts.create_contact(a, given_name="Rightly", family_name="Deleted")
    contacts.delete_contact(a, gone.id)
    client.sync(a, hub, backup=False)
    assert visibility.verify(a, hub.engine).ok
    with a.engine.begin() as conn:  # as a forged deletion pulled before would have left it
        conn.execute(text("UPDATE contact SET deleted = 1 WHERE id = :i"), {"i": made.id.hex})
    result = visibility.verify(a, hub.engine)
    assert "contact" in result.mismatched and result.repaired.refreshed >= 1
    assert contacts.get_contact(a, made.id).deleted is False
    assert contacts.get_contact(a, gone.id, include_deleted=True).deleted is True
    assert visibility.verify(a, hub.engine).ok


def test_the_count_check_leaves_an_unsent_deletion_alone(seeded, hub):
    from leaddesk.sync import visibility

    a, _ = seeded
    made = contacts.create_contact(a, given_name="Deleted", family_name="Offline")
    client.sync(a, hub, backup=False)
    contacts.delete_contact(a, made.id)  # not pushed yet
    assert visibility.verify(a, hub.engine).ok
    assert contacts.get_contact(a, made.id, include_deleted=True).deleted is True


# --- direct writes on the server: the server's clock ------------------------------------------

def test_an_office_pc_with_a_fast_clock_stamps_its_edits_with_the_servers_clock(seeded, hub, hub_url, monkeypatch):
    from leaddesk.db import Database, WriteContext, make_engine
    from leaddesk.sync import journal
    from leaddesk.clock import HybridClock

    a, _ = seeded
    made = contacts.create_contact(a, given_name="Office", family_name="Edit")
    client.sync(a, hub, backup=False)
    real = journal.utcnow
    monkeypatch.setattr(journal, "utcnow", lambda: real() + dt.timedelta(days=2))
    fast = HybridClock(wall_millis=lambda: int((real() + dt.timedelta(days=2)).timestamp() * 1000))
    office = Database(make_engine(hub_url), WriteContext(node=uuid.uuid4(), clock=fast))
    try:
        contacts.update_contact(office, made.id, expected_version=None, job_title="Set in the office")
    finally:
        office.dispose()
    with hub.engine.connect() as conn:
        server_now = conn.scalar(text("SELECT clock_timestamp()"))
        row = conn.execute(select(ChangeLog).where(ChangeLog.row_id == made.id, ChangeLog.field == "job_title")).one()
        updated = conn.scalar(select(Contact.updated_at).where(Contact.id == made.id))
    for when in (row.at, row.received_at, updated):
        assert abs((server_now - when).total_seconds()) < 60
    assert abs((row.hlc >> 16) - server_now.timestamp() * 1000) < 60_000
    # a laptop that pulls the edit is not carried ahead: its next push is taken
    client.sync(a, hub, backup=False)
    assert contacts.get_contact(a, made.id).job_title == "Set in the office"
    contacts.update_contact(a, made.id, expected_version=None, job_title="Then on the laptop")
    client.sync(a, hub, backup=False)
    with hub.engine.connect() as conn:
        assert conn.scalar(select(Contact.job_title).where(Contact.id == made.id)) == "Then on the laptop"


def test_an_office_edit_after_a_far_future_clock_on_the_server_is_refused_naming_it(seeded, hub, hub_url):
    from leaddesk.db import Database, WriteContext, make_engine
    from leaddesk.models import HubFieldVersion
    from leaddesk.clock import pack

    a, _ = seeded
    made = contacts.create_contact(a, given_name="Poisoned", family_name="Clock")
    client.sync(a, hub, backup=False)
    with hub.engine.begin() as conn:
        conn.execute(HubFieldVersion.__table__.update().where(HubFieldVersion.row_id == made.id).values(
            hlc=pack(int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000) + TEN_YEARS_MS)))
        assert conn.scalar(select(func.count()).select_from(HubFieldVersion).where(
            HubFieldVersion.row_id == made.id)) > 0
    office = Database(make_engine(hub_url), WriteContext(node=uuid.uuid4()))
    try:
        with pytest.raises(ClockSkewRefused) as err:
            contacts.update_contact(office, made.id, expected_version=None, job_title="Blocked")
    finally:
        office.dispose()
    assert err.value.cause == "stored" and "This record carries a change clock" in str(err.value)
    with hub.engine.connect() as conn:
        assert conn.scalar(select(Contact.job_title).where(Contact.id == made.id)) is None
