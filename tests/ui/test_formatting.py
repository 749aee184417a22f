"""One format for every "when" in the app: the user's zone and locale, the time alone today."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QLocale

from leaddesk.ui.formatting import format_date, format_moment

US = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
DE = QLocale(QLocale.Language.German, QLocale.Country.Germany)


def _local(y, mo, d, h, mi) -> dt.datetime:
    """A moment given as local wall time (the function shows it back in the local zone)."""
    return dt.datetime(y, mo, d, h, mi).astimezone().astimezone(dt.timezone.utc)


def test_format_moment_today_other_day_other_year_per_locale():
    at = _local(2026, 11, 22, 14, 2)

    def fmt(locale, today):
        return format_moment(at, locale, today=today).replace("\u202f", " ")  # CLDR's narrow space

    assert fmt(US, dt.date(2026, 11, 22)) == "2:02 PM"
    assert fmt(DE, dt.date(2026, 11, 22)) == "14:02"
    assert fmt(DE, dt.date(2026, 12, 6)) == "22 Nov. 14:02"
    assert fmt(US, dt.date(2027, 1, 6)) == "22 Nov 2026 2:02 PM"
    assert format_moment(None) == ""


def test_format_date_names_the_year_only_when_it_is_not_this_one():
    assert format_date(dt.date(2026, 3, 4), US, today=dt.date(2026, 12, 6)) == "4 Mar"
    assert format_date(dt.date(2025, 3, 4), US, today=dt.date(2026, 12, 6)) == "4 Mar 2025"
