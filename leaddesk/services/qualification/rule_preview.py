"""The rule editor's services: a preview of how many leads an edited rule hits (and how
many would change temperature), the score thresholds, and who may change either.

:func:`preview_rule` reads every live contact in batches with the same set-based facts
loading as ``scoring.rescore_all`` (one contact query, one e-mail query and one engagement
query per batch, never one per contact) and scores them twice with the bulk
:class:`~leaddesk.services.qualification._bulk_scores.Scorer`: with the team's rules as they
are, and with the edited rule in its place. Nothing is written. The counts are what a
rescore after saving the rule finds (tests/db/test_rule_editor.py checks that).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from leaddesk.db import Database
from leaddesk.errors import PermissionDenied, ValidationError
from leaddesk.models import Contact, TeamSetting
from leaddesk.models import access
from leaddesk.services import settings as team_settings
from leaddesk.services.qualification._bulk_scores import Scorer
from leaddesk.services.qualification.dto import Grade, RuleInfo, Thresholds
from leaddesk.services.qualification.scoring import (
    _check_persona,
    _contacts_query,
    _ids,
    _load_facts,
    _scoring_rules,
    thresholds,
)
from leaddesk.services.qualification.scoring_criteria import CRITERIA, clean_params, clean_rule, engagement_keys

BATCH_SIZE = 5000


@dataclass(frozen=True)
class RulePreview:
    #: live contacts looked at
    contacts: int
    #: contacts the edited rule's criterion matches (whatever its points or active flag)
    hits: int
    #: contacts whose temperature (hot/warm/cold) differs with the edited rule
    temperature_changes: int
    #: (grade before, grade after) -> contacts, for the changes only
    moves: dict[tuple[Grade, Grade], int]
    cancelled: bool = False


def grade_of(total: int, limits: Thresholds) -> Grade:
    return Grade.HOT if total >= limits.hot else Grade.WARM if total >= limits.warm else Grade.COLD


def edited_rule(data: dict, *, rule_id=None, current: RuleInfo | None = None) -> RuleInfo:
    """The rule as the editor holds it, checked as ``create_rule``/``update_rule`` would."""
    values = clean_rule(data)
    values["params"] = clean_params(values["criterion"], values.get("params"))
    values.setdefault("family", CRITERIA[values["criterion"]].family)
    base = {"active": True, "position": 0} if current is None else {"active": current.active,
                                                                     "position": current.position}
    base.update(values)
    return RuleInfo(id=uuid.UUID(str(rule_id)) if rule_id else None, **base)


def preview_rule(db: Database, data: dict, *, rule_id=None, now: dt.datetime | None = None,
                 limits: Thresholds | None = None, progress: Callable[[int, int], None] | None = None,
                 cancel: threading.Event | None = None, batch_size: int = BATCH_SIZE) -> RulePreview:
    """How the edited rule (``data``: the fields of ``create_rule``; ``rule_id``: the rule it
    replaces, None for a new one) would score the live contacts. ``limits`` default to the
    team's thresholds. Raises ValidationError for a rule that could not be saved."""
    now = now or dt.datetime.now(dt.timezone.utc)
    limits = limits or thresholds(db)
    rid = uuid.UUID(str(rule_id)) if rule_id else None
    with db.reader() as s:
        rule = edited_rule(data, rule_id=rid)
        _check_persona(s, rule.params)
        before_rules = _scoring_rules(s)
        total = s.scalar(select(func.count()).select_from(Contact).where(Contact.deleted.is_(False))) or 0
    keys = sorted(set(engagement_keys(before_rules)) | set(engagement_keys([dataclasses.replace(rule, active=True)])),
                  key=lambda k: (k[0], k[1] or 0))
    # Only the edited rule's points differ between before and after: the other rules' sum
    # is computed only for the contacts where the old or the new rule hits.
    old = next((r for r in before_rules if r.id == rid), None) if rid else None
    others = Scorer([r for r in before_rules if r.id != rid])
    old_probe = _probe(old) if old is not None else None
    new_probe = _probe(rule)
    old_points, new_points = (old.points if old is not None else 0), (rule.points if rule.active else 0)
    hits = done = 0
    moves: Counter = Counter()
    last = None
    if progress:
        progress(0, total)
    while True:
        if cancel is not None and cancel.is_set():
            return RulePreview(done, hits, sum(moves.values()), dict(moves), True)
        with db.reader() as s:
            stmt = _contacts_query(_ids(s, Contact.id, raw=True)).order_by(Contact.id).limit(batch_size)
            if last is not None:
                stmt = stmt.where(Contact.id > last)
            rows = s.execute(stmt).all()
            if not rows:
                break
            facts = _load_facts(s, rows, keys, now, raw=True)
        for r in rows:
            f = facts[r.id]
            hit = new_probe.score(f) != (0, 0)
            hits += hit
            was = old_points if old_probe is not None and old_probe.score(f) != (0, 0) else 0
            now_ = new_points if hit else 0
            if was != now_:
                base = sum(others.score(f))
                before, after = grade_of(base + was, limits), grade_of(base + now_, limits)
                if before is not after:
                    moves[(before, after)] += 1
        last = uuid.UUID(str(rows[-1].id))
        done += len(rows)
        if progress:
            progress(done, max(total, done))
    return RulePreview(done, hits, sum(moves.values()), dict(moves))


def _probe(rule: RuleInfo) -> Scorer:
    """A scorer that gives 1 point where ``rule``'s criterion matches (whatever its points)."""
    return Scorer([dataclasses.replace(rule, points=1, active=True, family=CRITERIA[rule.criterion].family)])


# --- who may change the rules, and the thresholds ------------------------------------------

def may_configure(db: Database) -> bool:
    """Whether the signed-in user may change scoring rules and thresholds (configuration:
    managers and admins; with no user rules applied, as on a fresh database, anyone)."""
    subject = db.write.subject
    return subject is None or subject.role in access.CONFIG.writers


def _require_configure(db: Database, what: str) -> None:
    if not may_configure(db):
        raise PermissionDenied(f"Only managers and admins can change the team's {what}.")


def set_thresholds(db: Database, *, hot, warm) -> Thresholds:
    """Store ``score_hot`` and ``score_warm`` together (one transaction): whole numbers,
    0 or more, with warm below hot. Managers and admins only."""
    _require_configure(db, "score thresholds")
    values = {}
    for key, value in (("score_hot", hot), ("score_warm", warm)):
        if isinstance(value, bool) or not str(value).strip().lstrip("-").isdigit():
            raise ValidationError(f"The {key[6:]} threshold must be a whole number (got '{value}').", field=key)
        values[key] = int(value)
        if values[key] < 0:
            raise ValidationError(f"The {key[6:]} threshold must be 0 or more (got {value}).", field=key)
    if values["score_warm"] >= values["score_hot"]:
        raise ValidationError(f"The warm threshold ({values['score_warm']}) must be below the hot one "
                              f"({values['score_hot']}).", field="score_warm")
    with db.unit_of_work() as s:
        for key, value in values.items():
            row = s.get(TeamSetting, team_settings.setting_id(key))
            if row is None:
                s.add(TeamSetting(id=team_settings.setting_id(key), key=key, value=value))
            elif row.value != value or row.deleted:
                row.value, row.deleted = value, False
    return Thresholds(hot=values["score_hot"], warm=values["score_warm"])
