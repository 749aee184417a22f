"""Business cards drawn with Pillow for the capture tests and benchmarks: a known text in
known places, optionally with a QR code printed on it, plus the degradations a phone photo
adds (rotation, blur, noise, dim light). DejaVu fonts ship with the machine."""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import zxingcpp
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

#: A few card texts: (name, title, company, e-mail, phone line, website, address).
SAMPLES = [
    ("Anna Schmidt", "Head of Procurement", "Nordwind Logistik GmbH", "anna.schmidt@nordwind-logistik.de",
     "Mobil +49 171 2345678", "www.nordwind-logistik.de", "Hafenstrasse 12, 20457 Hamburg"),
    ("James O'Connor", "Sales Director", "Brightline Analytics Ltd", "james@brightline.co.uk",
     "Tel +44 20 7946 0958", "brightline.co.uk", "221 Baker Street, London NW1 6XE"),
    ("Marie Dubois", "Responsable Marketing", "Atelier Lumière SA", "m.dubois@atelier-lumiere.fr",
     "Tél. +33 1 42 68 53 00", "www.atelier-lumiere.fr", "8 rue de Rivoli, 75004 Paris"),
    ("Carlos Mendes", "CTO", "Vela Software", "carlos.mendes@velasoftware.com",
     "Phone (415) 555-0132", "velasoftware.com", "500 Howard St, San Francisco, CA 94105"),
    ("Sofia Rossi", "Account Manager", "Ponte Digitale S.r.l.", "sofia.rossi@pontedigitale.it",
     "Cell +39 347 123 4567", "www.pontedigitale.it", "Via Roma 45, 10121 Torino"),
]


def font(size: int, *, bold: bool = False, serif: bool = False) -> ImageFont.FreeTypeFont:
    family = "DejaVuSerif" if serif else "DejaVuSans"
    return ImageFont.truetype(str(FONT_DIR / f"{family}{'-Bold' if bold else ''}.ttf"), size)


def qr_image(payload: str, *, module_px: int = 4) -> Image.Image:
    """A QR code of ``payload`` as a greyscale PIL image, ``module_px`` pixels per module."""
    code = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode)
    return Image.fromarray(np.asarray(zxingcpp.write_barcode_to_image(code, scale=module_px)))


def render_card(sample: int | tuple = 0, *, width: int = 1050, height: int = 600, serif: bool = False,
                qr: str | None = None, qr_module_px: int = 4) -> Image.Image:
    """A white 3.5 x 2 inch card at 300 dpi (1050 x 600) with the sample's seven lines."""
    lines = SAMPLES[sample % len(SAMPLES)] if isinstance(sample, int) else sample
    name, title, company, email, phone, web, address = lines
    card = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(card)
    s = width / 1050
    x = int(60 * s)
    d.text((x, int(50 * s)), company, font=font(int(38 * s), bold=True, serif=serif), fill=(20, 60, 120))
    d.text((x, int(150 * s)), name, font=font(int(46 * s), bold=True, serif=serif), fill="black")
    d.text((x, int(210 * s)), title, font=font(int(30 * s), serif=serif), fill=(60, 60, 60))
    y = int(320 * s)
    for text in (phone, email, web, address):
        d.text((x, y), text, font=font(int(28 * s), serif=serif), fill="black")
        y += int(50 * s)
    if qr:
        code = qr_image(qr, module_px=qr_module_px)
        card.paste(code.convert("RGB"), (width - code.width - int(30 * s), int(30 * s)))
    return card


def photographed(card: Image.Image, *, seed: int = 0, angle: float = 4.0, blur: float = 1.0,
                 noise: float = 8.0, light: float = 0.8) -> Image.Image:
    """``card`` as a phone would see it: on a darker desk, slightly tilted, soft, noisy, dim."""
    rng = random.Random(seed)
    desk = Image.new("RGB", (int(card.width * 1.25), int(card.height * 1.35)), (90, 80, 70))
    tilted = card.rotate(rng.uniform(-angle, angle), resample=Image.Resampling.BICUBIC, expand=True,
                         fillcolor=(90, 80, 70))
    desk.paste(tilted, ((desk.width - tilted.width) // 2, (desk.height - tilted.height) // 2))
    img = desk.filter(ImageFilter.GaussianBlur(blur)) if blur else desk
    arr = np.asarray(img, dtype=np.float32) * light
    arr += np.random.default_rng(seed).normal(0.0, noise, arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def to_bytes(img: Image.Image, fmt: str = "JPEG", **params) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **params)
    return out.getvalue()
