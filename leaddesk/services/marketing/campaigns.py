"""Campaigns and events (with their cost), engagement signals, and campaign KPIs.

CPL (cost per lead) = campaign cost / leads it produced; CPA (cost per acquisition) =
campaign cost / customers it produced (domain brief, "KPIs a manager reads").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import Campaign, Contact, ContactCard, EngagementEvent
from leaddesk.models.enums import CampaignKind, EngagementKind, LifecycleStage
from leaddesk.services import validation as v
from leaddesk.services.marketing.dto import CampaignDetail, CampaignKpis, EngagementInfo
from leaddesk.services.records import (
    Changes,
    as_uuid,
    assign,
    check_version,
    get_row,
    restore,
    soft_delete,
    to_dto,
)

FIELDS = ("name", "kind", "starts_on", "ends_on", "location", "cost", "currency", "notes")
CENT = Decimal("0.01")


def aware_datetime(value, *, field: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        label = field.replace("_", " ").capitalize()
        raise ValidationError(f"{label} must be a date and time with a time zone.", field=field)
    return value


def clean_campaign(data: dict, *, partial: bool = False) -> dict:
    unknown = set(data) - set(FIELDS)
    if unknown:
        first = sorted(unknown)[0]
        raise ValidationError(f"Unknown campaign field(s): {', '.join(sorted(unknown))}.", field=first)
    out: dict = {}
    if "name" in data or not partial:
        out["name"] = v.clean_text(data.get("name"), field="name", max_len=200, required=True)
    if "kind" in data or not partial:
        if data.get("kind") is None:
            raise ValidationError("Say what kind of campaign this is (trade show, webinar ...).", field="kind")
        out["kind"] = v.choice(CampaignKind, data["kind"], "kind")
    for key in ("starts_on", "ends_on"):
        if key in data:
            out[key] = v.date_value(data[key], field=key)
    for key, limit in (("location", 200), ("notes", 20000)):
        if key in data:
            out[key] = v.clean_text(data[key], field=key, max_len=limit)
    if "cost" in data:
        out["cost"] = v.money(data["cost"], field="cost")
    if "currency" in data:
        out["currency"] = v.currency(data["currency"], allow_none=True)
    return out


def _check_consistency(values: dict) -> None:
    """Checks across fields, on the campaign as it will be saved."""
    starts, ends = values.get("starts_on"), values.get("ends_on")
    if starts and ends and ends < starts:
        raise ValidationError(
            f"The campaign cannot end ({ends.isoformat()}) before it starts ({starts.isoformat()}).", field="ends_on"
        )
    if values.get("cost") is not None and not values.get("currency"):
        raise ValidationError("Give the currency of the campaign cost.", field="currency")


def create_campaign(db: Database, **data) -> CampaignDetail:
    """Create a campaign: ``name`` and ``kind`` are required; ``cost`` needs a ``currency``."""
    values = clean_campaign(data)
    _check_consistency(values)
    with db.unit_of_work() as s:
        obj = Campaign(**values)
        s.add(obj)
        s.flush()
        return to_dto(obj, CampaignDetail)


def update_campaign(db: Database, campaign_id, *, expected_version: int | None, **data) -> CampaignDetail:
    values = clean_campaign(data, partial=True)
    with db.unit_of_work() as s:
        obj = get_row(s, Campaign, campaign_id)
        check_version(obj, expected_version)
        _check_consistency({f: values.get(f, getattr(obj, f)) for f in FIELDS})
        if assign(obj, values):
            s.flush()
        return to_dto(obj, CampaignDetail)


def get_campaign(db: Database, campaign_id, *, include_deleted: bool = False) -> CampaignDetail:
    with db.reader() as s:
        return to_dto(get_row(s, Campaign, campaign_id, include_deleted=include_deleted), CampaignDetail)


def delete_campaign(db: Database, campaign_id, *, expected_version: int | None = None) -> Changes:
    return soft_delete(db, Campaign, campaign_id, expected_version=expected_version)


def restore_campaign(db: Database, campaign_id, *, expected_version: int | None = None) -> Changes:
    return restore(db, Campaign, campaign_id, expected_version=expected_version)


def list_campaigns(
    db: Database, *, kind: CampaignKind | str | None = None, deleted: bool = False
) -> list[CampaignDetail]:
    """Campaigns, latest start first (campaigns without dates last), then by name."""
    stmt = select(Campaign).where(Campaign.deleted.is_(deleted))
    if kind is not None:
        stmt = stmt.where(Campaign.kind == v.choice(CampaignKind, kind, "kind"))
    stmt = stmt.order_by(Campaign.starts_on.desc().nulls_last(), Campaign.name, Campaign.id)
    with db.reader() as s:
        return [to_dto(obj, CampaignDetail) for obj in s.scalars(stmt)]


def record_engagement(
    db: Database, contact_id, kind: EngagementKind | str, occurred_at: dt.datetime, *,
    detail: str | None = None, campaign_id=None,
) -> EngagementInfo:
    """Record one behavioural signal of a contact (insert-only; feeds interest scoring)."""
    with db.unit_of_work() as s:
        return record_engagement_in(s, contact_id, kind, occurred_at, detail=detail, campaign_id=campaign_id)


def record_engagement_in(
    s: Session, contact_id, kind: EngagementKind | str, occurred_at: dt.datetime, *,
    detail: str | None = None, campaign_id=None,
) -> EngagementInfo:
    """:func:`record_engagement` in the caller's write session."""
    kind = v.choice(EngagementKind, kind, "kind")
    occurred_at = aware_datetime(occurred_at, field="occurred_at")
    detail = v.clean_text(detail, field="detail", max_len=500)
    campaign = as_uuid(campaign_id, field="campaign_id") if campaign_id else None
    contact = get_row(s, Contact, contact_id)
    if campaign is not None:
        get_row(s, Campaign, campaign)
    obj = EngagementEvent(contact_id=contact.id, kind=kind, occurred_at=occurred_at, detail=detail,
                          campaign_id=campaign)
    s.add(obj)
    s.flush()
    return to_dto(obj, EngagementInfo)


def list_engagement(db: Database, contact_id, *, limit: int | None = None) -> list[EngagementInfo]:
    """A contact's engagement, newest first."""
    with db.reader() as s:
        contact = get_row(s, Contact, contact_id, include_deleted=True)
        stmt = (
            select(EngagementEvent)
            .where(EngagementEvent.contact_id == contact.id, EngagementEvent.deleted.is_(False))
            .order_by(EngagementEvent.occurred_at.desc(), EngagementEvent.id.desc())
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        return [to_dto(obj, EngagementInfo) for obj in s.scalars(stmt)]


def _per(cost: Decimal | None, count: int) -> Decimal | None:
    if cost is None or count == 0:
        return None
    return (cost / count).quantize(CENT, rounding=ROUND_HALF_EVEN)


def campaign_kpis(db: Database, campaign_id) -> CampaignKpis:
    """Leads = live contacts whose campaign is this one (whatever their stage now);
    customers = those of them now in stage customer. CPL/CPA are rounded to cents."""
    with db.reader() as s:
        campaign = get_row(s, Campaign, campaign_id, include_deleted=True)
        leads, customers = s.execute(
            select(
                func.count(Contact.id),
                func.coalesce(func.sum(case((Contact.lifecycle_stage == LifecycleStage.CUSTOMER, 1), else_=0)), 0),
            ).where(Contact.campaign_id == campaign.id, Contact.deleted.is_(False))
        ).one()
    leads, customers = int(leads), int(customers)
    return CampaignKpis(
        campaign_id=campaign.id, cost=campaign.cost, currency=campaign.currency, leads=leads,
        customers=customers, cost_per_lead=_per(campaign.cost, leads),
        cost_per_acquisition=_per(campaign.cost, customers),
    )


@dataclass(frozen=True)
class CampaignRow:
    """One line of the campaigns screen: the campaign and what it produced so far.

    ``leads``: live contacts attributed to it (``contact.campaign_id``, as in
    :func:`campaign_kpis`); ``captured``: live contacts with a card (photo, QR code, vCard)
    captured at it; ``cost_per_lead``: cost / leads, rounded to cents (None: no cost or no lead).
    """

    campaign: CampaignDetail
    leads: int
    captured: int
    cost_per_lead: Decimal | None


def list_campaign_rows(db: Database, *, deleted: bool = False) -> list[CampaignRow]:
    """Every campaign (order of :func:`list_campaigns`) with its lead and capture counts, in
    one query (grouped counts joined to the campaigns, not a count per campaign)."""
    leads = (
        select(Contact.campaign_id.label("campaign_id"), func.count(Contact.id).label("n"))
        .where(Contact.campaign_id.is_not(None), Contact.deleted.is_(False))
        .group_by(Contact.campaign_id)
        .subquery()
    )
    captured = (
        select(ContactCard.campaign_id.label("campaign_id"), func.count(distinct(ContactCard.contact_id)).label("n"))
        .join(Contact, Contact.id == ContactCard.contact_id)
        .where(ContactCard.campaign_id.is_not(None), ContactCard.deleted.is_(False), Contact.deleted.is_(False))
        .group_by(ContactCard.campaign_id)
        .subquery()
    )
    stmt = (
        select(Campaign, func.coalesce(leads.c.n, 0), func.coalesce(captured.c.n, 0))
        .outerjoin(leads, leads.c.campaign_id == Campaign.id)
        .outerjoin(captured, captured.c.campaign_id == Campaign.id)
        .where(Campaign.deleted.is_(deleted))
        .order_by(Campaign.starts_on.desc().nulls_last(), Campaign.name, Campaign.id)
    )
    with db.reader() as s:
        rows = s.execute(stmt).all()
        return [
            CampaignRow(campaign=to_dto(obj, CampaignDetail), leads=int(n_leads), captured=int(n_captured),
                        cost_per_lead=_per(obj.cost, int(n_leads)))
            for obj, n_leads, n_captured in rows
        ]


def period_of(starts: dt.date | None, ends: dt.date | None, today: dt.date) -> str:
    """When a campaign runs, seen ``today``: ``running``, ``upcoming``, ``past`` or
    ``undated`` (no start date)."""
    if starts is None:
        return "undated"
    end = ends or starts
    if end < today:
        return "past"
    return "running" if starts <= today else "upcoming"
