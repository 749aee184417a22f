"""Loading a card photo safely: whatever the user drops on the capture window (a phone
photo with an EXIF rotation, a transparent PNG, a screenshot, a text file renamed .jpg, a
half-copied JPEG, a 200-megapixel panorama) becomes either an upright RGB array or a
:class:`~leaddesk.capture.fields.CaptureError` whose message is one sentence naming the
file. Nothing here crashes on a bad file and nothing decodes more pixels than it allows.

``stored_jpeg`` is the copy kept on the contact: downscaled, re-encoded, EXIF dropped.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from leaddesk.capture.fields import CaptureError

#: A card photo larger than this is not a card photo (a phone's full-size JPEG is 3-12 MB).
MAX_FILE_BYTES = 40 * 1024 * 1024
#: Decoded size limit: 60 megapixels is 180 MB of RGB, the most we agree to hold.
MAX_PIXELS = 60_000_000
#: Standard deviation (grey levels, 0..255) of a small greyscale thumbnail under which an
#: image counts as blank. A white card with one short e-mail line on it measures about
#: 4.6; a blank sheet photographed in dim light with sensor noise under 1.
BLANK_STDDEV = 2.5
_THUMB = 128


@dataclass(eq=False)
class LoadedImage:
    """An upright image: EXIF orientation applied, transparency flattened onto white."""

    #: numpy uint8 array, height x width x 3, RGB.
    rgb: np.ndarray
    width: int
    height: int
    #: What to call the image in messages: the file name, or the name the caller gave.
    name: str

    @classmethod
    def from_array(cls, rgb: np.ndarray, name: str) -> LoadedImage:
        rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
        return cls(rgb=rgb, width=int(rgb.shape[1]), height=int(rgb.shape[0]), name=name)


def load_image(source: str | os.PathLike | bytes, *, name: str | None = None) -> LoadedImage:
    """Read ``source`` (a path, or the bytes of an image, e.g. pasted from the clipboard).

    Raises :class:`CaptureError` naming the file when it is missing, empty, not an image,
    truncated, too large (file over 40 MB or image over 60 megapixels) or blank."""
    data, label, path = _read_bytes(source, name)
    try:
        with warnings.catch_warnings():
            # Our own pixel limit is lower than Pillow's warning threshold; a file that
            # still trips it is refused as too large, never decoded.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                _check_pixels(im, label, path)
                rgb = _decode(im, label, path)
    except CaptureError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses a header past twice its own limit before we see the size.
        raise CaptureError(
            f"{label} is too large (over {MAX_PIXELS // 1_000_000} megapixels), not a card photo.", path=path
        ) from exc
    except UnidentifiedImageError as exc:
        raise CaptureError(
            f"{label} is not an image LeadDesk can read (JPEG, PNG, WebP, TIFF, BMP or GIF).", path=path
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CaptureError(f"{label} is damaged or truncated and cannot be read ({exc}).", path=path) from exc
    img = LoadedImage.from_array(rgb, label)
    if is_blank(img):
        raise CaptureError(f"{label} is blank: the image has no text or code on it to read.", path=path)
    return img


def _read_bytes(source, name: str | None) -> tuple[bytes, str, str | None]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        label = name or "The pasted image"
        if not data:
            raise CaptureError(f"{label} is empty (0 bytes).")
        if len(data) > MAX_FILE_BYTES:
            raise CaptureError(f"{label} is too large ({_mb(len(data))}; the limit is {_mb(MAX_FILE_BYTES)}).")
        return data, label, None
    path = Path(os.fspath(source))
    label = name or path.name or str(path)
    where = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise CaptureError(f"{label} does not exist ({where}).", path=where) from None
    except OSError as exc:
        raise CaptureError(f"{label} cannot be opened ({exc.strerror or exc}).", path=where) from exc
    if path.is_dir():
        raise CaptureError(f"{label} is a folder, not an image.", path=where)
    if size == 0:
        raise CaptureError(f"{label} is empty (0 bytes).", path=where)
    if size > MAX_FILE_BYTES:
        raise CaptureError(f"{label} is too large ({_mb(size)}; the limit is {_mb(MAX_FILE_BYTES)}).", path=where)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CaptureError(f"{label} cannot be read ({exc.strerror or exc}).", path=where) from exc
    return data, label, where


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def _check_pixels(im: Image.Image, label: str, path: str | None) -> None:
    # The header alone gives the size: a "bomb" is refused before a pixel is decoded.
    w, h = im.size
    if w <= 0 or h <= 0:
        raise CaptureError(f"{label} has no pixels.", path=path)
    if w * h > MAX_PIXELS:
        raise CaptureError(
            f"{label} is too large ({w} x {h} pixels, {w * h / 1e6:.0f} megapixels; "
            f"the limit is {MAX_PIXELS // 1_000_000}).", path=path)


def _decode(im: Image.Image, label: str, path: str | None) -> np.ndarray:
    im.seek(0)  # the first frame of a GIF or multi-page TIFF
    im.load()  # raises OSError on a truncated file (LOAD_TRUNCATED_IMAGES stays False)
    try:
        upright = ImageOps.exif_transpose(im)
    except Exception:  # a broken EXIF block: keep the image as stored  # noqa: BLE001
        upright = im
    if upright is None:
        upright = im
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    if has_alpha:
        rgba = upright.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        upright = Image.alpha_composite(white, rgba)
    elif upright.mode.startswith("I;16") or upright.mode in ("I", "F"):
        # 16-bit / float greyscale: scale to 8 bits instead of clipping to white.
        arr = np.asarray(upright, dtype=np.float64)
        span = float(arr.max() - arr.min()) or 1.0
        upright = Image.fromarray(((arr - arr.min()) * (255.0 / span)).astype(np.uint8))
    return np.asarray(upright.convert("RGB"), dtype=np.uint8)


def is_blank(img: LoadedImage, *, threshold: float = BLANK_STDDEV) -> bool:
    """True when the image is (almost) uniform: nothing on it to read."""
    grey = Image.fromarray(img.rgb).convert("L")
    grey.thumbnail((_THUMB, _THUMB), Image.Resampling.BOX)
    return float(np.asarray(grey, dtype=np.float32).std()) < threshold


def fit_within(img: LoadedImage, max_side: int) -> tuple[LoadedImage, float]:
    """``img`` downscaled so that its longer side is at most ``max_side`` pixels, and the
    factor applied (1.0 when it already fits: the same object is returned)."""
    longest = max(img.width, img.height)
    if longest <= max_side:
        return img, 1.0
    factor = max_side / longest
    size = (max(1, round(img.width * factor)), max(1, round(img.height * factor)))
    small = Image.fromarray(img.rgb).resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return LoadedImage.from_array(np.asarray(small), img.name), factor


def rotated(img: LoadedImage, degrees: int) -> LoadedImage:
    """``img`` turned clockwise by 0, 90, 180 or 270 degrees."""
    turns = (degrees // 90) % 4
    if turns == 0:
        return img
    return LoadedImage.from_array(np.rot90(img.rgb, k=-turns), img.name)


def stored_jpeg(img: LoadedImage, *, max_side: int = 1600, quality: int = 82) -> bytes:
    """The copy of the card kept on the contact: at most ``max_side`` pixels on its longer
    side, baseline-optimised JPEG, no metadata (the EXIF rotation is already applied)."""
    small, _ = fit_within(img, max_side)
    out = io.BytesIO()
    Image.fromarray(small.rgb).save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()
