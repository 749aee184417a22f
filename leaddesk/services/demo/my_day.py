"""The demo's day for the person running it: overdue follow-ups, calls and meetings due
later today, the week ahead, yesterday's no-show and fresh web leads nobody has called yet,
so My day and ``leaddesk agenda`` are not empty on first start.

"Me" is the demo's signed-in user (``db.write.actor_id``: the admin ``leaddesk init`` or
the first start created; the demo's own reps own the bulk data). Everything goes through the
real services (:mod:`~leaddesk.services.followups.activities`,
:mod:`~leaddesk.services.people.contacts`, :mod:`~leaddesk.services.pipeline.opportunities`),
so the rows are stamped and journalled like a rep's own writes. Times are relative to ``now``
and laid out in the rep's local day (``tz``: this machine's zone by default, as My day and
``agenda`` read it); which deals and people they concern comes from ``seed``: same seed,
same ``now``, same day. Run after :func:`leaddesk.services.demo.generate.generate`.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import select

from leaddesk.db import Database
from leaddesk.models import Contact, Opportunity
from leaddesk.models.enums import ActivityOutcome, OpportunityStatus
from leaddesk.services.followups import activities
from leaddesk.services.followups.agenda import zone
from leaddesk.services.people import contacts
from leaddesk.services.pipeline import opportunities

UTC = dt.timezone.utc
#: (kind, subject, when) of the day; "when" is (days from today, local hour, minute) or a
#: share of what is left of today ("today", 0.3). The first overdue one is also the deal's
#: written next step, so its card on the board shows it overdue too.
OVERDUE = (("task", "Prepare the contract", (-8, 10, 0)),
           ("call", "Call back about the revised quote", (-3, 11, 30)),
           ("email", "Send the case study they asked for", (-1, 16, 0)),
           ("call", "Chase the signed order form", "two_hours_ago"))
TODAY = (("call", "Qualify the pricing-page visitor", 0.2),
         ("meeting", "Product demo with the buying committee", 0.5),
         ("email", "Send the proposal", 0.8))
UPCOMING = (("call", "Check in after the trial week", (1, 10, 0)),
            ("meeting", "On-site visit: warehouse walk-through", (2, 14, 0)),
            ("task", "Prepare the quarterly review", (4, 9, 30)))
NO_SHOW = ("meeting", "Presentation to the operations lead", (-1, 14, 0))
#: Fresh web leads with no first touch yet: one past the web SLA, one still ticking.
WEB_LEADS = (("Mara", "Lindqvist", "Nordlicht Logistik", 25), ("Jonas", "Weber", "Kranich Spedition", 2))


@dataclass(frozen=True)
class MyDaySummary:
    overdue: int = 0
    today: int = 0
    upcoming: int = 0
    no_shows: int = 0
    web_leads: int = 0


def _local(now: dt.datetime, tz: dt.tzinfo, when) -> dt.datetime:
    local_now = now.astimezone(tz)
    if when == "two_hours_ago":
        return now - dt.timedelta(hours=2)
    if isinstance(when, float):  # a share of the rest of today
        end = dt.datetime.combine(local_now.date() + dt.timedelta(days=1), dt.time(), tzinfo=tz).astimezone(UTC)
        return (now + (end - now) * when).replace(microsecond=0)
    days, hour, minute = when
    moment = dt.datetime.combine(local_now.date() + dt.timedelta(days=days), dt.time(hour, minute), tzinfo=tz)
    return moment.astimezone(UTC)


def _deals(db: Database, seed: int, count: int) -> list[tuple]:
    """``count`` open deals with a contact, picked by ``seed`` from a stable order."""
    with db.reader() as s:
        rows = s.execute(select(Opportunity.id, Opportunity.primary_contact_id, Opportunity.version)
                         .join(Contact, Contact.id == Opportunity.primary_contact_id)
                         .where(Opportunity.deleted.is_(False), Contact.deleted.is_(False),
                                Opportunity.status == OpportunityStatus.OPEN)
                         .order_by(Opportunity.name, Opportunity.amount, Contact.display_name)).all()
    if not rows:
        return []
    rng = random.Random(f"my-day/{seed}")
    return [tuple(r) for r in rng.sample(rows, min(count, len(rows)))]


def plan_my_day(db: Database, seed: int = 7, *, now: dt.datetime | None = None,
                tz: dt.tzinfo | str | None = None) -> MyDaySummary:
    """Give the signed-in user a day (see the module). Nothing happens without a signed-in
    user or without open deals to hang the day on."""
    me = db.write.actor_id
    now = (now or dt.datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    tzinfo = tz if isinstance(tz, dt.tzinfo) else zone(tz)
    plan = [*OVERDUE, *TODAY, *UPCOMING]
    deals = _deals(db, seed, len(plan) + 1)
    if me is None or not deals:
        return MyDaySummary()
    for i, (kind, subject, when) in enumerate(plan):
        opp_id, contact_id, version = deals[i % len(deals)]
        due = _local(now, tzinfo, when)
        activities.schedule_activity(db, kind, subject, due, contact_id=contact_id, opportunity_id=opp_id,
                                     owner_id=me)
        if i == 0:  # the deal's next step says the same, overdue on its card
            opportunities.update_opportunity(db, opp_id, version, next_step=subject,
                                             next_step_due=due.astimezone(tzinfo).date())
    opp_id, contact_id, _ = deals[len(plan) % len(deals)]
    kind, subject, when = NO_SHOW
    booked = _local(now, tzinfo, when)
    meeting = activities.schedule_activity(db, kind, subject, booked, contact_id=contact_id, opportunity_id=opp_id,
                                           duration_minutes=45, owner_id=me)
    activities.complete_activity(db, meeting.id, ActivityOutcome.NO_SHOW, done_at=booked,
                                 note="They did not join; no reply to the dial-in reminder.", now=now)
    for given, family, company, minutes in WEB_LEADS:
        captured = now - dt.timedelta(minutes=minutes)
        contacts.create_contact(db, given_name=given, family_name=family, new_company=company,
                                emails=[f"{given}.{family}@{company.split()[0]}.example".lower()],
                                source="web_form", owner_id=me, captured_at=captured, now=captured,
                                allow_duplicate=True)
    return MyDaySummary(overdue=len(OVERDUE), today=len(TODAY), upcoming=len(UPCOMING), no_shows=1,
                        web_leads=len(WEB_LEADS))
