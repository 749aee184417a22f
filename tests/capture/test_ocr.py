"""On-device OCR (issue #14, point 2) with the real engine: bundled models only and no
network, reading order, boxes in the caller's pixels, the rotation retry, one engine
shared by threads, quiet logs. The engine loads once for the module."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from leaddesk.capture import ocr
from leaddesk.capture.images import LoadedImage, load_image, rotated
from tests.capture.cardimages import photographed, render_card, to_bytes

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def warm():
    ocr.warm_up()
    return ocr.engine()


def _card(sample: int = 0, **kw) -> LoadedImage:
    return LoadedImage.from_array(np.asarray(render_card(sample, **kw)), f"card{sample}")


def _texts(lines) -> list[str]:
    return [ln.text for ln in lines]


def test_only_the_models_inside_the_rapidocr_package_are_used(warm):
    import rapidocr

    package = Path(rapidocr.__file__).resolve().parent
    paths = ocr.bundled_models()
    assert set(paths) == {"Det", "Cls", "Rec"}
    for stage, path in paths.items():
        assert path.is_file() and path.resolve().is_relative_to(package / "models"), stage
        # The engine was given that exact file, so rapidocr never resolves a model by name.
        assert Path(str(warm.cfg[stage].model_path)) == path
    assert warm.text_det is not None and warm.text_cls is not None and warm.text_rec is not None


def test_a_card_is_read_with_the_network_cut_off(tmp_path):
    # A fresh process where any socket use raises: loading the engine and reading a card
    # still work, so nothing is fetched, and nothing is logged at INFO level.
    card = tmp_path / "card.png"
    render_card(1).save(card)
    script = textwrap.dedent(f"""
        import socket
        def refuse(*a, **k):
            raise OSError("network use during OCR")
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from leaddesk.capture import ocr
        ocr.warm_up()
        print("\\n".join(ln.text for ln in ocr.read_lines({str(card)!r})))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                         "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"})
    assert done.returncode == 0, done.stderr
    assert "james@brightline.co.uk" in done.stdout.splitlines()
    assert "[INFO]" not in done.stderr and "RapidOCR" not in done.stderr


def test_a_rendered_card_reads_top_to_bottom(warm):
    lines = ocr.read_lines(_card(0))
    assert _texts(lines) == [
        "Nordwind Logistik GmbH", "Anna Schmidt", "Head of Procurement", "Mobil +49 171 2345678",
        "anna.schmidt@nordwind-logistik.de", "www.nordwind-logistik.de", "Hafenstrasse 12, 20457 Hamburg"]
    assert all(0.8 <= ln.score <= 1.0 for ln in lines)
    tops = [ln.box[1] for ln in lines]
    assert tops == sorted(tops)
    left, top, right, bottom = lines[1].box  # the name, drawn at (60, 150) in 46 px type
    assert 45 < left < 75 and 135 < top < 165 and right > left + 200 and 30 < bottom - top < 70


def test_a_path_bytes_and_an_array_read_alike(warm, tmp_path):
    card = render_card(3)
    path = tmp_path / "carlos.png"
    card.save(path)
    from_path = _texts(ocr.read_lines(path))
    assert "carlos.mendes@velasoftware.com" in from_path
    assert _texts(ocr.read_lines(to_bytes(card, "PNG"))) == from_path
    assert _texts(ocr.read_lines(np.asarray(card))) == from_path


def test_a_large_photo_is_read_downscaled_with_boxes_in_its_own_pixels(warm):
    small = ocr.read_lines(_card(4))
    big_img = LoadedImage.from_array(np.asarray(render_card(4).resize((3150, 1800), Image.Resampling.LANCZOS)), "big")
    big = ocr.read_lines(big_img)
    assert _texts(big) == _texts(small)
    email = _texts(small).index("sofia.rossi@pontedigitale.it")
    for a, b in zip(small[email].box, big[email].box):
        assert abs(b - 3 * a) < 25


def test_blank_area_gives_no_lines(warm):
    assert ocr.read_lines(np.full((300, 500, 3), 255, dtype=np.uint8)) == []


@pytest.mark.parametrize("turned", [0, 90, 180, 270])
def test_a_turned_card_is_read_upright(warm, turned):
    photo = load_image(to_bytes(photographed(render_card(2), seed=turned, angle=3), "JPEG", quality=85))
    lines, rotation = ocr.read_lines_rotating(rotated(photo, turned))
    assert (turned + rotation) % 360 == 0
    texts = _texts(lines)
    assert texts[0] == "Atelier Lumière SA"
    assert "m.dubois@atelier-lumiere.fr" in texts and "Marie Dubois" in texts
    # Boxes are in the pixels of the upright image: the company line is at its top left.
    upright = rotated(rotated(photo, turned), rotation)
    assert lines[0].box[1] < upright.height / 3 and lines[0].box[0] < upright.width / 3


@pytest.mark.parametrize("turned", [0, 180])
def test_an_upright_or_upside_down_card_is_read_once(warm, monkeypatch, turned):
    # Upside down, the direction classifier reads each line the right way up and the
    # boxes are mapped: no second OCR pass.
    calls = []
    real = ocr._read
    monkeypatch.setattr(ocr, "_read", lambda img: calls.append(img.width) or real(img))
    lines, rotation = ocr.read_lines_rotating(rotated(_card(1), turned))
    assert rotation == turned and len(calls) == 1
    assert _texts(lines)[:3] == ["Brightline Analytics Ltd", "James O'Connor", "Sales Director"]


def test_threads_share_the_engine_safely(warm):
    cards = [_card(i, width=700, height=400) for i in range(2)]
    expected = [_texts(ocr.read_lines(c)) for c in cards]
    got: dict[int, list[str]] = {}

    def work(i):
        got[i] = _texts(ocr.read_lines(cards[i % 2]))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert expected[0] != expected[1]
    assert [got[i] for i in range(4)] == expected + expected


def test_reading_logs_nothing(warm, capfd):
    ocr.read_lines(np.full((200, 200, 3), 255, dtype=np.uint8))
    ocr.read_lines(_card(0))
    err = capfd.readouterr().err
    assert "RapidOCR" not in err and "[INFO]" not in err and "[WARNING]" not in err


def test_warm_up_is_idempotent(warm):
    ocr.warm_up()
    assert ocr.engine() is warm
