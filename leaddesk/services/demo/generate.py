"""Realistic, seeded, reproducible demo data, written through the bulk journal path.

``generate(db, scale="large")`` fills a database with 100,000 contacts, 30,000 accounts,
20,000 opportunities and 200,000 activities (``small`` is 1/100 of that), plus what makes
them look like a real team's CRM: reps and managers in two teams, three pipelines, trade
shows and other campaigns with their costs, lifecycle history, engagement signals, BANT
records and personas. Scores and personas are not random: the team's scoring rules and
persona matching compute them from those records (``_scores``), before the rows are written.

How it stays fast: names, companies and streets come from small per-locale pools (Faker for
the Latin-script locales, curated native/Latin pairs for Persian, Arabic, Thai and Turkish,
whose e-mail addresses need a transliteration) combined at random; every row goes through
:func:`leaddesk.sync.journal.bulk_insert` (the ORM path's stamping: who, when, the row's
creation clock) in chunks of 10,000, inside ONE unit of work and one
:func:`leaddesk.services.bulk.bulk_load` block, so a cancelled or failed run leaves nothing
behind. Demo data is a *snapshot* (``journal=False``): its rows are not queued in the outbox
as changes to push, and on SQLite the search index is built once at the end instead of by
per-row triggers.

How it stays reproducible: one ``random.Random(seed)`` and seeded Faker instances; all times
are offsets from ``now`` (pass it to get byte-identical content). Only primary keys differ
between runs (UUIDv7, so a second ``force`` run never collides with the first).

Every e-mail and phone number passes :mod:`leaddesk.services.validation` (phones are stored
E.164); every amount is a :class:`~decimal.Decimal`.

This module is the package's public face (:func:`generate`, :data:`SCALES`,
:class:`DemoSummary`, :class:`DemoCancelled`) and holds what touches the open transaction:
the writing, the order of the run, the checks before it. What the demo says is data
(``data/*.toml``, read by ``_tables``); how it is planned lives in ``_plan``, ``_fixed``,
``_accounts``, ``_contacts`` and ``_deals``; the worker that normalises e-mails and phones
in ``_normalizer``.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields

from sqlalchemy import func, select

from leaddesk.db import Database
from leaddesk.errors import LeadDeskError, ValidationError
from leaddesk.models import (
    Account,
    Activity,
    Bant,
    Contact,
    ContactEmail,
    ContactPhone,
    EngagementEvent,
    LifecycleEvent,
    Opportunity,
    OpportunityEvent,
    Pipeline,
    User,
)
from leaddesk.services.qualification import scoring
from leaddesk.services.qualification.dto import Thresholds
from leaddesk.services.records import seed_id
from leaddesk.services.team import setup
from leaddesk.services.bulk import bulk_load
from leaddesk.services.demo._captures import add_captured_leads
from leaddesk.services.demo._accounts import _AccountPlans
from leaddesk.services.demo._contacts import _ContactPlans
from leaddesk.services.demo._deals import _DealPlans
from leaddesk.services.demo._fixed import _FixedRecords
from leaddesk.services.demo._normalizer import _Normalizer
from leaddesk.services.demo._outcomes import _OutcomePlans
from leaddesk.services.demo._scores import _ScorePlans
from leaddesk.services.demo._plan import DAY
from leaddesk.sync import journal

Progress = Callable[[str, int, int], None]

#: Rows per ``bulk_insert`` call (one executemany each).
CHUNK = 10_000


@dataclass(frozen=True)
class Scale:
    contacts: int
    accounts: int
    opportunities: int
    activities: int


SCALES = {
    "small": Scale(contacts=1_000, accounts=300, opportunities=200, activities=2_000),
    "large": Scale(contacts=100_000, accounts=30_000, opportunities=20_000, activities=200_000),
}


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate` wrote: rows per entity (new rows only) and the time it took."""

    scale: str
    seed: int
    seconds: float
    teams: int = 0
    users: int = 0
    pipelines: int = 0
    pipeline_stages: int = 0
    campaigns: int = 0
    personas: int = 0
    indicators: int = 0
    accounts: int = 0
    contacts: int = 0
    contact_emails: int = 0
    contact_phones: int = 0
    lifecycle_events: int = 0
    engagement_events: int = 0
    opportunities: int = 0
    opportunity_events: int = 0
    bant: int = 0
    activities: int = 0

    @property
    def counts(self) -> dict[str, int]:
        """Entity -> rows written, in the order they were written."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("scale", "seed", "seconds")}

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


class DemoCancelled(LeadDeskError):
    """The caller set the cancel event; the transaction was rolled back."""

    def __init__(self) -> None:
        super().__init__("Demo data generation was cancelled; nothing was saved.")


# =========================================================================================
# The generator
# =========================================================================================

class _Generator(_FixedRecords, _AccountPlans, _ContactPlans, _DealPlans, _ScorePlans, _OutcomePlans):
    """One run: the random source, the clock and the writing; the planning comes from the
    mixins (fixed records, accounts, contacts, deals), one module each."""

    def __init__(self, db: Database, scale: Scale, seed: int, now: dt.datetime,
                 progress: Progress | None, cancel: threading.Event | None, thresholds: Thresholds = Thresholds()):
        self.db, self.scale, self.seed = db, scale, seed
        self.thresholds = thresholds
        self.now = now.astimezone(dt.timezone.utc)
        self.now_ts = self.now.timestamp()
        self.rng = random.Random(seed)
        self.progress, self.cancel = progress, cancel
        self.counts: dict[str, int] = {}
        self.actor = db.write.actor_id

    # ---- time helpers ----------------------------------------------------------------------
    def at(self, ts: float, _td=dt.timedelta) -> dt.datetime:
        return self.now + _td(seconds=int(ts - self.now_ts))

    def day(self, ts: float) -> dt.date:
        return self.at(ts).date()

    def past(self, max_days: float, skew: float = 1.0) -> float:
        """A moment in the last ``max_days`` (skew > 1 favours recent ones)."""
        return self.now_ts - max_days * DAY * (self.rng.random() ** skew)

    def between(self, a: float, b: float) -> float:
        return a + (b - a) * self.rng.random() if b > a else a

    # ---- writing ---------------------------------------------------------------------------
    def insert(self, s, step: str, model: type, rows: Iterable[dict], total: int) -> int:
        done = 0
        it = iter(rows)
        if self.progress:
            self.progress(step, 0, total)
        while True:
            chunk = list(itertools.islice(it, CHUNK))
            if not chunk:
                break
            if self.cancel is not None and self.cancel.is_set():
                raise DemoCancelled()
            # A snapshot: stamped rows, not changes queued for sync (see journal.bulk_insert).
            done += journal.bulk_insert(s, model, chunk, journal=False)
            if self.progress:
                self.progress(step, done, max(total, done))
        self.counts[step] = self.counts.get(step, 0) + done
        return done

    # ---- orchestration ---------------------------------------------------------------------------
    def run(self, s) -> None:
        self.fixed_records(s)
        self.build_pools()
        self.plan_accounts()
        self.plan_contacts()
        self.lean_outcomes(scoring.usable_rules(s))  # customers skew to titles the rules favour
        self.plan_owners_and_paths()
        self.plan_opportunities()
        for p in self.people:
            self.build_path(p)
        # Random draws happen in this fixed order on every engine (same seed, same data);
        # only the order of the writes below depends on the engine.
        accounts = list(self.account_rows())
        contacts = list(self.contact_rows())
        self.plan_channels()
        engagements = list(self.engagement_rows())  # the same draws as when written below
        self.score_contacts(s, self.thresholds, contacts, accounts, self.email_rows, engagements)
        conn = s.connection()
        old_cache = None
        if conn.dialect.name == "sqlite":
            # One long transaction: a bigger page cache keeps its indexes in memory.
            old_cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
            conn.exec_driver_sql("PRAGMA cache_size = -262144")
        normalizer = _Normalizer([r["address"] for r in self.email_rows],
                                 [(r["raw"], r.pop("region")) for r in self.phone_rows])
        try:
            self.insert(s, "accounts", Account, accounts, len(accounts))
            self.insert(s, "contacts", Contact, contacts, len(contacts))
            emails, phones = normalizer.results()
            for row, (shown, norm) in zip(self.email_rows, emails):
                row["address"], row["address_normalized"] = shown, norm
            for row, (raw, e164) in zip(self.phone_rows, phones):
                row["raw"], row["e164"] = raw, e164
            self.insert(s, "contact_emails", ContactEmail, self.email_rows, len(self.email_rows))
            self.insert(s, "contact_phones", ContactPhone, self.phone_rows, len(self.phone_rows))
            del accounts, contacts, self.email_rows, self.phone_rows
            self.insert(s, "lifecycle_events", LifecycleEvent, self.lifecycle_rows(),
                        sum(len(p.path) for p in self.people))
            self.insert(s, "engagement_events", EngagementEvent, engagements, len(engagements))
            del engagements
            self.insert(s, "opportunities", Opportunity, self.opportunity_rows(), len(self.opps))
            self.insert(s, "opportunity_events", OpportunityEvent, self.opportunity_event_rows(),
                        sum(len(o.history) for o in self.opps))
            self.insert(s, "bant", Bant, self.bant_rows(), len(self.people) // 10)
            acts = self.plan_activities()
            self.insert(s, "activities", Activity, self.activity_rows(acts), len(acts))
        finally:
            normalizer.close()
            if old_cache is not None:
                conn.exec_driver_sql(f"PRAGMA cache_size = {int(old_cache)}")


# =========================================================================================
# Public API
# =========================================================================================

def generate(
    db: Database,
    scale: str = "small",
    seed: int = 7,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    *,
    force: bool = False,
    now: dt.datetime | None = None,
    captures: bool = False,
) -> DemoSummary:
    """Fill ``db`` with demo data; same ``seed`` and ``now``, same data (ids aside).

    Refuses (:class:`ValidationError`) a database that already holds contacts unless
    ``force``. Seeds the database first (``setup.initialize``) if needed. Everything is
    written in one transaction: :class:`DemoCancelled` (``cancel`` set) or any error leaves
    the database as it was. ``progress(step, done, total)`` is called per chunk written.

    ``captures``: also capture a handful of leads at the latest trade show through the
    capture services (badges' QR codes, a .vcf; ``_captures``), after the snapshot: those
    are ordinary saves (journalled, in the outbox) and not in the summary's counts. The app
    and ``leaddesk demo`` ask for them; the tests' demo leaves them out.
    """
    if scale not in SCALES:
        raise ValidationError(f"Unknown demo scale '{scale}' (use {' or '.join(SCALES)}).", field="scale")
    if now is None:
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    elif now.tzinfo is None:
        raise ValidationError("The demo's 'now' must be an aware datetime.", field="now")
    started = time.perf_counter()
    with db.reader() as s:
        _refuse_if_not_empty(s, force)
        seeded = s.get(Pipeline, seed_id("pipeline", "default")) is not None
        has_users = s.scalar(select(func.count()).select_from(User).where(User.deleted.is_(False)))
    if not seeded or not has_users:
        setup.initialize(db)
    else:  # a database seeded before the default scoring rules existed
        setup.seed_scoring_rules(db)
    gen = _Generator(db, SCALES[scale], seed, now, progress, cancel, scoring.thresholds(db))
    # Millions of short-lived dicts and tuples: the cyclic GC's sweeps over the growing
    # heap would cost a large share of the run, and none of it is garbage until the end.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with db.unit_of_work() as s, bulk_load(s):
            _refuse_if_not_empty(s, force)  # again, inside the writing transaction
            gen.run(s)
    finally:
        if gc_was_enabled:
            gc.enable()
    if captures:  # trade-show captures, through the capture services, after the snapshot
        add_captured_leads(db, now=now, read_codes=scale == "large", ocr=scale == "large")
    if db.dialect == "sqlite":
        _checkpoint_sqlite(db)
    return DemoSummary(scale=scale, seed=seed, seconds=round(time.perf_counter() - started, 3), **gen.counts)


def _refuse_if_not_empty(s, force: bool) -> None:
    if force:
        return
    if s.scalar(select(Contact.id).where(Contact.deleted.is_(False)).limit(1)) is not None:
        raise ValidationError(
            "This database already holds contacts, and demo data would mix with your real records. "
            "Try the demo on a new, empty database (start LeadDesk with LEADDESK_DATA_DIR set to an "
            "empty folder), or add it here anyway with the command `leaddesk demo --force`.",
            field="force",
        )


def _checkpoint_sqlite(db: Database) -> None:
    """Fold the write-ahead log into the database file and truncate it: one big transaction
    leaves a WAL as big as the data, which would otherwise stay on disk."""
    raw = db.engine.raw_connection()
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    finally:
        raw.close()
