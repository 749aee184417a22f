"""Every file of ``../shared/corpora/vcards/`` (exports of Outlook, Gmail, iPhone, Android,
macOS, Lotus Notes, Evolution, BlackBerry, Thunderbird, FullContact and the RFC examples;
from the ez-vcard project, BSD licence beside them) imports with the right names,
organisation, title, e-mails, phones with types and address.

The expected values are read off each file by hand and written here, not taken from
the parser. A phone is E.164 when it parses in the country the card itself names (an
address), ``valid=False`` when libphonenumber calls it no real number; as written when it
does not parse at all (see ``leaddesk/capture/_vcard_read.py`` for the type rules: home ->
other, any fax -> fax, cell -> mobile, work/main -> office).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from leaddesk.capture.vcard import parse_vcards, parse_vcards_report

#: The repository's parent holds shared/, on a laptop (/work) as in CI (a clone beside it).
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "vcards"

EXPECTED_FILES = {
    "John_Doe_ANDROID.vcf", "John_Doe_BLACK_BERRY.vcf", "John_Doe_EVOLUTION.vcf", "John_Doe_GMAIL.vcf",
    "John_Doe_IPHONE.vcf", "John_Doe_LOTUS_NOTES.vcf", "John_Doe_MAC_ADDRESS_BOOK.vcf",
    "John_Doe_MS_OUTLOOK.vcf", "fullcontact.vcf", "gmail-list.vcf", "gmail-single.vcf", "gmail-single2.vcf",
    "outlook-2003.vcf", "outlook-2007.vcf", "rfc2426-example.vcf", "rfc6350-example.vcf",
    "thunderbird-MoreFunctionsForAddressBook-extension.vcf",
}

N = "\u00d1"  # Ñ, the Android export's test letter


def read(name: str):
    return parse_vcards_report((CORPUS / name).read_bytes(), name=name)


def phones(card) -> list[tuple[str, str]]:
    return [(p.number, p.type) for p in card.phones]


def address(card) -> tuple:
    a = card.address
    return None if a is None else (a.street, a.city, a.region, a.postal_code, a.country)


def test_the_corpus_is_there_and_every_file_has_its_expectations_here():
    assert CORPUS.is_dir(), f"the vCard corpus is missing: {CORPUS}"
    assert {p.name for p in CORPUS.glob("*.vcf")} == EXPECTED_FILES


def test_android_six_cards_quoted_printable_soft_breaks_and_a_damaged_photo():
    cards, errors = read("John_Doe_ANDROID.vcf")
    assert len(cards) == 6
    assert [c.emails for c in cards[:2]] == [["john.doe@company.com"], ["jane.doe@company.com"]]
    assert cards[0].display_name == "" and cards[0].phones == []
    # N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=91=20... : the whole name in the family part
    assert (cards[2].given_name, cards[2].family_name) == (None, " ".join([N] * 4))
    assert phones(cards[2]) == [("123456789", "mobile")]
    # a QP value continued over a soft line break (a line ending in "=")
    assert cards[3].family_name == " ".join([N] * 11)
    assert phones(cards[3]) == [("123456", "mobile"), ("234567", "other"), ("3456789", "mobile"), ("45678901", "other")]
    assert cards[3].note == f"{N} {N} {N} {N} {N} {N} {N} {N}{N} {N} {N} {N} {N} {N} {N} {N}{N} {N} {N} {N} {N}"
    bob = cards[4]
    assert (bob.given_name, bob.family_name) == (f"{N} {N} {N}", f"{N} {N}")
    assert bob.company == N * 12
    assert bob.emails == ["bob@company.com"]  # the second EMAIL holds no address
    assert "Other e-mail: " + N * 14 in bob.note
    assert phones(bob) == [("123456", "mobile"), ("123456", "office"), ("123456", "fax")]
    assert bob.website == "www.company.com"
    assert bob.photo is None  # its base64 is cut short: reported, the card kept
    assert errors == [f"Card 5 ({N} {N} {N} {N} {N}, line 36): its photo is damaged and was left out."]
    henry = cards[5]
    # the second ORG ends in a stray =80 (not UTF-8): the card still reads
    assert (henry.family_name, henry.company, henry.emails) == (N * 4, N * 44, ["henry@company.com"])
    assert phones(henry) == [("55556666", "mobile")]


def test_blackberry():
    cards, errors = read("John_Doe_BLACK_BERRY.vcf")
    (card,) = cards
    assert (card.given_name, card.family_name, card.company) == ("john", "Doe", "Acme Solutions")
    assert phones(card) == [("+96123456789", "mobile")]
    assert card.phones[0].valid is False  # not a valid Lebanese number: kept as written
    assert card.photo is None and errors == ["Card 1 (john Doe, line 1): its photo is damaged and was left out."]


def test_evolution_folded_lines_escaped_commas_and_org_units():
    (card,) = parse_vcards((CORPUS / "John_Doe_EVOLUTION.vcf").read_bytes())
    assert (card.given_name, card.family_name) == ("John", "Doe")
    assert (card.title, card.company) == ("Money Counter", "IBM")
    assert card.emails == ["john.doe@ibm.com"]
    assert phones(card) == [("+19056661234", "mobile"), ("+19055551234", "office")]
    assert card.website == "http://www.ibm.com"
    assert address(card) == ("15 Crescent moon drive, ASB-123", "Albaney", "New York", "12345", "US")
    assert card.note.startswith('THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND')
    assert "WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED" in card.note
    assert card.note.endswith("DAMAGE.\nDepartment: Accounting, Dungeon")


def test_gmail_free_text_address_and_escaped_url():
    (card,) = parse_vcards((CORPUS / "John_Doe_GMAIL.vcf").read_bytes())
    assert (card.given_name, card.family_name, card.title, card.company) == ("John", "Doe", "Money Counter", "IBM")
    assert card.emails == ["john.doe@ibm.com"]
    assert phones(card) == [("+19055551234", "mobile"), ("+19056661234", "other")]
    assert card.website == "http://www.ibm.com"  # written http\://
    # Gmail puts the whole address in one component; its last line is the country
    assert address(card) == ("Crescent moon drive, 555-asd, Nice Area, Albaney, New York 12345", None, None, None, "US")
    assert card.note.endswith("DAMAGE.\nFavotire Color: Blue")


def test_iphone_cr_cr_lf_line_ends_labels_and_photo():
    cards, errors = read("John_Doe_IPHONE.vcf")
    (card,) = cards
    assert errors == []
    assert (card.given_name, card.family_name, card.title, card.company) == ("John", "Doe", "Money Counter", "IBM")
    assert card.emails == ["john.doe@ibm.com"]
    assert phones(card) == [
        ("+19055551234", "mobile"), ("+19056661234", "other"), ("+19057771234", "office"),
        ("+19058881234", "fax"), ("+19059991234", "fax"),
        ("+19051111234", "other"),  # the pager: 111 is no US exchange, so valid=False, kept
        ("+19052221234", "other"),  # item2.TEL labelled AssistantPhone
    ]
    assert card.website == "http://www.ibm.com"
    # the WORK address is kept over the preferred HOME one, which goes to the note
    assert address(card) == ("Street4, Building 6, Floor 8", "New York", None, "12345", "US")
    assert "Other address: Silicon Alley 5, New York, New York, 12345, United States of America" in card.note
    assert card.photo[:3] == b"\xff\xd8\xff" and len(card.photo) == 32531


def test_lotus_notes_profile_line_and_invalid_numbers_kept_as_written():
    cards, errors = read("John_Doe_LOTUS_NOTES.vcf")
    (card,) = cards
    assert errors == []  # PROFILE:VCard stops vobject's own component reader, not this one
    assert (card.given_name, card.family_name) == ("John", "Doe")
    assert (card.title, card.company) == ("Generic Accountant", "IBM")  # TITLE wins over ROLE
    assert card.emails == ["john.doe@ibm.com", "billy_bob@gmail.com"]
    # one digit too many, and a 00 prefix cut by a dash: neither parses, both kept as written
    assert phones(card) == [("+1 (212) 204-34456", "mobile"), ("00-1-212-555-7777", "fax")]
    assert [p.valid for p in card.phones] == [False, False]
    assert card.website == "http://www.sun.com"
    assert address(card) == ("25334, South cresent drive, Building 5, 3rd floo r", "New York", "New York", "NYC887", "US")
    assert card.photo[:3] == b"\xff\xd8\xff"
    assert card.note.endswith("Department: SUN")


def test_mac_address_book_bare_base64_parameter():
    (card,) = parse_vcards((CORPUS / "John_Doe_MAC_ADDRESS_BOOK.vcf").read_bytes())
    assert (card.given_name, card.family_name, card.title, card.company) == ("John", "Doe", "Money Counter", "IBM")
    assert card.emails == ["john.doe@ibm.com"]
    assert phones(card) == [
        ("+19057771234", "office"), ("+19056661234", "other"), ("+19055551234", "mobile"),
        ("+19058881234", "fax"), ("+19059991234", "fax"), ("+19051111234", "other"), ("+19052221234", "other"),
    ]
    assert address(card) == ("Street4, Building 6, Floor 8", "New York", None, "12345", "US")
    assert card.website == "http://www.ibm.com"
    assert card.photo[:3] == b"\xff\xd8\xff"  # PHOTO;BASE64: (Apple's bare parameter)


def test_ms_outlook_21_bare_types_and_unescaped_commas():
    (card,) = parse_vcards((CORPUS / "John_Doe_MS_OUTLOOK.vcf").read_bytes())
    assert (card.given_name, card.family_name, card.title, card.company) == ("John", "Doe", "Money Counter", "IBM")
    assert card.emails == ["john.doe@ibm.cm"]  # as the file has it
    assert phones(card) == [("+19055551234", "office"), ("+19056661234", "other")]  # TEL;WORK;VOICE, TEL;HOME;VOICE
    assert card.website == "http://www.ibm.com"
    assert address(card) == ("Cresent moon drive", "Albaney", "New York", "12345", "US")  # ADR;WORK;PREF
    # a 2.1 NOTE's commas are not escapes: the whole text is kept
    assert "WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED" in card.note
    assert card.photo[:3] == b"\xff\xd8\xff"


def test_fullcontact_40_every_type_spelling():
    (card,) = parse_vcards((CORPUS / "fullcontact.vcf").read_bytes())
    assert (card.given_name, card.family_name) == ("FirstName", "LastName")
    assert (card.title, card.company) == ("Title1", "Organization1")
    assert card.emails == ["home@example.com", "work@example.com", "school@example.com", "other@example.com",
                           "custom@example.com"]
    assert phones(card) == [
        ("555-555-1111", "other"), ("555-555-1112", "office"), ("555-555-1113", "mobile"), ("555-555-1114", "mobile"),
        ("555-555-1115", "other"), ("555-555-1116", "fax"), ("555-555-1117", "fax"), ("555-555-1118", "other"),
        ("555-555-1119", "other"),
    ]
    assert card.website == "http://www.homepage.com"
    assert address(card) == ("WorkStreet, WorkExtended", "WorkCity", "WorkState", "WorkPostal", None)
    assert card.photo is None  # PHOTO links to the web: not fetched, and not an error
    assert card.note.startswith("Notes line 1\nNotes line 2\nDepartment: Department1\n")


def test_gmail_list_three_cards():
    cards, errors = read("gmail-list.vcf")
    assert errors == []
    assert [(c.given_name, c.family_name, c.emails) for c in cards] == [
        ("Arnold", "Smith", ["asmithk@gmail.com"]),
        ("Chris", "Beatle", ["chrisy55d@yahoo.com"]),
        ("Doug", "White", ["dwhite@gmail.com"]),
    ]


def test_gmail_single_grouped_labels():
    (card,) = parse_vcards((CORPUS / "gmail-single.vcf").read_bytes())
    assert (card.given_name, card.family_name, card.title, card.company) == ("Greg", "Dartmouth", "TheJobTitle", "TheCompany")
    assert card.emails == ["gdartmouth@hotmail.com"]
    # in the US by the other address's country; 555 numbers are not real ones (valid=False)
    assert phones(card) == [("+15555551111", "mobile"), ("+15555552222", "other")]
    assert [p.valid for p in card.phones] == [False, False]
    assert card.website == "http://TheProfile.com"
    assert address(card) == ("123 Home St, Home City, HM 12345", None, None, None, None)
    assert "Other address: 321 Custom St, Custom City, TX, 98765, USA" in card.note


def test_gmail_single2_many_of_each():
    (card,) = parse_vcards((CORPUS / "gmail-single2.vcf").read_bytes())
    assert (card.given_name, card.family_name, card.title, card.company) == ("VCard", "Test", "TheJobTitle", "TheCompany")
    assert card.emails == ["email@example.com", "homeemail@example.com", "workemail@example.com",
                           "otheremail@example.com", "customcategory@example.com"]
    assert phones(card) == [
        ("5555551111", "other"), ("5555551112", "other"), ("5555551113", "office"), ("5555551114", "other"),
        ("5555551115", "mobile"), ("5555551116", "office"), ("5555551117", "fax"), ("5555551118", "fax"),
        ("5555551119", "other"), ("5555551120", "other"), ("5555551121", "other"),
    ]
    assert card.website == "http://www.example5.com"  # URL;TYPE=WORK
    assert address(card) == ("113 Main St", "NY", "New York", "10011", None)  # ADR;TYPE=WORK


def test_outlook_2003_placeholder_numbers_and_quoted_printable_note():
    cards, errors = read("outlook-2003.vcf")
    (card,) = cards
    assert (card.given_name, card.family_name) == ("John", "Doe")
    assert (card.title, card.company) == ("The Job Title", "Company, The")
    assert card.emails == ["jdoe@hotmail.com"]
    assert phones(card) == [("BusinessPhone", "office"), ("HomePhone", "other"), ("MobilePhone", "mobile"),
                            ("BusinessFaxPhone", "fax")]
    assert card.website == "http://web-page-address.com"
    assert address(card) == ("123 Main St, TheOffice", "Austin", "TX", "12345", "US")
    assert card.note == "This is the note field!!\nSecond line\n\nThird line is empty\nDepartment: TheDepartment"


def test_outlook_2007():
    (card,) = parse_vcards((CORPUS / "outlook-2007.vcf").read_bytes())
    assert (card.given_name, card.family_name) == ("Michael", "Angstadt")
    assert (card.title, card.company) == ("TheJobTitle", "TheCompany")
    assert card.emails == ["mike.angstadt@gmail.com"]
    # (111) is no US area code: E.164 flagged valid=False; X-MS-TEL is not a TEL
    assert phones(card) == [("+11115551111", "office"), ("+11115552222", "other"), ("+11115554444", "mobile"),
                            ("+11115553333", "fax")]
    assert not any(p.valid for p in card.phones)
    assert card.website == "http://mikeangstadt.name"
    assert address(card) == ("222 Broadway, TheOffice", "New York", "NY", "99999", "US")
    assert card.photo[:3] == b"\xff\xd8\xff"
    assert card.note.startswith("This is the NOTE field\t\nI assume it encodes this text inside a NOTE vCard type.\n")


def test_rfc2426_no_n_property_names_from_fn():
    cards, errors = read("rfc2426-example.vcf")
    assert errors == []
    frank, tim = cards
    assert (frank.given_name, frank.family_name, frank.company) == ("Frank", "Dawson", "Lotus Development Corporation")
    assert frank.emails == ["Frank_Dawson@Lotus.com", "fdawson@earthlink.net"]
    assert phones(frank) == [("+19196769515", "office"), ("+19196769564", "fax")]
    assert frank.website == "http://home.earthlink.net/~fdawson"
    assert address(frank) == ("6544 Battleford Drive", "Raleigh", "NC", "27613-3502", "US")
    assert (tim.given_name, tim.family_name, tim.company) == ("Tim", "Howes", "Netscape Communications Corp.")
    assert tim.emails == ["howes@netscape.com"]
    assert phones(tim) == [("+14159373419", "office"), ("+14155284164", "fax")]
    assert address(tim) == ("501 E. Middlefield Rd.", "Mountain View", "CA", "94043", "US")


def test_rfc6350_tel_uris_with_quoted_types():
    (card,) = parse_vcards((CORPUS / "rfc6350-example.vcf").read_bytes())
    assert (card.given_name, card.family_name, card.company) == ("Simon", "Perreault", "Viagenie")
    assert card.emails == ["simon.perreault@viagenie.ca"]
    # TEL;VALUE=uri;TYPE="work,voice":tel:+1-418-656-9254;ext=102 and "work,cell,voice,video,text"
    assert phones(card) == [("+14186569254;ext=102", "office"), ("+14182626501", "mobile")]
    assert card.phones[0].raw == "+1-418-656-9254;ext=102"
    assert card.website == "http://nomis80.org"
    assert address(card) == ("2875 Laurier, Suite D2-630", "Quebec", "QC", "G1V 2M2", "CA")


def test_thunderbird():
    (card,) = parse_vcards((CORPUS / "thunderbird-MoreFunctionsForAddressBook-extension.vcf").read_bytes())
    assert (card.given_name, card.family_name) == ("John", "Doe")
    assert (card.title, card.company) == ("TheTitle", "TheOrganization")
    assert card.emails == ["doe.john@hotmail.com", "additional-email@company.com", "additional-email1@company.com",
                           "additional-email2@company.com", "additional-email3@company.com"]
    assert phones(card) == [("+15555551111", "office"), ("+15555552222", "other"), ("+15555555555", "mobile"),
                            ("+15555553333", "fax"), ("+15555554444", "other")]
    assert card.website == "http://www.work-webpage.com"
    assert address(card) == ("Suite 100, 222 Broadway", "New York", "NY", "98765", "US")
    assert card.note.startswith('This is the notes field.\nSecond Line\n\nFourth Line\nYou can put anything in the "note" field; even curse words.')
    assert card.photo[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize("name", sorted(EXPECTED_FILES))
def test_every_card_of_the_corpus_is_a_vcard_capture_fully_trusted(name):
    for card in read(name).cards:
        assert card.source == "vcard"
        assert card.raw_text.upper().startswith("BEGIN:VCARD") and card.raw_text.upper().endswith("END:VCARD")
        present = {f for f in ("given_name", "family_name", "title", "company", "emails", "phones", "website", "address")
                   if getattr(card, f)}
        assert card.confidence == {f: 1.0 for f in present}
