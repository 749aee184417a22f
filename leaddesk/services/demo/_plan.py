"""What the demo generator plans before it writes: the funnel's shape and the planned records.

The generator first draws its whole world in memory (accounts, people, campaigns, reps,
deals) and only then turns it into rows. This module holds what that planning is made of
and that needs no database: short names for the lifecycle stages, deal statuses and
seniorities; the numbers that shape the funnel (stage shares, who owns what, how much
engagement); a weighted picker and the slugs of names and companies; and the small
records of the plan. It is apart from the vocabulary (``_tables``, read from data files)
because these are rules tied to the code's enums, not words to edit.
"""

from __future__ import annotations

import bisect
import itertools
import random
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from faker.decode import unidecode

from leaddesk.models.enums import (
    CampaignKind,
    LeadSource,
    LifecycleStage,
    OpportunityStatus,
    Seniority,
)
from leaddesk.services.demo._tables import _LEGAL_WORDS, LOCALES, _Locale

L, I, M, S = LifecycleStage.LEAD, LifecycleStage.IQL, LifecycleStage.MQL, LifecycleStage.SQL
OPP, CUST = LifecycleStage.OPPORTUNITY, LifecycleStage.CUSTOMER
NUR, DQ = LifecycleStage.NURTURE, LifecycleStage.DISQUALIFIED
OPEN, WON, LOST = OpportunityStatus.OPEN, OpportunityStatus.WON, OpportunityStatus.LOST
DAY = 86_400
SE, SS, SM, SD, SV, SC, SO, SU = (Seniority.ENTRY, Seniority.SENIOR, Seniority.MANAGER, Seniority.DIRECTOR,
                                  Seniority.VP, Seniority.C_LEVEL, Seniority.OWNER, Seniority.UNKNOWN)

# =========================================================================================
# The funnel's shape
# =========================================================================================

SENIORITY_BY_SIZE = {  # weights of (entry, senior, manager, director, vp, c_level, owner, unknown)
    "micro": (8, 8, 20, 6, 0, 18, 34, 6),
    "small": (18, 20, 28, 12, 2, 8, 8, 4),
    "large": (24, 24, 27, 13, 5, 3, 0, 4),
}
SENIORITY_ORDER = (SE, SS, SM, SD, SV, SC, SO, SU)

#: (stage, share of contacts): most leads never qualify (domain brief).
STAGE_SHARES = ((L, 0.40), (I, 0.15), (M, 0.15), (S, 0.07), (OPP, 0.03), (CUST, 0.02), (NUR, 0.10), (DQ, 0.08))
#: Sources that give details in exchange for content: such leads enter as IQL.
IQL_SOURCES = frozenset({LeadSource.CONTENT_DOWNLOAD, LeadSource.NEWSLETTER, LeadSource.WEBINAR})
#: Probability that a contact of this stage has an owner (marketing keeps most raw leads).
P_OWNED = {L: 0.05, I: 0.05, M: 0.35, S: 0.9, OPP: 1.0, CUST: 1.0, NUR: 0.55, DQ: 0.4}
#: Raw leads a rep collected at a booth are the rep's own.
P_OWNED_BOOTH = 0.3
#: Lifecycle stages that count as a rep's open leads.
OPEN_LEAD_STAGES = frozenset({L, I, M, S})
ENGAGEMENT_BY_STAGE = {  # (min, max) events per contact
    L: (0, 1), I: (0, 2), M: (2, 5), S: (2, 5), OPP: (1, 4), CUST: (0, 2), NUR: (0, 2), DQ: (0, 1),
}
#: Stages whose signals are recent (within this many days), so real scoring finds them warm.
ENGAGED_STAGES_DAYS = 40


# =========================================================================================
# Small helpers
# =========================================================================================

class _Pick:
    """Fast weighted choice with a given Random (bisect over cumulative weights)."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, pairs: Iterable[tuple[object, float]]):
        pairs = [(item, w) for item, w in pairs if w > 0]
        self.items = [item for item, _ in pairs]
        self.cum = list(itertools.accumulate(w for _, w in pairs))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


def _ascii(text: str, locale: str = "") -> str:
    """An e-mail-safe slug of a (Latin-script) name: "Müller" -> "mueller" in German."""
    text = text.lower()
    if locale == "de_DE":
        text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    return re.sub(r"[^a-z0-9]", "", unidecode(text).lower())


def _slug_company(name: str) -> str:
    words = [w for w in re.split(r"[^a-z0-9]+", unidecode(name).lower()) if w and w not in _LEGAL_WORDS]
    return "-".join(words[:2]) or "company"


_DIGITS = {loc.digits: str.maketrans("0123456789", loc.digits) for loc in LOCALES}


def _group(digits: str) -> str:
    return digits if len(digits) <= 4 else f"{digits[:-4]} {digits[-4:]}"



# =========================================================================================
# The plan
# =========================================================================================

@dataclass(slots=True)
class _Acct:
    id: uuid.UUID
    loc: _Locale
    name: str
    domain: str
    industry: str
    employees: int
    city: tuple
    owner: uuid.UUID | None
    size: str


@dataclass(slots=True)
class _Person:
    id: uuid.UUID
    loc: _Locale
    acct: _Acct | None
    stage: LifecycleStage
    source: LeadSource
    campaign: "_Camp | None"
    captured: float
    owner: "_Rep | None" = None
    assigned: float | None = None
    first_touch: float | None = None
    given: str = ""
    family: str = ""
    seniority: Seniority = Seniority.UNKNOWN
    department: str | None = None
    title: str | None = None
    opps: list = field(default_factory=list)   # opportunity plans this person is primary on
    path: list = field(default_factory=list)   # [(from, to, ts, reason)]
    reason: str | None = None
    latin: tuple = ()                          # (given, family) transliterated, for e-mails


@dataclass(slots=True)
class _Camp:
    id: uuid.UUID
    kind: CampaignKind
    name: str
    start: float
    end: float
    country: str | None


@dataclass(slots=True)
class _Rep:
    id: uuid.UUID
    name: str
    minutes: int
    attempts: int
    cap: int | None = None       # open leads this rep takes before new ones stay in the pool
    open_leads: int = 0


@dataclass(slots=True)
class _Opp:
    id: uuid.UUID
    pipeline: "_Pipe"
    acct: _Acct
    contact: _Person | None
    status: OpportunityStatus
    owner: uuid.UUID | None
    stage_index: int = 0
    created: float = 0.0
    closed: float | None = None
    stage_entered: float = 0.0
    last_touch: float | None = None
    next_step: str | None = None
    next_due: float | None = None
    stalled: bool = False
    amount: Decimal = Decimal(0)
    name: str = ""
    history: list = field(default_factory=list)   # [(from_stage_idx, to_stage_idx, from_status, to_status, ts)]
    rank: float = 0.0


@dataclass(slots=True)
class _Pipe:
    id: uuid.UUID
    name: str
    currency: str
    stages: list  # [(id, name, probability, rotting_days)]
