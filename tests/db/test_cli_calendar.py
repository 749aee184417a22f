"""`leaddesk agenda`, `export-ics` and `import-ics`, run in-process on both engines: the
day in the rep's zone (text and JSON), the calendar to stdout and to a file (read back by
vobject), an invitation imported twice, and errors on stderr with exit status 2."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import vobject

from leaddesk import cli
from leaddesk.models.enums import Role
from leaddesk.services.followups import activities as a
from leaddesk.services.followups.calendar_export import uid_of
from leaddesk.services.people import accounts, contacts
from leaddesk.services.team import users
from tests.db._invitations import OUTLOOK

UTC = dt.timezone.utc


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def team(db, db_url, tmp_path, monkeypatch):
    """Rita with an overdue call, a meeting later today (UTC) and a task next week."""
    monkeypatch.setenv("LEADDESK_DATA_DIR", str(tmp_path / "data"))
    rita = users.create_user(db, "Rita Rep", "rita@example.com", role=Role.REP)
    acme = accounts.create_account(db, name="Acme Logistics")
    deniz = contacts.create_contact(db, given_name="Deniz", family_name="Kaya", account_id=acme.id,
                                    emails=["deniz.kaya@acme-logistics.com"])
    now = dt.datetime.now(UTC)
    midnight = dt.datetime.combine(now.date(), dt.time(), tzinfo=UTC)
    late = a.schedule_activity(db, "call", "Call back about the budget", now - dt.timedelta(days=2, minutes=5),
                               contact_id=deniz.id, owner_id=rita.id)
    later = min(now + dt.timedelta(minutes=30), midnight + dt.timedelta(hours=23, minutes=59))
    today = a.schedule_activity(db, "meeting", "Demo", later, contact_id=deniz.id, owner_id=rita.id)
    week = a.schedule_activity(db, "task", "Send the quote", midnight + dt.timedelta(days=3, hours=9),
                               contact_id=deniz.id, owner_id=rita.id)
    return db_url, (late, today, week), now


def test_agenda_prints_the_day_as_text_and_json(team, capsys):
    url, (late, today, week), now = team
    code, out, err = run(capsys, "--db", url, "agenda", "--user", "RITA@example.com", "--tz", "UTC", "--json")
    assert code == 0, err
    day = json.loads(out)
    assert day["zone"] == "UTC" and day["day"] == now.date().isoformat()
    assert (day["overdue"][0]["subject"], day["overdue"][0]["overdue"]) == ("Call back about the budget",
                                                                          "overdue by 2 days")
    assert [i["id"] for i in day["upcoming"]] == [str(week.id)]
    assert day["overdue"][0]["contact"] == "Deniz Kaya" and day["overdue"][0]["account"] == "Acme Logistics"
    # the meeting is due later today, unless the test runs in the last minute of a UTC day
    assert [i["id"] for i in day["today"] + day["overdue"][1:]] == [str(today.id)]
    code, out, _ = run(capsys, "--db", url, "agenda", "--user", "rita@example.com", "--tz", "Asia/Tokyo")
    assert code == 0 and "(Asia/Tokyo)" in out and "Overdue (" in out
    assert "Call back about the budget  (Deniz Kaya · Acme Logistics)  [overdue by 2 days]" in out


def test_agenda_of_the_installations_user_is_ada_with_nothing_due(team, capsys):
    code, out, _ = run(capsys, "--db", team[0], "agenda", "--tz", "Europe/Berlin")
    assert code == 0 and "Overdue (0)" in out and "Upcoming (0)" in out


def test_export_ics_to_stdout_and_to_a_file(team, capsys, tmp_path):
    url, acts, _ = team
    code, out, err = run(capsys, "--db", url, "export-ics", "--user", "rita@example.com")
    assert code == 0, err
    cal = vobject.readOne(out)
    assert {c.uid.value for c in cal.getChildren() if c.name in ("VEVENT", "VTODO")} == {uid_of(x.id) for x in acts}
    target = tmp_path / "rita.ics"
    code, out, err = run(capsys, "--db", url, "export-ics", "--user", "rita@example.com", "--out", str(target))
    assert code == 0 and out == "" and f"Wrote 3 follow-ups to {target}" in err
    assert target.read_bytes().count(b"\r\n") > 20 and len(vobject.readOne(target.read_text()).vevent_list) == 2


def test_import_ics_twice_updates_the_same_meeting(team, capsys, tmp_path):
    url = team[0]
    invitation = tmp_path / "invite.ics"
    invitation.write_text(OUTLOOK.format(start="20260715T140000", end="20260715T153000", status="CONFIRMED",
                                         sequence=0), newline="")
    code, out, err = run(capsys, "--db", url, "import-ics", str(invitation), "--user", "rita@example.com",
                         "--tz", "Europe/Berlin")
    assert code == 0, err
    assert out.strip() == "created   Wed 15 Jul 2026 14:00  Rollout planning"
    code, out, _ = run(capsys, "--db", url, "import-ics", str(invitation), "--user", "rita@example.com",
                       "--tz", "Europe/Berlin")
    assert code == 0 and out.startswith("unchanged")
    code, out, _ = run(capsys, "--db", url, "export-ics", "--user", "rita@example.com")
    assert out.count("SUMMARY:Rollout planning") == 1


@pytest.mark.parametrize(("argv", "message"), [
    (["agenda", "--tz", "Mars/Olympus"], "'Mars/Olympus' is not a time zone name"),
    (["agenda", "--user", "nobody@example.com"], "No user has the e-mail 'nobody@example.com'"),
    (["export-ics", "--user", "nobody@example.com"], "No user has the e-mail"),
    (["import-ics", "/nonexistent/invite.ics"], "Cannot read /nonexistent/invite.ics"),
])
def test_errors_go_to_stderr_with_status_2(team, capsys, argv, message):
    code, out, err = run(capsys, "--db", team[0], *argv)
    assert code == 2 and out == "" and message in err and err.startswith("leaddesk: error: ")


def test_a_bad_invitation_is_refused_with_its_reason(team, capsys, tmp_path):
    bad = tmp_path / "bad.ics"
    bad.write_bytes(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
    code, out, err = run(capsys, "--db", team[0], "import-ics", str(bad))
    assert code == 2 and "holds no event (VEVENT)" in err
