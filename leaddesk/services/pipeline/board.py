"""The pipeline board: the cards of one pipeline with filters, totals and the forecast.

Read with one Core ``select`` of just the columns a card shows (no ORM objects), plus one
query for the stages. Totals and the forecast are computed from the loaded cards, so the
board, its column totals and its forecast strip always agree.

With closed deals included, won and lost cards belong to their own Won and Lost columns
(:func:`column_of`), never to the stage they were closed in; their probability is what
closing settled (100 % won, 0 % lost), so weighted totals stay honest.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import case, exists, func, literal_column, or_, select

from leaddesk.db import Database
from leaddesk.errors import NotFound, ValidationError
from leaddesk.models import Account, Activity, Opportunity, Pipeline, PipelineStage, User
from leaddesk.models.enums import OpportunityStatus
from leaddesk.models.search import fold
from leaddesk.services.records import as_uuid

HUNDRED = Decimal(100)
UTC = dt.timezone.utc


# --- the hot query's own result conversion --------------------------------------------
# Loading 10,000 cards is dominated by per-value conversion, so the card query selects
# raw driver values (no SQLAlchemy result processors) and converts them here with the C
# fast paths: SQLite hands back hex UUIDs, ISO text times and integer cents; PostgreSQL
# native objects, which pass through.
_UUIDS: dict[str, uuid.UUID] = {}


def _uuid(value, *, cache: bool = False):
    if value is None or isinstance(value, uuid.UUID):
        return value
    if not cache:
        return uuid.UUID(int=int(value, 16))
    found = _UUIDS.get(value)
    if found is None:
        if len(_UUIDS) > 100_000:
            _UUIDS.clear()
        found = _UUIDS[value] = uuid.UUID(int=int(value, 16))
    return found


def _utc(value):
    if value is None:
        return None
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _date(value):
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _money(value):
    if isinstance(value, int):  # SQLite: integer cents (models.types.Money)
        return Decimal(value).scaleb(-2)
    return value


_STATUS = {m.value: m for m in OpportunityStatus}


def _raw(col):
    """The column as the driver returns it (no result processing)."""
    return literal_column(f"{col.table.name}.{col.name}")



@dataclass(frozen=True)
class BoardStage:
    id: uuid.UUID
    name: str
    position: int
    probability: int
    rotting_days: int | None


@dataclass(frozen=True)
class BoardCard:
    id: uuid.UUID
    name: str
    account_id: uuid.UUID
    account_name: str
    stage_id: uuid.UUID
    status: OpportunityStatus
    amount: Decimal
    currency: str
    probability: int
    expected_close_date: dt.date | None
    owner_id: uuid.UUID | None
    owner_name: str | None
    next_step: str | None
    next_step_due: dt.date | None
    stage_entered_at: dt.datetime
    last_touch_at: dt.datetime | None
    board_rank: float
    version: int
    #: No real touch for longer than the stage's rotting days and nothing scheduled.
    stalled: bool
    #: Open, with no next step written down: the board prompts for one.
    needs_next_step: bool
    #: When it was closed (won or lost); None while open.
    closed_at: dt.datetime | None = None

    @property
    def weighted(self) -> Decimal:
        return (self.amount * self.probability / HUNDRED).quantize(Decimal("0.01"))


#: Probability of a closed deal: closing settled it.
CLOSED_PROBABILITY = {OpportunityStatus.WON: 100, OpportunityStatus.LOST: 0}


def column_of(card: BoardCard):
    """Where a card belongs on the board: its stage's id while open, else its status
    (``OpportunityStatus.WON`` / ``LOST``: the Won and Lost columns)."""
    return card.stage_id if card.status == OpportunityStatus.OPEN else card.status


def closed_totals(cards) -> dict[OpportunityStatus, ColumnTotals]:
    """Count and amounts of the won and of the lost cards among ``cards`` (both always present)."""
    return {status: column_totals(c for c in cards if c.status == status)
            for status in (OpportunityStatus.WON, OpportunityStatus.LOST)}


@dataclass(frozen=True)
class BoardFilter:
    pipeline_id: uuid.UUID | None = None  # None = the default pipeline
    owner_ids: tuple[uuid.UUID, ...] = ()
    team_id: uuid.UUID | None = None
    close_from: dt.date | None = None
    close_to: dt.date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    account_id: uuid.UUID | None = None
    text: str = ""
    include_closed: bool = False


@dataclass(frozen=True)
class ColumnTotals:
    count: int
    #: currency -> sum of amounts
    amount: dict[str, Decimal]
    #: currency -> sum of amount x probability
    weighted: dict[str, Decimal]


@dataclass(frozen=True)
class Board:
    pipeline_id: uuid.UUID
    pipeline_name: str
    currency: str
    stages: tuple[BoardStage, ...]
    cards: tuple[BoardCard, ...]
    loaded_at: dt.datetime = field(compare=False)


def _stalled(stage: BoardStage | None, entered: dt.datetime, touched: dt.datetime | None, scheduled: bool,
             now: dt.datetime) -> bool:
    if stage is None or stage.rotting_days is None or scheduled:
        return False
    last = max(entered, touched) if touched else entered
    return now - last > dt.timedelta(days=stage.rotting_days)


def _card(values: dict) -> BoardCard:
    """A BoardCard without the frozen dataclass's per-field ``object.__setattr__`` calls
    (20 per card): the instance dict is filled in one step. Same object, same equality."""
    card = object.__new__(BoardCard)
    card.__dict__.update(values)
    return card


@contextlib.contextmanager
def _gc_paused():
    """Building ~10,000 cards allocates ~200,000 small acyclic objects; the cyclic GC's
    generation sweeps over the app's whole heap then cost as much as the work itself
    (measured: ~150 ms of a 370 ms load). Pause it for the load; it runs again after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_board(db: Database, flt: BoardFilter = BoardFilter(), *, now: dt.datetime | None = None) -> Board:
    with _gc_paused():
        return _load_board(db, flt, now)


def _load_board(db: Database, flt: BoardFilter, now: dt.datetime | None) -> Board:
    now = now or dt.datetime.now(dt.timezone.utc)
    today = now.date()
    with db.reader() as s:
        if flt.pipeline_id is None:
            pipe = s.scalars(select(Pipeline).where(Pipeline.deleted.is_(False))
                             .order_by(Pipeline.is_default.desc(), Pipeline.position)).first()
            if pipe is None:
                raise NotFound("pipeline", "default")
        else:
            pipe = s.get(Pipeline, as_uuid(flt.pipeline_id))
            if pipe is None or pipe.deleted:
                raise NotFound("pipeline", flt.pipeline_id)
        stages = tuple(
            BoardStage(r.id, r.name, r.position, r.probability, r.rotting_days)
            for r in s.execute(
                select(PipelineStage.id, PipelineStage.name, PipelineStage.position, PipelineStage.probability,
                       PipelineStage.rotting_days)
                .where(PipelineStage.pipeline_id == pipe.id, PipelineStage.deleted.is_(False))
                .order_by(PipelineStage.position)
            )
        )
        scheduled = exists().where(
            Activity.opportunity_id == Opportunity.id, Activity.done_at.is_(None),
            Activity.deleted.is_(False), Activity.due_at >= now,
        )
        stmt = (
            select(
                _raw(Opportunity.id), Opportunity.name, _raw(Opportunity.account_id),
                Account.name.label("account_name"), _raw(Opportunity.stage_id), _raw(Opportunity.status),
                _raw(Opportunity.amount), Opportunity.currency,
                func.coalesce(Opportunity.probability, PipelineStage.probability).label("probability"),
                _raw(Opportunity.expected_close_date), _raw(Opportunity.owner_id),
                User.name.label("owner_name"), Opportunity.next_step, _raw(Opportunity.next_step_due),
                _raw(Opportunity.stage_entered_at), _raw(Opportunity.last_touch_at),
                Opportunity.board_rank, Opportunity.version, scheduled.label("scheduled"),
                _raw(Opportunity.closed_at),
            )
            .join(Account, Account.id == Opportunity.account_id)
            .join(PipelineStage, PipelineStage.id == Opportunity.stage_id)
            .outerjoin(User, User.id == Opportunity.owner_id)
            .where(Opportunity.pipeline_id == pipe.id, Opportunity.deleted.is_(False))
        )
        if not flt.include_closed:
            stmt = stmt.where(Opportunity.status == OpportunityStatus.OPEN)
        if flt.owner_ids:
            stmt = stmt.where(Opportunity.owner_id.in_([as_uuid(o) for o in flt.owner_ids]))
        if flt.team_id is not None:
            stmt = stmt.where(User.team_id == as_uuid(flt.team_id))
        if flt.close_from is not None:
            stmt = stmt.where(Opportunity.expected_close_date >= flt.close_from)
        if flt.close_to is not None:
            stmt = stmt.where(Opportunity.expected_close_date <= flt.close_to)
        if flt.amount_min is not None and flt.amount_max is not None and flt.amount_min > flt.amount_max:
            raise ValidationError("The smallest amount is larger than the largest.", field="amount_min")
        if flt.amount_min is not None:
            stmt = stmt.where(Opportunity.amount >= flt.amount_min)
        if flt.amount_max is not None:
            stmt = stmt.where(Opportunity.amount <= flt.amount_max)
        if flt.account_id is not None:
            stmt = stmt.where(Opportunity.account_id == as_uuid(flt.account_id))
        text = fold(flt.text).strip()
        if text:
            like = f"%{text.replace(chr(92), chr(92) * 2).replace('%', chr(92) + '%').replace('_', chr(92) + '_')}%"
            stmt = stmt.where(or_(func.lower(Opportunity.name).like(like, escape="\\"),
                                  Account.name_key.like(like, escape="\\")))
        rows = s.execute(stmt.order_by(PipelineStage.position, Opportunity.board_rank, Opportunity.id)).all()
    by_id = {st.id: st for st in stages}
    open_status = OpportunityStatus.OPEN
    cards = []
    for (id_, name, account_id, account_name, stage_id, status, amount, currency, probability, close, owner_id,
         owner_name, next_step, next_due, entered, touched, rank, version, has_scheduled, closed) in rows:
        id_, account_id = _uuid(id_), _uuid(account_id, cache=True)
        stage_id, owner_id = _uuid(stage_id, cache=True), _uuid(owner_id, cache=True)
        status, amount = _STATUS[status], _money(amount)
        close, next_due, entered, touched = _date(close), _date(next_due), _utc(entered), _utc(touched)
        is_open = status == open_status
        if not is_open:
            probability = CLOSED_PROBABILITY[status]
        cards.append(_card({
            "id": id_, "name": name, "account_id": account_id, "account_name": account_name,
            "stage_id": stage_id, "status": status, "amount": amount, "currency": currency,
            "probability": int(probability), "expected_close_date": close, "owner_id": owner_id,
            "owner_name": owner_name, "next_step": next_step, "next_step_due": next_due,
            "stage_entered_at": entered, "last_touch_at": touched, "board_rank": rank, "version": version,
            "stalled": is_open and _stalled(by_id.get(stage_id), entered, touched,
                                            bool(has_scheduled) or (next_due is not None and next_due >= today), now),
            "needs_next_step": is_open and not (next_step or "").strip(),
            "closed_at": None if is_open else _utc(closed),
        }))
    cards = tuple(cards)
    return Board(pipe.id, pipe.name, pipe.currency, stages, cards, loaded_at=now)


def column_totals(cards) -> ColumnTotals:
    amount: dict[str, Decimal] = defaultdict(Decimal)
    weighted: dict[str, Decimal] = defaultdict(Decimal)
    count = 0
    for c in cards:
        count += 1
        amount[c.currency] += c.amount
        weighted[c.currency] += c.weighted
    return ColumnTotals(count, dict(amount), dict(weighted))


@dataclass(frozen=True)
class ForecastMonth:
    month: dt.date  # first day of the month; date.min for "no close date"
    count: int
    amount: dict[str, Decimal]
    weighted: dict[str, Decimal]


def forecast_by_month(cards, *, months: int = 6, today: dt.date | None = None) -> list[ForecastMonth]:
    """Open cards by expected close month: amount and stage-probability-weighted amount.
    Overdue close dates count in the current month (they still need closing)."""
    today = today or dt.date.today()
    first = today.replace(day=1)
    buckets: dict[dt.date, list] = defaultdict(list)
    for c in cards:
        if c.status != OpportunityStatus.OPEN:
            continue
        if c.expected_close_date is None:
            key = dt.date.min
        else:
            key = max(c.expected_close_date.replace(day=1), first)
        buckets[key].append(c)
    out = []
    month = first
    for _ in range(months):
        tot = column_totals(buckets.get(month, ()))
        out.append(ForecastMonth(month, tot.count, tot.amount, tot.weighted))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    later = [c for k, cs in buckets.items() if k != dt.date.min and k >= month for c in cs]
    if later:
        tot = column_totals(later)
        out.append(ForecastMonth(month, tot.count, tot.amount, tot.weighted))
    return out


def owners_for_filter(db: Database) -> list[tuple[uuid.UUID, str]]:
    with db.reader() as s:
        return [(r.id, r.name) for r in s.execute(
            select(User.id, User.name).where(User.deleted.is_(False), User.active.is_(True)).order_by(User.name))]




@dataclass(frozen=True)
class AccountPipeline:
    """A pipeline as the account view's switcher offers it: the account's deals in it."""

    pipeline_id: uuid.UUID
    name: str
    is_default: bool
    deals: int
    open_deals: int


def account_pipelines(db: Database, account_id) -> list[AccountPipeline]:
    """The live pipelines holding deals of the account (those the user may see), most open
    deals first (then most deals, the default, the pipelines' order); the default pipeline
    is listed too when no deal is in it, last, so a first deal can be added there."""
    account_id = as_uuid(account_id, field="account_id")
    is_open = case((Opportunity.status == OpportunityStatus.OPEN, 1), else_=0)
    with db.reader() as s:
        counts = {r.pipeline_id: (r.deals, r.open_deals or 0) for r in s.execute(
            select(Opportunity.pipeline_id, func.count().label("deals"), func.sum(is_open).label("open_deals"))
            .where(Opportunity.account_id == account_id, Opportunity.deleted.is_(False))
            .group_by(Opportunity.pipeline_id))}
        pipes = s.execute(select(Pipeline.id, Pipeline.name, Pipeline.is_default, Pipeline.position)
                          .where(Pipeline.deleted.is_(False)).order_by(Pipeline.position, Pipeline.name)).all()
    found = [AccountPipeline(p.id, p.name, p.is_default, *counts.get(p.id, (0, 0)))
             for p in pipes if p.id in counts or p.is_default]
    order = {p.id: i for i, p in enumerate(pipes)}
    return sorted(found, key=lambda p: (-p.open_deals, -p.deals, not p.is_default, order[p.pipeline_id]))
