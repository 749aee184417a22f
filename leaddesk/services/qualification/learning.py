"""Learning from won/lost: how well did each scoring rule (and each HPI written as a rule)
tell the leads we won from those we lost, and what points would the evidence give it?

Outcomes: a contact counts as **won** when it is the primary contact of a won opportunity
or became a customer; as **lost** when, not won, it is the primary contact of a lost
opportunity or was disqualified. Leads still open count for nothing (survivorship: only
closed leads teach). The rules are evaluated on each closed lead's facts **as they are
now**: LeadDesk keeps no copy of a lead's facts at the time it was decided (a limit,
said in the dialog too). Only the leads the user may see are counted.

The facts are loaded set-based, as ``rescore_all`` does (``scoring._load_facts``: one
contact query, one e-mail query and one engagement query per batch of closed leads), and
the rules tested with the bulk scorer's memoised tests. The statistics are in
``_learning_stats``. :func:`accept` writes chosen points through
``scoring.update_rule_in``, all in one unit of work; only managers and admins may.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from leaddesk.db import Database
from leaddesk.errors import PermissionDenied, ValidationError
from leaddesk.models import Contact, Indicator, Opportunity, access
from leaddesk.models.enums import LifecycleStage, OpportunityStatus, ScoreFamily
from leaddesk.services.qualification import scoring
from leaddesk.services.qualification._bulk_scores import _Rule
from leaddesk.services.qualification._learning_stats import (
    MIN_HITS,
    MIN_OUTCOMES,
    Counts,
    propose_points,
    too_few,
)
from leaddesk.services.qualification.dto import RuleInfo
from leaddesk.services.qualification.scoring_criteria import clean_params, engagement_keys
from leaddesk.services.records import as_uuid

BATCH_SIZE = 2000
RULE, INDICATOR = "rule", "indicator"
CIRCULAR = "Reads the lifecycle stage, and the stage is the outcome itself (customer or disqualified)."
STOPPED = "Stopped before every closed lead was read."
NO_POINTS = "An indicator has no points: the evidence is for the team to weigh."


@dataclass(frozen=True)
class Evidence:
    """One rule's (or indicator's) record on the closed leads."""

    id: uuid.UUID
    kind: str  # RULE or INDICATOR
    name: str
    family: ScoreFamily | None
    points: int | None  # current points; None for an indicator
    version: int
    counts: Counts
    #: The points the evidence gives; None when it supports no proposal (see ``note``).
    proposed: int | None
    note: str | None


@dataclass(frozen=True)
class LearningReport:
    won: int
    lost: int
    rows: tuple[Evidence, ...]
    min_outcomes: int = MIN_OUTCOMES
    min_hits: int = MIN_HITS
    cancelled: bool = False

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> float | None:
        return self.won / self.closed if self.closed else None

    def row(self, ident) -> Evidence:
        return next(r for r in self.rows if r.id == as_uuid(ident))


# --- outcomes and facts -------------------------------------------------------------------

def _outcomes(s: Session) -> dict[uuid.UUID, bool]:
    """Closed lead id -> won (True) or lost (False): two small set-based reads."""
    won: set[uuid.UUID] = set()
    lost: set[uuid.UUID] = set()
    stages = (LifecycleStage.CUSTOMER, LifecycleStage.DISQUALIFIED)
    for cid, stage in s.execute(select(Contact.id, Contact.lifecycle_stage)
                                .where(Contact.deleted.is_(False), Contact.lifecycle_stage.in_(stages))):
        (won if stage == LifecycleStage.CUSTOMER else lost).add(cid)
    statuses = (OpportunityStatus.WON, OpportunityStatus.LOST)
    for cid, status in s.execute(select(Opportunity.primary_contact_id, Opportunity.status)
                                 .where(Opportunity.deleted.is_(False), Opportunity.status.in_(statuses),
                                        Opportunity.primary_contact_id.is_not(None))):
        (won if status == OpportunityStatus.WON else lost).add(cid)
    return {cid: cid in won for cid in won | lost}


def _indicator_rules(s: Session) -> list[RuleInfo]:
    """Active HPIs written as a rule (a criterion and its params), as rules of no points."""
    out = []
    stmt = (select(Indicator).where(Indicator.deleted.is_(False), Indicator.active.is_(True),
                                    Indicator.criterion.is_not(None))
            .order_by(Indicator.position, Indicator.name))
    for obj in s.scalars(stmt):
        try:
            params = clean_params(obj.criterion, obj.params)
        except ValidationError:
            continue
        out.append(RuleInfo(name=obj.name, family=ScoreFamily.FIT, criterion=obj.criterion, params=params,
                            points=0, id=obj.id, version=obj.version))
    return out


def _count(db: Database, rules: list[RuleInfo], now: dt.datetime, batch_size: int,
           progress: Callable[[int, int], None] | None, cancel: threading.Event | None) -> tuple[list, int, int, bool]:
    """[won_hit, lost_hit, won_miss, lost_miss] per rule, and the numbers won and lost."""
    tests = [_Rule(r) for r in rules]
    cells = [[0, 0, 0, 0] for _ in rules]
    keys = engagement_keys(rules)
    won = lost = 0
    with db.reader() as s:
        outcomes = _outcomes(s)
        ids = sorted(outcomes)
        if progress:
            progress(0, len(ids))
        for at in range(0, len(ids), batch_size):
            if cancel is not None and cancel.is_set():
                return cells, won, lost, True
            chunk = ids[at:at + batch_size]
            stmt = scoring._contacts_query(scoring._ids(s, Contact.id, raw=True)).where(Contact.id.in_(chunk))
            rows = s.execute(stmt).all()  # a deleted contact's deal does not count
            facts = scoring._load_facts(s, rows, keys, now, raw=True, sparse=True)
            for r in rows:
                f, outcome = facts[r.id], 0 if outcomes[uuid.UUID(r.id)] else 1
                for test, cell in zip(tests, cells):
                    cell[outcome if test.hits(f) else 2 + outcome] += 1
                if outcome:
                    lost += 1
                else:
                    won += 1
            if progress:
                progress(min(at + batch_size, len(ids)), len(ids))
    return cells, won, lost, False


# --- the report ---------------------------------------------------------------------------

def learn(db: Database, *, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE,
          progress: Callable[[int, int], None] | None = None,
          cancel: threading.Event | None = None) -> LearningReport:
    """Each active rule's (and rule-like HPI's) record on the closed leads, with the points
    the evidence proposes. ``progress(done, total)`` after each batch of closed leads."""
    now = now or dt.datetime.now(dt.timezone.utc)
    with db.reader() as s:
        rules = scoring.usable_rules(s)
        indicators = _indicator_rules(s)
    everything = rules + indicators
    cells, won, lost, cancelled = _count(db, everything, now, batch_size, progress, cancel)
    counts = [Counts(*c) for c in cells]
    notes: list[str | None] = []
    for i, (rule, c) in enumerate(zip(everything, counts)):
        note = STOPPED if cancelled else too_few(c, won + lost)
        if note is None and rule.criterion == "lifecycle_in":
            note = CIRCULAR
        if note is None and i >= len(rules):
            note = NO_POINTS
        notes.append(note)
    proposable = [i for i in range(len(rules)) if notes[i] is None]
    points = propose_points([rules[i].points for i in proposable], [counts[i].log_odds_ratio for i in proposable])
    proposed = dict(zip(proposable, points))
    rows = tuple(
        Evidence(id=r.id, kind=RULE if i < len(rules) else INDICATOR, name=r.name,
                 family=ScoreFamily(r.family) if i < len(rules) else None,
                 points=r.points if i < len(rules) else None, version=r.version, counts=counts[i],
                 proposed=proposed.get(i), note=notes[i])
        for i, r in enumerate(everything)
    )
    return LearningReport(won=won, lost=lost, rows=rows, cancelled=cancelled)


# --- accepting ----------------------------------------------------------------------------

def may_accept(db: Database) -> bool:
    """Whether the current user's role may change scoring rules (managers and admins)."""
    subject = db.write.subject
    return subject is None or subject.is_admin or subject.role in access.CONFIG.writers


def accept(db: Database, changes: Iterable[tuple[object, int, int | None]]) -> list[RuleInfo]:
    """Give rules new points: ``(rule_id, points, expected_version)`` each, all in one unit
    of work (one refused or conflicting change writes none). Managers and admins only."""
    if not may_accept(db):
        raise PermissionDenied(access.denial("scoring_rule"))
    changes = list(changes)
    if not changes:
        return []
    with db.unit_of_work() as s:
        return [scoring.update_rule_in(s, rule_id, expected_version=version, points=points)
                for rule_id, points, version in changes]
