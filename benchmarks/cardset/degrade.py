"""Make a clean rendered card look photographed: OpenCV and numpy only, from a seeded rng.

Each degradation has a severity: ``clean``; ``mild`` (what a steady phone in a lit hall
gives: a little blur, a small tilt, JPEG, light noise); ``severe`` (strong blur, steep
perspective, low light, upside down or sideways).
"""

from __future__ import annotations

import random

import cv2
import numpy as np

DEGRADATIONS = {
    "clean": "clean", "jpeg": "mild", "blur_mild": "mild", "tilt": "mild", "noise": "mild",
    "photo": "mild", "blur_strong": "severe", "perspective": "severe", "low_light": "severe",
    "rotated": "severe",
}
#: How often each is drawn (clean and mild cards dominate: they are what a rep mostly shoots).
WEIGHTS = {"clean": 4, "jpeg": 2, "blur_mild": 2, "tilt": 2, "noise": 2, "photo": 3, "blur_strong": 1,
           "perspective": 1, "low_light": 1, "rotated": 1}


def _on_table(card: np.ndarray, rng: random.Random, margin: int = 90) -> np.ndarray:
    h, w = card.shape[:2]
    tone = rng.choice([(90, 70, 50), (60, 60, 65), (150, 140, 120), (35, 35, 40)])
    out = np.full((h + 2 * margin, w + 2 * margin, 3), tone, np.uint8)
    grain = np.random.default_rng(rng.randrange(1 << 30)).normal(0, 6, out.shape)
    out = np.clip(out + grain, 0, 255).astype(np.uint8)
    out[margin:margin + h, margin:margin + w] = card
    return out


def _rotate(img: np.ndarray, angle: float, border) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(img, m, (nw, nh), borderValue=border)


def _perspective(img: np.ndarray, rng: random.Random, strength: float) -> np.ndarray:
    h, w = img.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jit = [(rng.uniform(0, strength) * w, rng.uniform(0, strength) * h) for _ in range(4)]
    dst = np.float32([[jit[0][0], jit[0][1]], [w - jit[1][0], jit[1][1]],
                      [w - jit[2][0], h - jit[2][1]], [jit[3][0], h - jit[3][1]]])
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


def _noise(img: np.ndarray, rng: random.Random, sigma: float) -> np.ndarray:
    n = np.random.default_rng(rng.randrange(1 << 30)).normal(0, sigma, img.shape)
    return np.clip(img.astype(np.float32) + n, 0, 255).astype(np.uint8)


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def _light(img: np.ndarray, rng: random.Random, gain: float, contrast: float) -> np.ndarray:
    h, w = img.shape[:2]
    # uneven light: a gradient across the card, as a lamp on one side gives
    grad = np.linspace(rng.uniform(0.7, 1.0), rng.uniform(0.45, 0.8), w, dtype=np.float32)[None, :, None]
    f = img.astype(np.float32)
    f = (f - 128) * contrast + 128
    return np.clip(f * gain * grad, 0, 255).astype(np.uint8)


def degrade(rgb: np.ndarray, name: str, rng: random.Random) -> tuple[np.ndarray, dict]:
    """Return the degraded image (RGB) and what was done to it."""
    img = rgb.copy()
    info: dict = {"degradation": name, "severity": DEGRADATIONS[name]}
    if name == "jpeg":
        img = _jpeg(img, rng.randint(25, 45))
    elif name == "blur_mild":
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(1.0, 1.6))
    elif name == "tilt":
        angle = rng.uniform(2, 7) * rng.choice((-1, 1))
        img = _rotate(_on_table(img, rng), angle, (70, 70, 70))
        info["angle"] = round(angle, 1)
    elif name == "noise":
        img = _noise(img, rng, rng.uniform(8, 16))
    elif name == "photo":
        img = _on_table(img, rng)
        img = _perspective(img, rng, 0.04)
        img = _rotate(img, rng.uniform(-3, 3), (60, 60, 60))
        img = _light(img, rng, rng.uniform(0.85, 1.0), rng.uniform(0.8, 0.95))
        img = _noise(img, rng, 5)
        img = cv2.resize(img, None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)
        img = _jpeg(img, rng.randint(60, 85))
    elif name == "blur_strong":
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(2.3, 3.2))
    elif name == "perspective":
        img = _perspective(_on_table(img, rng), rng, 0.12)
    elif name == "low_light":
        img = _light(img, rng, rng.uniform(0.35, 0.5), rng.uniform(0.45, 0.6))
        img = _noise(img, rng, 6)
    elif name == "rotated":
        k = rng.choice((1, 2, 3))
        img = np.ascontiguousarray(np.rot90(img, k))
        info["rotation"] = 90 * k
    return img, info
