"""`leaddesk capture`, `import-vcf` and `export-vcf`, run in-process on real databases of both
engines, with real card images (rendered with Pillow, a QR code printed on them)."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from leaddesk import cli
from tests.capture.cardimages import render_card

VCARD = ("BEGIN:VCARD\r\nVERSION:3.0\r\nN:Schmidt;Anna;;;\r\nFN:Anna Schmidt\r\n"
         "ORG:Nordwind Logistik GmbH\r\nTITLE:Head of Procurement\r\nTEL;TYPE=CELL:+49 171 2345678\r\n"
         "TEL;TYPE=WORK:+49 40 1234567\r\nEMAIL:anna.schmidt@nordwind-logistik.de\r\n"
         "URL:https://www.nordwind-logistik.de\r\nADR;TYPE=WORK:;;Hafenstrasse 12;Hamburg;;20457;Germany\r\n"
         "END:VCARD")


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli_db(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LEADDESK_DATA_DIR", str(tmp_path / "data"))
    assert run(capsys, "--db", db_url, "init", "--admin-name", "Ada", "--admin-email", "ada@example.com")[0] == 0
    return db_url


@pytest.fixture
def files(tmp_path):
    qr_card = tmp_path / "qr-card.png"
    render_card(0, qr=VCARD, qr_module_px=3).save(qr_card)
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture")
    blank = tmp_path / "blank.png"
    Image.new("RGB", (800, 500), (250, 250, 250)).save(blank)
    return qr_card, text, blank


def test_capture_json_reads_each_image_and_reports_bad_files_without_stopping(capsys, files):
    qr_card, text, blank = files
    code, out, _ = run(capsys, "capture", text, qr_card, blank, "--json")
    assert code == 1  # some files could not be read
    objs = [json.loads(line) for line in out.splitlines()]
    assert [o["file"] for o in objs] == [str(text), str(qr_card), str(blank)]
    assert "error" in objs[0] and "notes.jpg" in objs[0]["error"]
    assert "error" in objs[2] and "blank.png" in objs[2]["error"]
    card = objs[1]
    assert card["source"] == "qr"
    assert (card["given_name"], card["family_name"], card["title"], card["company"]) == (
        "Anna", "Schmidt", "Head of Procurement", "Nordwind Logistik GmbH")
    assert card["emails"] == ["anna.schmidt@nordwind-logistik.de"]
    assert [(p["number"], p["type"]) for p in card["phones"]] == [("+491712345678", "mobile"),
                                                                   ("+49401234567", "office")]
    assert card["website"] == "https://www.nordwind-logistik.de" and "Hamburg" in card["address"]
    assert card["confidence"]["emails"] == 1.0
    code, out, _ = run(capsys, "capture", qr_card)
    assert code == 0 and "Anna Schmidt [qr]" in out and "Phone (mobile): +491712345678" in out


def test_capture_save_creates_the_lead_of_the_event_once(cli_db, capsys, files):
    from leaddesk.db import Database, WriteContext, make_engine
    from leaddesk.services.capture import capture
    from leaddesk.services.marketing import campaigns
    from leaddesk.services.people import contacts
    import uuid

    qr_card, text, _ = files
    db = Database(make_engine(cli_db), WriteContext(node=uuid.uuid4()))
    try:
        show = campaigns.create_campaign(db, name="LogiMAT 2026", kind="trade_show", location="Stuttgart")
        code, out, err = run(capsys, "--db", cli_db, "capture", qr_card, "--save", "--event", "logimat", "--json")
        assert code == 0, err
        saved = json.loads(out)
        assert saved["saved"] is True
        c = contacts.get_contact(db, saved["contact_id"])
        assert c.campaign_id == show.id and c.display_name == "Anna Schmidt" and c.captured_at is not None
        [card] = capture.list_cards(db, c.id)
        assert card.image_mime == "image/jpeg" and card.payload.startswith("BEGIN:VCARD")
        # the same card again: reported as a duplicate, not saved; a bad file still fails the run
        code, out, _ = run(capsys, "--db", cli_db, "capture", qr_card, text, "--save", "--event", "LogiMAT 2026",
                           "--json")
        again, bad = [json.loads(line) for line in out.splitlines()]
        assert code == 1 and again["saved"] is False and again["duplicate"]["contact_ids"] == [str(c.id)]
        assert "error" in bad
        assert contacts.list_contacts(db).items[0].id == c.id and len(contacts.list_contacts(db).items) == 1
        code, _, err = run(capsys, "--db", cli_db, "capture", qr_card, "--save", "--event", "LogiMap")
        assert code == 2 and "No event called 'LogiMap'" in err and "LogiMAT 2026" in err
    finally:
        db.dispose()


def test_import_and_export_vcf(cli_db, capsys, tmp_path):
    vcf = tmp_path / "cards.vcf"
    vcf.write_text(VCARD + "\r\n" + VCARD.replace("Anna", "Bert").replace("anna.", "bert.")
                   .replace("171 2345678", "171 9999999").replace("40 1234567", "40 7654321"))
    code, out, _ = run(capsys, "--db", cli_db, "import-vcf", vcf)
    assert code == 0 and "2 created, 0 updated, 0 skipped" in out
    code, out, _ = run(capsys, "--db", cli_db, "import-vcf", vcf)
    assert code == 0 and "0 created, 0 updated, 2 skipped" in out
    code, out, _ = run(capsys, "--db", cli_db, "export-vcf")
    assert code == 0 and out.count("BEGIN:VCARD") == 2 and "FN:Bert Schmidt" in out
    target = tmp_path / "out.vcf"
    code, _, err = run(capsys, "--db", cli_db, "export-vcf", "--out", target, "--owner", "ada@example.com")
    assert code == 0 and target.read_text().count("BEGIN:VCARD") == 2 and "Wrote 2 contacts" in err
    bad = tmp_path / "bad.vcf"
    bad.write_text("hello")
    code, _, err = run(capsys, "--db", cli_db, "import-vcf", bad)
    assert code == 2 and "bad.vcf" in err


def test_capture_reads_a_printed_card_with_the_ocr_engine_and_saves_it(cli_db, capsys, tmp_path):
    from leaddesk.db import Database, WriteContext, make_engine
    from leaddesk.services.capture import capture
    from leaddesk.services.people import contacts
    import uuid

    photo = tmp_path / "anna.png"
    render_card(0).save(photo)
    code, out, err = run(capsys, "--db", cli_db, "capture", photo, "--json", "--save")
    assert code == 0, err
    read = json.loads(out)
    assert read["source"] == "ocr" and read["file"] == str(photo)
    assert (read["given_name"], read["family_name"]) == ("Anna", "Schmidt")
    assert read["company"] == "Nordwind Logistik GmbH" and read["emails"] == ["anna.schmidt@nordwind-logistik.de"]
    assert {"number": "+491712345678", "type": "mobile"}.items() <= read["phones"][0].items()
    assert 0 < read["confidence"]["emails"] <= 1 and read["timings"]["ocr"] > 0
    db = Database(make_engine(cli_db), WriteContext(node=uuid.uuid4()))
    try:
        c = contacts.get_contact(db, read["contact_id"])
        assert c.display_name == "Anna Schmidt" and c.website == read["website"]
        [card] = capture.list_cards(db, c.id)
        assert card.source.value == "ocr" and "Nordwind Logistik GmbH" in card.raw_text
        assert capture.card_image(db, card.id)[1] == "image/jpeg"
    finally:
        db.dispose()
