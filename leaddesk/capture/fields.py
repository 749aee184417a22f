"""What a card reader returns: plain dataclasses, the contract between the readers (OCR,
QR, vCard) and the services that save a capture. No Qt, no database.

Every reader fills :class:`CardFields`; ``confidence`` holds, per field name, how sure the
reader is (0..1): OCR combines the engine's line score with how well the field's rule
matched; a QR code or a vCard says exactly what it means, so its fields get 1.0.
:meth:`CardFields.to_json` is the shape `leaddesk capture --json` prints.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

PhoneType = Literal["mobile", "office", "fax", "other"]
Source = Literal["qr", "ocr", "vcard"]

#: The field names ``confidence`` may hold, in the order a review form shows them.
FIELD_NAMES = ("given_name", "family_name", "title", "company", "emails", "phones", "website", "address")


@dataclass
class Phone:
    #: E.164 (``+493012345678``) when it parses, else the number as printed.
    number: str
    type: PhoneType = "other"
    #: As printed on the card.
    raw: str = ""
    #: False when libphonenumber calls it invalid: kept all the same, flagged for review.
    valid: bool = True


@dataclass
class Address:
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    #: ISO 3166-1 alpha-2, upper case.
    country: str | None = None
    #: The address as printed (lines joined by ", ").
    text: str = ""

    def one_line(self) -> str:
        if self.text:
            return self.text
        parts = [self.street, " ".join(p for p in (self.postal_code, self.city) if p), self.region, self.country]
        return ", ".join(p for p in parts if p)


@dataclass
class TextLine:
    """One line of text found on an image, as the OCR engine gives it."""

    text: str
    #: 0..1, the engine's own score for the line.
    score: float
    #: Axis-aligned box in image pixels: left, top, right, bottom.
    box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)


@dataclass
class CardFields:
    given_name: str | None = None
    family_name: str | None = None
    title: str | None = None
    company: str | None = None
    emails: list[str] = field(default_factory=list)
    phones: list[Phone] = field(default_factory=list)
    website: str | None = None
    address: Address | None = None
    #: Anything else worth keeping (a vCard NOTE, an unclassified OCR line).
    note: str | None = None
    #: Field name (FIELD_NAMES) -> 0..1.
    confidence: dict[str, float] = field(default_factory=dict)
    source: Source = "ocr"
    #: Every line read, top to bottom (OCR), or the payload's text (QR, vCard).
    raw_text: str = ""
    #: A photo carried by a vCard (bytes of a JPEG/PNG), None otherwise.
    photo: bytes | None = None

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.given_name, self.family_name) if p)

    def is_empty(self) -> bool:
        return not (self.given_name or self.family_name or self.company or self.emails or self.phones)

    def to_json(self) -> dict:
        """The shape `leaddesk capture --json` prints for one card."""
        return {
            "given_name": self.given_name,
            "family_name": self.family_name,
            "title": self.title,
            "company": self.company,
            "emails": list(self.emails),
            "phones": [{"number": p.number, "type": p.type, "raw": p.raw, "valid": p.valid} for p in self.phones],
            "website": self.website,
            "address": self.address.one_line() if self.address else None,
            "address_parts": asdict(self.address) if self.address else None,
            "note": self.note,
            "confidence": {k: round(v, 3) for k, v in self.confidence.items()},
            "source": self.source,
            "raw_text": self.raw_text,
        }


class CaptureError(Exception):
    """A file that cannot be read as a card: not an image, truncated, too large, blank, or
    a vCard that does not parse. The message is a sentence for the user, naming the file."""

    def __init__(self, message: str, *, path: str | None = None):
        super().__init__(message)
        self.path = path
