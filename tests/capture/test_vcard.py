""".vcf files -> CardFields and back (leaddesk/capture/vcard.py): the spellings exporters
use, the charsets, photos, damaged cards, and vCard 3.0/4.0 written so that vobject and a
second reader (icalendar's content-line parser) read it back to the same fields."""

from __future__ import annotations

import codecs
import io

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from leaddesk.capture.fields import Address, CaptureError, CardFields, Phone
from leaddesk.capture.vcard import parse_vcards, parse_vcards_report, to_vcard
from tests.capture.test_vcard_corpus import CORPUS, EXPECTED_FILES


def card(*lines: str, version: str = "3.0") -> str:
    return "\r\n".join(["BEGIN:VCARD", f"VERSION:{version}", *lines, "END:VCARD"]) + "\r\n"


def one(text: str | bytes, **kw) -> CardFields:
    (fields,) = parse_vcards(text, **kw)
    return fields


def jpeg(colour=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(buf, "JPEG")
    return buf.getvalue()


# --- charsets and line forms ---------------------------------------------------------------

def test_a_latin1_file_reads_as_windows_1252():
    data = card("N:Müller;Jürgen", "ORG:Bäckerei Groß – Süd").encode("cp1252")
    fields = one(data)
    assert (fields.given_name, fields.family_name, fields.company) == ("Jürgen", "Müller", "Bäckerei Groß – Süd")


def test_one_latin1_line_in_a_utf8_file_does_not_spoil_the_others():
    data = card("N:Łukasiewicz;Jan", "TITLE:Geschäftsführer").encode("utf-8")
    data = data.replace("Geschäftsführer".encode(), "Geschäftsführer".encode("latin-1"))
    fields = one(data)
    assert (fields.family_name, fields.title) == ("Łukasiewicz", "Geschäftsführer")


@pytest.mark.parametrize("charset, name", [("SHIFT_JIS", "山田"), ("ISO-8859-2", "Łukasz Żółć"), ("KOI8-R", "Иванов")])
def test_an_8bit_21_line_in_its_own_charset(charset, name):
    line = f"N;CHARSET={charset}:{name};Jo".encode(charset)
    data = b"BEGIN:VCARD\r\nVERSION:2.1\r\n" + line + b"\r\nTEL;CELL:+81 90 1234 5678\r\nEND:VCARD\r\n"
    assert one(data).family_name == name


@pytest.mark.parametrize("encoding, bom", [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
                                           ("utf-8", codecs.BOM_UTF8)])
def test_files_with_a_byte_order_mark(encoding, bom):
    data = bom + (card("N:Ōta;Hana", "EMAIL:hana@example.jp") * 2).encode(encoding)
    cards = parse_vcards(data)
    assert [(c.given_name, c.family_name, c.emails) for c in cards] == [("Hana", "Ōta", ["hana@example.jp"])] * 2


def test_quoted_printable_21_with_charset_and_soft_line_breaks():
    text = card(
        "N;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller;J=FCrgen",
        "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Erste Zeile=0D=0Azweite Zeile, mit =",
        "Komma und =C3=BC",
        "TITLE;QUOTED-PRINTABLE:Sales=20Director",  # 2.1's bare encoding parameter
        version="2.1")
    fields = one(text)
    assert (fields.given_name, fields.family_name, fields.title) == ("Jürgen", "Müller", "Sales Director")
    assert fields.note == "Erste Zeile\nzweite Zeile, mit Komma und ü"


def test_quoted_printable_without_charset_falls_back_to_windows_1252():
    fields = one(card("N;ENCODING=QUOTED-PRINTABLE:M=FCller;Hans", version="2.1"))
    assert fields.family_name == "Müller"


def test_folded_lines_and_cr_lf_variants():
    text = "BEGIN:VCARD\r\r\nVERSION:3.0\rFN:Ann\r\n  Lee\nEMAIL:ann.lee@exam\r\n\tple.com\r\nEND:VCARD"
    fields = one(text)
    assert (fields.given_name, fields.family_name, fields.emails) == ("Ann", "Lee", ["ann.lee@example.com"])


# --- names, organisation, title ------------------------------------------------------------

@pytest.mark.parametrize("lines, expected", [
    (["N:Doe;John;Q.;Dr.;PhD", "FN:Someone Else"], ("John", "Doe")),
    (["N:;;;;", "FN:Dr. Jane Q. Smith PhD"], ("Jane", "Q. Smith")),
    (["FN:Doe, John"], ("John", "Doe")),
    (["FN:Madonna"], ("Madonna", None)),
    (["FN:sales@acme.com", "EMAIL:sales@acme.com"], (None, None)),
    (["FN:ACME Corp", "ORG:ACME Corp"], (None, None)),  # Apple's company card
])
def test_names_from_n_else_fn(lines, expected):
    fields = one(card(*lines, "TEL:+4930123456"))
    assert (fields.given_name, fields.family_name) == expected


def test_org_units_go_to_the_note_and_role_stands_in_for_a_missing_title():
    fields = one(card("N:Doe;Jo", "ORG:ACME\\, Inc.;Sales;EMEA", "ROLE:Buyer", "NOTE:Met at CeBIT"))
    assert (fields.company, fields.title) == ("ACME, Inc.", "Buyer")
    assert fields.note == "Met at CeBIT\nDepartment: Sales, EMEA"


def test_every_email_kept_once_the_preferred_first():
    fields = one(card("N:Doe;Jo", "EMAIL;TYPE=INTERNET:jo@home.org", "EMAIL;TYPE=INTERNET,PREF:Jo@Work.com",
                      "EMAIL:mailto:jo@work.com", "EMAIL:JO@HOME.ORG", "EMAIL;PREF=1:x@y.de", version="4.0"))
    assert fields.emails == ["Jo@Work.com", "x@y.de", "jo@home.org"]


# --- phones ------------------------------------------------------------------------------

@pytest.mark.parametrize("line, kind", [
    ("TEL;TYPE=CELL:+49 170 1234567", "mobile"),
    ("TEL;TYPE=cell,voice:+49 170 1234567", "mobile"),
    ("TEL;type=WORK;type=VOICE:+49 30 1234567", "office"),
    ('TEL;TYPE="work,voice":+49 30 1234567', "office"),
    ("TEL;VALUE=uri;TYPE=work:tel:+49-30-1234567", "office"),
    ("TEL;TYPE=MAIN:+49 30 1234567", "office"),
    ("TEL;TYPE=HOME:+49 30 1234567", "other"),
    ("TEL;TYPE=VOICE:+49 30 1234567", "other"),
    ("TEL;TYPE=PAGER:+49 30 1234567", "other"),
    ("TEL:+49 30 1234567", "other"),
    ("TEL;type=HOME;type=FAX:+49 30 1234567", "fax"),
    ("TEL;TYPE=WORK,FAX:+49 30 1234567", "fax"),
])
def test_phone_type_spellings_30_and_40(line, kind):
    (phone,) = one(card("N:Doe;Jo", line)).phones
    assert phone.type == kind
    assert phone.valid and phone.number in ("+491701234567", "+49301234567")


@pytest.mark.parametrize("params, kind", [("CELL;VOICE", "mobile"), ("WORK;VOICE", "office"), ("HOME", "other"),
                                          ("WORK;FAX", "fax"), ("FAX", "fax"), ("PREF;CELL", "mobile")])
def test_phone_types_as_21_bare_parameters(params, kind):
    (phone,) = one(card("N:Doe;Jo", f"TEL;{params}:+44 20 7946 0018", version="2.1")).phones
    assert (phone.number, phone.type) == ("+442079460018", kind)


@pytest.mark.parametrize("label, kind", [("_$!<Mobile>!$_", "mobile"), ("iPhone", "mobile"), ("_$!<WorkFAX>!$_", "fax"),
                                         ("_$!<Main>!$_", "office"), ("Work", "office"), ("GRAND_CENTRAL", "other")])
def test_a_grouped_label_is_the_phones_type(label, kind):
    fields = one(card("N:Doe;Jo", "item1.TEL:+33 1 42 68 53 00", f"item1.X-ABLabel:{label}", "item2.TEL;TYPE=CELL:+33 6 12 34 56 78"))
    assert [(p.number, p.type) for p in fields.phones] == [("+33142685300", kind), ("+33612345678", "mobile")]


def test_numbers_without_country_code_use_the_cards_country_then_the_default_region():
    with_address = card("N:Doe;Jo", "TEL;TYPE=WORK:030 1234567", "ADR;TYPE=WORK:;;Unter den Linden 1;Berlin;;10117;Deutschland")
    assert one(with_address, default_region="FR").phones[0].number == "+49301234567"
    by_domain = card("N:Doe;Jo", "TEL;TYPE=WORK:020 7946 0018", "EMAIL:jo@example.co.uk")
    assert one(by_domain).phones[0].number == "+442079460018"
    bare = card("N:Doe;Jo", "TEL;TYPE=WORK:01 42 68 53 00")
    assert one(bare, default_region="FR").phones[0].number == "+33142685300"
    kept = one(bare).phones[0]  # no region anywhere: kept as written, flagged for review
    assert (kept.number, kept.valid, kept.raw) == ("01 42 68 53 00", False, "01 42 68 53 00")


# --- addresses and web sites ---------------------------------------------------------------

def test_address_all_seven_components_and_the_iso_country():
    fields = one(card("N:Doe;Jo", "ADR;TYPE=WORK:PO Box 7;Suite 5;1 Main St\\nBuilding B;Springfield;IL;62701;United States"))
    assert fields.address == Address(street="1 Main St, Building B, Suite 5, PO Box 7", city="Springfield", region="IL",
                                     postal_code="62701", country="US",
                                     text="1 Main St, Building B, Suite 5, PO Box 7, Springfield, IL, 62701, United States")


@pytest.mark.parametrize("written, iso", [("Germany", "DE"), ("Deutschland", "DE"), ("U.K.", "GB"), ("France", "FR"),
                                          ("CH", "CH"), ("JPN", "JP"), ("Narnia", None), ("", None)])
def test_country_names_as_people_write_them(written, iso):
    fields = one(card("N:Doe;Jo", f"ADR:;;1 Rue X;Town;;12345;{written}"))
    assert fields.address.country == iso


def test_the_work_address_and_site_are_kept_the_others_noted():
    fields = one(card("N:Doe;Jo", "ADR;TYPE=HOME,PREF:;;1 Home Rd;Homeville;;11111;USA",
                      "ADR;TYPE=WORK:;;2 Office Pk;Worktown;;22222;USA",
                      "URL;TYPE=HOME:http://jo.example.org", "URL;TYPE=WORK:https://acme.example.com"))
    assert (fields.address.street, fields.address.city) == ("2 Office Pk", "Worktown")
    assert fields.website == "https://acme.example.com"
    assert fields.note == ("Other address: 1 Home Rd, Homeville, 11111, USA\n"
                           "Other web site: http://jo.example.org")


# --- photos ------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return codecs.encode(data, "base64").decode("ascii").replace("\n", "")


def test_photos_base64_21_30_and_data_uri_40():
    data = jpeg()
    b64 = _b64(data)
    folded = "\r\n ".join(b64[i:i + 70] for i in range(0, len(b64), 70))
    assert one(card("N:A;B", f"PHOTO;ENCODING=b;TYPE=JPEG:{folded}")).photo == data
    assert one(card("N:A;B", f"PHOTO;ENCODING=BASE64;TYPE=JPEG:{folded}", "", version="2.1")).photo == data
    assert one(card("N:A;B", f"PHOTO:data:image/jpeg;base64,{b64}", version="4.0")).photo == data


def test_a_gif_photo_is_kept_as_png():
    buf = io.BytesIO()
    Image.new("RGB", (12, 9), (0, 128, 255)).save(buf, "GIF")
    photo = one(card("N:A;B", f"PHOTO;ENCODING=b;TYPE=GIF:{_b64(buf.getvalue())}")).photo
    with Image.open(io.BytesIO(photo)) as image:
        assert (image.format, image.size) == ("PNG", (12, 9))


def test_a_photo_on_the_web_is_not_fetched_and_a_damaged_one_is_reported():
    cards, errors = parse_vcards_report(card("N:A;B", "PHOTO;VALUE=uri:https://example.com/a.jpg"))
    assert cards[0].photo is None and errors == []
    cut = _b64(jpeg())[:200]
    cards, errors = parse_vcards_report(card("N:Doe;Jo", f"PHOTO;ENCODING=b;TYPE=JPEG:{cut}"), name="jo.vcf")
    assert cards[0].photo is None and cards[0].family_name == "Doe"
    assert errors == ["Card 1 (Jo Doe, line 1): its photo is damaged and was left out."]


# --- bad files and broken cards ------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"hello, world\n", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "Name;Email\nJo;jo@x.com\n"])
def test_data_that_is_not_a_vcard_says_so(data):
    with pytest.raises(CaptureError) as caught:
        parse_vcards(data, name="contacts.csv")
    assert "“contacts.csv” is not a vCard file" in str(caught.value)
    assert caught.value.path == "contacts.csv"


def test_broken_cards_are_reported_and_the_good_ones_read():
    text = (card("N:Good;One", "EMAIL:one@example.com", "no colon here")
            + "BEGIN:VCARD\r\nVERSION:3.0\r\nthis line has no colon\r\nX-JUNK:1\r\nEND:VCARD\r\n"
            + card("N:Good;Two", "TEL;TYPE=CELL:+49 170 1234567")
            + "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Cut;Short\r\nEMAIL:cut@example.com\r\n")
    cards, errors = parse_vcards_report(text.encode(), name="export.vcf")
    assert [c.display_name for c in cards] == ["One Good", "Two Good", "Short Cut"]
    assert errors == [
        "Card 1 (One Good, line 1): 1 line could not be read and was left out (no colon here).",
        "Card 2 (line 7) was left out: it holds no name, company, e-mail or phone that could be read.",
        "Card 4 (Short Cut, line 17): the file ends before its END:VCARD, so it may be incomplete.",
    ]
    assert parse_vcards(text.encode()) == cards


def test_a_file_of_only_broken_cards_is_an_error():
    with pytest.raises(CaptureError, match="“bad.vcf” holds no vCard that could be read"):
        parse_vcards("BEGIN:VCARD\nVERSION:3.0\nNOTE:nothing else\nEND:VCARD\n", name="bad.vcf")


_LINES = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["N:Doe;Jo", "TEL;CELL:+4930123", "EMAIL:a@b.c", "PHOTO;ENCODING=b:!!!", "ADR:;;;;;;",
                     "N;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:=C3=", "ORG:=", "TEL;VALUE=uri:tel:", "item1.X-ABLabel:",
                     "BEGIN:VCARD", "END:VCARD", "VERSION:4.0", "PHOTO:data:image/png;base64,", " folded", "=0D=0A="]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINES, max_size=12), st.lists(_LINES, max_size=6))
def test_no_file_content_raises_anything_but_a_capture_error(first, second):
    text = "BEGIN:VCARD\r\nVERSION:2.1\r\n" + "\r\n".join(first) + "\r\nEND:VCARD\r\n" + "\n".join(second)
    try:
        cards, errors = parse_vcards_report(text)
    except CaptureError:
        return
    assert all(isinstance(e, str) and e.endswith(".") for e in errors)
    assert all(not c.is_empty() for c in cards)


# --- writing -------------------------------------------------------------------------------

def sample() -> CardFields:
    return CardFields(
        given_name="Jöhn", family_name="O'Neil, Jr", title="CTO; Founder", company="ACME, Inc.",
        emails=["john@acme.de", "j.oneil@example.com"],
        phones=[Phone("+493012345678", "office", "+493012345678"), Phone("+491701234567", "mobile", "+491701234567"),
                Phone("+493012345679", "fax", "+493012345679"), Phone("ask at the booth", "other", "ask at the booth", valid=False)],
        website="https://acme.de/team?who=john,jane",
        address=Address(street="Hauptstr. 1, Hof 2", city="Berlin", postal_code="10115", country="DE",
                        text="Hauptstr. 1, Hof 2, Berlin, 10115, Germany"),
        note="Met at the booth; wants a demo\nCall after the fair, not before",
        photo=jpeg(), source="vcard")


def comparable(fields: CardFields) -> tuple:
    a = fields.address
    return (fields.given_name, fields.family_name, fields.title, fields.company, fields.emails,
            [(p.number, p.type, p.valid) for p in fields.phones], fields.website,
            a and (a.street, a.city, a.region, a.postal_code, a.country), fields.note, fields.photo)


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_written_cards_read_back_to_the_same_fields(version):
    original = sample()
    text = to_vcard([original, CardFields(given_name="Solo", emails=["solo@example.com"])], version=version)
    back = parse_vcards(text)
    assert len(back) == 2
    assert comparable(back[0]) == comparable(original)
    assert (back[1].given_name, back[1].family_name, back[1].emails) == ("Solo", None, ["solo@example.com"])
    assert f"VERSION:{version}\r\n" in text
    # folded at 75 octets, except the photo: vobject leaves it whole on purpose (Apple's
    # Address Book misreads a folded one), which RFC 2426/6350 allow ("SHOULD")
    long_lines = [line[:12] for line in text.split("\r\n") if len(line.encode()) > 75]
    assert long_lines == ["PHOTO;ENCODI" if version == "3.0" else "PHOTO;VALUE="]


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_a_second_reader_reads_what_is_written(version):
    # icalendar's parser implements the content-line grammar vCard shares (RFC 5545/6350)
    text = to_vcard([sample()], version=version)
    (component,) = icalendar.cal.Component.from_ical(text, multiple=True)
    assert component.name == "VCARD"
    assert [str(e.to_ical().decode()) for e in component.get("EMAIL")] == ["john@acme.de", "j.oneil@example.com"]
    tels = [t.to_ical().decode() for t in component.get("TEL")]
    prefix = "tel:" if version == "4.0" else ""
    assert tels[:3] == [f"{prefix}+493012345678", f"{prefix}+491701234567", f"{prefix}+493012345679"]
    assert component.get("URL").to_ical().decode() == "https://acme.de/team?who=john,jane"
    assert component.get("TITLE").to_ical().decode() == "CTO\\; Founder"


def test_every_corpus_card_survives_a_write_and_a_read():
    for name in sorted(EXPECTED_FILES):
        cards = parse_vcards((CORPUS / name).read_bytes())
        for version in ("3.0", "4.0"):
            again = parse_vcards(to_vcard(cards, version=version))
            assert [comparable(c) for c in again] == [comparable(c) for c in cards], (name, version)


@pytest.mark.parametrize("nameless", [
    CardFields(company="ACME GmbH", phones=[Phone("+49301234567", "office", "+49301234567")]),
    CardFields(emails=["info@acme.de"]),
    CardFields(phones=[Phone("+49301234567", "office", "+49301234567")]),
])
def test_a_card_without_a_name_gets_none_back(nameless):
    (back,) = parse_vcards(to_vcard([nameless]))
    assert (back.given_name, back.family_name) == (None, None)
    assert comparable(back) == comparable(nameless)


def test_only_vcard_30_and_40_are_written():
    with pytest.raises(ValueError, match="2.1"):
        to_vcard([sample()], version="2.1")
