"""From the bytes of a ``.vcf`` file to the content lines of each card, with vobject.

vobject unfolds lines, joins quoted-printable soft line breaks (2.1), decodes
quoted-printable with the property's CHARSET, and parses names, groups and parameters
(quoted values, 2.1 bare parameters such as ``TEL;CELL;VOICE``). What is done here is only
what it does not do, or does in a way that loses a whole file:

* the file's bytes: a UTF-16 or UTF-8 byte-order mark, else each line as UTF-8 when it is,
  else in the charset its 2.1 CHARSET parameter names, else as Windows-1252 (a Latin-1
  export, or one line of it in an otherwise UTF-8 file);
  line ends ``\\r\\r\\n`` (iOS 5) and bare ``\\r`` count as one line end;
* cards are cut apart here, so one broken card never takes the others with it (vobject's
  reader stops at the first error of a file);
* a card is read line by line (vobject's ``getLogicalLines`` and ``textLineToContentLine``)
  rather than as a component: the component reader decodes every value when it meets the
  VERSION line, so one damaged photo (bad base64) or an unknown ``PROFILE`` line loses the
  card, and its text behaviour keeps only the part of a 2.1 value before its first comma;
* quoted-printable bytes that are not valid in their charset (an Android export writes a
  stray ``=80``) are decoded leniently instead of failing the line.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
from dataclasses import dataclass

from vobject.base import ContentLine, ParseError, getLogicalLines, parseLine, textLineToContentLine

_BEGIN = re.compile(r"^\s*BEGIN\s*:\s*VCARD\s*$", re.IGNORECASE)
_END = re.compile(r"^\s*END\s*:\s*VCARD\s*$", re.IGNORECASE)
_LINE_END = re.compile(r"\r*\n|\r+")

# vobject logs every line it cannot parse at ERROR level; the reader reports them itself.
logging.getLogger("vobject.base").setLevel(logging.CRITICAL)


@dataclass
class CardText:
    """One card as it stands in the file: its text and where it starts (1-based line)."""

    text: str
    line: int
    #: False when the file ends before the card's END:VCARD.
    complete: bool = True


def decode_file(data: bytes | str) -> str:
    """The file's text with every line end as ``\\n``."""
    if isinstance(data, str):
        text = data.lstrip("\ufeff")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace").lstrip("\ufeff")
    elif data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        text = data.decode("utf-32", errors="replace").lstrip("\ufeff")
    elif _looks_utf16(data):
        text = data.decode("utf-16-le" if data[1:2] == b"\x00" else "utf-16-be", errors="replace")
    else:
        text = "\n".join(_decode_line(line) for line in data.removeprefix(codecs.BOM_UTF8).split(b"\n"))
    return _LINE_END.sub("\n", text)


def _looks_utf16(data: bytes) -> bool:
    head = data[:200]
    return len(head) >= 8 and head.count(b"\x00") * 3 >= len(head)


_CHARSET = re.compile(rb"^[^:]*?;\s*CHARSET=\"?([A-Za-z0-9_.:-]+)", re.IGNORECASE)


def _decode_line(raw: bytes) -> str:
    """One line's bytes: UTF-8 when they are, else the line's own 2.1 CHARSET parameter
    (``N;CHARSET=SHIFT_JIS:...``), else Windows-1252, else Latin-1 (which decodes anything)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _CHARSET.match(raw)
    if declared:
        try:
            return raw.decode(declared.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def split_cards(text: str) -> list[CardText]:
    """Each BEGIN:VCARD .. END:VCARD block (nested ones, a 2.1 AGENT, stay inside theirs)."""
    cards: list[CardText] = []
    current: list[str] = []
    depth = 0
    start = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if _BEGIN.match(line):
            if depth == 0:
                current, start = [], number
            depth += 1
        if depth:
            current.append(line)
        if _END.match(line) and depth:
            depth -= 1
            if depth == 0:
                cards.append(CardText("\n".join(current), start))
    if depth:
        cards.append(CardText("\n".join(current), start, complete=False))
    return cards


def content_lines(card: CardText) -> tuple[list[ContentLine], list[str]]:
    """The card's properties (BEGIN/END/VERSION left out, nested cards skipped) and the
    names of the lines that could not be read at all."""
    lines: list[ContentLine] = []
    unreadable: list[str] = []
    depth = 0
    for logical, number in getLogicalLines(io.StringIO(card.text), allowQP=True):
        line = _content_line(logical, number)
        if line is None:
            unreadable.append(logical.split(":", 1)[0][:40] or f"line {card.line + number}")
            continue
        name = line.name.upper()
        if name == "BEGIN":
            depth += 1
            continue
        if name == "END":
            depth -= 1
            continue
        if depth == 1 and name != "VERSION":
            lines.append(line)
    return lines, unreadable


def _content_line(logical: str, number: int) -> ContentLine | None:
    try:
        return textLineToContentLine(logical, number)
    except (UnicodeDecodeError, LookupError):
        return _lenient_quoted_printable(logical, number)
    except ParseError:
        return None


def _lenient_quoted_printable(logical: str, number: int) -> ContentLine | None:
    """A quoted-printable value whose bytes are not valid in its charset: decoded with the
    charset where it can be, the bytes that cannot left out."""
    try:
        name, params, value, group = parseLine(logical, number)
    except ParseError:
        return None
    charset = None
    kept = []
    for param in params:
        key = param[0].upper()
        if key == "CHARSET" and len(param) > 1:
            charset = param[1]
        if key == "ENCODING" or (len(param) == 1 and key == "QUOTED-PRINTABLE"):
            continue
        kept.append(param)
    raw = codecs.decode(value.encode("utf-8"), "quoted-printable")
    return ContentLine(name, kept, _decode_bytes(raw, charset), group=group, encoded=True, lineNumber=number)


def _decode_bytes(raw: bytes, charset: str | None) -> str:
    """With no CHARSET, UTF-8 if the bytes are, else Windows-1252 (old Outlook writes
    Latin-1 without saying so); with one, its bytes that do not decode are left out."""
    if charset is None:
        return _decode_line(raw)
    try:
        return raw.decode(charset, errors="replace").replace("\ufffd", "")
    except LookupError:
        return _decode_line(raw)
