"""One card image in, its fields out: the pipeline the capture window, the batch queue
and ``leaddesk capture`` all run.

load (``images``) -> codes (``qr``): a vCard or MECARD payload says exactly who the
person is, so it wins and no OCR runs -> otherwise OCR with the rotation retry (``ocr``)
-> the field rules (``extract``). The image kept is the upright one (rotation applied),
so the review form shows it the way it reads and the stored copy is upright too.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from leaddesk.capture.fields import CardFields
from leaddesk.capture.images import LoadedImage, load_image, rotated, stored_jpeg


@dataclass(eq=False)
class CardRead:
    fields: CardFields
    #: The image upright (turned by ``rotation``).
    image: LoadedImage
    #: What to keep on the contact (``images.stored_jpeg`` of ``image``).
    stored_jpeg: bytes
    #: Seconds per step: load, qr, ocr, extract (the steps that did not run are 0.0).
    timings: dict[str, float] = field(default_factory=dict)
    #: Degrees clockwise the photo was turned to read it (0, 90, 180, 270).
    rotation: int = 0
    #: Every code payload found, understood or not (a bare URL on a badge, say).
    payloads: list[str] = field(default_factory=list)


def read_card(source: str | os.PathLike | bytes | LoadedImage, *, name: str | None = None,
              default_region: str | None = None) -> CardRead:
    """Read one card image: a path, the bytes of an image, or an already loaded image.

    ``default_region`` (ISO 3166-1 alpha-2, e.g. the event's country) is the last resort
    for phone numbers printed without a country prefix. Raises
    :class:`~leaddesk.capture.fields.CaptureError` for a file that is not a readable,
    non-blank image."""
    # The readers load on first use: a QR card never pays for the OCR rules, and the
    # engines' modules stay out of ``import leaddesk.capture.reader``.
    from leaddesk.capture import qr

    timings = {"load": 0.0, "qr": 0.0, "ocr": 0.0, "extract": 0.0}
    t0 = time.perf_counter()
    img = source if isinstance(source, LoadedImage) else load_image(source, name=name)
    t1 = time.perf_counter()
    timings["load"] = t1 - t0

    payloads = qr.decode_qr(img)
    fields = None
    if payloads:
        from leaddesk.capture.vcard import parse_payload
    for payload in payloads:
        parsed = parse_payload(payload)
        # A contact code with nobody in it (a vCard holding only a URL) does not stop OCR.
        if parsed is not None and not parsed.is_empty():
            fields = parsed
            fields.source = "qr"
            break
    t2 = time.perf_counter()
    timings["qr"] = t2 - t1

    rotation = 0
    if fields is None:
        from leaddesk.capture import ocr
        from leaddesk.capture.extract import extract_fields

        lines, rotation = ocr.read_lines_rotating(img)
        t3 = time.perf_counter()
        timings["ocr"] = t3 - t2
        fields = extract_fields(lines, default_region=default_region)
        timings["extract"] = time.perf_counter() - t3
        if rotation:
            img = rotated(img, rotation)
        _keep_unparsed(fields, payloads)

    return CardRead(fields=fields, image=img, stored_jpeg=stored_jpeg(img), timings=timings,
                    rotation=rotation, payloads=payloads)


def _keep_unparsed(fields: CardFields, payloads: list[str]) -> None:
    """A code that is not a contact (often the company's URL) is not thrown away: a URL
    fills an empty website, anything else goes to the note."""
    for payload in payloads:
        text = payload.strip()
        if not fields.website and text.lower().startswith(("http://", "https://", "www.")) and " " not in text:
            fields.website = text
            fields.confidence["website"] = 1.0
        elif text not in (fields.note or ""):
            fields.note = f"{fields.note}\n{text}" if fields.note else text
