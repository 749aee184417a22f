"""Capture accuracy (issue #14): read every card of a labelled set and compare the fields.

    python -m benchmarks.cardset --count 240            # the set (bench-out/cardset)
    python benchmarks/bench_capture_accuracy.py [--dir bench-out/cardset] [--reuse-ocr]

Each card goes through ``leaddesk.capture.reader.read_card`` when that module exists, else
``leaddesk.capture.ocr`` (``read_lines_rotating`` when present, else ``read_lines``) and
``extract.extract_fields``. The OCR lines are cached beside the image (``.lines.json``);
``--reuse-ocr`` reads them back, to iterate on the extraction rules without re-running OCR.

How a field counts as right:
- e-mails: the set of addresses, exact (case-insensitive); website: the host, exact, after
  dropping scheme, ``www.`` and a trailing slash.
- phones: each printed number must come back with the same E.164 and the same type; extra
  numbers are counted apart. A number printed with no label is expected as ``mobile`` when
  libphonenumber calls it a mobile number, else ``office`` (all a reader can know).
- names: given and family name both equal (case-insensitive, spaces collapsed), without the
  academic prefix (Dr., Prof., Dipl.-Ing.).
- job title, company: equal after case folding and dropping punctuation, or a rapidfuzz
  ratio >= 90 on those normalised strings (one OCR slip in a 15-letter title).
- address: token F1 of the printed address against the one read (word tokens, case-folded).
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapidfuzz import fuzz  # noqa: E402

from leaddesk.capture.fields import CardFields, TextLine  # noqa: E402

TARGETS = {"emails": 98, "website": 98, "phones": 90, "name": 90, "title": 85, "company": 85, "address": 80}


def _norm(s: str | None) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", (s or "").casefold())).strip()


def _host(s: str | None) -> str:
    s = (s or "").strip().lower()
    s = re.sub(r"^[a-z]+://", "", s).removeprefix("www.")
    return s.rstrip("/")


def _tokens(s: str | None) -> list[str]:
    return [t for t in re.split(r"\W+", (s or "").casefold()) if t]


def token_f1(expected: str | None, got: str | None) -> float:
    e, g = _tokens(expected), _tokens(got)
    if not e and not g:
        return 1.0
    if not e or not g:
        return 0.0
    pool = list(g)
    common = 0
    for t in e:
        if t in pool:
            pool.remove(t)
            common += 1
    if not common:
        return 0.0
    p, r = common / len(g), common / len(e)
    return 2 * p * r / (p + r)


def _close(a: str | None, b: str | None) -> bool:
    na, nb = _norm(a), _norm(b)
    return bool(na) and (na == nb or fuzz.ratio(na, nb) >= 90)


def score(label: dict, got: CardFields) -> dict:
    out: dict = {}
    out["emails"] = float({e.lower() for e in label["emails"]} == {e.lower() for e in got.emails})
    out["website"] = float(_host(label["website"]) == _host(got.website))
    want = [(p["number"], p["type"]) for p in label["phones"]]
    have = [(p.number, p.type) for p in got.phones]
    hits = sum(1 for w in want if w in have)
    out["phones"] = hits / len(want) if want else 1.0
    out["phone_numbers"] = sum(1 for w in want if w[0] in {h[0] for h in have}) / len(want) if want else 1.0
    out["phones_extra"] = max(0, len(have) - hits)
    out["name"] = float(_norm(label["given_name"]) == _norm(got.given_name)
                        and _norm(label["family_name"]) == _norm(got.family_name))
    out["title"] = float(_close(label["title"], got.title))
    out["company"] = float(_close(label["company"], got.company))
    out["address"] = token_f1(label["address"], got.address.one_line() if got.address else None)
    return out


class Reader:
    def __init__(self, reuse: bool, force_lines: bool):
        self.reuse = reuse
        self.reader = None
        if not force_lines:
            try:
                self.reader = importlib.import_module("leaddesk.capture.reader")
            except ImportError:
                self.reader = None
        from leaddesk.capture import extract, ocr

        self.ocr, self.extract = ocr, extract
        self.mode = "reader.read_card" if self.reader else (
            "ocr.read_lines_rotating + extract" if hasattr(ocr, "read_lines_rotating") else "ocr.read_lines + extract")

    def warm(self, ocr: bool = True):
        if ocr:
            (self.ocr.warm_up if hasattr(self.ocr, "warm_up") else self.ocr.engine)()
        self.extract.warm_up()

    def read(self, image: Path, region_hint: str | None) -> tuple[CardFields, float, float]:
        """Fields, OCR seconds, extraction seconds."""
        if self.reader:
            t = time.perf_counter()
            read = self.reader.read_card(str(image), default_region=region_hint)
            total = time.perf_counter() - t
            return read.fields, total - read.timings.get("extract", 0.0), read.timings.get("extract", 0.0)
        cache = image.with_suffix(".lines.json")
        t = time.perf_counter()
        if self.reuse and cache.exists():
            lines = [TextLine(d["text"], d["score"], tuple(d["box"])) for d in json.loads(cache.read_text("utf-8"))]
            t_ocr = float("nan")
        else:
            if hasattr(self.ocr, "read_lines_rotating") and hasattr(self.ocr, "LoadedImage"):
                lines, _rot = self.ocr.read_lines_rotating(image)
            else:
                lines = self.ocr.read_lines(str(image))
            t_ocr = time.perf_counter() - t
            cache.write_text(json.dumps([{"text": ln.text, "score": ln.score, "box": list(ln.box)} for ln in lines],
                                        ensure_ascii=False), "utf-8")
        t = time.perf_counter()
        fields = self.extract.extract_fields(lines, default_region=region_hint)
        return fields, t_ocr, time.perf_counter() - t


def _table(title: str, groups: dict[str, list[dict]]) -> None:
    cols = ["emails", "website", "phones", "name", "title", "company", "address"]
    print(f"\n{title}")
    print(f"{'':14}{'n':>5}" + "".join(f"{c:>9}" for c in cols))
    for key in sorted(groups):
        rows = groups[key]
        print(f"{key:14}{len(rows):>5}" + "".join(f"{100 * statistics.mean(r[c] for r in rows):>8.1f}%" for c in cols))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", type=Path, default=Path("bench-out/cardset"))
    ap.add_argument("--limit", type=int)
    ap.add_argument("--reuse-ocr", action="store_true", help="read cached OCR lines when present")
    ap.add_argument("--cached-only", action="store_true", help="only the cards whose OCR lines are cached")
    ap.add_argument("--lines", action="store_true", help="use ocr + extract even when reader.py exists")
    ap.add_argument("--region-hint", action="store_true",
                    help="pass the card's country as default_region (as the event's country would be)")
    ap.add_argument("--show-misses", metavar="FIELD", help="print the cards that miss FIELD")
    ap.add_argument("--locales", help="only these locales (comma-separated)")
    a = ap.parse_args(argv)
    labels = sorted(a.dir.glob("card*.json"))
    labels = [p for p in labels if not p.name.endswith(".lines.json")]
    if a.locales:
        keep = set(a.locales.split(","))
        labels = [p for p in labels if json.loads(p.read_text("utf-8"))["locale"] in keep]
    if a.cached_only:
        a.reuse_ocr = a.lines = True
        labels = [p for p in labels
                  if (a.dir / json.loads(p.read_text("utf-8"))["image"]).with_suffix(".lines.json").exists()]
    labels = labels[: a.limit] if a.limit else labels
    if not labels:
        print(f"no cards in {a.dir}: run python -m benchmarks.cardset first")
        return 1
    reader = Reader(a.reuse_ocr, a.lines)
    t = time.perf_counter()
    reader.warm(ocr=not a.cached_only)
    print(f"{len(labels)} cards from {a.dir}; {reader.mode}; engine warm-up {time.perf_counter() - t:.2f} s")
    by_deg, by_sev, by_loc, every = defaultdict(list), defaultdict(list), defaultdict(list), []
    t_ocr, t_ext = [], []
    for path in labels:
        label = json.loads(path.read_text("utf-8"))
        fields, o, e = reader.read(a.dir / label["image"], label["country"] if a.region_hint else None)
        s = score(label, fields)
        if o == o:
            t_ocr.append(o)
        t_ext.append(e)
        for bucket in (by_deg[label["degradation"]], by_sev[label["severity"]], by_loc[label["locale"]], every):
            bucket.append(s)
        if a.show_misses and s.get(a.show_misses, 1) < 1:
            print(f"- {path.stem}: {a.show_misses}: want {label.get(a.show_misses) or label['given_name']}"
                  f" got {json.dumps(fields.to_json(), ensure_ascii=False)[:600]}")
    _table("by degradation", by_deg)
    _table("by locale", by_loc)
    _table("by severity", by_sev)
    _table("overall", {"all": every})
    cm = [s for k in ("clean", "mild") for s in by_sev.get(k, [])]
    _table("clean + mild (the targets)", {"clean+mild": cm})
    print("\ntargets: " + ", ".join(f"{k} >= {v}%" for k, v in TARGETS.items()))
    print(f"phone numbers right whatever the type: {100 * statistics.mean(s['phone_numbers'] for s in every):.1f}%;"
          f" extra phones read: {sum(s['phones_extra'] for s in every)}")
    if t_ocr:
        what = "load + QR + OCR" if reader.reader else "OCR"
        print(f"{what} per card: median {statistics.median(t_ocr):.2f} s, p90 "
              f"{sorted(t_ocr)[int(0.9 * (len(t_ocr) - 1))]:.2f} s, max {max(t_ocr):.2f} s")
    print(f"extraction per card: median {1000 * statistics.median(t_ext):.1f} ms, max {1000 * max(t_ext):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
