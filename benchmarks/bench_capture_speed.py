"""Issue #14 speed figures: card reading on this machine, engine warm.

    python benchmarks/bench_capture_speed.py [--cards 20] [--threads 2] [--det max:960]
    python benchmarks/bench_capture_speed.py --compare      # threads x detector sizes

Cards are drawn with Pillow (tests/capture/cardimages.py: 5 people, sans and serif; a
third each clean scans at 300 dpi, photo-like copies (on a desk, tilted, blurred, noisy,
dim) and 12-megapixel phone photos with the card in the middle; all as JPEG) and read by ``capture.reader.read_card`` as the capture window does:

* OCR + extraction per card (``timings["ocr"] + timings["extract"]``), median and p90,
  target <= 1.5 s; plus how many of the card's printed lines came back exactly (so that
  a faster setting is not bought with misread lines; spaces ignored);
* QR decode per card with a vCard code (``timings["qr"]``), target <= 0.1 s, and the share
  decoded;
* CPU seconds per card (the process's CPU time over the whole read): on a loaded machine
  the wall time grows with the load and this does not (with 1 thread it is what the wall
  time would be on an idle core);
* the QR pass on the cards without a code (all three retries run, then OCR): median, max;
* cold start: a fresh process importing the engine and running ``ocr.warm_up()``.

Each configuration runs in its own process (onnxruntime's threads are fixed at load).
When ``capture.extract`` is not there yet, OCR alone is timed and the table says so.
Record the date and the load average with the figures: the 2-core machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VCARD = ("BEGIN:VCARD\r\nVERSION:3.0\r\nN:{family};{given};;;\r\nFN:{name}\r\nORG:{company}\r\n"
         "TITLE:{title}\r\nEMAIL:{email}\r\nURL:{web}\r\nEND:VCARD")


def _cards(n: int):
    """(label, PIL image, expected lines, with_code) for n cards."""
    from PIL import Image

    from tests.capture.cardimages import SAMPLES, photographed, render_card

    out = []
    for i in range(n):
        sample = SAMPLES[i % len(SAMPLES)]
        serif = (i // len(SAMPLES)) % 2 == 1
        kind = ("scan", "photo", "12MP")[i % 3]
        if kind == "scan":
            img = render_card(sample, serif=serif)
        elif kind == "photo":
            img = photographed(render_card(sample, serif=serif), seed=i, angle=4, blur=0.9, noise=7, light=0.75)
        else:  # a phone's full-size photo with the card in the middle
            card = photographed(render_card(sample, width=1800, height=1029, serif=serif), seed=i, angle=3, blur=1.2)
            img = Image.new("RGB", (4032, 3024), (120, 110, 100))
            img.paste(card, (900, 800))
        out.append((f"{kind}-{i}", img, list(sample)))
    return out


def _code_cards(n: int):
    from tests.capture.cardimages import SAMPLES, photographed, render_card

    out = []
    for i in range(n):
        name, title, company, email, _phone, web, _addr = SAMPLES[i % len(SAMPLES)]
        given, family = name.split(" ", 1)
        payload = VCARD.format(family=family, given=given, name=name, company=company, title=title,
                               email=email, web=web)
        card = render_card(i, qr=payload, qr_module_px=3 + i % 2)
        out.append((photographed(card, seed=i, angle=3, blur=0.7, noise=5) if i % 2 else card, payload))
    return out


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def worker(args) -> dict:
    """Runs in a fresh process: cold start, then the warm timings."""
    os.environ["LEADDESK_OCR_THREADS"] = str(args.threads)
    t0 = time.perf_counter()
    from leaddesk.capture import ocr

    kind, side = args.det.split(":")
    ocr.DET_LIMIT_TYPE, ocr.DET_LIMIT_SIDE = kind, int(side)
    ocr.warm_up()
    cold = time.perf_counter() - t0

    import io

    from leaddesk.capture import reader
    from leaddesk.capture.images import load_image
    try:
        import leaddesk.capture.extract  # noqa: F401
        with_extract = True
    except ImportError:
        with_extract = False

    per_card, cpu, missed, qr_miss, found, total = [], [], [], [], 0, 0
    for _label, img, expected in _cards(args.cards):
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=88)
        loaded = load_image(buf.getvalue(), name=_label)
        c = time.process_time()
        if with_extract:
            read = reader.read_card(loaded)
            per_card.append(read.timings["ocr"] + read.timings["extract"])
            qr_miss.append(read.timings["qr"])
            texts = read.fields.raw_text.splitlines()
        else:
            t = time.perf_counter()
            lines, _ = ocr.read_lines_rotating(loaded)
            per_card.append(time.perf_counter() - t)
            texts = [ln.text for ln in lines]
        cpu.append(time.process_time() - c)
        # Spaces are not counted: the recogniser often drops one between digit groups,
        # which changes nothing once a phone number is parsed.
        squeezed = {t.replace(" ", "") for t in texts}
        missed += [f"{_label}: {line!r}" for line in expected if line.replace(" ", "") not in squeezed]
        found += sum(1 for line in expected if line.replace(" ", "") in squeezed)
        total += len(expected)

    from leaddesk.capture.qr import decode_qr

    qr_times, decoded = [], 0
    codes = _code_cards(max(5, args.cards // 2))
    for img, payload in codes:
        loaded = load_image(_jpeg(img), name="code")
        t = time.perf_counter()
        texts = decode_qr(loaded)
        qr_times.append(time.perf_counter() - t)
        decoded += texts == [payload]
    return {"threads": args.threads, "det": args.det, "cold_s": cold, "extract": with_extract,
            "cards": len(per_card), "ocr_median_s": statistics.median(per_card), "ocr_p90_s": _pct(per_card, 0.9),
            "ocr_max_s": max(per_card), "cpu_median_s": statistics.median(cpu), "missed": missed, "lines_exact": found / total, "qr_median_s": statistics.median(qr_times),
            "qr_p90_s": _pct(qr_times, 0.9), "qr_decoded": decoded / len(codes),
            "qr_none_median_s": statistics.median(qr_miss) if qr_miss else float("nan"),
            "qr_none_max_s": max(qr_miss) if qr_miss else float("nan")}


def _jpeg(img) -> bytes:
    import io

    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=88)
    return buf.getvalue()


def _run(threads: int, det: str, cards: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", "--threads", str(threads), "--det", det, "--cards", str(cards)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cards", type=int, default=20)
    p.add_argument("--threads", type=int, default=max(1, (os.cpu_count() or 1) - 1), help="onnxruntime intra-op threads")
    p.add_argument("--det", default="max:960", help="detector input limit, TYPE:SIDE (rapidocr's own: min:736)")
    p.add_argument("--compare", action="store_true", help="threads 1,2 x detector max:960, max:1280, min:736")
    p.add_argument("--verbose", action="store_true", help="list the printed lines not read exactly")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)))
        return
    configs = ([(t, d) for d in ("max:960", "max:1280", "min:736") for t in (1, 2)] if args.compare
               else [(args.threads, args.det)])
    load = os.getloadavg()
    print(f"{time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores, load average {load[0]:.2f} "
          f"{load[1]:.2f} {load[2]:.2f}; {args.cards} cards per configuration")
    print(f"{'threads':>7} {'detector':>9} {'cold s':>7} {'OCR+extract median':>19} {'p90':>6} {'max':>6} "
          f"{'CPU s':>6} {'lines read':>12} {'QR median':>10} {'p90':>6} {'QR decoded':>11} {'no code: median':>16} {'max':>6}")
    for threads, det in configs:
        r = _run(threads, det, args.cards)
        label = "" if r["extract"] else " (OCR only: no capture.extract yet)"
        print(f"{r['threads']:>7} {r['det']:>9} {r['cold_s']:>7.2f} {r['ocr_median_s']:>19.3f} {r['ocr_p90_s']:>6.3f} "
              f"{r['ocr_max_s']:>6.3f} {r['cpu_median_s']:>6.2f} {r['lines_exact']:>12.1%} {r['qr_median_s']:>10.4f} {r['qr_p90_s']:>6.4f} "
              f"{r['qr_decoded']:>11.0%} {r['qr_none_median_s']:>16.4f} {r['qr_none_max_s']:>6.3f}{label}")
        if args.verbose:
            print("        missed: " + "; ".join(r["missed"]))


if __name__ == "__main__":
    main()
