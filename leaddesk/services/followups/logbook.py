"""Log a touch, record the lead's reply and book the next step: one unit of work.

What the Log activity dialog saves is one decision of the rep ("I called her, she wants a
demo, I'll call back Thursday"), so it is written whole or not at all: the done activity
(with its first-touch and last-touch effects), the reply when the lead replied or reached
out (an ``email_reply`` engagement, the lead requalified, and the cadence runs that the
reply ends stopped), and the next step. A failure in any part (a validation error, a
conflict, a lost connection) leaves none of it, so saving again never logs twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import Opportunity
from leaddesk.models.enums import EngagementKind
from leaddesk.services.followups import activities, cadences
from leaddesk.services.dto import ActivityDetail
from leaddesk.services.qualification import requalify
from leaddesk.services.records import Changes, as_uuid

_LINKS = ("contact_id", "opportunity_id", "account_id")


@dataclass(frozen=True)
class Reply:
    """What "the lead replied" wrote: the lead requalified, the cadence runs it stopped."""

    result: requalify.RequalifyResult
    stopped: tuple[cadences.Stopped, ...]
    changes: Changes


@dataclass(frozen=True)
class Logged:
    """What one save wrote: the done activity, the booked next step (if any), the reply."""

    done: ActivityDetail
    next_step: ActivityDetail | None
    reply: Reply | None
    changes: Changes


def log_and_book(db: Database, links: dict, done: dict, next_step: dict | None = None, *,
                 now: dt.datetime | None = None) -> Logged:
    """Log ``done`` (``kind``, ``subject``, optional ``body``, ``outcome``, ``done_at`` and
    ``replied``) on ``links`` (contact, opportunity, account ids; an opportunity alone is
    logged on its primary contact too), and book ``next_step`` (``kind``, ``subject``,
    ``due_at``, optional ``rrule``) on the same links, in one unit of work."""
    links = {k: as_uuid(links[k], field=k) for k in _LINKS if links.get(k) is not None}
    with db.unit_of_work() as s:
        if links.get("opportunity_id") is not None and links.get("contact_id") is None:
            opp = s.get(Opportunity, links["opportunity_id"])
            if opp is not None and opp.primary_contact_id is not None:
                links["contact_id"] = opp.primary_contact_id
        replied = bool(done.get("replied"))
        if replied and links.get("contact_id") is None:
            raise ValidationError("Only a contact can reply: this activity has none.", field="replied")
        act = activities.log_activity_in(s, done["kind"], done["subject"], body=done.get("body"),
                                         outcome=done.get("outcome"), done_at=done.get("done_at"), now=now, **links)
        reply = _reply(s, links["contact_id"], act, now) if replied else None
        booked = None
        if next_step is not None:
            booked = activities.schedule_activity_in(s, next_step["kind"], next_step["subject"],
                                                     next_step["due_at"], rrule=next_step.get("rrule"), **links)
    ids: set[uuid.UUID] = {act.id, *links.values()}
    if booked is not None:
        ids.add(booked.id)
    changes = Changes(frozenset({"activity", "opportunity", "contact", "account"}), frozenset(ids))
    return Logged(act, booked, reply, changes | reply.changes if reply else changes)


def _reply(s, contact_id: uuid.UUID, act: ActivityDetail, now: dt.datetime | None) -> Reply:
    result = requalify.record_engagement_in(s, contact_id, EngagementKind.EMAIL_REPLY, act.done_at,
                                            detail=f"{act.kind.value}: {act.subject}", now=now)
    stopped = tuple(cadences.settle_in(s, [contact_id]))
    changes = result.changes | Changes(frozenset({"engagement_event", "contact"}), frozenset({contact_id}))
    if stopped:
        changes = changes | Changes.of("activity", *(x.run for x in stopped))
    return Reply(result, stopped, changes)
