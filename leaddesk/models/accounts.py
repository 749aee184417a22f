"""Accounts: the companies we sell to."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from leaddesk.models.base import Base, Synced
from leaddesk.models.types import Money


class Account(Synced, Base):
    __tablename__ = "account"

    name: Mapped[str] = mapped_column(String(300))
    #: Case-folded name for sorting and prefix search (SQLite NOCASE folds ASCII only).
    name_key: Mapped[str] = mapped_column(String(300))
    domain: Mapped[str | None] = mapped_column(String(253))
    website: Mapped[str | None] = mapped_column(String(500))
    industry: Mapped[str | None] = mapped_column(String(100))
    employees: Mapped[int | None]
    annual_revenue: Mapped[Decimal | None] = mapped_column(Money)
    revenue_currency: Mapped[str | None] = mapped_column(String(3))
    #: ISO 3166-1 alpha-2.
    country: Mapped[str | None] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(32))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("app_user.id"))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    #: Set when this account was merged into another one (then ``deleted`` is true).
    merged_into: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    __table_args__ = (
        Index("ix_account_name_key", "name_key"),
        Index("ix_account_owner_id", "owner_id"),
        Index("ix_account_domain", "domain"),
    )
