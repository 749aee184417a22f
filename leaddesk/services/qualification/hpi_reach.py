"""How many leads meet each high-probability indicator (HPI): what the HPI editor shows
beside each one, so a manager sees whether an HPI separates leads (met by a few) or not
(met by none, or by all).

:func:`leads_meeting` reads the live leads (the stages ``leaddesk leads`` lists) in keyset
batches with the facts scoring loads (one contact, one e-mail and one engagement query per
batch, never one per lead) and checks every checkable HPI, active or retired, with the
scoring engine's criteria. Read only; long on a large team database, so the UI runs it on a
worker.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import Contact, Indicator
from leaddesk.models.enums import ScoreFamily
from leaddesk.services.qualification._bulk_scores import _Rule
from leaddesk.services.qualification.dto import RuleInfo
from leaddesk.services.qualification.leads import LEAD_STAGES
from leaddesk.services.qualification.scoring import _contacts_query, _ids, _load_facts
from leaddesk.services.qualification.scoring_criteria import clean_params, engagement_keys

BATCH_SIZE = 2000


@dataclass(frozen=True)
class HpiReach:
    #: HPI id -> leads meeting it (checkable HPIs only; written-only ones are absent).
    met: dict[uuid.UUID, int]
    #: Leads checked.
    leads: int
    cancelled: bool = False


def _checks(s) -> dict[uuid.UUID, RuleInfo]:
    out = {}
    for obj in s.scalars(select(Indicator).where(Indicator.deleted.is_(False), Indicator.criterion.is_not(None))):
        if obj.criterion == "hpi_met":
            continue
        try:
            params = clean_params(obj.criterion, obj.params)
        except ValidationError:
            continue
        out[obj.id] = RuleInfo(name=obj.name, family=ScoreFamily.FIT, criterion=obj.criterion, params=params, points=1)
    return out


def leads_meeting(db: Database, *, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE,
                  cancel: threading.Event | None = None) -> HpiReach:
    """For every checkable HPI (active or not), how many live leads meet it now."""
    now = now or dt.datetime.now(dt.timezone.utc)
    with db.reader() as s:
        checks = _checks(s)
    keys = engagement_keys(checks.values())
    tests = {hid: _Rule(rule) for hid, rule in checks.items()}  # verdicts remembered per fact value
    met = dict.fromkeys(checks, 0)
    done = 0
    last = None
    while checks:
        if cancel is not None and cancel.is_set():
            return HpiReach(met, done, True)
        with db.reader() as s:
            # ids as the database holds them, as rescore_all reads them (no UUID made per row)
            stmt = (_contacts_query(_ids(s, Contact.id, raw=True)).where(Contact.lifecycle_stage.in_(LEAD_STAGES))
                    .order_by(Contact.id).limit(batch_size))
            if last is not None:
                stmt = stmt.where(Contact.id > last)
            rows = s.execute(stmt).all()
            if not rows:
                break
            facts = _load_facts(s, rows, keys, now, raw=True)
        for r in rows:
            for hid, test in tests.items():
                if test.hits(facts[r.id]):
                    met[hid] += 1
        done += len(rows)
        last = uuid.UUID(str(rows[-1].id))
    if not checks:
        with db.reader() as s:
            done = int(s.scalar(select(func.count()).select_from(Contact).where(
                Contact.deleted.is_(False), Contact.lifecycle_stage.in_(LEAD_STAGES))) or 0)
    return HpiReach(met, done)
