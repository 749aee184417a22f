"""A value the team server refuses never blocks a laptop's queue, and a laptop never takes
a bad row from a pull: the bad change is shown as refused, everything else goes through,
and the sync after that is clean. On the superuser path and as a rep's own login."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select, text

from leaddesk.models import ChangeLog, Contact, Outbox, SyncConflict
from leaddesk.services import contacts, team_sync
from leaddesk.services import conflicts as conflict_service
from leaddesk.sync import client
from leaddesk.sync.protocol import ClockSkewRefused
from tests.sync.support import outbox_count
from tests.sync.test_push_screening import _joined
from tests.sync.test_team_join import memory_keyring  # noqa: F401 - fixture

pytestmark = pytest.mark.postgres

PLACEHOLDER = "PLACEHOLDER-TO-POISON"


def _poison(db, contact_id) -> None:
    """Put a NUL into a contact's family name and into its unsent change, straight into the
    SQLite file (as data saved before LeadDesk refused such values would be)."""
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE contact SET family_name = replace(family_name, :p, 'Nul' || char(0) || 'Name') "
                          "WHERE id = :i"), {"p": PLACEHOLDER, "i": contact_id.hex})
        changed = conn.execute(text("UPDATE outbox SET value = replace(value, :p, :v) WHERE instr(value, :p) > 0 "
                                    "RETURNING field"), {"p": PLACEHOLDER, "v": "Nul\\u0000Name"}).scalars().all()
    assert "family_name" in changed or "*" in changed


def _refused_lines(db) -> list:
    return [(rec.entity, f.field, f.note) for rec in conflict_service.list_conflicts(db) for f in rec.fields
            if f.kind == "rejected"]


def _scene(db, sync) -> dict:
    """A good contact, a good edit and a poisoned edit in one batch; the sync goes through."""
    first = contacts.create_contact(db, given_name="Good", family_name="Before", emails=["good@example.com"])
    sync()
    target = contacts.create_contact(db, given_name="Target", family_name="Fine")
    sync()
    contacts.update_contact(db, first.id, expected_version=None, job_title="Edited too")
    contacts.update_contact(db, target.id, expected_version=None, family_name=PLACEHOLDER, job_title="Kept")
    later = contacts.create_contact(db, given_name="Later", family_name="Made", emails=["later@example.com"])
    _poison(db, target.id)
    summary = sync()
    return {"first": first.id, "target": target.id, "later": later.id, "summary": summary}


def _check_outcome(db, hub_engine, ids, summary, sync) -> None:
    assert summary.pending_after == 0  # nothing stuck
    with hub_engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(Contact).where(
            Contact.id.in_([ids["first"], ids["target"], ids["later"]])))}
        refused = conn.execute(select(SyncConflict).where(SyncConflict.kind == "rejected")).all()
    assert rows[ids["first"]].job_title == "Edited too"
    assert ids["later"] in rows
    assert rows[ids["target"]].family_name == "Fine"  # the bad value never arrived ...
    assert rows[ids["target"]].job_title == "Kept"  # ... the good edit of the same record did
    # the poisoned changes (the name and the display name made from it), and only those
    assert {(r.row_id, r.field) for r in refused} == {(ids["target"], "family_name"), (ids["target"], "display_name")}
    assert all("cannot store this value" in r.note and "NUL" in r.note for r in refused)
    # the laptop shows the refusal and took the server's value back
    lines = _refused_lines(db)
    assert lines and {(e, n) for e, _, n in lines} <= {("contact", r.note) for r in refused}
    assert "family_name" in {f for _, f, _ in lines}
    assert contacts.get_contact(db, ids["target"]).family_name == "Fine"
    # the next sync is clean: nothing sent, nothing new refused
    again = sync()
    assert (again.sent, again.pending_after, again.conflicts) == (0, 0, 0)
    assert _refused_lines(db) == lines


def test_a_nul_in_the_replica_is_refused_alone_as_superuser(seeded, hub, hub_url, tmp_path):
    a, _ = seeded

    def sync():
        return team_sync.sync_with_hub(a, hub_url, backup_dir=tmp_path / "backups")

    got = _scene(a, sync)
    _check_outcome(a, hub.engine, got, got["summary"], sync)


def test_a_nul_in_the_replica_is_refused_alone_as_a_reps_login(pg_team, team_hub, tmp_path,
                                                               memory_keyring):  # noqa: F811
    ids, engines, logins = pg_team
    alice, sync_alice = _joined(team_hub, tmp_path, logins["alice"], "alice")
    try:
        got = _scene(alice, sync_alice)
        _check_outcome(alice, engines["erin"], got, got["summary"], sync_alice)
    finally:
        alice.dispose()


def test_a_refused_new_record_takes_its_children_with_it(seeded, hub):
    """A created contact whose name the server refuses: its e-mail (created with it) is
    refused too, the other record of the batch goes through, nothing stays queued."""
    a, _ = seeded
    bad = contacts.create_contact(a, given_name="Bad", family_name=PLACEHOLDER, emails=["bad@example.com"])
    good = contacts.create_contact(a, given_name="Fine", family_name="Person")
    _poison(a, bad.id)
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
        client.sync(right, hub, backup=False)
    assert err.value.cause == "elsewhere"
    assert "received from another computer" in str(err.value) and "own clock is right" in str(err.value)


def test_no_change_log_row_is_left_by_a_refused_batch(make_replica, hub):
    ahead = make_replica("fast2", skew_ms=3_600_000)
    contacts.create_contact(ahead, given_name="Future", family_name="Person")
    with pytest.raises(ClockSkewRefused):
        client.sync(ahead, hub, backup=False)
    with hub.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ChangeLog)) == 0
    with ahead.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Outbox)) > 0


_ = uuid  # (used by the pull tests below)
