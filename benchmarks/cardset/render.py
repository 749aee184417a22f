"""Lay a :class:`~benchmarks.cardset.people.Person` out on a card with Pillow."""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from benchmarks.cardset.people import LABELS, Person, unlabelled_type

W, H = 1050, 600
LAYOUTS = ("left", "right", "centered", "logo_left", "two_col", "company_top", "banner")
STYLES = ("words", "letters", "bare", "glyphs", "paired")

_FONT_DIRS = ("/usr/share/fonts/truetype",)
#: (regular, bold) file names, tried in order; a missing family is skipped.
_LATIN_FAMILIES = [
    ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"), ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    ("DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf"),
    ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
    ("LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf"),
    ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"), ("NotoSerif-Regular.ttf", "NotoSerif-Bold.ttf"),
    ("FreeSans.ttf", "FreeSansBold.ttf"), ("FreeSerif.ttf", "FreeSerifBold.ttf"),
]
_SCRIPT_FAMILIES = {
    "ar": [("NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"), ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")],
    "fa": [("NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"), ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")],
    "th": [("NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf")],
}
_paths: dict[str, Path | None] = {}


def _find(name: str) -> Path | None:
    if name not in _paths:
        hits = [p for d in _FONT_DIRS for p in Path(d).rglob(name)]
        _paths[name] = hits[0] if hits else None
    return _paths[name]


def available_families(lang: str) -> list[tuple[Path, Path]]:
    out = []
    for reg, bold in _SCRIPT_FAMILIES.get(lang, _LATIN_FAMILIES):
        r, b = _find(reg), _find(bold)
        if r:
            out.append((r, b or r))
    if not out:  # the last resort: Pillow's own font, so a bare machine still renders something
        out.append((None, None))
    return out


class Fonts:
    """One card's fonts; a card in Arabic, Persian or Thai prints its Latin lines (e-mail,
    website, numbers) in a Latin font, as script fonts often carry no Latin letters."""

    def __init__(self, family: tuple[Path | None, Path | None], latin: tuple[Path | None, Path | None] | None = None):
        self.family = family
        self.latin = latin or family
        self._cache: dict = {}

    def get(self, size: int, bold: bool = False, text: str = ""):
        script = any(ord(ch) > 0x590 for ch in text) or self.latin is self.family
        fam = self.family if script else self.latin
        key = (size, bold, fam)
        if key not in self._cache:
            path = fam[1] if bold else fam[0]
            self._cache[key] = ImageFont.truetype(str(path), size) if path else ImageFont.load_default(size)
        return self._cache[key]


def _contact_lines(p: Person, rng: random.Random, style: str) -> tuple[list[tuple[str, str]], dict]:
    """(kind, text) lines for phones, e-mail and web, and the phone types a reader should give."""
    office, mobile, fax, mail, web = LABELS[p.lang]
    if style == "letters":
        office, mobile, fax, mail, web = ["T"], ["M"], ["F"], ["E"], ["W"]
    pick = {"office": rng.choice(office), "mobile": rng.choice(mobile), "fax": rng.choice(fax)}
    sep = rng.choice([" ", ": ", "  "]) if style != "letters" else rng.choice([" ", "  ", ": "])
    lines: list[tuple[str, str]] = []
    phones = p.phones
    if style in ("bare", "glyphs"):
        phones = [ph for ph in phones if ph[0] != "fax"] or phones[:1]
        p.phones = [(unlabelled_type(e164), printed, e164) for _, printed, e164 in phones]
        lines += [("phone", num) for _, num, _ in phones]
    elif style == "paired" and len(phones) >= 2:
        joiner = rng.choice(["  |  ", "   ", "  ·  ", " / "])
        lines.append(("phone", joiner.join(f"{pick[k]}{sep}{num}" for k, num, _ in phones[:2])))
        lines += [("phone", f"{pick[k]}{sep}{num}") for k, num, _ in phones[2:]]
    else:
        lines += [("phone", f"{pick[k]}{sep}{num}") for k, num, _ in phones]
    labelled = style in ("words", "letters", "paired") and rng.random() < 0.6
    lines.append(("email", f"{rng.choice(mail)}{sep}{p.email}" if labelled else p.email))
    site = p.website if rng.random() < 0.8 else p.website.removeprefix("www.")
    if rng.random() < 0.15:
        site = "https://" + site
    lines.append(("web", f"{rng.choice(web)}{sep}{site}" if labelled else site))
    p.extra["printed_website"] = site
    return lines, {}


def _glyph(draw: ImageDraw.ImageDraw, x: int, y: int, size: int, kind: str, color) -> None:
    s = int(size * 0.7)
    if kind == "phone":
        draw.rounded_rectangle((x, y + 2, x + s * 0.6, y + s), radius=3, outline=color, width=2)
    elif kind == "email":
        draw.rectangle((x, y + 4, x + s, y + s * 0.8), outline=color, width=2)
        draw.line((x, y + 4, x + s / 2, y + s * 0.5, x + s, y + 4), fill=color, width=2)
    elif kind == "web":
        draw.ellipse((x, y + 2, x + s, y + s), outline=color, width=2)
    else:
        draw.polygon([(x + s / 2, y + s), (x, y + 2), (x + s, y + 2)], outline=color, width=2)


def render(p: Person, rng: random.Random) -> tuple[Image.Image, dict]:
    layout = rng.choice(LAYOUTS)
    style = rng.choice(STYLES)
    if p.lang in ("ar", "fa", "th"):
        layout = rng.choice(("left", "centered", "two_col"))
    fonts = Fonts(rng.choice(available_families(p.lang)))
    if p.lang in ("ar", "fa", "th"):
        fonts = Fonts(fonts.family, available_families("en")[0])
    dark = rng.random() < 0.12
    bg = rng.choice([(255, 255, 255), (250, 247, 240), (240, 242, 245), (255, 253, 245)])
    fg = rng.choice([(20, 20, 20), (40, 40, 60), (30, 50, 90), (60, 30, 30)])
    accent = rng.choice([(180, 30, 40), (20, 90, 160), (30, 120, 70), (200, 120, 0), (90, 40, 130)])
    if dark:
        bg, fg = rng.choice([(25, 35, 60), (30, 30, 30), (10, 60, 60)]), (245, 245, 245)
    img = Image.new("RGB", (W, H), bg)
    d = ImageDraw.Draw(img)
    name_big = rng.random() < 0.8
    name_size = rng.randint(44, 62) if name_big else rng.randint(32, 38)
    body = rng.randint(22, 28)
    small_name_company_big = not name_big
    contacts, _ = _contact_lines(p, rng, style)
    contacts += [("address", line) for line in p.address_lines]
    if rng.random() < 0.35:
        # address first, contacts after, as many European cards do
        contacts = [c for c in contacts if c[0] == "address"] + [c for c in contacts if c[0] != "address"]

    company_font = fonts.get(rng.randint(34, 44) if small_name_company_big else rng.randint(26, 32), bold=True,
                             text=p.company)
    head = [(p.printed_name, fonts.get(name_size, bold=rng.random() < 0.75, text=p.printed_name), fg),
            (p.title, fonts.get(body + rng.choice((0, 2)), bold=False, text=p.title),
             accent if rng.random() < 0.4 else fg)]
    comp = (p.company, company_font, accent if rng.random() < 0.6 else fg)
    if layout == "company_top" or small_name_company_big:
        head = [comp] + head
    else:
        head = head + [comp]
    anchor, x0 = "la", 60
    if layout == "right":
        anchor, x0 = "ra", W - 60
    elif layout == "centered":
        anchor, x0 = "ma", W // 2
    elif layout == "logo_left":
        d.rectangle((50, 60, 230, 240), fill=accent)
        d.text((140, 150), "".join(w[0] for w in p.company.split()[:2]).upper(), font=fonts.get(80, True),
               fill=(255, 255, 255), anchor="mm")
        x0 = 270
    if p.lang in ("ar", "fa") and layout == "left":
        anchor, x0 = "ra", W - 60
    y = 45
    if layout == "banner":
        d.rectangle((0, 0, W, 95), fill=accent)
        d.text((60, 48), p.company, font=fonts.get(38, True), fill=(255, 255, 255), anchor="lm")
        head = [h for h in head if h[0] != p.company]
        y = 125
    for text, font, color in head:
        d.text((x0, y), text, font=font, fill=color, anchor=anchor)
        y += int(font.size * 1.35)
    col_x, col_anchor, cy = x0, anchor, max(y + 25, H - 40 - len(contacts) * int(body * 1.45))
    if layout == "two_col":
        d.line((W // 2 - 10, 60, W // 2 - 10, H - 60), fill=accent, width=3)
        col_x, col_anchor, cy = W // 2 + 20, "la", max(70, (H - len(contacts) * int(body * 1.45)) // 2)
    body_font = fonts.get(body)
    gx = 0
    if style == "glyphs" and col_anchor == "la":
        gx = body + 10
    for kind, text in contacts:
        if gx:
            _glyph(d, col_x, cy, body, kind, accent)
        d.text((col_x + gx, cy), text, font=fonts.get(body, text=text) if text else body_font, fill=fg,
               anchor=col_anchor)
        cy += int(body * 1.45)
    if rng.random() < 0.3 and layout not in ("banner", "two_col"):
        d.line((x0 if anchor == "la" else 60, y + 8, (x0 + 300) if anchor == "la" else W - 60, y + 8),
               fill=accent, width=2)
    meta = {"layout": layout, "style": style, "font": Path(str(fonts.family[0])).name, "dark": dark}
    return img, meta
