"""One card image in, its fields out (``capture.reader.read_card``): a contact code wins
over OCR, otherwise OCR (with the rotation retry) and the field rules; bad files are a
CaptureError naming the file; the kept image is upright. Real engines throughout."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from leaddesk.capture import ocr
from leaddesk.capture.fields import CaptureError
from leaddesk.capture.images import LoadedImage, load_image, rotated
from leaddesk.capture.reader import read_card
from tests.capture.cardimages import photographed, render_card, to_bytes
from tests.capture.test_qr import MECARD, VCARD


@pytest.fixture(scope="module")
def warm():
    ocr.warm_up()


@pytest.fixture
def extract():
    # capture.extract comes from the cap-extract branch; until it is merged the OCR path
    # of read_card cannot finish, and these tests say so instead of passing.
    return pytest.importorskip("leaddesk.capture.extract")


def test_a_vcard_code_wins_and_no_ocr_runs(tmp_path):
    path = tmp_path / "anna-qr.png"
    render_card(0, qr=VCARD, qr_module_px=3).save(path)
    read = read_card(path)
    f = read.fields
    assert f.source == "qr"
    assert (f.given_name, f.family_name, f.company, f.title) == (
        "Anna", "Schmidt", "Nordwind Logistik GmbH", "Head of Procurement")
    assert f.emails == ["anna.schmidt@nordwind-logistik.de"]
    assert {p.type for p in f.phones} == {"mobile", "office"}
    assert read.timings["ocr"] == 0.0 and read.timings["extract"] == 0.0
    assert read.timings["load"] > 0 and read.timings["qr"] > 0
    assert read.rotation == 0 and read.payloads == [VCARD]
    assert read.image.name == "anna-qr.png"


def test_a_mecard_badge_photo_reads_as_qr():
    photo = photographed(render_card(2, qr=MECARD, qr_module_px=4), seed=1)
    read = read_card(to_bytes(photo, "JPEG", quality=85), name="badge.jpg")
    assert read.fields.source == "qr"
    assert read.fields.emails == ["m.dubois@atelier-lumiere.fr"]
    assert read.fields.family_name == "Dubois"


def test_the_stored_copy_is_a_jpeg_of_the_upright_image():
    big = render_card(0, qr=VCARD, qr_module_px=6, width=2100, height=1200)
    read = read_card(to_bytes(big, "PNG"), name="big.png")
    with Image.open(io.BytesIO(read.stored_jpeg)) as kept:
        assert kept.format == "JPEG" and kept.size == (1600, 914)


@pytest.mark.parametrize("name,data,words", [
    ("notes.jpg", b"not an image at all", "is not an image"),
    ("empty.jpg", b"", "is empty"),
])
def test_bad_files_are_a_capture_error_naming_the_file(tmp_path, name, data, words):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CaptureError, match=f"{name} {words}"):
        read_card(path)


def test_a_blank_photo_is_refused_before_any_ocr(tmp_path):
    path = tmp_path / "white.jpg"
    Image.new("RGB", (1600, 1000), "white").save(path)
    with pytest.raises(CaptureError, match="white.jpg is blank"):
        read_card(path)


def test_a_printed_card_is_read_by_ocr(warm, extract, tmp_path):
    path = tmp_path / "james.jpg"
    render_card(1).save(path, quality=90)
    read = read_card(path, default_region="GB")
    f = read.fields
    assert f.source == "ocr"
    assert f.emails == ["james@brightline.co.uk"]
    assert "Sales Director" in f.raw_text.splitlines()
    assert f.phones and f.phones[0].number == "+442079460958"
    assert read.timings["ocr"] > 0 and read.timings["qr"] > 0
    assert read.rotation == 0


def test_a_card_on_its_side_comes_back_upright(warm, extract):
    photo = load_image(to_bytes(photographed(render_card(3), seed=2), "JPEG", quality=85))
    sideways = rotated(photo, 90)
    assert sideways.height > sideways.width
    read = read_card(sideways)
    assert read.rotation == 270
    assert read.image.width > read.image.height
    assert np.array_equal(read.image.rgb, photo.rgb)
    assert read.fields.emails == ["carlos.mendes@velasoftware.com"]


def test_a_url_code_does_not_stop_ocr_and_is_kept(warm, extract):
    from tests.capture.cardimages import qr_image

    card = render_card(4)
    card.paste(qr_image("https://www.pontedigitale.it/contatti", module_px=3).convert("RGB"), (850, 380))
    read = read_card(LoadedImage.from_array(np.asarray(card), "sofia"))
    assert read.fields.source == "ocr"
    assert read.payloads == ["https://www.pontedigitale.it/contatti"]
    assert read.fields.emails == ["sofia.rossi@pontedigitale.it"]
    assert read.fields.website and "pontedigitale.it" in read.fields.website
