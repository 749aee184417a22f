"""Vocabularies of the sales domain (see shared/domain.md)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"


class LifecycleStage(StrEnum):
    LEAD = "lead"
    IQL = "iql"
    MQL = "mql"
    SQL = "sql"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    NURTURE = "nurture"
    DISQUALIFIED = "disqualified"


class Seniority(StrEnum):
    UNKNOWN = "unknown"
    ENTRY = "entry"
    SENIOR = "senior"
    MANAGER = "manager"
    DIRECTOR = "director"
    VP = "vp"
    C_LEVEL = "c_level"
    OWNER = "owner"


class EmailKind(StrEnum):
    WORK = "work"
    HOME = "home"
    OTHER = "other"


class PhoneKind(StrEnum):
    WORK = "work"
    MOBILE = "mobile"
    HOME = "home"
    FAX = "fax"
    OTHER = "other"


class OpportunityStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class ActivityKind(StrEnum):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    TASK = "task"
    NOTE = "note"


class ActivityOutcome(StrEnum):
    COMPLETED = "completed"
    NO_ANSWER = "no_answer"
    LEFT_VOICEMAIL = "left_voicemail"
    NO_SHOW = "no_show"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"


class Authority(StrEnum):
    UNKNOWN = "unknown"
    DECISION_MAKER = "decision_maker"
    INFLUENCER = "influencer"
    NO_AUTHORITY = "no_authority"


class BantPartStatus(StrEnum):
    """Where one part of a BANT stands, as the rep heard it on the call."""

    UNKNOWN = "unknown"
    YES = "yes"
    PARTIAL = "partial"
    NO = "no"


class BuyingRole(StrEnum):
    """A person's role in the buying committee (who signs, who champions, who can block)."""

    UNKNOWN = "unknown"
    ECONOMIC_BUYER = "economic_buyer"
    DECISION_MAKER = "decision_maker"
    CHAMPION = "champion"
    TECHNICAL_BUYER = "technical_buyer"
    USER = "user"
    INFLUENCER = "influencer"
    GATEKEEPER = "gatekeeper"


class BantResult(StrEnum):
    INCOMPLETE = "incomplete"
    POSITIVE = "positive"
    NEGATIVE = "negative"


class ScoreFamily(StrEnum):
    FIT = "fit"
    INTEREST = "interest"


class EngagementKind(StrEnum):
    SITE_VISIT = "site_visit"
    PRICING_PAGE_VISIT = "pricing_page_visit"
    CAREERS_PAGE_VISIT = "careers_page_visit"
    EMAIL_OPEN = "email_open"
    EMAIL_REPLY = "email_reply"
    DOWNLOAD = "download"
    FORM_FILL = "form_fill"
    TRIAL_SIGNUP = "trial_signup"
    AD_CLICK = "ad_click"
    WEBINAR = "webinar"
    EVENT_ATTENDANCE = "event_attendance"
    NEWSLETTER_SIGNUP = "newsletter_signup"


class CampaignKind(StrEnum):
    TRADE_SHOW = "trade_show"
    EVENT = "event"
    WEBINAR = "webinar"
    EMAIL = "email"
    PAID_ADS = "paid_ads"
    CONTENT = "content"
    SEO = "seo"
    SOCIAL = "social"
    COLD_OUTREACH = "cold_outreach"
    OTHER = "other"


class LeadSource(StrEnum):
    TRADE_SHOW = "trade_show"
    WEB_FORM = "web_form"
    NEWSLETTER = "newsletter"
    WEBINAR = "webinar"
    CONTENT_DOWNLOAD = "content_download"
    REFERRAL = "referral"
    COLD_CALL = "cold_call"
    COLD_EMAIL = "cold_email"
    PAID_ADS = "paid_ads"
    SOCIAL = "social"
    BUSINESS_CARD = "business_card"
    IMPORT = "import"
    OTHER = "other"


class CaptureSource(StrEnum):
    """How a contact card was read (revision 0014)."""

    QR = "qr"
    OCR = "ocr"
    VCARD = "vcard"
    MANUAL = "manual"


class DuplicateStatus(StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"
    MERGED = "merged"
