"""On-device OCR of a card photo: RapidOCR (PP-OCR models shipped inside the wheel, run by
onnxruntime), loaded once and reused. Returns :class:`~leaddesk.capture.fields.TextLine`
objects, top to bottom, left to right.

No network, ever: the engine is given the paths of the three models bundled in the
rapidocr package (``bundled_models()``), so its download-by-name branch is never entered;
rapidocr is pinned in pyproject.toml because those bundled files are its defaults of that
version. Missing files are a :class:`CaptureError`, not a download.

One engine per process, loaded by :func:`warm_up` (call it from a worker ahead of the
first capture: 1.5-3 s cold). RapidOCR keeps per-call settings on the engine object, so
inference runs under a lock: two workers share the engine one card at a time. onnxruntime
gets one thread per core but one (``_threads``).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np

from leaddesk.capture.fields import CaptureError, TextLine
from leaddesk.capture.images import LoadedImage, fit_within, load_image, rotated

#: Photos are brought down to this longer side before OCR: card text stays 20+ px high
#: and a 12-megapixel photo no longer costs seconds (see benchmarks/bench_capture_speed.py).
MAX_OCR_SIDE = 1600
#: Fewer characters than this, or a lower mean line score, and the card is tried rotated.
#: (Upside-down and sideways cards are recognised by themselves, see read_lines_rotating;
#: a merely poor photo reads no better turned, so the score bar is low: every retry costs
#: a full OCR pass.)
MIN_CHARS = 24
MIN_MEAN_SCORE = 0.65
#: The detector sees the photo with its longer side brought to this size (rapidocr's
#: default scales the *shorter* side up to 736, which makes a 1050 x 600 card 1280 x 736
#: and costs most of the time); see benchmarks/bench_capture_speed.py.
DET_LIMIT_TYPE = "max"
DET_LIMIT_SIDE = 960

_MODEL_FILES = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
}

_engine = None
_load_lock = threading.Lock()
_infer_lock = threading.Lock()


def bundled_models() -> dict[str, Path]:
    """The model files the engine uses, by stage (Det, Cls, Rec): all inside the installed
    rapidocr package. Raises CaptureError when one is missing (a broken install)."""
    import rapidocr

    models = Path(rapidocr.__file__).resolve().parent / "models"
    paths = {stage: models / file for stage, file in _MODEL_FILES.items()}
    missing = [p.name for p in paths.values() if not p.is_file()]
    if missing:
        raise CaptureError(
            "The OCR models are missing from the rapidocr package (" + ", ".join(missing)
            + "); reinstall LeadDesk: card reading never downloads models.")
    return paths


def _threads() -> int:
    # One core is left to the UI (and to the QR pass of the next card): on the shared
    # 2-core machine one thread read a card in 1.1-2.0 s median against 1.8-2.6 s for
    # two (three runs of 15 cards, load average 4-9; two threads cost 1.3-1.4x the CPU
    # seconds), see bench_capture_speed.py. LEADDESK_OCR_THREADS overrides it.
    wanted = os.environ.get("LEADDESK_OCR_THREADS")
    if wanted and wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    return max(1, min(4, (os.cpu_count() or 1) - 1))


def _quiet_logger() -> None:
    # rapidocr builds its "RapidOCR" logger at import with its own console handler and
    # propagate=False, and sets its level again from Global.log_level in every RapidOCR();
    # the level is what silences it, so both are set (handler stays theirs). Its warnings
    # are routine for us too ("The text detection result is empty" on a blank area).
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)


def engine():
    """The shared engine, created on first use. Its models load on the first inference:
    :func:`warm_up` does both."""
    global _engine
    with _load_lock:
        if _engine is None:
            _quiet_logger()
            params = {f"{stage}.model_path": str(path) for stage, path in bundled_models().items()}
            params.update({
                "Global.log_level": "error",
                "Det.limit_type": DET_LIMIT_TYPE,
                "Det.limit_side_len": DET_LIMIT_SIDE,
                "EngineConfig.onnxruntime.intra_op_num_threads": _threads(),
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            })
            _engine = _engine_class()(params=params)
        return _engine


def _engine_class():
    from rapidocr import RapidOCR

    class _Engine(RapidOCR):
        """RapidOCR that remembers, per call, the share of lines its direction classifier
        turned upside down: most of them means the whole card is upside down."""

        flipped = 0.0

        def cls_and_rotate(self, img):
            images, res = super().cls_and_rotate(img)
            labels = res.cls_res or []
            thresh = float(self.cfg.Cls.cls_thresh)
            self.flipped = sum(1 for label, score in labels if label == "180" and score >= thresh) / max(1, len(labels))
            return images, res

    return _Engine


def warm_up() -> None:
    """Load the engine and its three models (one small inference on a printed word, so
    that detection finds a box and the classifier and recogniser load too). Idempotent."""
    import cv2

    canvas = np.full((80, 360, 3), 255, dtype=np.uint8)
    cv2.putText(canvas, "LeadDesk 2026", (12, 55), cv2.FONT_HERSHEY_SIMPLEX, 1.3, (0, 0, 0), 3)
    _read(LoadedImage.from_array(canvas, "warm-up"))


def _as_image(image) -> LoadedImage:
    if isinstance(image, LoadedImage):
        return image
    if isinstance(image, np.ndarray):
        rgb = image if image.ndim == 3 else np.stack([image] * 3, axis=-1)
        return LoadedImage.from_array(rgb[..., :3], "image")
    return load_image(image)


def read_lines(image) -> list[TextLine]:
    """Text lines of ``image``: a :class:`LoadedImage`, an RGB numpy array, a path or the
    bytes of an image. Boxes are in the input image's pixels, lines sorted top to bottom
    then left to right. An image larger than MAX_OCR_SIDE is read downscaled."""
    return _read(_as_image(image))[0]


def _read(img: LoadedImage) -> tuple[list[TextLine], float]:
    """The lines of ``img`` and the share of them the engine found upside down."""
    small, factor = fit_within(img, MAX_OCR_SIDE)
    bgr = np.ascontiguousarray(small.rgb[..., ::-1])  # numpy input is BGR to rapidocr
    eng = engine()
    with _infer_lock:
        eng.flipped = 0.0
        result = eng(bgr)
        flipped = eng.flipped
    txts = getattr(result, "txts", None)
    if not txts:
        return [], 0.0
    lines = []
    for text, score, box in zip(txts, result.scores, result.boxes):
        if not str(text).strip():
            continue
        xs = [float(p[0]) / factor for p in box]
        ys = [float(p[1]) / factor for p in box]
        lines.append(TextLine(str(text).strip(), float(score), (min(xs), min(ys), max(xs), max(ys))))
    return sort_lines(lines), flipped


def sort_lines(lines: list[TextLine]) -> list[TextLine]:
    """Reading order: rows (boxes whose vertical centres lie within half a line height of
    the row's first box) top to bottom, each row left to right."""
    if not lines:
        return []
    by_top = sorted(lines, key=lambda ln: (ln.box[1] + ln.box[3]) / 2)
    rows: list[list[TextLine]] = []
    for ln in by_top:
        centre = (ln.box[1] + ln.box[3]) / 2
        if rows:
            first = rows[-1][0]
            f_centre = (first.box[1] + first.box[3]) / 2
            height = max(4.0, min(first.box[3] - first.box[1], ln.box[3] - ln.box[1]))
            if abs(centre - f_centre) <= height / 2:
                rows[-1].append(ln)
                continue
        rows.append([ln])
    return [ln for row in rows for ln in sorted(row, key=lambda r: r.box[0])]


def quality(lines: list[TextLine]) -> float:
    """How much readable, horizontal text ``lines`` hold: characters weighted by score,
    lines taller than wide (text read sideways) counting for little."""
    total = 0.0
    for ln in lines:
        w, h = ln.box[2] - ln.box[0], ln.box[3] - ln.box[1]
        weight = 0.2 if (h > w and len(ln.text) > 2) else 1.0
        total += len(ln.text.replace(" ", "")) * ln.score * weight
    return total


def _sideways(lines: list[TextLine]) -> bool:
    tall = sum(1 for ln in lines if (ln.box[3] - ln.box[1]) > (ln.box[2] - ln.box[0]) and len(ln.text) > 2)
    return tall * 2 > len(lines)


def _good_enough(lines: list[TextLine]) -> bool:
    if sum(len(ln.text.replace(" ", "")) for ln in lines) < MIN_CHARS:
        return False
    return sum(ln.score for ln in lines) / len(lines) >= MIN_MEAN_SCORE and not _sideways(lines)


def _reading(img: LoadedImage, degrees: int) -> tuple[list[TextLine], int]:
    """Read ``img`` turned by ``degrees``. The direction classifier already reads each
    upside-down line the right way up; when most were, the card itself is upside down:
    the boxes are mapped into the image turned 180 degrees more, with no second pass."""
    turned = rotated(img, degrees)
    lines, flipped = _read(turned)
    if flipped <= 0.5 or not lines:
        return lines, degrees
    w, h = turned.width, turned.height
    upright = [TextLine(ln.text, ln.score, (w - ln.box[2], h - ln.box[3], w - ln.box[0], h - ln.box[1]))
               for ln in lines]
    return sort_lines(upright), (degrees + 180) % 360


def read_lines_rotating(img: LoadedImage) -> tuple[list[TextLine], int]:
    """Lines of ``img`` and the rotation (0, 90, 180 or 270 degrees clockwise) that makes
    it upright; the boxes are in the pixels of the image turned by that rotation.

    An upside-down card costs no second pass (see ``_reading``); a card on its side, or
    one where little text was found, is read again turned 90 degrees (which the direction
    classifier completes to 270 when needed), then 270 and 180 if still poor and not yet
    seen; the best reading wins."""
    small, factor = fit_within(img, MAX_OCR_SIDE)
    best, best_rotation = _reading(small, 0)
    if _good_enough(best):
        return _scaled(best, factor), best_rotation
    best_quality = quality(best)
    tried = {best_rotation}
    for degrees in (90, 270, 180):
        if degrees in tried:
            continue
        lines, rotation = _reading(small, degrees)
        tried |= {degrees, rotation}
        q = quality(lines)
        if q > best_quality * 1.1:
            best, best_quality, best_rotation = lines, q, rotation
            if _good_enough(lines):
                break
    return _scaled(best, factor), best_rotation


def _scaled(lines: list[TextLine], factor: float) -> list[TextLine]:
    if factor == 1.0:
        return lines
    return [TextLine(ln.text, ln.score, tuple(v / factor for v in ln.box)) for ln in lines]
