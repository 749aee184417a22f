"""Hand-off: a lead whose score reaches the team's hot threshold goes to sales, with why.

A contact in stage lead or IQL whose score (the scoring engine's breakdown, computed now
with the team's rules) reaches the setting ``score_hot`` becomes an MQL. The reasons go
into its ``LifecycleEvent`` and ``stage_reason``: "Score 72 >= 60: +20 Decision-maker
seniority, +15 Visited the pricing page (30 days), ..." (the rules that gave the most
points first). An unassigned one is then given round-robin to a rep of the team
(:func:`~leaddesk.services.qualification.assignment.round_robin`, respecting the caps);
when every rep is full the whole hand-off is refused and nothing is written.

* :func:`handoff_in` works inside the caller's session (``requalify`` calls it after
  rescoring, in the same transaction).
* :func:`hand_off_hot_leads` looks at every lead/IQL whose *stored* score reaches the
  threshold (``rescore_all``/``score_contact`` keep it fresh) and hands them off.

The team setting ``auto_handoff`` = False turns the automatic path off: both functions
then do nothing unless called with ``manual=True`` (the manager's "Hand off hot leads now").

Which team an unassigned lead goes to: ``team_id`` if given, else the acting user's team,
else the only team there is; with none of those the lead becomes MQL and stays in the
pool (the result says so). A rep may not give leads to others (models/access.py): when
a rep's session hands off, hot unassigned leads become MQL in the team's pool, and a
manager's hand-off assigns them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from leaddesk.db import Database
from leaddesk.models import Contact, LifecycleEvent, Team, User, access
from leaddesk.models.enums import LifecycleStage
from leaddesk.services import settings as team_settings
from leaddesk.services.qualification import scoring
from leaddesk.services.qualification.assignment import actor_team, round_robin
from leaddesk.services.qualification.dto import ScoreBreakdown, Thresholds
from leaddesk.services.qualification.scoring_criteria import engagement_keys, evaluate
from leaddesk.services.records import as_uuid

#: Stages a lead is handed off from.
FROM_STAGES = (LifecycleStage.LEAD, LifecycleStage.IQL)
#: Rules named in the reason, best first.
TOP_REASONS = 4
CHUNK = 1000


@dataclass(frozen=True)
class HandedOff:
    contact_id: uuid.UUID
    name: str
    score: int
    reason: str
    #: The owner given round-robin (None: it had one, or stays in the pool).
    assigned_to: uuid.UUID | None = None


@dataclass(frozen=True)
class HandoffResult:
    handed_off: tuple[HandedOff, ...] = ()
    #: Hot leads that stayed unassigned (no team to give them to, or a rep's session).
    left_unassigned: tuple[uuid.UUID, ...] = ()
    #: auto_handoff is off and the call was not manual: nothing was looked at.
    disabled: bool = False
    threshold: int = 0
    #: user id -> name, for the summary.
    names: dict = field(default_factory=dict)

    @property
    def assigned(self) -> dict[uuid.UUID, int]:
        return dict(Counter(h.assigned_to for h in self.handed_off if h.assigned_to is not None))

    def summary(self) -> str:
        """"3 hot leads handed off to sales (MQL); assigned round-robin: Alice Rep 2, Bob Rep 1."."""
        if self.disabled:
            return "Automatic hand-off is off (team setting auto_handoff); nothing was handed off."
        n = len(self.handed_off)
        if not n:
            return f"No lead or IQL has reached the hot score ({self.threshold}); nothing to hand off."
        text = f"{n} hot lead{'s' if n != 1 else ''} handed off to sales (MQL)"
        if self.assigned:
            parts = sorted((self.names.get(u, str(u)), k) for u, k in self.assigned.items())
            text += "; assigned round-robin: " + ", ".join(f"{name} {k}" for name, k in parts)
        if self.left_unassigned:
            k = len(self.left_unassigned)
            text += f"; {k} left unassigned in the team's pool"
        return text + "."


def reason_text(result: ScoreBreakdown, hot: int) -> str:
    """"Score 72 >= 60: +20 Decision-maker seniority, +15 Visited the pricing page (30 days)"."""
    best = sorted((r for r in result.reasons if r.points > 0), key=lambda r: -r.points)
    parts = [f"{r.points:+d} {r.name}" for r in best[:TOP_REASONS]]
    if len(best) > TOP_REASONS:
        parts.append(f"and {len(best) - TOP_REASONS} more")
    minus = sum(r.points for r in result.reasons if r.points < 0)
    if minus:
        parts.append(f"{minus:+d} from negative rules")
    return f"Score {result.total} >= {hot}: " + ", ".join(parts)


def _evaluate(s: Session, ids: list[uuid.UUID], limits: Thresholds, now: dt.datetime) -> dict:
    rules = scoring.usable_rules(s)
    keys = engagement_keys(rules)
    out = {}
    for start in range(0, len(ids), CHUNK):
        chunk = sorted(ids[start:start + CHUNK])
        rows = s.execute(scoring._contacts_query()
                         .where(Contact.id.in_(chunk), Contact.lifecycle_stage.in_(FROM_STAGES))
                         .order_by(Contact.id)).all()
        facts = scoring._load_facts(s, rows, keys, now)
        for r in rows:
            out[r.id] = evaluate(rules, facts[r.id], limits)
    return out


def _team_for(s: Session, team_id, by_user_id) -> uuid.UUID | None:
    if team_id is not None:
        return as_uuid(team_id, field="team_id")
    mine = actor_team(s, by_user_id)
    if mine is not None:
        return mine
    teams = list(s.scalars(select(Team.id).where(Team.deleted.is_(False)).limit(2)))
    return teams[0] if len(teams) == 1 else None


def _may_give_away(s: Session) -> bool:
    subject = s.info.get("subject")
    return subject is None or subject.is_admin or subject.role == access.MANAGER


def handoff_in(session: Session, contact_ids: Iterable, *, now: dt.datetime, by_user_id: uuid.UUID | None,
               team_id=None, manual: bool = False) -> HandoffResult:
    """Hand off those of ``contact_ids`` (leads and IQLs) whose score reaches ``score_hot``,
    in the caller's session: MQL with the reasons, and the unassigned ones round-robin.
    Raises :class:`~leaddesk.services.qualification.assignment.LeadCapReached` when the
    team's reps are all full (the caller's transaction then writes nothing)."""
    s = session
    values = team_settings.read_in(s, "score_hot", "score_warm", "auto_handoff")
    limits = Thresholds(hot=int(values["score_hot"]), warm=int(values["score_warm"]))
    if not manual and not values["auto_handoff"]:
        return HandoffResult(disabled=True, threshold=limits.hot)
    ids = list(dict.fromkeys(as_uuid(c, field="contact_ids") for c in contact_ids))
    scores = {cid: r for cid, r in _evaluate(s, ids, limits, now).items() if r.total >= limits.hot}
    if not scores:
        return HandoffResult(threshold=limits.hot)
    order = sorted(scores, key=lambda cid: (-scores[cid].total, str(cid)))  # hottest first
    objs = {c.id: c for c in s.scalars(select(Contact).where(Contact.id.in_(order))
                                       .options(lazyload(Contact.emails), lazyload(Contact.phones)))}
    pool = [cid for cid in order if objs[cid].owner_id is None]
    owners: dict[uuid.UUID, uuid.UUID] = {}
    left: list[uuid.UUID] = []
    team = _team_for(s, team_id, by_user_id) if pool else None
    if pool and team is not None and _may_give_away(s):
        owners = dict(zip(pool, round_robin(s, team, len(pool))))
    else:
        left = pool
    handed = []
    for i, cid in enumerate(order):
        obj, result = objs[cid], scores[cid]
        reason = reason_text(result, limits.hot)
        s.add(LifecycleEvent(contact_id=cid, from_stage=obj.lifecycle_stage, to_stage=LifecycleStage.MQL, at=now,
                             reason=reason, by_user_id=by_user_id))
        obj.lifecycle_stage = LifecycleStage.MQL
        obj.lifecycle_changed_at = now
        obj.stage_reason = reason
        owner = owners.get(cid)
        if owner is not None:
            obj.owner_id = owner
            obj.assigned_at = now + dt.timedelta(microseconds=i)
            obj.assignment_reason = f"Round-robin after hand-off at score {result.total} (hot from {limits.hot})"
        handed.append(HandedOff(cid, obj.display_name, result.total, reason, owner))
    s.flush()
    names = dict(s.execute(select(User.id, User.name).where(User.id.in_(set(owners.values())))).all()) \
        if owners else {}
    return HandoffResult(tuple(handed), tuple(left), False, limits.hot, names)


def hand_off_hot_leads(db: Database, *, now: dt.datetime | None = None, manual: bool = False,
                       team_id=None) -> HandoffResult:
    """Hand off every lead and IQL whose stored score reaches ``score_hot`` (one transaction:
    all of them, or none when the caps refuse)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    with db.unit_of_work() as s:
        values = team_settings.read_in(s, "score_hot", "auto_handoff")
        if not manual and not values["auto_handoff"]:
            return HandoffResult(disabled=True, threshold=int(values["score_hot"]))
        total = func.coalesce(Contact.fit_score, 0) + func.coalesce(Contact.interest_score, 0)
        ids = list(s.scalars(select(Contact.id).where(Contact.deleted.is_(False),
                                                      Contact.lifecycle_stage.in_(FROM_STAGES),
                                                      total >= int(values["score_hot"]))))
        return handoff_in(s, ids, now=now, by_user_id=db.write.actor_id, team_id=team_id, manual=manual)


def assign_pool_in(session: Session, contact_ids: Iterable, *, now: dt.datetime, by_user_id: uuid.UUID | None,
                   reason: str, team_id=None) -> dict[uuid.UUID, uuid.UUID]:
    """Give the unassigned ones of ``contact_ids`` round-robin to the team's reps, in the
    caller's session, with ``reason`` as their assignment reason (a positive BANT that makes
    a pool lead SQL uses it). Contacts with an owner are left alone; so is everything when
    there is no team to give them to or the session's user is a rep (they stay in the pool).
    Returns contact id -> new owner; raises LeadCapReached (nothing assigned) when all are full."""
    ids = list(dict.fromkeys(as_uuid(c, field="contact_ids") for c in contact_ids))
    objs = {c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(ids), Contact.deleted.is_(False),
                                                                   Contact.owner_id.is_(None))
                                             .options(lazyload(Contact.emails), lazyload(Contact.phones)))}
    pool = [cid for cid in ids if cid in objs]
    team = _team_for(session, team_id, by_user_id) if pool else None
    if not pool or team is None or not _may_give_away(session):
        return {}
    owners = dict(zip(pool, round_robin(session, team, len(pool))))
    for i, cid in enumerate(pool):
        obj = objs[cid]
        obj.owner_id, obj.assigned_at, obj.assignment_reason = owners[cid], now + dt.timedelta(microseconds=i), reason
    session.flush()
    return owners
