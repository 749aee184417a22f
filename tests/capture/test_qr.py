"""QR codes on cards and badges (issue #14, point 3): codes generated here with zxing-cpp,
printed on a rendered card, decoded back exactly; dense codes photographed small need the
upscaled, sharpened retry."""

from __future__ import annotations

import cv2
import numpy as np
import zxingcpp
from PIL import Image, ImageFilter

from leaddesk.capture.images import LoadedImage, load_image
from leaddesk.capture.qr import decode_qr
from tests.capture.cardimages import photographed, qr_image, render_card, to_bytes

VCARD = ("BEGIN:VCARD\r\nVERSION:3.0\r\nN:Schmidt;Anna;;;\r\nFN:Anna Schmidt\r\n"
         "ORG:Nordwind Logistik GmbH\r\nTITLE:Head of Procurement\r\nTEL;TYPE=CELL:+49 171 2345678\r\n"
         "TEL;TYPE=WORK:+49 40 1234567\r\nEMAIL:anna.schmidt@nordwind-logistik.de\r\n"
         "URL:https://www.nordwind-logistik.de\r\nADR;TYPE=WORK:;;Hafenstrasse 12;Hamburg;;20457;Germany\r\n"
         "END:VCARD")
MECARD = "MECARD:N:Dubois,Marie;TEL:+33142685300;EMAIL:m.dubois@atelier-lumiere.fr;ORG:Atelier Lumière SA;;"


def _img(pil: Image.Image) -> LoadedImage:
    return LoadedImage.from_array(np.asarray(pil.convert("RGB")), "card")


def _plain_decode(img: LoadedImage) -> list[str]:
    return [c.text for c in zxingcpp.read_barcodes(cv2.cvtColor(img.rgb, cv2.COLOR_RGB2GRAY))]


def test_a_vcard_code_on_a_card_decodes_exactly(tmp_path):
    path = tmp_path / "card.png"
    render_card(0, qr=VCARD, qr_module_px=3).save(path)
    assert decode_qr(load_image(path)) == [VCARD]


def test_a_mecard_code_with_accents_decodes_exactly():
    card = render_card(2, qr=MECARD, qr_module_px=4)
    assert decode_qr(_img(card)) == [MECARD]


def test_a_photographed_badge_code_decodes_through_jpeg():
    card = photographed(render_card(1, qr=VCARD, qr_module_px=4), seed=3, angle=6, blur=0.8, noise=6)
    img = load_image(to_bytes(card, "JPEG", quality=80), name="badge.jpg")
    assert decode_qr(img) == [VCARD]


def test_a_dense_small_blurred_code_needs_the_sharpened_retry():
    # Two pixels per module and a soft lens: zxing-cpp at native size finds nothing...
    card = render_card(0, qr=VCARD, qr_module_px=2).filter(ImageFilter.GaussianBlur(1.0))
    img = _img(card)
    assert _plain_decode(img) == []
    # ...upscaled with an unsharp mask it reads the whole vCard.
    assert decode_qr(img) == [VCARD]


def test_a_smaller_photo_of_a_dense_code_decodes_after_retry():
    card = render_card(0, qr=VCARD, qr_module_px=3)
    card = card.resize((630, 360), Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(1.0))
    img = _img(card)
    assert _plain_decode(img) == []
    assert decode_qr(img) == [VCARD]


def test_a_card_without_a_code_gives_nothing():
    assert decode_qr(_img(render_card(3))) == []


def test_two_codes_come_top_to_bottom_without_repeats():
    card = render_card(4, width=1050, height=900)
    url = "https://www.pontedigitale.it"
    card.paste(qr_image(url, module_px=4).convert("RGB"), (700, 40))
    card.paste(qr_image(MECARD, module_px=4).convert("RGB"), (700, 480))
    card.paste(qr_image(url, module_px=3).convert("RGB"), (40, 700))
    assert decode_qr(_img(card)) == [url, MECARD]


def test_an_inverted_code_decodes():
    # White modules on a dark badge.
    code = np.asarray(qr_image(MECARD, module_px=4))
    badge = Image.new("L", (600, 400), 30)
    badge.paste(Image.fromarray(255 - code), (150, 40))
    assert decode_qr(_img(badge)) == [MECARD]


def test_a_code_in_a_12_megapixel_phone_photo_decodes():
    # The card fills a third of a 4032 x 3024 photo; the first pass reads a 1600-pixel
    # copy (where three-pixel modules become one), the retry a sharpened 3200-pixel one.
    card = photographed(render_card(0, qr=VCARD, qr_module_px=3, width=1800, height=1029), seed=1)
    scene = Image.new("RGB", (4032, 3024), (120, 110, 100))
    scene.paste(card, (900, 800))
    assert decode_qr(_img(scene)) == [VCARD]
    empty = Image.new("RGB", (4032, 3024), (120, 110, 100))
    empty.paste(photographed(render_card(0, width=1800, height=1029), seed=1), (900, 800))
    assert decode_qr(_img(empty)) == []
