"""The demo's trade-show captures: a handful of leads captured at the demo's latest trade
show, made the way a rep makes them, from real inputs through the real services: badges
whose QR code (vCard or MECARD) is drawn, photographed as a JPEG and read back by the QR
reader, and a .vcf file a visitor sent from her phone, imported. Each lead has its card
(with the badge image), the show as its campaign and source, its capture time, and a score
and persona from the qualification engine.

OCR is not used here: the engine's cold start (~2.5 s) and ~1 s per card would slow down
every ``demo small`` (the tests build it often) for two leads; the QR and vCard paths take
about 0.1 s per lead. Apart from ``generate`` because these are written after its bulk
transaction, through the capture services, one small transaction each.
"""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import select

from leaddesk.db import Database
from leaddesk.errors import DuplicateContact
from leaddesk.models import Campaign
from leaddesk.models.enums import CampaignKind

#: Badges scanned at the booth: (QR payload, badge text lines, hours into the show).
BADGES = (
    ("BEGIN:VCARD\r\nVERSION:3.0\r\nN:Brandt;Helena;;;\r\nFN:Helena Brandt\r\nORG:Nordwind Logistik GmbH\r\n"
     "TITLE:Head of Warehouse Operations\r\nTEL;TYPE=CELL:+49 171 4402318\r\nTEL;TYPE=WORK:+49 40 88213400\r\n"
     "EMAIL;TYPE=WORK:h.brandt@nordwind-logistik.de\r\nURL:https://www.nordwind-logistik.de\r\n"
     "ADR;TYPE=WORK:;;Am Sandtorkai 41;Hamburg;;20457;Germany\r\nEND:VCARD",
     ("Helena Brandt", "Nordwind Logistik GmbH"), 2.5),
    ("MECARD:N:Moreau,Julien;ORG:Transports Moreau SA;TEL:+33 4 72 10 55 80;"
     "EMAIL:julien.moreau@transports-moreau.fr;URL:https://transports-moreau.fr;"
     "ADR:,,12 rue de la Republique,Lyon,,69002,FR;;",
     ("Julien Moreau", "Transports Moreau SA"), 5.0),
    ("BEGIN:VCARD\r\nVERSION:3.0\r\nN:Kowalczyk;Marta;;;\r\nFN:Marta Kowalczyk\r\nORG:Polskie Magazyny Sp. z o.o.\r\n"
     "TITLE:Supply Chain Director\r\nTEL;TYPE=CELL:+48 601 234 567\r\nEMAIL:m.kowalczyk@polskie-magazyny.pl\r\n"
     "ADR;TYPE=WORK:;;ul. Marszalkowska 10;Warszawa;;00-590;Poland\r\nEND:VCARD",
     ("Marta Kowalczyk", "Polskie Magazyny"), 26.0),
    ("MECARD:N:Jansen,Pieter;ORG:Havenlogistiek BV;TEL:+31 10 799 4410;EMAIL:pieter@havenlogistiek.nl;;",
     ("Pieter Jansen", "Havenlogistiek BV"), 29.5),
)
#: A visitor's .vcf, sent from her phone at the booth (two cards: hers and her colleague's).
VCF = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lindqvist;Sara;;;\r\nFN:Sara Lindqvist\r\nORG:Nordic Cold Chain AB\r\n"
    "TITLE:VP Operations\r\nTEL;TYPE=CELL:+46 70 123 45 67\r\nEMAIL;TYPE=WORK:sara.lindqvist@nordiccoldchain.se\r\n"
    "URL:https://nordiccoldchain.se\r\nADR;TYPE=WORK:;;Hamngatan 5;Stockholm;;111 47;Sweden\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Berg;Olof\r\nFN:Olof Berg\r\nORG:Nordic Cold Chain AB\r\nTITLE:IT Manager\r\n"
    "TEL;WORK;VOICE:+46 8 555 010 20\r\nEMAIL;INTERNET:olof.berg@nordiccoldchain.se\r\nEND:VCARD\r\n"
)


def badge_jpeg(payload: str, lines: tuple[str, ...], *, seed: int) -> bytes:
    """A conference badge with its QR code, as a phone photo of it would come (a JPEG)."""
    import numpy as np
    import zxingcpp
    from PIL import Image, ImageDraw, ImageFont

    card = Image.new("RGB", (900, 560), (252, 251, 247))
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, 900, 70), fill=(24, 72, 120))
    draw.text((30, 18), "VISITOR", fill=(255, 255, 255), font=ImageFont.load_default(size=30))
    for i, line in enumerate(lines):
        draw.text((30, 120 + i * 60), line, fill=(20, 20, 20), font=ImageFont.load_default(size=40 if i == 0 else 28))
    code = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode)
    qr = Image.fromarray(np.asarray(zxingcpp.write_barcode_to_image(code, scale=4))).convert("RGB")
    card.paste(qr, (900 - qr.width - 40, 560 - qr.height - 40))
    photo = card.rotate(1.5 + seed % 3, expand=True, fillcolor=(90, 90, 95))
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=85)
    return out.getvalue()


#: Printed business cards photographed at the booth (the large demo reads them with OCR):
#: lines top to bottom, hours into the show.
PRINTED = (
    (("Baumann Intralogistik AG", "Thomas Keller", "Leiter Einkauf", "Mobil +49 172 5550198",
      "t.keller@baumann-intralogistik.de", "www.baumann-intralogistik.de", "Industriestr. 7, 70565 Stuttgart"), 3.0),
    (("Fjord Freight AS", "Ingrid Solberg", "Logistics Manager", "Tel +47 22 40 18 50",
      "ingrid.solberg@fjordfreight.no", "www.fjordfreight.no", "Karl Johans gate 12, 0154 Oslo"), 27.0),
)


def card_png(lines: tuple[str, ...]) -> bytes:
    """A printed business card (white, dark text: company, name, title, contact lines)."""
    from PIL import Image, ImageDraw, ImageFont

    card = Image.new("RGB", (1050, 600), (255, 255, 255))
    draw = ImageDraw.Draw(card)
    sizes = (36, 44, 28) + (26,) * (len(lines) - 3)
    y = 45
    for i, (line, size) in enumerate(zip(lines, sizes)):
        draw.text((60, y), line, fill=(20, 60, 120) if i == 0 else (20, 20, 20), font=ImageFont.load_default(size=size))
        y += size + (40 if i in (0, 2) else 18)
    out = io.BytesIO()
    card.save(out, "PNG")
    return out.getvalue()


def latest_trade_show(db: Database, now: dt.datetime):
    """The demo's most recent trade show that has started (id, first day), or None."""
    with db.reader() as s:
        return s.execute(select(Campaign.id, Campaign.starts_on)
                         .where(Campaign.kind == CampaignKind.TRADE_SHOW, Campaign.deleted.is_(False),
                                Campaign.starts_on <= now.date())
                         .order_by(Campaign.starts_on.desc(), Campaign.id).limit(1)).first()


def add_captured_leads(db: Database, *, now: dt.datetime, read_codes: bool = False, ocr: bool = False) -> int:
    """Capture the demo's badges and .vcf at its latest trade show; returns the leads made.

    ``read_codes``: read each badge's QR code back from its photo with the capture reader
    (zxing-cpp, OpenCV: about 0.6 s more, mostly loading them; the large demo does it); else
    the badge's payload text goes straight to the payload parser, as the reader would hand
    it over, and the rendered photo is kept on the card all the same. ``ocr``: also read
    :data:`PRINTED` cards with the OCR reader (engine load ~2.5 s, ~1 s a card: the large
    demo only)."""
    from leaddesk.capture.vcard import parse_payload
    from leaddesk.services.capture import capture, vcards

    show = latest_trade_show(db, now)
    if show is None:
        return 0
    opened = dt.datetime.combine(show.starts_on, dt.time(9), tzinfo=dt.timezone.utc)
    made = 0
    for i, (payload, lines, hours) in enumerate(BADGES):
        photo = badge_jpeg(payload, lines, seed=i)
        texts = [payload]
        if read_codes:
            from leaddesk.capture.images import load_image, stored_jpeg
            from leaddesk.capture.qr import decode_qr

            img = load_image(photo, name=f"badge-{i + 1}.jpg")
            texts, photo = decode_qr(img), stored_jpeg(img)
        fields = next((f for f in map(parse_payload, texts) if f is not None), None)
        if fields is None:  # a code the reader could not read back: nothing to capture
            continue
        fields.source = "qr"
        try:
            capture.save_capture(db, fields, event_id=show.id, image_jpeg=photo,
                                 now=min(now, opened + dt.timedelta(hours=hours)))
        except DuplicateContact:
            continue
        made += 1
    if ocr:
        made += _read_printed(db, show.id, opened, now)
    result = vcards.import_vcf(db, VCF.encode(), event_id=show.id, name="booth-visitors.vcf",
                               now=min(now, opened + dt.timedelta(hours=31)))
    return made + result.created


def _read_printed(db: Database, event_id, opened: dt.datetime, now: dt.datetime) -> int:
    from leaddesk.capture.fields import CaptureError
    from leaddesk.capture.reader import read_card
    from leaddesk.errors import ValidationError
    from leaddesk.services.capture import capture, events

    region = events.default_region_of_event(db, event_id)
    made = 0
    for i, (lines, hours) in enumerate(PRINTED):
        try:
            read = read_card(card_png(lines), name=f"card-{i + 1}.png", default_region=region)
            capture.save_capture(db, read.fields, event_id=event_id, image_jpeg=read.stored_jpeg,
                                 fields_read=read.fields, now=min(now, opened + dt.timedelta(hours=hours)))
        except (CaptureError, ValidationError, DuplicateContact):
            continue  # a card the engine misread badly is left out of the demo, not half-saved
        made += 1
    return made
