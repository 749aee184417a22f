"""How the marketing screens write a campaign's kind, dates and cost (one wording for the
events dialog, its list and the event picker)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from PySide6.QtCore import QCoreApplication, QDate

from leaddesk.models.enums import CampaignKind
from leaddesk.ui.formatting import display_locale, format_date, format_money


def _tr(text: str) -> str:
    return QCoreApplication.translate("Events", text)


_KINDS = {
    CampaignKind.TRADE_SHOW: "Trade show", CampaignKind.EVENT: "Event", CampaignKind.WEBINAR: "Webinar",
    CampaignKind.EMAIL: "E-mail", CampaignKind.PAID_ADS: "Paid ads", CampaignKind.CONTENT: "Content",
    CampaignKind.SEO: "SEO", CampaignKind.SOCIAL: "Social", CampaignKind.COLD_OUTREACH: "Cold outreach",
    CampaignKind.OTHER: "Other",
}


def kind_text(kind: CampaignKind | str) -> str:
    return _tr(_KINDS.get(CampaignKind(kind), str(kind)))


def kinds() -> list[tuple[CampaignKind, str]]:
    """Every kind with its label, events first (the order of the editor's list)."""
    return [(k, kind_text(k)) for k in _KINDS]


def date_range_text(starts: dt.date | None, ends: dt.date | None, *, today: dt.date | None = None) -> str:
    """``10–12 Mar 2026``, ``28 Feb – 2 Mar 2026``, ``3 Mar 2026``; the year left out when
    it is this year's (with ``today``); "" when there is no date."""
    if starts is None and ends is None:
        return ""
    if starts is None or ends is None or starts == ends:
        return format_date(starts or ends, today=today)
    locale = display_locale()
    if starts.year != ends.year:
        return f"{format_date(starts)} – {format_date(ends)}"
    end = format_date(ends, today=today)
    if starts.month == ends.month:
        return f"{locale.toString(starts.day)}–{end}"
    return f"{locale.toString(QDate(starts.year, starts.month, starts.day), 'd MMM')} – {end}"


def money_text(amount: Decimal | None, currency: str | None) -> str:
    if amount is None:
        return ""
    if not currency:
        return display_locale().toString(float(amount), "f", 2)
    return format_money(amount, currency)
