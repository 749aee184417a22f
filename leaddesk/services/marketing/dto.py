"""What the marketing services hand out (campaigns and events, engagement, campaign
figures): frozen dataclasses that never lazy-load across threads."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from leaddesk.models.enums import CampaignKind, EngagementKind

# --- campaigns ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignDetail:
    id: uuid.UUID
    name: str
    kind: CampaignKind
    starts_on: dt.date | None
    ends_on: dt.date | None
    location: str | None
    cost: Decimal | None
    currency: str | None
    notes: str | None
    version: int
    deleted: bool
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class EngagementInfo:
    id: uuid.UUID
    contact_id: uuid.UUID
    kind: EngagementKind
    occurred_at: dt.datetime
    detail: str | None
    campaign_id: uuid.UUID | None


@dataclass(frozen=True)
class CampaignKpis:
    """What a campaign produced and what each lead/customer cost (None = nothing to divide by)."""

    campaign_id: uuid.UUID
    cost: Decimal | None
    currency: str | None
    leads: int
    customers: int
    cost_per_lead: Decimal | None
    cost_per_acquisition: Decimal | None
