"""``python -m benchmarks.cardset [--count N] [--seed S] [--out DIR] [--locales a,b]``."""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.cardset.degrade import WEIGHTS, degrade
from benchmarks.cardset.people import LOCALES, make_person
from benchmarks.cardset.render import render

#: Latin-script locales carry the figures; the other scripts are a small probe of what the
#: bundled OCR model reads (see the benchmark's report).
DEFAULT_LOCALES = {"en_US": 4, "en_GB": 3, "de_DE": 4, "fr_FR": 2, "es_ES": 2, "it_IT": 2, "nl_NL": 2,
                   "tr_TR": 2, "pt_PT": 1}
PROBE_LOCALES = {"ar_AE": 1, "fa_IR": 1, "th_TH": 1}


def label(p, meta: dict) -> dict:
    phones = [{"number": e164, "type": kind, "raw": printed} for kind, printed, e164 in p.phones]
    prefix_name = p.given
    return {
        "given_name": prefix_name, "family_name": p.family, "title": p.title, "company": p.company,
        "emails": [p.email], "phones": phones, "website": p.website, "address": p.address["text"],
        "address_parts": p.address, "locale": p.locale, "country": p.country, "prefix": p.prefix, **meta,
    }


def generate(out: Path, count: int, seed: int, locales: dict[str, int]) -> list[Path]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    names, weights = zip(*locales.items())
    dnames, dweights = zip(*WEIGHTS.items())
    written = []
    for i in range(count):
        locale = rng.choices(names, weights)[0]
        person = make_person(rng, locale)
        img, meta = render(person, rng)
        deg = rng.choices(dnames, dweights)[0]
        arr, info = degrade(np.asarray(img), deg, rng)
        stem = f"card{i:04d}_{locale}_{deg}"
        path = out / (stem + (".jpg" if deg in ("jpeg", "photo") else ".png"))
        pil = Image.fromarray(arr)
        if path.suffix == ".jpg":
            pil.save(path, quality=90)
        else:
            pil.save(path, optimize=False, compress_level=1)
        (out / (stem + ".json")).write_text(json.dumps(label(person, {**meta, **info, "image": path.name}),
                                                       ensure_ascii=False, indent=1), encoding="utf-8")
        written.append(path)
    return written


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.cardset", description=__doc__)
    ap.add_argument("--count", type=int, default=240)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--out", type=Path, default=Path("bench-out/cardset"))
    ap.add_argument("--locales", help="comma-separated Faker locales (default: the Latin set)")
    ap.add_argument("--probe-scripts", action="store_true", help="add Arabic, Persian and Thai cards")
    a = ap.parse_args(argv)
    locales = dict(DEFAULT_LOCALES)
    if a.locales:
        locales = {loc: 1 for loc in a.locales.split(",") if loc in LOCALES}
    if a.probe_scripts:
        locales.update(PROBE_LOCALES)
    paths = generate(a.out, a.count, a.seed, locales)
    print(f"{len(paths)} cards in {a.out}")


if __name__ == "__main__":
    main()
