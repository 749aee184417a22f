"""What QR codes on cards and badges hold -> CardFields (leaddesk.capture.vcard.parse_payload):
MECARD, BIZCARD and vCard payloads; None for anything else. The last tests encode a
payload as a real QR code and decode it with zxing-cpp, as the reader does."""

from __future__ import annotations

import numpy as np
import pytest
import zxingcpp

from leaddesk.capture.fields import Address
from leaddesk.capture.vcard import parse_payload


def phones(fields):
    return [(p.number, p.type) for p in fields.phones]


def test_a_full_mecard_with_escapes():
    payload = ("MECARD:N:O\\'Neil\\, Jr,Mary;ORG:ACME\\; Widgets\\, Inc.;TITLE:VP Sales;"
               "TEL:+49 30 1234567;TEL:+49 170 1234567;EMAIL:mary@acme.de;EMAIL:MARY@ACME.DE;"
               "URL:https\\://acme.de/mary;NOTE:Booth 4\\: wants a demo\\\\trial;;")
    fields = parse_payload(payload)
    assert (fields.given_name, fields.family_name) == ("Mary", "O'Neil, Jr")
    assert (fields.company, fields.title) == ("ACME; Widgets, Inc.", "VP Sales")
    assert fields.emails == ["mary@acme.de"]
    # no type in a MECARD: Germany's numbering plan tells the fixed line from the mobile
    assert phones(fields) == [("+49301234567", "office"), ("+491701234567", "mobile")]
    assert fields.website == "https://acme.de/mary"
    assert fields.note == "Booth 4: wants a demo\\trial"
    assert (fields.source, fields.raw_text) == ("qr", payload)
    assert fields.confidence == {k: 1.0 for k in ("given_name", "family_name", "title", "company", "emails", "phones", "website")}


def test_mecard_name_without_comma_and_numbers_in_the_events_country():
    fields = parse_payload("MECARD:N:Sean Owen;TEL:2125551212;EMAIL:srowen@example.com;;", default_region="US")
    assert (fields.given_name, fields.family_name) == ("Sean", "Owen")
    assert phones(fields) == [("+12125551212", "other")]  # US numbers do not tell mobile from fixed
    fields = parse_payload("MECARD:N:Sean Owen;TEL:2125551212;;")
    assert (fields.phones[0].number, fields.phones[0].valid) == ("2125551212", False)  # no region: as written


def test_mecard_addresses_docomo_components_and_free_text():
    seven = parse_payload("MECARD:N:Doe,Jo;ADR:,Suite 5,1 Main St,Springfield,IL,62701,USA;;")
    assert seven.address == Address(street="1 Main St, Suite 5", city="Springfield", region="IL", postal_code="62701",
                                    country="US", text="1 Main St, Suite 5, Springfield, IL, 62701, USA")
    free = parse_payload("MECARD:N:Doe,Jo;ADR:Friedrichstr. 10, 10117 Berlin, Germany;;")
    assert free.address == Address(street="Friedrichstr. 10, 10117 Berlin", country="DE",
                                   text="Friedrichstr. 10, 10117 Berlin, Germany")


def test_bizcard():
    fields = parse_payload("BIZCARD:N:Sean;X:Owen;T:Software Engineer;C:Google;A:76 9th Avenue, New York, NY 10011;"
                           "B:+12125551212;M:+1 646 555 0123;F:+12125551213;E:srowen@example.com;;")
    assert (fields.given_name, fields.family_name, fields.title, fields.company) == ("Sean", "Owen", "Software Engineer", "Google")
    assert phones(fields) == [("+12125551212", "office"), ("+16465550123", "mobile"), ("+12125551213", "fax")]
    assert fields.emails == ["srowen@example.com"]
    assert fields.address.text == "76 9th Avenue, New York, NY 10011"


def test_a_vcard_payload_with_bare_newlines():
    payload = ("BEGIN:VCARD\nVERSION:3.0\nN:Tanaka;Yui\nORG:Example KK\nTITLE:Engineer\n"
               "TEL;TYPE=CELL:090-1234-5678\nEMAIL:yui@example.co.jp\nEND:VCARD")
    fields = parse_payload(payload)
    assert (fields.given_name, fields.family_name, fields.company, fields.title) == ("Yui", "Tanaka", "Example KK", "Engineer")
    assert phones(fields) == [("+819012345678", "mobile")]  # .jp domain: a Japanese number
    assert (fields.source, fields.raw_text) == ("qr", payload)


@pytest.mark.parametrize("payload", [
    "https://example.com/badge/1234", "www.example.com", "Hello there", "", "   ",
    "WIFI:S:Booth;T:WPA;P:secret;;", "MATMSG:TO:a@b.c;SUB:Hi;BODY:x;;", "mailto:a@b.c", "tel:+4930123456",
    "BEGIN:VCARD\nVERSION:3.0\nNOTE:nothing to keep\nEND:VCARD", "MECARD:;;", "BIZCARD:;;",
])
def test_anything_else_is_none(payload):
    assert parse_payload(payload) is None


def _qr(text: str) -> np.ndarray:
    image = np.array(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode).to_image(scale=4))
    return np.pad(image, 24, constant_values=255)


@pytest.mark.parametrize("payload, expected", [
    ("MECARD:N:Müller,Jürgen;ORG:Bäckerei Süd;TEL:+49 170 1234567;EMAIL:j@baeckerei.de;;",
     ("Jürgen", "Müller", "Bäckerei Süd", [("+491701234567", "mobile")])),
    ("BEGIN:VCARD\r\nVERSION:3.0\r\nN:Dupont;Léa\r\nORG:Société X\r\nTEL;TYPE=WORK:+33 1 42 68 53 00\r\nEND:VCARD\r\n",
     ("Léa", "Dupont", "Société X", [("+33142685300", "office")])),
])
def test_a_real_qr_code_decoded_by_zxing_reads_back(payload, expected):
    (decoded,) = zxingcpp.read_barcodes(_qr(payload))
    fields = parse_payload(decoded.text)
    assert (fields.given_name, fields.family_name, fields.company, phones(fields)) == expected
    assert fields.source == "qr"
