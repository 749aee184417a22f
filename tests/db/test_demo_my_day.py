"""The demo gives the person running it a day (issue #13): overdue, due today and upcoming
follow-ups, yesterday's no-show and fresh web leads with no first touch, through the real
services, on both engines; same seed and now, same day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from leaddesk.models import Activity, Contact, Opportunity
from leaddesk.models.enums import ActivityOutcome
from leaddesk.services.demo import generate as demo
from leaddesk.services.demo import my_day
from leaddesk.services.followups import agenda
from tests.db.test_demo import second_db  # noqa: F401 - the fixture

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)  # a Monday, 10:00 in Berlin


def _day(db, *, now=NOW, tz=BERLIN):
    demo.generate(db, "small", seed=7, now=now)
    summary = my_day.plan_my_day(db, 7, now=now, tz=tz)
    return summary, agenda.day_agenda(db, db.write.actor_id, tz=tz, now=now)


def test_the_demo_gives_me_a_realistic_day(db):
    summary, day = _day(db)
    assert (summary.overdue, summary.today, summary.upcoming, summary.no_shows, summary.web_leads) == (4, 3, 3, 1, 2)
    assert [i.subject for i in day.overdue] == [
        "Prepare the contract", "Call back about the revised quote", "Send the case study they asked for",
        "Chase the signed order form"]
    # yesterday's no-show booked its reschedule task for the next working day, 10:00: now
    assert [i.subject for i in day.today] == ["Reschedule: Presentation to the operations lead",
                                              "Qualify the pricing-page visitor",
                                              "Product demo with the buying committee", "Send the proposal"]
    assert len(day.upcoming) == 3 and all(i.local_due.date() > day.day for i in day.upcoming)
    assert all(i.contact and i.opportunity and i.account for i in day.overdue + day.today + day.upcoming)
    assert day.overdue[0].overdue == "overdue by 8 days"
    me = db.write.actor_id
    with db.reader() as s:
        missed = s.execute(select(Activity).where(Activity.owner_id == me,
                                                  Activity.outcome == ActivityOutcome.NO_SHOW)).scalars().all()
        assert len(missed) == 1 and missed[0].done_at.astimezone(BERLIN).date() == dt.date(2026, 11, 22)
        leads = s.execute(select(Contact).where(Contact.owner_id == me, Contact.source == "web_form")).scalars().all()
        assert len(leads) == 2 and all(c.first_touch_at is None for c in leads)
        assert sorted(int((NOW - c.captured_at).total_seconds() // 60) for c in leads) == [2, 25]
        # the overdue contract is also the deal's written next step: its card shows it overdue
        deal = s.get(Opportunity, day.overdue[0].opportunity_id)
        assert deal.next_step == "Prepare the contract" and deal.next_step_due == dt.date(2026, 11, 15)


def test_late_in_the_evening_today_still_has_its_items(db):
    late = dt.datetime(2026, 11, 23, 22, 40, tzinfo=dt.timezone.utc)  # 23:40 in Berlin
    _, day = _day(db, now=late)
    assert len(day.today) == 3 and len(day.overdue) == 5 and len(day.upcoming) == 3  # + the no-show's task


def test_same_seed_same_day(db, second_db):  # noqa: F811
    def projection(database):
        _, day = _day(database)
        return [(i.subject, i.due_at, i.contact, i.opportunity) for i in day.overdue + day.today + day.upcoming]

    assert projection(db) == projection(second_db)


def test_no_signed_in_user_no_day(db):
    demo.generate(db, "small", seed=7, now=NOW)
    db.write.actor_id = None
    assert my_day.plan_my_day(db, 7, now=NOW, tz=BERLIN) == my_day.MyDaySummary()


def test_leaddesk_demo_then_agenda_is_not_empty(db, db_url, tmp_path, monkeypatch, capsys):
    """The commands a new user types: `leaddesk demo`, then `leaddesk agenda` (real now)."""
    import json

    from leaddesk import cli

    monkeypatch.setenv("LEADDESK_DATA_DIR", str(tmp_path / "data"))
    assert cli.main(["--db", db_url, "demo"]) == 0
    out = capsys.readouterr().out
    assert "Your day: 4 overdue, 3 due today, 3 upcoming" in out
    assert cli.main(["--db", db_url, "agenda", "--json"]) == 0
    day = json.loads(capsys.readouterr().out)
    # the planned ten, and the reschedule task the no-show booked for the next working day
    # (today, overdue or upcoming, depending on when the test runs)
    assert len(day["overdue"]) + len(day["today"]) + len(day["upcoming"]) == 11
    assert any(i["subject"].startswith("Reschedule: ") for i in day["overdue"] + day["today"] + day["upcoming"])
