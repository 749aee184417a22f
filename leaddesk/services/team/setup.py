"""A new database's starting content: funnel definitions, a pipeline, lost reasons, the
default scoring rules, a user.

Seeded rows have deterministic ids (UUIDv5) so two laptops initialised apart converge on
the same records when they later sync, instead of holding two "Sales" pipelines. The
scoring rules are seeded on every run, so an existing database gets the defaults it lacks
(a default the team deleted stays deleted); a rep's laptop may not write rules and gets
the team's from the server instead.
"""

from __future__ import annotations

import getpass
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from leaddesk.db import Database
from leaddesk.errors import PermissionDenied
from leaddesk.models import FunnelStageDefinition, LostReason, Pipeline, PipelineStage, User
from leaddesk.models.enums import LifecycleStage, Role
from leaddesk.services.records import seed_id
from leaddesk.services.qualification import scoring
from leaddesk.services.team import users

#: The team's written stage definitions, from the domain brief; editable in the app.
FUNNEL_DEFINITIONS: list[tuple[LifecycleStage, str, str, str]] = [
    (LifecycleStage.LEAD, "Lead",
     "A person (not a company) whose name is in our database.",
     "Gave a business card at a trade show, filled a form, or downloaded a file."),
    (LifecycleStage.IQL, "Information-qualified lead",
     "Gave contact details in exchange for something useful.",
     "Downloaded an e-book or white paper, or signed up for the newsletter."),
    (LifecycleStage.MQL, "Marketing-qualified lead",
     "Shows real interest and fits: has a problem we solve.",
     "Downloaded a trial or demo, visited the pricing page, came back repeatedly, or asked for information."),
    (LifecycleStage.SQL, "Sales-qualified lead",
     "Commercially qualified: passed BANT and agreed to talk about a purchase.",
     "BANT complete and positive."),
    (LifecycleStage.OPPORTUNITY, "Opportunity",
     "A concrete possible sale with an amount and a close date on an account's pipeline.",
     "Created from an SQL, or directly by a rep."),
    (LifecycleStage.CUSTOMER, "Customer", "At least one opportunity won.", "An opportunity closed as won."),
    (LifecycleStage.NURTURE, "Nurture",
     "Qualified but not ready ('not now', 'call me later'): kept warm with content until ready.",
     "BANT incomplete or negative, or lost on timing."),
    (LifecycleStage.DISQUALIFIED, "Disqualified",
     "Spam, job seeker, student, competitor, or no fit.", "Any of those, with the reason recorded."),
]

#: (name, probability %, rotting days)
DEFAULT_STAGES = [
    ("Qualification", 10, 14),
    ("Needs analysis", 25, 14),
    ("Proposal", 50, 10),
    ("Negotiation", 75, 7),
    ("Verbal commit", 90, 5),
]

DEFAULT_LOST_REASONS = [
    "No budget", "Chose a competitor", "Price too high", "Bad timing", "No decision / went dark",
    "Not a fit", "Lost to in-house solution",
]


def os_login() -> str | None:
    """The OS login name, or None where there is none to find (a container's uid without
    a passwd entry: getpass raises) or it is not text (bytes that are not UTF-8)."""
    try:
        name = getpass.getuser()
        name.encode("utf-8")
    except (KeyError, OSError, ImportError, UnicodeEncodeError):
        return None
    return name if name and "\x00" not in name else None


@dataclass(frozen=True)
class InitResult:
    created_user: bool
    seeded: bool
    user_id: uuid.UUID | None
    #: Default scoring rules added by this run (0 when all were there, or when the acting
    #: user may not write rules: a rep's laptop takes the team's rules from the server).
    rules_added: int = 0


def seed_scoring_rules(db: Database) -> int:
    """Add the default scoring rules this database lacks; how many were added. Refused
    quietly where the acting user may not change rules (the team's come with the sync)."""
    try:
        return len(scoring.seed_default_rules(db))
    except PermissionDenied:
        return 0


def initialize(db: Database, *, admin_name: str | None = None, admin_email: str | None = None,
               currency: str = "EUR", scoring_rules: bool = True) -> InitResult:
    """Seed a fresh database (idempotent: a second run adds nothing). ``scoring_rules=False``
    leaves the default scoring rules out (a team that writes its own from scratch)."""
    seeded = False
    with db.unit_of_work() as s:
        if s.get(Pipeline, seed_id("pipeline", "default")) is None:
            seeded = True
            for pos, (stage, name, definition, criteria) in enumerate(FUNNEL_DEFINITIONS):
                s.add(FunnelStageDefinition(id=seed_id("funnel", stage.value), stage=stage, name=name,
                                            definition=definition, entry_criteria=criteria, position=pos))
            pipe = Pipeline(id=seed_id("pipeline", "default"), name="Sales", position=0, is_default=True,
                            currency=currency)
            s.add(pipe)
            for pos, (name, prob, rot) in enumerate(DEFAULT_STAGES):
                s.add(PipelineStage(id=seed_id("stage", "default", str(pos)), pipeline_id=pipe.id, name=name,
                                    position=pos, probability=prob, rotting_days=rot))
            for pos, name in enumerate(DEFAULT_LOST_REASONS):
                s.add(LostReason(id=seed_id("lost_reason", name), name=name, position=pos))
        has_users = s.scalar(select(func.count()).select_from(User).where(User.deleted.is_(False)))
    created_user = False
    user_id = db.write.actor_id
    if not has_users:
        login = os_login() or "admin"
        info = users.create_user(db, admin_name or login, admin_email or f"{login}@localhost.localdomain",
                                 role=Role.ADMIN)
        created_user = True
        user_id = info.id
        db.write.actor_id = info.id
    rules_added = seed_scoring_rules(db) if scoring_rules else 0
    return InitResult(created_user=created_user, seeded=seeded, user_id=user_id, rules_added=rules_added)
