"""On-device OCR of a card photo: RapidOCR (PP-OCR models shipped inside the wheel, run by
onnxruntime), loaded once and reused. Returns :class:`~leaddesk.capture.fields.TextLine`
objects, top to bottom, left to right. No network: only the bundled default models are
ever selected (rapidocr is pinned in pyproject.toml for that reason).
"""

from __future__ import annotations

import logging
import threading

from leaddesk.capture.fields import TextLine

_engine = None
_lock = threading.Lock()


def engine():
    """The shared engine, loaded on first use (about 2.5 s cold): call it from a worker
    ahead of the first capture."""
    global _engine
    with _lock:
        if _engine is None:
            from rapidocr import RapidOCR

            logging.getLogger("RapidOCR").setLevel(logging.WARNING)
            _engine = RapidOCR()
        return _engine


def read_lines(image) -> list[TextLine]:
    """Text lines of ``image`` (a path, bytes, or an RGB/BGR numpy array)."""
    result = engine()(image)
    if result is None or result.txts is None:
        return []
    lines = []
    for text, score, box in zip(result.txts, result.scores, result.boxes):
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        lines.append(TextLine(str(text), float(score), (min(xs), min(ys), max(xs), max(ys))))
    lines.sort(key=lambda ln: (round(ln.box[1] / 12), ln.box[0]))
    return lines
