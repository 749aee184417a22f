"""Contacts (persons) and their lead lifecycle."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, Uuid, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from leaddesk.models.base import Base, Synced, str_enum
from leaddesk.models.enums import CaptureSource, EmailKind, LeadSource, LifecycleStage, PhoneKind, Seniority
from leaddesk.models.types import UTCDateTime


class Contact(Synced, Base):
    """A person. A lead is a contact in the early lifecycle stages (domain brief)."""

    __tablename__ = "contact"

    given_name: Mapped[str | None] = mapped_column(String(120))
    family_name: Mapped[str | None] = mapped_column(String(120))
    #: What the UI shows; made from the names by the service.
    display_name: Mapped[str] = mapped_column(String(250))
    #: Case-folded display name for sorting and prefix search.
    name_key: Mapped[str] = mapped_column(String(250))
    job_title: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(120))
    seniority: Mapped[Seniority] = mapped_column(str_enum(Seniority, "seniority"), default=Seniority.UNKNOWN)
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("account.id"))
    street: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("app_user.id"))
    notes: Mapped[str | None] = mapped_column(Text)
    #: The person's (or their company's) web site, as printed on a card (revision 0014).
    website: Mapped[str | None] = mapped_column(String(500))

    # --- lead lifecycle -------------------------------------------------------------
    lifecycle_stage: Mapped[LifecycleStage] = mapped_column(
        str_enum(LifecycleStage, "lifecycle_stage"), default=LifecycleStage.LEAD
    )
    lifecycle_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[LeadSource | None] = mapped_column(str_enum(LeadSource, "lead_source"))
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("campaign.id"))
    captured_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Why the current owner holds the lead ("round-robin after hand-off at score 72",
    #: "reassigned: Ana is on leave"); the history keeps the earlier ones (revision 0009).
    assignment_reason: Mapped[str | None] = mapped_column(Text)
    first_touch_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Why the lead is in nurture or disqualified (BANT outcome, "call me in Q3", spam ...).
    stage_reason: Mapped[str | None] = mapped_column(Text)
    persona_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("persona.id"))
    #: Cached scores, recomputed by the scoring service (reasons live with the rules).
    fit_score: Mapped[int] = mapped_column(Integer, default=0)
    interest_score: Mapped[int] = mapped_column(Integer, default=0)
    merged_into: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    emails: Mapped[list["ContactEmail"]] = relationship(
        back_populates="contact", order_by="ContactEmail.position", lazy="selectin"
    )
    phones: Mapped[list["ContactPhone"]] = relationship(
        back_populates="contact", order_by="ContactPhone.position", lazy="selectin"
    )

    __table_args__ = (
        Index("ix_contact_name_key", "name_key"),
        Index("ix_contact_account_id", "account_id"),
        Index("ix_contact_owner_stage", "owner_id", "lifecycle_stage"),
        Index("ix_contact_lifecycle_stage", "lifecycle_stage"),
        Index("ix_contact_campaign_id", "campaign_id"),
    )


#: When a lead's first-touch clock started (``services/followups/sla.py``'s ``_START``), with
#: what the speed-to-lead figures of a period read of each lead: they come from the index
#: alone (revision 0015; PostgreSQL scans an expression index "index-only" only when the
#: expression's own columns are in it too). No column a score update writes is in it (PostgreSQL's HOT updates).
#: Only live contacts with an owner (the figures are per rep): an unowned lead's updates
#: never touch it.
_c = Contact.__table__.c
Index("ix_contact_sla_start", func.coalesce(_c.assigned_at, _c.captured_at, _c.created_at), _c.owner_id,
      _c.source, _c.first_touch_at, _c.assigned_at, _c.captured_at, _c.created_at,
      sqlite_where=text("owner_id IS NOT NULL AND deleted IS 0"),
      postgresql_where=text("owner_id IS NOT NULL AND deleted IS false"))


class ContactEmail(Synced, Base):
    __tablename__ = "contact_email"

    contact_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("contact.id"))
    kind: Mapped[EmailKind] = mapped_column(str_enum(EmailKind, "email_kind"), default=EmailKind.WORK)
    #: As typed (and shown).
    address: Mapped[str] = mapped_column(String(320))
    #: Lower-cased with an IDNA domain: what duplicate detection compares. Not UNIQUE:
    #: two reps may capture the same person offline (sync notes, section 3.11).
    address_normalized: Mapped[str] = mapped_column(String(320))
    position: Mapped[int] = mapped_column(Integer, default=0)

    contact: Mapped[Contact] = relationship(back_populates="emails")

    __table_args__ = (
        Index("ix_contact_email_contact_id", "contact_id"),
        Index("ix_contact_email_address_normalized", "address_normalized"),
    )


class ContactPhone(Synced, Base):
    __tablename__ = "contact_phone"

    contact_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("contact.id"))
    kind: Mapped[PhoneKind] = mapped_column(str_enum(PhoneKind, "phone_kind"), default=PhoneKind.WORK)
    #: As typed.
    raw: Mapped[str] = mapped_column(String(64))
    #: E.164 form (``+4930123456``), what matching and dialling use.
    e164: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=0)

    contact: Mapped[Contact] = relationship(back_populates="phones")

    __table_args__ = (
        Index("ix_contact_phone_contact_id", "contact_id"),
        Index("ix_contact_phone_e164", "e164"),
    )


class LifecycleEvent(Synced, Base):
    """Insert-only history of a contact's lifecycle stage (for funnel conversion)."""

    __tablename__ = "lifecycle_event"

    contact_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("contact.id"))
    from_stage: Mapped[LifecycleStage | None] = mapped_column(str_enum(LifecycleStage, "lifecycle_from"))
    to_stage: Mapped[LifecycleStage] = mapped_column(str_enum(LifecycleStage, "lifecycle_to"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    by_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    __table_args__ = (
        Index("ix_lifecycle_event_contact_at", "contact_id", "at"),
        Index("ix_lifecycle_event_to_stage_at", "to_stage", "at"),
    )


class ContactCard(Synced, Base):
    """A business card, QR payload or vCard a contact was captured from (revision 0014).

    Kept on the contact so the rep can check a field against the original. The image is
    stored as base64 text, not bytes: every synced value travels as JSON (sync/field_values),
    so a card syncs like any other row. The capture service downscales it first (longest
    side 1600 px, JPEG), which keeps a card around 150-300 KB.
    """

    __tablename__ = "contact_card"

    contact_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("contact.id"))
    #: The event (campaign) the card was captured at, if any.
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("campaign.id"))
    source: Mapped[CaptureSource] = mapped_column(str_enum(CaptureSource, "capture_source"))
    captured_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: ``image/jpeg`` or ``image/png``; None for a vCard without a photo.
    image_mime: Mapped[str | None] = mapped_column(String(40))
    image_b64: Mapped[str | None] = mapped_column(Text)
    image_sha256: Mapped[str | None] = mapped_column(String(64))
    #: What OCR read, line by line.
    raw_text: Mapped[str | None] = mapped_column(Text)
    #: The QR code's or the vCard's own text.
    payload: Mapped[str | None] = mapped_column(Text)
    #: The fields as read, with their confidence, before the rep's corrections.
    fields_read: Mapped[dict] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_contact_card_contact_id", "contact_id"),)
