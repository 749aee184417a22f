"""The rules that turn OCR lines into card fields (leaddesk/capture/extract.py), on line sets
written by hand as the engine returns them (text, score, box), one card per test."""

from __future__ import annotations

from leaddesk.capture.extract import extract_fields
from leaddesk.capture.fields import TextLine


def card(*rows, left=60, score=0.98):
    """Lines top to bottom: a row is text, or (text, height) for a larger line, or
    (text, height, left) for a line in another column."""
    lines, top = [], 40
    for row in rows:
        text, height, x = (row, 30, left) if isinstance(row, str) else (*row, left) if len(row) == 2 else row
        lines.append(TextLine(text, score, (x, top, x + 14 * len(text), top + height)))
        top += height + 8
    return lines


def phones(fields):
    return [(p.number, p.type) for p in fields.phones]


def test_german_card_lagerleiter():
    f = extract_fields(card(
        ("Muster Logistik GmbH", 40),
        ("Dipl.-Ing. Hans Müller", 60),
        "Lagerleiter",
        "Industriestraße 12",
        "D-70565 Stuttgart",
        "Tel. +49 711 123456-0",
        "Fax +49 711 123456-99",
        "Mobil 0171 2345678",
        "h.mueller@muster-logistik.de",
        "www.muster-logistik.de",
    ))
    assert (f.given_name, f.family_name, f.title, f.company) == ("Hans", "Müller", "Lagerleiter", "Muster Logistik GmbH")
    assert phones(f) == [("+497111234560", "office"), ("+4971112345699", "fax"), ("+491712345678", "mobile")]
    assert f.emails == ["h.mueller@muster-logistik.de"] and f.website == "www.muster-logistik.de"
    a = f.address
    assert (a.street, a.postal_code, a.city, a.country) == ("Industriestraße 12", "70565", "Stuttgart", "DE")
    assert f.source == "ocr" and f.raw_text.splitlines()[0] == "Muster Logistik GmbH" and f.note is None
    assert f.confidence["company"] > 0.9 and f.confidence["phones"] > 0.8


def test_turkish_card_depo_muduru():
    f = extract_fields(card(
        ("Ahmet Yılmaz", 55),
        "Depo Müdürü",
        ("Anadolu Lojistik San. ve Tic. A.Ş.", 36),
        "Atatürk Cad. No: 15",
        "34746 Ataşehir/İstanbul",
        "Tel: 0216 555 12 34",
        "Cep: 0532 123 45 67",
        "ahmet.yilmaz@anadolulojistik.com.tr",
    ))
    assert (f.given_name, f.family_name, f.title) == ("Ahmet", "Yılmaz", "Depo Müdürü")
    assert f.company == "Anadolu Lojistik San. ve Tic. A.Ş."
    assert phones(f) == [("+902165551234", "office"), ("+905321234567", "mobile")]
    assert (f.address.postal_code, f.address.city, f.address.country) == ("34746", "İstanbul", "TR")
    assert f.website is None  # the e-mail's domain is not a website


def test_persian_card():
    f = extract_fields(card(
        ("علی رضایی", 55, 400),
        ("مدیر فروش", 30, 450),
        ("شرکت پارس صنعت", 36, 420),
        ("تلفن: ۰۲۱ ۸۸۷۷ ۶۶۵۵", 30, 380),
        ("موبایل: ۰۹۱۲ ۳۴۵ ۶۷۸۹", 30, 370),
        ("ali.rezaei@parssanat.ir", 30, 360),
    ))
    assert f.title == "مدیر فروش" and f.company == "شرکت پارس صنعت"
    assert (f.given_name, f.family_name) == ("علی", "رضایی")
    assert phones(f) == [("+982188776655", "office"), ("+989123456789", "mobile")]


def test_two_numbers_on_one_line_and_single_letter_labels():
    f = extract_fields(card(
        ("Anna Berg", 60), "Head of Sales", "Nordwind Systems AG",
        "T +49 30 1234567  |  M +49 170 1234567",
        "F +49 30 1234568",
        "anna.berg@nordwind.de",
    ))
    assert phones(f) == [("+49301234567", "office"), ("+491701234567", "mobile"), ("+49301234568", "fax")]
    # labels glued to the number, as OCR often reads them
    g = extract_fields(card(("Eva Roth", 60), "Tel. 030 477822 Mob.01512 3722458", "M+49 170 1234567",
                            "eva@roth.de"))
    assert phones(g) == [("+4930477822", "office"), ("+4915123722458", "mobile"), ("+491701234567", "mobile")]
    # German habits: "(0)" after the country code, a slash after the area code, a dash before the extension
    k = extract_fields(card(("Eva Roth", 60), "Tel. +49 (0) 30 / 123 45 - 67", "Fax 030 / 12345-99", "eva@roth.de"))
    assert phones(k) == [("+49301234567", "office"), ("+49301234599", "fax")]
    h = extract_fields(card(("Amy Fox", 60), "Office201-538-7943", "amy@fox.com"), default_region="US")
    assert phones(h) == [("+12015387943", "office")]


def test_two_bare_numbers_split_where_both_are_valid():
    f = extract_fields(card(("Jan de Vries", 60), "Inkoper", "Tel. 010 123 4567 06 12345678",
                            "jan@devries-bv.nl"))
    assert phones(f) == [("+31101234567", "office"), ("+31612345678", "office")]
    assert (f.given_name, f.family_name) == ("Jan", "de Vries")


def test_fax_and_mobile_labels_in_several_languages():
    f = extract_fields(card(("Marie Dubois", 60), "Directrice commerciale", "Lumière SARL",
                            "Tél. 01 23 45 67 89", "Port. 06 12 34 56 78", "Fax 01 23 45 67 80", "marie@lumiere.fr"))
    assert phones(f) == [("+33123456789", "office"), ("+33612345678", "mobile"), ("+33123456780", "fax")]
    g = extract_fields(card(("Piet Jansen", 60), "Accountmanager", "GSM +32 470 12 34 56", "Handy: +49 151 23456789",
                            "Telefax +49 30 1234568", "piet@jansen.be"))
    assert [p.type for p in g.phones] == ["mobile", "mobile", "fax"]


def test_spanish_and_dutch_cards():
    f = extract_fields(card(("Lucía Fernández", 58), "Directora comercial", "Envases del Norte S.L.",
                            "Calle de Alcalá, 45", "28014 Madrid", "Tlf.: 91 123 45 67", "Móvil: 612 345 678",
                            "lucia.fernandez@envasesnorte.es"))
    assert (f.given_name, f.family_name, f.title) == ("Lucía", "Fernández", "Directora comercial")
    assert phones(f) == [("+34911234567", "office"), ("+34612345678", "mobile")]
    assert (f.address.street, f.address.postal_code, f.address.city, f.address.country) == (
        "Calle de Alcalá, 45", "28014", "Madrid", "ES")
    g = extract_fields(card(("Sanne van der Berg", 58), "Projectleider", "Polderbouw B.V.", "Keizersgracht 221",
                            "1016 DV Amsterdam", "T 020 - 123 45 67", "M 06 - 12 34 56 78", "s.vandenberg@polderbouw.nl"))
    assert (g.given_name, g.family_name, g.title) == ("Sanne", "van der Berg", "Projectleider")
    assert phones(g) == [("+31201234567", "office"), ("+31612345678", "mobile")]
    assert (g.address.postal_code, g.address.city, g.address.country) == ("1016 DV", "Amsterdam", "NL")


def test_label_in_its_own_box_left_of_the_number():
    lines = card(("Tom Hill", 60), "Purchasing Manager", "Atlas Tools Inc.", "tom@atlastools.com")
    y = lines[-1].box[3] + 10
    lines += [TextLine("Mobile", 0.99, (60, y, 150, y + 30)), TextLine("(650) 253-0000", 0.99, (170, y, 380, y + 30))]
    f = extract_fields(lines, default_region="US")
    assert phones(f) == [("+16502530000", "mobile")]


def test_email_ocr_slips():
    f = extract_fields(card(("Max Mustermann", 60), "Vertriebsleiter", "Beispiel GmbH",
                            "E-Mail: max . mustermann @ beispiel . de", "info(at)beispiel.de"))
    assert f.emails == ["max.mustermann@beispiel.de", "info@beispiel.de"]
    g = extract_fields(card(("Max Mustermann", 60), "© 030.123456", "max(at)beispiel(dot)de"), default_region="DE")
    assert g.emails == ["max@beispiel.de"] and [p.number for p in g.phones] == ["+4930123456"]
    assert f.website is None
    assert f.company == "Beispiel GmbH"


def test_website_forms_and_not_a_legal_form():
    for printed, want in [("www.acme-tools.com", "www.acme-tools.com"), ("https://acme-tools.com/", "https://acme-tools.com"),
                          ("Web: acme-tools.com", "acme-tools.com"), ("HTTPS://Acme-Tools.com", "https://acme-tools.com"),
                          ("www.corn-tools.corn", "www.corn-tools.com"), ("Wwww.acme-tools.com", "www.acme-tools.com")]:
        f = extract_fields(card(("Jo Bell", 60), "Engineer", "Acme Tools Co.KG", printed))
        assert f.website == want, printed
    f = extract_fields(card(("Jo Bell", 60), "Engineer", "Acme Tools Co.KG", "S.A. Trading"))
    assert f.website is None


def test_us_address():
    f = extract_fields(card(("Sarah Miller", 60), "VP Marketing", "Brightline Foods Inc.",
                            "1600 Amphitheatre Pkwy", "Mountain View, CA 94043", "(650) 253-0000",
                            "smiller@brightline.com"))
    a = f.address
    assert (a.street, a.city, a.region, a.postal_code, a.country) == (
        "1600 Amphitheatre Pkwy", "Mountain View", "CA", "94043", "US")
    assert phones(f) == [("+16502530000", "office")]  # the region comes from the address


def test_uk_postcode_with_the_city_on_its_own_line():
    f = extract_fields(card(("James Clarke", 60), "Office Manager", "Kestrel Energy Ltd",
                            "10 Downing Street", "London", "SW1A 2AA", "United Kingdom",
                            "T 020 7946 0018", "james@kestrel.co.uk"))
    a = f.address
    assert (a.street, a.city, a.postal_code, a.country) == ("10 Downing Street", "London", "SW1A 2AA", "GB")
    assert a.text == "10 Downing Street, London, SW1A 2AA, United Kingdom"
    assert phones(f) == [("+442079460018", "office")]


def test_german_plz_and_the_number_in_the_street_is_no_phone():
    f = extract_fields(card(("Eva Roth", 60), "Einkaufsleiterin", "Roth Feinkost e.K.",
                            "Am Markt 123456", "80331 München", "eva@roth-feinkost.de"))
    assert f.phones == []
    assert (f.address.postal_code, f.address.city) == ("80331", "München")


def test_the_country_after_the_city_is_the_country_not_part_of_the_city():
    for printed, want in [("20457 Hamburg, Germany", ("20457", "Hamburg", "DE")),
                          ("75008 Paris, France", ("75008", "Paris", "FR")),
                          ("34710 Kadıköy/İstanbul, Türkiye", ("34710", "İstanbul", "TR"))]:
        a = extract_fields(card(("Ana Silva", 60), "Hafenstraße 12", printed, "ana@nordwind.de")).address
        assert (a.postal_code, a.city, a.country) == want, printed


def test_a_look_alike_letter_in_the_address_follows_the_printed_name():
    f = extract_fields(card(("Lisa Vidoni", 60), "Agente di commercio", "i.vidoni@orbital.it",
                            "Leonor Leal <1eal.l@brightline.pt>"))
    assert f.emails[0] == "l.vidoni@orbital.it"
    g = extract_fields(card(("Ian Moor", 60), "i.moor@acme.co.uk", "ian.m00r@acme.co.uk"))
    assert g.emails == ["i.moor@acme.co.uk", "ian.moor@acme.co.uk"]
    h = extract_fields(card(("Müller Weiß", 60), "i.mueller@firma.de"))  # no ASCII name: left as read
    assert h.emails == ["i.mueller@firma.de"]


def test_an_address_on_one_line():
    for printed, want in [
        ("Adresse: Hauptstr. 5, 10115 Berlin", ("Hauptstr. 5", "10115", "Berlin", None)),
        ("Hauptstr. 5, 10115 Berlin", ("Hauptstr. 5", "10115", "Berlin", None)),
        ("1600 Amphitheatre Pkwy, Mountain View, CA 94043", ("1600 Amphitheatre Pkwy", "94043", "Mountain View", "CA")),
        ("Keizersgracht 1, 1015 CJ Amsterdam", ("Keizersgracht 1", "1015 CJ", "Amsterdam", None)),
    ]:
        a = extract_fields(card(("Anna Berg", 60), printed)).address
        assert (a.street, a.postal_code, a.city, a.region) == want, printed


def test_name_and_title_on_one_line():
    f = extract_fields(card(("Anna Berg, Head of Sales", 50), "Nordwind GmbH", "anna.berg@nordwind.de"))
    assert (f.given_name, f.family_name, f.title, f.company) == ("Anna", "Berg", "Head of Sales", "Nordwind GmbH")
    g = extract_fields(card(("Tom Hill | CEO", 50), "Atlas Tools Inc."))
    assert (g.given_name, g.family_name, g.title) == ("Tom", "Hill", "CEO")


def test_family_first_and_prefixes():
    f = extract_fields(card(("MÜLLER Hans", 60), "Geschäftsführer", "Müller AG", "hans@mueller.de"))
    assert (f.given_name, f.family_name) == ("Hans", "MÜLLER")
    g = extract_fields(card(("Prof. Dr. Anna-Lena Schmidt", 60), "Leiterin Forschung", "Helix Medizintechnik GmbH"))
    assert (g.given_name, g.family_name) == ("Anna-Lena", "Schmidt")


def test_family_name_first_where_the_country_writes_it_so():
    f = extract_fields(card(("Nagy Péter", 60), "Értékesítési vezető", "Duna Logisztika Kft.", "Tel. +36 1 234 5678",
                            "peter.nagy@dunalog.hu"))
    assert (f.given_name, f.family_name) == ("Péter", "Nagy")
    g = extract_fields(card(("Péter Nagy", 60), "Sales Manager", "Duna Kft.", "peter.nagy@dunalog.de"))
    assert (g.given_name, g.family_name) == ("Péter", "Nagy")


def test_name_found_by_its_email_even_when_smaller():
    f = extract_fields(card(("NORDWIND", 70), ("Peter Lang", 30), "Key Account Manager",
                            "p.lang@nordwind.com"))
    assert (f.given_name, f.family_name) == ("Peter", "Lang")
    assert f.company == "NORDWIND"  # the domain's name


def test_guesses_are_marked_with_low_confidence():
    sure = extract_fields(card(("Anna Berg", 60), "Sales Manager", "Nordwind GmbH", "anna.berg@nordwind.de"))
    guessed = extract_fields(card(("Anna Berg", 60), "Gold Circle", "Some Words Here", "anna@gmail.com"))
    assert sure.confidence["title"] > 0.8 and sure.confidence["company"] > 0.9
    assert guessed.confidence.get("title", 0) < 0.5 and guessed.confidence.get("company", 0) < 0.5


def test_unclassified_lines_go_to_the_note_and_icons_are_dropped():
    lines = card(("Anna Berg", 60), "Sales Manager", "Nordwind GmbH", "Booth 4B, hall 3", "anna.berg@nordwind.de")
    lines.append(TextLine("∇", 0.5, (20, 400, 35, 415)))
    f = extract_fields(lines)
    assert f.note == "Booth 4B, hall 3"


def test_an_invalid_number_is_kept_for_review():
    f = extract_fields(card(("Anna Berg", 60), "Sales Manager", "Nordwind GmbH", "Tel. 0123 4567890",
                            "anna@nordwind.de"))
    assert [(p.number, p.valid, p.type) for p in f.phones] == [("+491234567890", False, "office")]
    assert f.confidence["phones"] < 0.7


def test_a_name_boxed_in_two_pieces_is_one_name():
    lines = [TextLine("Anna", 0.99, (60, 40, 200, 100)), TextLine("Berg", 0.99, (240, 42, 380, 100)),
             TextLine("Sales Manager", 0.99, (60, 110, 300, 140)), TextLine("Nordwind GmbH", 0.99, (60, 150, 330, 180)),
             TextLine("Mobil 0171 2345678", 0.99, (600, 45, 900, 75))]
    f = extract_fields(lines, default_region="DE")
    assert (f.given_name, f.family_name, f.title) == ("Anna", "Berg", "Sales Manager")
    assert [(p.number, p.type) for p in f.phones] == [("+491712345678", "mobile")]


def test_lines_without_boxes_still_read_in_order():
    lines = [TextLine(t, 0.9) for t in ("Anna Berg", "Sales Manager", "Nordwind GmbH", "Hauptstr. 5",
                                          "10115 Berlin", "Mobil 0171 2345678", "anna.berg@nordwind.de")]
    f = extract_fields(lines)
    assert (f.given_name, f.family_name, f.title, f.company) == ("Anna", "Berg", "Sales Manager", "Nordwind GmbH")
    assert (f.address.street, f.address.city, f.address.country) == ("Hauptstr. 5", "Berlin", "DE")
    assert [(p.number, p.type) for p in f.phones] == [("+491712345678", "mobile")]
    assert f.raw_text == "\n".join(ln.text for ln in lines)


def test_no_lines_give_an_empty_card():
    f = extract_fields([])
    assert f.is_empty() and f.raw_text == "" and f.confidence == {}


# --- end to end: cards drawn with Pillow, read by the real OCR engine, then the rules ---------

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402


def _font(size, bold=False):
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(f"/usr/share/fonts/truetype/dejavu/{name}", size)
    except OSError:
        return ImageFont.load_default(size)


def _draw(rows, *, angle=0.0):
    """A 1050x600 card (3.5 x 2 in at 300 dpi): rows of (text, size, bold) from the top left."""
    img = Image.new("RGB", (1050, 600), (252, 250, 245))
    d = ImageDraw.Draw(img)
    y = 40
    for text, size, bold in rows:
        d.text((60, y), text, font=_font(size, bold), fill=(25, 25, 40))
        y += int(size * 1.4)
    if angle:
        img = img.rotate(angle, expand=True, fillcolor=(90, 80, 70), resample=Image.BICUBIC)
    return np.asarray(img)


@pytest.fixture(scope="module")
def read():
    from leaddesk.capture import ocr

    ocr.engine()  # loaded once for the module (about 2.5 s)
    return lambda image, region=None: extract_fields(ocr.read_lines(image), default_region=region)


def test_ocr_reads_a_german_card(read):
    f = read(_draw([("Dr. Jana Köhler", 56, True), ("Einkaufsleiterin", 28, False),
                    ("Nordwind Maschinenbau GmbH", 32, True), ("Lindenallee 27", 26, False),
                    ("70565 Stuttgart", 26, False), ("Tel. +49 711 2345670", 26, False),
                    ("Mobil +49 171 2345678", 26, False), ("j.koehler@nordwind-mb.de", 26, False)]))
    assert (f.given_name, f.family_name, f.title) == ("Jana", "Köhler", "Einkaufsleiterin")
    assert f.company == "Nordwind Maschinenbau GmbH"
    assert [(p.number, p.type) for p in f.phones] == [("+497112345670", "office"), ("+491712345678", "mobile")]
    assert f.emails == ["j.koehler@nordwind-mb.de"]
    assert (f.address.postal_code, f.address.city, f.address.country) == ("70565", "Stuttgart", "DE")
    assert all(0 < v <= 1 for v in f.confidence.values())


def test_ocr_reads_a_us_card_with_two_numbers_on_a_line(read):
    f = read(_draw([("Megan Torres", 54, True), ("Regional Sales Director", 28, False),
                    ("Brightline Packaging Inc.", 30, True), ("T 415-555-0132  |  M 415-555-0187", 26, False),
                    ("megan.torres@brightline.com", 26, False), ("www.brightline.com", 26, False),
                    ("1200 Harbor Blvd, Suite 300", 26, False), ("San Francisco, CA 94107", 26, False)]))
    assert (f.given_name, f.family_name, f.title) == ("Megan", "Torres", "Regional Sales Director")
    assert [(p.number, p.type) for p in f.phones] == [("+14155550132", "office"), ("+14155550187", "mobile")]
    assert f.website == "www.brightline.com"
    assert (f.address.city, f.address.region, f.address.postal_code) == ("San Francisco", "CA", "94107")


def test_ocr_reads_a_tilted_card(read):
    f = read(_draw([("Luca Bianchi", 54, True), ("Responsabile acquisti", 28, False),
                    ("Castello Imballaggi S.r.l.", 30, True), ("Via Roma, 12", 26, False),
                    ("20121 Milano", 26, False), ("Cell. 347 123 4567", 26, False),
                    ("l.bianchi@castello.it", 26, False)], angle=5))
    assert (f.given_name, f.family_name) == ("Luca", "Bianchi")
    assert f.title == "Responsabile acquisti" and f.company == "Castello Imballaggi S.r.l."
    assert [(p.number, p.type) for p in f.phones] == [("+393471234567", "mobile")]  # region from .it
    assert (f.address.street, f.address.city) == ("Via Roma, 12", "Milano")
