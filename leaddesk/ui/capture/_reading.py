"""What the capture window runs in its worker: warm the OCR engine up, read one card.

Thin calls into ``leaddesk.capture`` (no Qt here, so this runs on any thread). Until the
reader engine of issue #14 is in this tree, a card is read with the OCR wrapper alone:
every line in the raw text and nothing guessed, which keeps the window usable.
"""

from __future__ import annotations

import importlib.util
import io
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leaddesk.capture import ocr
from leaddesk.capture.fields import CaptureError, CardFields


def warm_up() -> None:
    """Load the OCR engine (about 2.5 s cold) so the first card reads at full speed."""
    fn = getattr(ocr, "warm_up", None)
    if fn is not None:
        fn()
    else:  # the minimal wrapper
        ocr.engine()


def read_one(source: Any, *, name: str, default_region: str | None = None):
    """A :class:`leaddesk.capture.reader.CardRead` of ``source`` (a path or image bytes).
    Raises CaptureError for a file that is no card image."""
    if not all(importlib.util.find_spec(f"leaddesk.capture.{m}") for m in ("reader", "extract")):
        return _read_with_ocr_only(source, name)
    from leaddesk.capture import reader

    return reader.read_card(source, name=name, default_region=default_region)


@dataclass
class _OcrOnlyRead:
    fields: CardFields
    stored_jpeg: bytes
    timings: dict[str, float] = field(default_factory=dict)
    rotation: int = 0
    image: Any = None


def _read_with_ocr_only(source: Any, name: str) -> _OcrOnlyRead:
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    start = time.perf_counter()
    try:
        data = Path(source).read_bytes() if not isinstance(source, bytes) else source
        with Image.open(io.BytesIO(data)) as img:
            rgb = ImageOps.exif_transpose(img).convert("RGB")
    except (OSError, UnidentifiedImageError) as exc:
        raise CaptureError(f"{name} is not an image that can be read ({exc}).", path=str(source)) from exc
    loaded = time.perf_counter()
    lines = ocr.read_lines(np.asarray(rgb)[:, :, ::-1])
    rgb.thumbnail((1600, 1600))
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=82)
    text = "\n".join(line.text for line in lines)
    return _OcrOnlyRead(CardFields(raw_text=text, note=text or None), out.getvalue(),
                        {"load": loaded - start, "ocr": time.perf_counter() - loaded})
