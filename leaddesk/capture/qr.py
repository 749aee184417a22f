"""QR codes (and the other 2-D codes badges carry: Data Matrix, Aztec, PDF417) on a card
photo, decoded with zxing-cpp before any OCR. A dense vCard code photographed small is
often missed at its native size: the decoder then tries the image upscaled with an
unsharp mask, and a binarised copy when that pass saw a code it could not decode. Returns the payload texts; what they mean (vCard,
MECARD, a bare URL) is ``vcard.parse_payload``'s business.
"""

from __future__ import annotations

import cv2
import numpy as np
import zxingcpp

from leaddesk.capture.images import LoadedImage

#: Codes a card or a badge carries; linear barcodes (a badge's registration number) say
#: nothing about the person and cost time on every photo.
FORMATS = (zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.MicroQRCode,
           zxingcpp.BarcodeFormat.DataMatrix, zxingcpp.BarcodeFormat.Aztec,
           zxingcpp.BarcodeFormat.PDF417)
#: The first pass reads a copy at most this long (a 12-megapixel photo costs zxing-cpp
#: over a second at full size, its 1600-pixel copy a tenth of that); the retry reads one
#: twice as long (upscaled from a small image, downscaled from a big one), sharpened.
FIRST_SIDE = 1600
RETRY_SIDE = 3200


def decode_qr(img: LoadedImage) -> list[str]:
    """Payload texts of the codes found on ``img``, in reading order, without repeats;
    an empty list when there is none."""
    grey = cv2.cvtColor(img.rgb, cv2.COLOR_RGB2GRAY)
    longest = max(grey.shape)
    first = _resized(grey, min(1.0, FIRST_SIDE / longest))
    found = _read(first)
    if found:
        return found
    # Dense codes: more pixels per module, edges made crisp again.
    sharp = unsharp(_resized(grey, min(2.0 * max(first.shape) / longest, RETRY_SIDE / longest)))
    # The retries skip what the first pass already tried: downscaled copies, turning (it
    # matters to linear codes only) and inverted codes; that keeps a 12-megapixel photo
    # without any code to a few tenths of a second.
    quick = {"try_downscale": False, "try_rotate": False, "try_invert": False}
    codes = zxingcpp.read_barcodes(sharp, formats=FORMATS, return_errors=True, **quick)
    found = _texts(codes)
    if found or not codes:
        return found
    # A code was seen but not decoded: try a hard black-and-white copy of it too.
    _, binary = cv2.threshold(sharp, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return _read(binary, binarizer=zxingcpp.Binarizer.BoolCast, **quick)


def _resized(grey: np.ndarray, scale: float) -> np.ndarray:
    if abs(scale - 1.0) < 1e-3:
        return grey
    method = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_CUBIC
    return cv2.resize(grey, None, fx=scale, fy=scale, interpolation=method)


def unsharp(grey: np.ndarray, *, sigma: float = 2.0, amount: float = 2.0) -> np.ndarray:
    """``grey`` with an unsharp mask: edges between modules made crisp again."""
    blurred = cv2.GaussianBlur(grey, (0, 0), sigma)
    return cv2.addWeighted(grey, 1.0 + amount, blurred, -amount, 0)


def _read(grey: np.ndarray, *, binarizer=zxingcpp.Binarizer.LocalAverage, **options) -> list[str]:
    return _texts(zxingcpp.read_barcodes(grey, formats=FORMATS, binarizer=binarizer, **options))


def _texts(codes) -> list[str]:
    codes = sorted(codes, key=lambda c: (c.position.top_left.y, c.position.top_left.x))
    texts: list[str] = []
    for code in codes:
        if code.valid and code.text and code.text not in texts:
            texts.append(code.text)
    return texts
