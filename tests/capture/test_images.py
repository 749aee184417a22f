"""Loading card photos: what comes out of a good file, and a clear per-file error for each
kind of bad file (issue #14, point 7)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from leaddesk.capture.fields import CaptureError
from leaddesk.capture.images import (
    MAX_FILE_BYTES,
    LoadedImage,
    fit_within,
    is_blank,
    load_image,
    rotated,
    stored_jpeg,
)
from tests.capture.cardimages import font, render_card, to_bytes


def test_a_card_png_loads_as_rgb(tmp_path):
    path = tmp_path / "anna.png"
    render_card(0).save(path)
    img = load_image(path)
    assert (img.width, img.height, img.name) == (1050, 600, "anna.png")
    assert img.rgb.shape == (600, 1050, 3) and img.rgb.dtype == np.uint8
    assert tuple(img.rgb[5, 5]) == (255, 255, 255)


def test_exif_orientation_is_applied(tmp_path):
    # A camera stores the sensor's landscape pixels and says "rotate 90 clockwise to view".
    wide = Image.new("RGB", (300, 100), "white")
    ImageDraw.Draw(wide).rectangle((0, 0, 30, 30), fill=(255, 0, 0))  # red mark top-left
    ImageDraw.Draw(wide).line((40, 50, 280, 50), fill="black", width=5)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "phone.jpg"
    wide.save(path, quality=95, exif=exif.tobytes())
    img = load_image(path)
    assert (img.width, img.height) == (100, 300)
    # Turned clockwise, the top-left mark ends at the top-right.
    r, g, b = (int(v) for v in img.rgb[10, 90])
    assert r > 200 and g < 80 and b < 80
    assert tuple(int(v) > 200 for v in img.rgb[10, 10]) == (True, True, True)


def test_transparency_is_flattened_onto_white():
    rgba = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    ImageDraw.Draw(rgba).text((20, 80), "Anna Schmidt", fill=(0, 0, 0, 255))
    img = load_image(to_bytes(rgba, "PNG"), name="logo.png")
    assert tuple(img.rgb[5, 5]) == (255, 255, 255)
    assert img.name == "logo.png"


def test_bytes_without_a_name_are_the_pasted_image():
    img = load_image(to_bytes(render_card(1), "PNG"))
    assert img.name == "The pasted image"
    with pytest.raises(CaptureError, match="The pasted image is empty"):
        load_image(b"")


def _error(source, **kw) -> CaptureError:
    with pytest.raises(CaptureError) as info:
        load_image(source, **kw)
    return info.value


def test_a_text_file_renamed_jpg_is_not_an_image(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("Anna Schmidt, Nordwind Logistik\n", encoding="utf-8")
    err = _error(path)
    assert "notes.jpg is not an image" in str(err)
    assert err.path == str(path)


def test_a_truncated_jpeg_is_reported_not_crashed(tmp_path):
    data = to_bytes(render_card(2), "JPEG", quality=90)
    path = tmp_path / "half.jpg"
    path.write_bytes(data[: len(data) // 2])
    err = _error(path)
    assert "half.jpg is damaged or truncated" in str(err)


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels (with a valid CRC) and
    whose data is a few bytes: a decompression bomb's shape, cheap to make."""
    real = to_bytes(Image.new("RGB", (8, 8), "white"), "PNG")
    ihdr = bytearray(real[16:29])  # the IHDR data after its length and type
    ihdr[0:8] = struct.pack(">II", width, height)
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)) & 0xFFFFFFFF)
    return real[:16] + bytes(ihdr) + crc + real[33:]


def test_a_huge_image_is_refused_before_decoding(tmp_path):
    path = tmp_path / "panorama.png"
    path.write_bytes(_png_claiming(9_000, 8_000))
    assert "panorama.png is too large (9000 x 8000 pixels, 72 megapixels; the limit is 60)" in str(_error(path))
    # Past Pillow's own bomb limit (179 megapixels) the header is refused by Pillow itself.
    path.write_bytes(_png_claiming(20_000, 15_000))
    assert "panorama.png is too large (over 60 megapixels)" in str(_error(path))


def test_a_huge_file_is_refused_by_its_size(tmp_path):
    path = tmp_path / "raw-scan.tif"
    with path.open("wb") as f:  # sparse: no 41 MB written to disk
        f.truncate(MAX_FILE_BYTES + 1024 * 1024)
    err = _error(path)
    assert "raw-scan.tif is too large (41 MB; the limit is 40 MB)" in str(err)


@pytest.mark.parametrize("colour", ["white", (40, 40, 40)])
def test_a_blank_image_is_refused(tmp_path, colour):
    path = tmp_path / "blank.jpg"
    Image.new("RGB", (1200, 700), colour).save(path, quality=85)
    assert "blank.jpg is blank" in str(_error(path))


def test_a_dim_noisy_blank_photo_is_blank_but_faint_text_is_not():
    rng = np.random.default_rng(0)
    noisy = np.clip(rng.normal(70, 10, (700, 1200, 3)), 0, 255).astype(np.uint8)
    assert is_blank(LoadedImage.from_array(noisy, "n"))
    faint = Image.new("RGB", (1050, 600), "white")
    ImageDraw.Draw(faint).text((60, 300), "anna@nordwind.de", font=font(24), fill="black")
    assert not is_blank(LoadedImage.from_array(np.asarray(faint), "f"))


def test_a_zero_byte_file_is_empty(tmp_path):
    path = tmp_path / "IMG_0001.jpg"
    path.touch()
    assert "IMG_0001.jpg is empty (0 bytes)" in str(_error(path))


def test_a_missing_path_and_a_folder(tmp_path):
    assert "gone.jpg does not exist" in str(_error(tmp_path / "gone.jpg"))
    folder = tmp_path / "cards"
    folder.mkdir()
    assert "cards is a folder" in str(_error(folder))


def test_one_bad_file_does_not_stop_a_batch(tmp_path):
    good = tmp_path / "good.png"
    render_card(3).save(good)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really")
    results = []
    for path in (bad, good, tmp_path / "missing.png"):
        try:
            results.append(load_image(path).name)
        except CaptureError as exc:
            results.append(f"error: {exc}")
    assert results[1] == "good.png"
    assert results[0].startswith("error: bad.jpg ") and results[2].startswith("error: missing.png ")


def test_stored_jpeg_is_downscaled_and_keeps_small_images():
    big = LoadedImage.from_array(np.asarray(render_card(0, width=3150, height=1800)), "big")
    data = stored_jpeg(big)
    assert data[:2] == b"\xff\xd8"
    with Image.open(io.BytesIO(data)) as back:
        assert back.size == (1600, 914) and back.format == "JPEG"
        assert not back.getexif()
    small = LoadedImage.from_array(np.asarray(render_card(0)), "small")
    with Image.open(io.BytesIO(stored_jpeg(small, max_side=1600, quality=60))) as back:
        assert back.size == (1050, 600)
    assert len(stored_jpeg(small, quality=60)) < len(stored_jpeg(small, quality=95))


def test_fit_within_and_rotated():
    img = LoadedImage.from_array(np.asarray(render_card(0)), "c")
    same, f = fit_within(img, 2000)
    assert same is img and f == 1.0
    small, f = fit_within(img, 525)
    assert (small.width, small.height, f) == (525, 300, 0.5)
    turned = rotated(img, 90)
    assert (turned.width, turned.height) == (600, 1050)
    # Clockwise: the top-left pixel goes to the top-right corner.
    assert np.array_equal(turned.rgb[0, -1], img.rgb[0, 0])
    assert np.array_equal(rotated(rotated(img, 90), 270).rgb, img.rgb)
