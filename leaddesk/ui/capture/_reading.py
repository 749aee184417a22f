"""What the capture window runs in its capture pool: warm the OCR engine up, read one card.

Thin calls into ``leaddesk.capture`` (no Qt here, so this runs on any thread).
"""

from __future__ import annotations

from typing import Any

from leaddesk.capture import extract, ocr, reader


def warm_up() -> None:
    """Load the OCR engine and its models (about 2.5 s cold) and the field rules' word tables
    (about 0.6 s) so the first card reads as fast as the others."""
    ocr.warm_up()
    extract.warm_up()


def read_one(source: Any, *, name: str, default_region: str | None = None) -> reader.CardRead:
    """The card in ``source`` (a path or image bytes): its QR code if it holds a contact,
    else OCR and the field rules. Raises CaptureError for a file that is no card image."""
    return reader.read_card(source, name=name, default_region=default_region)
