"""My day's read model: the rep's agenda (:func:`agenda.day_agenda`) with her SLA breaches
first (:func:`sla.breaches_first`): leads whose first touch is late, each shown like an
agenda row ("First touch (SLA, web form) · Ana Ruiz", "SLA breached: overdue by 20 min"), so
the page lists what is most urgent before the scheduled work. Both reads in one call, for
one worker job. First it settles the rep's cadence runs a reply or a stage change ended
(:func:`cadences.settle_owner`: one set-based read, a write only when a run must stop), so
their steps are not listed; ``stopped`` says which runs stopped (the page announces the
change so other views refresh)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from leaddesk.db import Database
from leaddesk.models.enums import ActivityKind
from leaddesk.services.followups import agenda, cadences, sla


@dataclass(frozen=True)
class BreachItem(agenda.AgendaItem):
    """A lead whose first touch is late, as an agenda row (``id`` is the contact's: a breach
    is opened, not marked done: the touch that clears it is a logged call)."""

    breach: str = ""


@dataclass(frozen=True)
class MyDay:
    """The agenda's buckets (read through to :class:`agenda.Agenda`) and ``breaches``."""

    agenda: agenda.Agenda
    breaches: tuple[BreachItem, ...]
    #: the cadence runs this read stopped before listing
    stopped: tuple[cadences.Stopped, ...] = ()

    def __getattr__(self, name):
        return getattr(self.agenda, name)


def my_day(db: Database, owner_id, *, tz=None, now: dt.datetime | None = None) -> MyDay:
    stopped = tuple(cadences.settle_owner(db, owner_id))
    day = agenda.day_agenda(db, owner_id, tz=tz, now=now)
    zone = tz if isinstance(tz, dt.tzinfo) else agenda.zone(tz)
    items = []
    for b in sla.breaches_first(db, owner_id, now=day.now):
        source = f", {b.source.replace('_', ' ')}" if b.source else ""
        items.append(BreachItem(
            id=b.contact_id, kind=ActivityKind.CALL, subject=f"First touch (SLA{source})", due_at=b.due_at,
            local_due=b.due_at.astimezone(zone), duration_minutes=None, contact_id=b.contact_id,
            contact=b.display_name, account_id=None, account=None, opportunity_id=None, opportunity=None,
            overdue=agenda.overdue_text(b.due_at, day.now), version=0,
            breach=f"SLA breached: {agenda.overdue_text(b.due_at, day.now)}"))
    return MyDay(day, tuple(items), stopped)
