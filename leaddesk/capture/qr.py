"""QR codes (and the other 2-D codes badges carry: Data Matrix, Aztec, PDF417) on a card
photo, decoded with zxing-cpp before any OCR. A dense vCard code photographed small is
often missed at its native size: the decoder then tries the image upscaled with an
unsharp mask, then a binarised copy. Returns the payload texts; what they mean (vCard,
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
#: The upscaled retry stops at this longer side (a 12-megapixel photo is not doubled).
MAX_RETRY_SIDE = 4000


def decode_qr(img: LoadedImage) -> list[str]:
    """Payload texts of the codes found on ``img``, in reading order, without repeats;
    an empty list when there is none."""
    grey = cv2.cvtColor(img.rgb, cv2.COLOR_RGB2GRAY)
    found = _read(grey)
    if found:
        return found
    longest = max(grey.shape)
    scale = min(2.0, MAX_RETRY_SIDE / longest) if longest else 1.0
    big = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC) if scale > 1.0 else grey
    sharp = unsharp(big)
    found = _read(sharp)
    if found:
        return found
    _, binary = cv2.threshold(sharp, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return _read(binary, binarizer=zxingcpp.Binarizer.BoolCast)


def unsharp(grey: np.ndarray, *, sigma: float = 2.0, amount: float = 2.0) -> np.ndarray:
    """``grey`` with an unsharp mask: edges between modules made crisp again."""
    blurred = cv2.GaussianBlur(grey, (0, 0), sigma)
    return cv2.addWeighted(grey, 1.0 + amount, blurred, -amount, 0)


def _read(grey: np.ndarray, *, binarizer=zxingcpp.Binarizer.LocalAverage) -> list[str]:
    codes = zxingcpp.read_barcodes(grey, formats=FORMATS, binarizer=binarizer)
    codes = sorted(codes, key=lambda c: (c.position.top_left.y, c.position.top_left.x))
    texts: list[str] = []
    for code in codes:
        if code.valid and code.text and code.text not in texts:
            texts.append(code.text)
    return texts
