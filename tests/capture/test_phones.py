"""Phone parsing and region inference (leaddesk/capture/phones.py): numbers in E.164 when they
parse, the card's own hints before the caller's default, nothing dropped for being invalid."""

from __future__ import annotations

import pytest

from leaddesk.capture.phones import country_in, infer_regions, parse_phone, region_of_domain


@pytest.mark.parametrize("raw, regions, number, ptype", [
    ("030 1234567", ["DE"], "+49301234567", "office"),
    ("0171 2345678", ["DE"], "+491712345678", "mobile"),
    ("+49 (0)30 1234 567", [], "+49301234567", "office"),
    ("0049 89 123456", [], "+4989123456", "office"),
    ("(650) 253-0000", ["US"], "+16502530000", "office"),
    ("0532 123 45 67", ["TR"], "+905321234567", "mobile"),
    ("06 12 34 56 78", ["FR"], "+33612345678", "mobile"),
    ("020 7946 0018", ["GB"], "+442079460018", "office"),
    ("+31 6 12345678", ["DE"], "+31612345678", "mobile"),  # a printed prefix beats the regions
])
def test_a_number_parses_in_the_region_given(raw, regions, number, ptype):
    p = parse_phone(raw, regions=regions)
    assert (p.number, p.type, p.valid, p.raw) == (number, ptype, True, raw)


def test_the_first_region_where_the_number_is_valid_wins():
    # "0171 ..." is no French number, but a German mobile: the second region is taken.
    assert parse_phone("0171 2345678", regions=["FR", "DE"]).number == "+491712345678"
    # none valid: the first region where it is at least a possible number
    assert parse_phone("0123 4567890", regions=["FR", "DE"]).number == "+491234567890"


def test_the_label_decides_the_type():
    assert parse_phone("0171 2345678", type_hint="fax", regions=["DE"]).type == "fax"
    assert parse_phone("030 1234567", type_hint="mobile", regions=["DE"]).type == "mobile"
    assert parse_phone("030 1234567", type_hint="nonsense", regions=["DE"]).type == "office"


def test_an_invalid_number_is_kept_flagged_not_dropped():
    # Parses and is a possible length, but no German number starts 0123: E.164, valid=False.
    p = parse_phone("0123 4567890", regions=["DE"])
    assert p.number.startswith("+49123") and p.valid is False and p.type == "other"
    # Does not parse at all (no region to read a national number in): kept as printed.
    q = parse_phone("0123 456 789", regions=[])
    assert (q.number, q.valid, q.raw) == ("0123 456 789", False, "0123 456 789")
    r = parse_phone("12", type_hint="office", regions=["DE"])
    assert r.number == "12" and r.valid is False and r.type == "office"


def test_ocr_slips_and_extensions():
    assert parse_phone("O30 I234567", regions=["DE"]).number == "+49301234567"
    assert parse_phone("+1 650 253 0000 ext. 12", regions=[]).number == "+16502530000;ext=12"


def test_eastern_arabic_digits_parse():
    p = parse_phone("۰۹۱۲ ۳۴۵ ۶۷۸۹", regions=["IR"])
    assert p.number == "+989123456789" and p.type == "mobile"


@pytest.mark.parametrize("domain, region", [
    ("muster.de", "DE"), ("https://www.acme.co.uk/", "GB"), ("anna@firma.com.tr", "TR"), ("x.fr", "FR"),
    ("acme.com", None), ("startup.io", None), ("brand.co", None), ("", None),
])
def test_region_of_a_domain(domain, region):
    assert region_of_domain(domain) == region


@pytest.mark.parametrize("text, code", [
    ("10115 Berlin, Deutschland", "DE"), ("1010 Wien, Österreich", "AT"), ("28001 Madrid, España", "ES"),
    ("Paris, France", "FR"), ("Milano, Italia", "IT"), ("Amsterdam, Nederland", "NL"), ("İstanbul, Türkiye", "TR"),
    ("Austin, TX 78701, USA", "US"), ("Lisboa", None),
])
def test_country_names_in_several_languages(text, code):
    assert country_in(text) == code


def test_regions_come_in_the_order_the_card_gives_them():
    # ccTLD first, then the country in the address, then a printed prefix, then the default.
    regions = infer_regions("Av. da Liberdade 10, 1250-096 Lisboa\n+34 91 123 45 67", emails=["ana@empresa.fr"],
                            website="www.empresa.fr", default_region="de")
    assert regions == ["FR", "PT", "ES", "DE"]


def test_postal_shapes_only_one_country_writes():
    assert infer_regions("10 Downing Street\nLondon SW1A 2AA") == ["GB"]
    assert infer_regions("Keizersgracht 1\n1015 CJ Amsterdam") == ["NL"]
    assert infer_regions("1600 Amphitheatre Pkwy\nMountain View, CA 94043") == ["US"]
    # a bare five-digit code could be anywhere: nothing inferred, the default is used
    assert infer_regions("Hauptstr. 1\n70565 Stuttgart", default_region="AT") == ["AT"]


def test_a_country_counts_where_an_address_prints_it_not_in_a_name():
    assert infer_regions("Chad Jordan\nSales Manager") == []
    assert infer_regions("Hauptstr. 5\n10115 Berlin Deutschland") == ["DE"]
    assert infer_regions("Jordan") == ["JO"]
    assert infer_regions("Amman - Jordan") == ["JO"]
    assert infer_regions("تهران، ایران") == ["IR"]


def test_no_hint_and_no_default_gives_no_region():
    assert infer_regions("Anna Berg\nSales", emails=["anna@gmail.com"]) == []
