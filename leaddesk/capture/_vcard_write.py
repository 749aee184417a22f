"""Cards -> vCard text, built and serialised by vobject (escaping, folding, CRLF).

3.0 writes the types as RFC 2426 does (``TEL;TYPE=CELL``, ``EMAIL;TYPE=INTERNET``) and
the photo as ``ENCODING=b``; 4.0 writes lower-case types, E.164 numbers as ``tel:`` URIs
and the photo as a ``data:`` URI (RFC 6350). The mapping back is the reader's, so a card
written here reads back to the same fields.
"""

from __future__ import annotations

import base64

import pycountry
import vobject
from vobject.vcard import Address as VAddress
from vobject.vcard import Name as VName

from leaddesk.capture import _vcard_values as values
from leaddesk.capture.fields import CardFields

_TEL_TYPES = {"mobile": ["CELL", "VOICE"], "office": ["WORK", "VOICE"], "fax": ["FAX"], "other": ["VOICE"]}


def write_vcards(cards: list[CardFields], *, version: str) -> str:
    return "".join(_write(card, version) for card in cards)


def _types(names: list[str], version: str) -> list[str]:
    return [n.lower() for n in names] if version == "4.0" else names


def _write(card: CardFields, version: str) -> str:
    v = vobject.vCard()
    v.add("n").value = VName(family=card.family_name or "", given=card.given_name or "")
    # FN is required; a card with no name shows its company, e-mail or number, which the
    # reader does not take for a name.
    v.add("fn").value = (card.display_name or card.company or (card.emails[0] if card.emails else "")
                         or (card.phones[0].number if card.phones else ""))
    if card.company:
        v.add("org").value = [card.company]
    if card.title:
        v.add("title").value = card.title
    for index, email in enumerate(card.emails):
        line = v.add("email")
        line.value = email
        kinds = ([] if version == "4.0" else ["INTERNET"]) + (["PREF"] if index == 0 and len(card.emails) > 1 else [])
        if kinds:
            line.type_param = _types(kinds, version)
    for phone in card.phones:
        line = v.add("tel")
        if version == "4.0" and phone.number.startswith("+") and phone.valid:
            _uri(line, f"tel:{phone.number}")
            line.value_param = "uri"
        else:
            line.value = phone.number
        line.type_param = _types(_TEL_TYPES.get(phone.type, ["VOICE"]), version)
    if card.website:
        _uri(v.add("url"), card.website)
    if card.address:
        _address(v, card, version)
    if card.note:
        v.add("note").value = card.note
    if card.photo:
        _photo(v, card.photo, version)
    text = v.serialize()
    # vobject's vCard behaviour writes VERSION:3.0; the 4.0 spellings are set above.
    return text.replace("VERSION:3.0", f"VERSION:{version}", 1)


def _uri(line, value: str) -> None:
    """A URI is written as it is: vobject would backslash-escape its commas and
    semicolons as if it were text (RFC 2426 and 6350 give URIs no escapes)."""
    line.value = value
    line.encoded = True


def _address(v, card: CardFields, version: str) -> None:
    a = card.address
    country = ""
    if a.country:
        found = pycountry.countries.get(alpha_2=a.country)
        country = (getattr(found, "common_name", None) or found.name) if found else a.country
    street = a.street or ("" if (a.city or a.region or a.postal_code or a.country) else a.text)
    line = v.add("adr")
    line.value = VAddress(street=street or "", city=a.city or "", region=a.region or "",
                          code=a.postal_code or "", country=country)
    line.type_param = _types(["WORK"], version)


def _photo(v, data: bytes, version: str) -> None:
    mime = values.photo_mime(data)
    line = v.add("photo")
    if version == "4.0":
        _uri(line, f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}")
        line.value_param = "uri"
    else:
        line.value = data
        line.encoding_param = "b"
        line.type_param = mime.split("/", 1)[1].upper()
