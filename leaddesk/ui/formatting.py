"""How the screens write money, dates, moments and names for the user's locale.

Shared by every capability's screens (the board, the contact and account views, the
history, the conflict inbox, duplicate review): one way to show an amount or a time.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from decimal import Decimal

from PySide6.QtCore import QCoreApplication, QDate, QDateTime, QLocale

#: Symbols that name one currency only; other codes are shown as their ISO code.
_SYMBOLS = {"EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "TRY": "₺", "THB": "฿", "KRW": "₩", "ILS": "₪",
            "NGN": "₦", "PHP": "₱", "UAH": "₴", "VND": "₫", "RUB": "₽", "USD": "US$"}


def display_locale() -> QLocale:
    """The user's locale; the bare "C" locale (no LANG set) reads as US English."""
    locale = QLocale()
    if locale.language() == QLocale.Language.C:
        return QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    return locale


def currency_symbol(code: str, locale: QLocale | None = None) -> str:
    locale = locale or display_locale()
    if locale.currencySymbol(QLocale.CurrencySymbolFormat.CurrencyIsoCode) == code:
        return locale.currencySymbol(QLocale.CurrencySymbolFormat.CurrencySymbol)
    return _SYMBOLS.get(code, code)


def format_money(amount: Decimal, currency: str, locale: QLocale | None = None, *, cents: bool | None = None) -> str:
    """``€12,500`` / ``US$99.50`` in the user's locale (cents only when there are any)."""
    locale = locale or display_locale()
    if cents is None:
        cents = amount != amount.to_integral_value()
    return locale.toCurrencyString(float(amount), currency_symbol(currency, locale), 2 if cents else 0)


def format_compact(amount: Decimal, currency: str, locale: QLocale | None = None) -> str:
    """``€12.5k`` / ``€1.03M``: for headers and the forecast, where space is short."""
    locale = locale or display_locale()
    value = float(amount)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e4, "k")):
        if abs(value) >= limit:
            scaled = value / (limit if suffix != "k" else 1e3)
            decimals = 0 if abs(scaled) >= 100 else 1 if abs(scaled) >= 10 else 2
            number = locale.toString(scaled, "f", decimals)
            if "." in number or locale.decimalPoint() in number:
                number = number.rstrip("0").rstrip(locale.decimalPoint())
            text = locale.toCurrencyString(0.0, "\u00a4", 0)
            zero = locale.toString(0)
            return text.replace(zero, number + suffix, 1).replace("\u00a4", currency_symbol(currency, locale))
    return format_money(amount.to_integral_value(), currency, locale, cents=False)


def format_totals(amounts: Mapping[str, Decimal], main_currency: str, locale: QLocale | None = None, *,
                  compact: bool = False, most: int | None = None) -> str:
    """A sum per currency, the pipeline's currency first: ``€40,000 + US$3,000``; with
    ``most``, at most that many sums and a count of the rest: ``€40k (+2 more)``."""
    fmt = format_compact if compact else (lambda a, c, loc: format_money(a.to_integral_value(), c, loc, cents=False))
    if not amounts:
        return fmt(Decimal(0), main_currency, locale)
    codes = sorted(amounts, key=lambda c: (c != main_currency, c))
    text = " + ".join(fmt(amounts[c], c, locale) for c in codes[:most])
    if most is not None and len(codes) > most:
        text += " " + QCoreApplication.translate("BoardModel", "(+{0} more)").format(len(codes) - most)
    return text


def format_date(value: dt.date, locale: QLocale | None = None, *, today: dt.date | None = None) -> str:
    locale = locale or display_locale()
    pattern = "d MMM" if today is not None and value.year == today.year else "d MMM yyyy"
    return locale.toString(QDate(value.year, value.month, value.day), pattern)


def format_moment(at: dt.datetime | None, locale: QLocale | None = None, *, today: dt.date | None = None) -> str:
    """An aware time, in the user's time zone and locale: the time alone today ("14:02",
    "2:02 PM"), else the day and the time ("22 Nov 14:02"; another year: "22 Nov 2025 14:02").
    One format for every "when" in the app (conflicts, history, trash, merges, sync)."""
    if at is None:
        return ""
    locale = locale or display_locale()
    moment = QDateTime.fromMSecsSinceEpoch(int(at.timestamp() * 1000))  # the local zone
    day = moment.date().toPython()
    time = locale.toString(moment.time(), QLocale.FormatType.ShortFormat)
    today = today or dt.date.today()
    if day == today:
        return time
    return f"{format_date(day, locale, today=today)} {time}"


def is_right_to_left(text: str) -> bool:
    """Whether the first strongly directional character of ``text`` is right-to-left."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def initials(name: str | None) -> str:
    parts = [p for p in (name or "").replace("-", " ").split() if p[:1].isalnum()]
    if not parts:
        return "?"
    if len(parts) == 1:
        return parts[0][:2].upper()
    return (parts[0][0] + parts[-1][0]).upper()
