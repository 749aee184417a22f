"""Input normalisation rules that need no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from leaddesk.errors import ValidationError
from leaddesk.services import validation as v


@pytest.mark.parametrize("text, code", [("Turkey", "TR"), ("Türkiye", "TR"), ("tr", "TR"), ("TUR", "TR"),
                                        ("Iran", "IR"), ("Persia", "IR"), ("UK", "GB"), ("Germany", "DE"),
                                        ("Thailand", "TH"), ("Saudi Arabia", "SA")])
def test_validation_country_accepts_names_codes_and_everyday_aliases(text, code):
    assert v.country(text) == code


def test_validation_country_refuses_unknown_places():
    with pytest.raises(ValidationError) as err:
        v.country("Atlantis")
    assert err.value.field == "country"


@pytest.mark.parametrize("raw, region, e164", [("030 1234567", "DE", "+49301234567"),
                                                ("+90 (232) 555 01 01", None, "+902325550101"),
                                                ("0812345678", "TH", "+66812345678"),
                                                ("021 8888 7777", "IR", "+982188887777")])
def test_validation_phone_to_e164_with_default_region(raw, region, e164):
    assert v.normalize_phone(raw, region=region)[1] == e164


def test_validation_email_normalised_for_matching_but_shown_as_typed():
    shown, norm = v.normalize_email("  Ayşe.Yılmaz@Örnek.COM.tr ")
    assert shown == "Ayşe.Yılmaz@Örnek.COM.tr"
    assert norm == "ayşe.yılmaz@xn--rnek-4qa.com.tr"


@pytest.mark.parametrize("value, expected", [("1,200.50", Decimal("1200.50")), (7, Decimal("7.00")),
                                             (Decimal("0.1"), Decimal("0.10"))])
def test_validation_money_is_exact(value, expected):
    assert v.money(value, field="amount") == expected


@pytest.mark.parametrize("value", [1.5, "-3", "12.345", "abc", "NaN", "1e20"])
def test_validation_money_refuses_floats_negatives_and_junk(value):
    with pytest.raises(ValidationError):
        v.money(value, field="amount")
