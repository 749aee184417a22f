"""Qualify given contacts again after something about them changed: their persona first
(persona match is a scoring factor), then their score, in one unit of work.

The app calls :func:`requalify` in a worker after a contact is saved, and records an
engagement with :func:`record_engagement` (the marketing service, then requalify). A whole
rescore after a rule changed is ``scoring.rescore_all`` (set-based, in batches).

Why ``marketing.campaigns.record_engagement`` does not requalify by itself (the import
would be allowed: marketing and qualification import nothing of each other, so the
acyclic-siblings contract holds either way): it is the insert primitive that bulk paths
(imports, the hub, tests that build histories) call once per event, where one requalify
per event would multiply the work; re-matching the persona on every page visit would
overwrite a persona a rep picked by hand; and once hand-off hangs off
:func:`after_requalify` (assignment, caps), marketing would depend on all of that.

Persona: the contact's best match among the live buyer personas (avoid-profiles are not
assigned; ``personas.best_match``, at least ``BEST_MATCH_MINIMUM`` points, as the demo
assigns them); none close enough clears it. Score: ``scoring_criteria.evaluate`` with the team's rules and thresholds; stored
fit/interest are written only when they change (through ORM objects: journalled).

What follows a new score goes in ONE place: :func:`after_requalify`, which sees every
contact's grade before and after, and hands the hot leads and IQLs to sales
(``handoff.handoff_in``: MQL with the reasons, round-robin within the caps; the team setting
``auto_handoff`` turns it off). When every rep of the team is at her cap the hand-off is
refused as a whole *before* it writes anything; the save and the new score stand, the lead
stays where it was, and the result says why (``handoff_refused``), so saving a contact never
fails because the team is full.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from leaddesk.db import Database
from leaddesk.errors import NotFound
from leaddesk.models import Contact
from leaddesk.services import settings as team_settings
from leaddesk.services.marketing import campaigns
from leaddesk.services.qualification.dto import Grade, ScoreBreakdown, Thresholds
from leaddesk.services.qualification.assignment import LeadCapReached
from leaddesk.services.qualification.handoff import HandoffResult, handoff_in
from leaddesk.services.qualification.personas import match_in_session
from leaddesk.services.qualification.rule_preview import grade_of
from leaddesk.services.qualification.scoring import _contacts_query, _load_facts, _scoring_rules
from leaddesk.services.qualification.scoring_criteria import engagement_keys, evaluate
from leaddesk.services.records import Changes, as_uuid


@dataclass(frozen=True)
class Requalified:
    contact_id: uuid.UUID
    persona_before: uuid.UUID | None
    persona_id: uuid.UUID | None
    #: the stored total before (None: never scored) and the grade it gave
    total_before: int | None
    grade_before: Grade | None
    score: ScoreBreakdown

    @property
    def grade_changed(self) -> bool:
        return self.grade_before is not self.score.grade


@dataclass(frozen=True)
class RequalifyResult:
    contacts: tuple[Requalified, ...]
    thresholds: Thresholds
    changes: Changes
    #: what the hand-off did (None: no lead turned hot, or nothing to hand off)
    handoff: HandoffResult | None = None
    #: why the hand-off was refused (every rep at her cap), else None
    handoff_refused: str | None = None

    def of(self, contact_id) -> Requalified:
        cid = as_uuid(contact_id)
        return next(r for r in self.contacts if r.contact_id == cid)


def requalify(db: Database, contact_ids: Iterable, *, now: dt.datetime | None = None) -> RequalifyResult:
    """Re-match the persona, then rescore, each of ``contact_ids`` (live contacts; a
    deleted or unknown one raises NotFound), in one unit of work."""
    with db.unit_of_work() as s:
        return requalify_in(s, contact_ids, now=now)


def record_engagement(db: Database, contact_id, kind, occurred_at: dt.datetime, *, detail: str | None = None,
                      campaign_id=None, now: dt.datetime | None = None) -> RequalifyResult:
    """Record an engagement (``campaigns.record_engagement``), then requalify its contact,
    in one unit of work (a failing requalification leaves no engagement behind)."""
    with db.unit_of_work() as s:
        return record_engagement_in(s, contact_id, kind, occurred_at, detail=detail, campaign_id=campaign_id,
                                    now=now)


def record_engagement_in(s: Session, contact_id, kind, occurred_at: dt.datetime, *, detail: str | None = None,
                         campaign_id=None, now: dt.datetime | None = None) -> RequalifyResult:
    """:func:`record_engagement` in the caller's write session."""
    campaigns.record_engagement_in(s, contact_id, kind, occurred_at, detail=detail, campaign_id=campaign_id)
    return requalify_in(s, [contact_id], now=now)


def requalify_in(s: Session, contact_ids: Iterable, *, now: dt.datetime | None = None) -> RequalifyResult:
    """:func:`requalify` inside the caller's open write session."""
    ids = sorted({as_uuid(c, field="contact_ids") for c in contact_ids})
    now = now or dt.datetime.now(dt.timezone.utc)
    limits = Thresholds(**{k[6:]: int(v) for k, v in team_settings.read_in(s, "score_hot", "score_warm").items()})
    if not ids:
        return RequalifyResult((), limits, Changes())
    rules = _scoring_rules(s)
    keys = engagement_keys(rules)
    rows = {r.id: r for r in s.execute(_contacts_query().where(Contact.id.in_(ids)))}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise NotFound("contact", missing[0])
    # The best non-avoid persona (countries included), set through the ORM (journalled).
    matched = match_in_session(s, ids)
    objs = {o.id: o for o in s.scalars(select(Contact).where(Contact.id.in_(ids))
                                       .options(lazyload(Contact.emails), lazyload(Contact.phones)))}
    out = []
    for cid in ids:
        row = rows[cid]
        persona = matched.get(cid)
        # Facts of one contact by id: _load_facts reads an id range, which is one id here
        # (a range over scattered ids would read the contacts between them).
        facts = dataclasses.replace(_load_facts(s, [row], keys, now)[cid], persona_id=persona)
        score = evaluate(rules, facts, limits)
        obj = objs[cid]
        if (obj.fit_score, obj.interest_score) != (score.fit, score.interest):
            obj.fit_score, obj.interest_score = score.fit, score.interest
        before = None if row.fit_score is None and row.interest_score is None else \
            (row.fit_score or 0) + (row.interest_score or 0)
        out.append(Requalified(cid, row.persona_id, persona, before,
                               None if before is None else grade_of(before, limits), score))
    s.flush()
    result = RequalifyResult(tuple(out), limits, Changes(frozenset({"contact"}), frozenset(ids)))
    return after_requalify(s, result, now=now)


def after_requalify(s: Session, result: RequalifyResult, *, now: dt.datetime) -> RequalifyResult:
    """THE hook for what a new score sets off, in the same transaction right after the
    personas and scores are stored (flushed): the hot leads and IQLs go to sales
    (``handoff_in`` looks at the stage and ``auto_handoff`` itself)."""
    hot = [r.contact_id for r in result.contacts if r.score.grade is Grade.HOT]
    if not hot:
        return result
    write = s.info.get("write")
    try:
        handed = handoff_in(s, hot, now=now, by_user_id=getattr(write, "actor_id", None))
    except LeadCapReached as exc:  # refused before anything of the hand-off was written
        return dataclasses.replace(result, handoff_refused=str(exc))
    if handed.handed_off:
        s.flush()
    return dataclasses.replace(result, handoff=handed)
