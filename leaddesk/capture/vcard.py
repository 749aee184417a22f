"""vCard files and QR payloads -> :class:`CardFields`, and cards -> vCard text.

* :func:`parse_vcards` reads a ``.vcf`` file: vCard 2.1, 3.0 and 4.0, several cards per
  file, quoted-printable, folded lines, photos, Apple's grouped labels, UTF-8, UTF-16 and
  Latin-1/Windows-1252 files. :func:`parse_vcards_report` does the same and also says what
  it could not read: a broken card is reported and the others are still read.
* :func:`parse_payload` reads what a QR code on a card or badge holds: a vCard, a MECARD
  or a BIZCARD; anything else (a bare URL, plain text) gives None.
* :func:`to_vcard` writes cards as vCard 3.0 (or 4.0) that vobject and other readers read
  back to the same fields.

The choices (which of several addresses is kept, how phone types map) are written in
``_vcard_read.py``; the work-arounds for vobject's gaps in ``_vcard_lines.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from leaddesk.capture._vcard_lines import content_lines, decode_file, split_cards
from leaddesk.capture._vcard_qr import parse_bizcard, parse_mecard
from leaddesk.capture._vcard_read import card_fields
from leaddesk.capture._vcard_write import write_vcards
from leaddesk.capture.fields import CaptureError, CardFields

__all__ = ["VcardReport", "parse_payload", "parse_vcards", "parse_vcards_report", "to_vcard"]


class VcardReport(NamedTuple):
    #: The cards read, in file order.
    cards: list[CardFields]
    #: One sentence per card left out, or per value left out of a card that was read
    #: ("Card 5 (Ñ Ñ): its photo is damaged and was left out.").
    errors: list[str]


def parse_vcards_report(data: bytes | str, *, name: str | None = None,
                        default_region: str | None = None) -> VcardReport:
    """Every card the data holds and what could not be read. Never raises for a damaged
    card; raises :class:`CaptureError` only when the data holds no vCard at all.

    ``name`` (the file's name) goes into the messages; ``default_region`` (ISO code, the
    event's country) is the last region tried for phone numbers written without their
    country code, after the card's own address countries and e-mail domains.
    """
    label = f"“{name}”" if name else "This data"
    text = decode_file(data)
    blocks = split_cards(text)
    if not blocks:
        raise CaptureError(
            f"{label} is not a vCard file: it holds no BEGIN:VCARD line. "
            "Export the contacts as vCard (.vcf) and try again.", path=name)
    cards: list[CardFields] = []
    errors: list[str] = []
    for number, block in enumerate(blocks, start=1):
        try:
            lines, unreadable = content_lines(block)
            fields, problems = card_fields(lines, raw_text=block.text, default_region=default_region)
        except Exception as exc:  # noqa: BLE001 - one card's surprise never loses the file's other cards
            errors.append(f"Card {number} (line {block.line}) was left out: it could not be read ({exc}).")
            continue
        who = f"Card {number} ({_who(fields)}, line {block.line})" if not fields.is_empty() else f"Card {number} (line {block.line})"
        if not block.complete:
            problems.insert(0, "the file ends before its END:VCARD, so it may be incomplete")
        if unreadable:
            problems.append(f"{_plural(len(unreadable), 'line')} could not be read and "
                            f"{'was' if len(unreadable) == 1 else 'were'} left out ({', '.join(unreadable[:5])})")
        if fields.is_empty():
            errors.append(f"{who} was left out: it holds no name, company, e-mail or phone that could be read.")
            continue
        cards.append(fields)
        errors += [f"{who}: {problem}." for problem in problems]
    if not cards:
        raise CaptureError(f"{label} holds no vCard that could be read. " + " ".join(errors), path=name)
    return VcardReport(cards, errors)


def parse_vcards(data: bytes | str, *, name: str | None = None, default_region: str | None = None) -> list[CardFields]:
    """The cards of a ``.vcf`` file (source "vcard", every field present at confidence
    1.0). Raises :class:`CaptureError` when the data holds no card; damaged cards are
    skipped (:func:`parse_vcards_report` says which)."""
    return parse_vcards_report(data, name=name, default_region=default_region).cards


def parse_payload(text: str, *, default_region: str | None = None) -> CardFields | None:
    """A QR code's text as a card (source "qr"): a vCard, a MECARD or a BIZCARD. None
    for anything else, a bare URL or plain text, and for a vCard with nothing readable."""
    payload = text.strip().lstrip("\ufeff")
    head = payload[:12].upper()
    if head.startswith("BEGIN:VCARD"):
        try:
            cards = parse_vcards_report(payload, default_region=default_region).cards
        except CaptureError:
            return None
        fields = cards[0]
    elif head.startswith("MECARD:"):
        fields = parse_mecard(payload, default_region=default_region)
    elif head.startswith("BIZCARD:"):
        fields = parse_bizcard(payload, default_region=default_region)
    else:
        return None
    if fields is None or fields.is_empty():
        return None
    fields.source = "qr"
    fields.raw_text = text
    return fields


def to_vcard(cards: Iterable[CardFields], *, version: str = "3.0") -> str:
    """The cards as one vCard text (CRLF line ends, folded at 75 octets), version "3.0"
    or "4.0"; the photo goes along when the card has one, on one unfolded line as
    vobject writes it (Apple's Address Book misreads a folded photo)."""
    if version not in ("3.0", "4.0"):
        raise ValueError(f"vCard version {version!r} is not written; use '3.0' or '4.0'.")
    return write_vcards(list(cards), version=version)


def _who(fields: CardFields) -> str:
    return fields.display_name or fields.company or (fields.emails[0] if fields.emails else "") or fields.phones[0].number


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
