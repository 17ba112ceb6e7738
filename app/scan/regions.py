"""Find regions that look like QR codes, cheaply, so expensive retries only run where needed."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

Quad = tuple[tuple[float, float], ...]

_TARGET_PIXELS = 400_000
_MIN_CODE_PX = 28
_MIN_CONTRAST = 10
_LEVELS = (0.15, 0.22)
_MIN_PIXELS = 20_000
_WORK_SIDE = 12
_SQUARE3 = np.ones((3, 3), np.uint8)
_SQUARE7 = np.ones((7, 7), np.uint8)


@dataclass(frozen=True)
class Box:
    """An axis-aligned region of the working image, in its pixels."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def side(self) -> float:
        """Return the longer side, which sets how much to zoom a crop."""
        return max(self.x1 - self.x0, self.y1 - self.y0)

    def contains(self, x: float, y: float) -> bool:
        """Tell whether a point falls inside the box."""
        return self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1

    def grow(self, frac: float, width: int, height: int) -> Box:
        """Return the box widened by `frac` of its side on every edge, clipped to the image."""
        pad = frac * self.side
        return Box(max(0.0, self.x0 - pad), max(0.0, self.y0 - pad),
                   min(float(width), self.x1 + pad), min(float(height), self.y1 + pad))


def quad_box(quad: Quad) -> Box:
    """Return the bounding box of a quadrilateral."""
    xs = [p[0] for p in quad]
    ys = [p[1] for p in quad]
    return Box(min(xs), min(ys), max(xs), max(ys))


def centre(quad: Quad) -> tuple[float, float]:
    """Return the centroid of a quadrilateral's corners."""
    return (sum(p[0] for p in quad) / len(quad), sum(p[1] for p in quad) / len(quad))


def reduce_to(gray: np.ndarray, target: int) -> tuple[np.ndarray, float]:
    """Shrink to about `target` pixels (halving, then a last linear step); return the factor."""
    ratio = math.sqrt(gray.size / target)
    if ratio < 1.2:
        return gray, 1.0
    halvings = int(math.log2(ratio))
    small = downscale(gray, 2**halvings)
    rest = ratio / 2**halvings
    if rest >= 1.2:
        size = (round(small.shape[1] / rest), round(small.shape[0] / rest))
        small = cv2.resize(small, size, interpolation=cv2.INTER_LINEAR)
    return small, gray.shape[1] / small.shape[1]


def downscale(gray: np.ndarray, factor: int) -> np.ndarray:
    """Shrink by an integer factor with area averaging, halving first (OpenCV's fast path)."""
    while factor > 1:
        step = 2 if factor % 2 == 0 else factor
        h, w = gray.shape[0] // step, gray.shape[1] // step
        gray = cv2.resize(gray[: h * step, : w * step], (w, h), interpolation=cv2.INTER_AREA)
        factor //= step
    return gray


def candidates(gray: np.ndarray, min_code_px: float = _MIN_CODE_PX) -> list[Box]:
    """Return boxes dense in edges of both orientations (QR texture), largest first.

    Edge density is divided by the local contrast range, so dim (dusk), washed-out (glare)
    and blurred codes score like crisp ones, while a single sharp line or rectangle edge
    does not. Two thresholds catch both faint codes and codes next to other texture.
    Only codes of at least `min_code_px` are sought, so the search runs at a matching
    (often much lower) resolution.
    """
    detail = gray.size * (_WORK_SIDE / max(min_code_px, _MIN_CODE_PX)) ** 2
    small, factor = reduce_to(gray, int(min(_TARGET_PIXELS, max(_MIN_PIXELS, detail))))
    spread = cv2.subtract(cv2.dilate(small, _SQUARE7), cv2.erode(small, _SQUARE7))
    ax = cv2.convertScaleAbs(cv2.Sobel(small, cv2.CV_16S, 1, 0, ksize=3), alpha=0.25)
    ay = cv2.convertScaleAbs(cv2.Sobel(small, cv2.CV_16S, 0, 1, ksize=3), alpha=0.25)
    ax, ay, spread = (cv2.blur(downscale(m, 2), (5, 5)) for m in (ax, ay, spread))
    factor *= small.shape[1] / ax.shape[1]
    score = cv2.divide(cv2.min(ax, ay), cv2.add(spread, 4), scale=255)
    contrasted = spread > _MIN_CONTRAST
    min_side = max(3, int(max(min_code_px, _MIN_CODE_PX) / factor))
    boxes: list[tuple[int, Box]] = []
    for level in _LEVELS:
        mask = ((score > level * 255) & contrasted).astype(np.uint8)
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, _SQUARE3)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            x, y, bw, bh = cv2.boundingRect(contour)
            if min(bw, bh) < min_side or max(bw, bh) > 4 * min(bw, bh):
                continue
            area = cv2.contourArea(contour)
            if area < 0.3 * bw * bh:
                continue
            box = Box(float(x * factor), float(y * factor),
                      float((x + bw) * factor), float((y + bh) * factor))
            boxes.append((int(area), box))
    boxes.sort(key=lambda item: -item[0])
    distinct: list[Box] = []
    for _, box in boxes:
        for i, other in enumerate(distinct):
            if _mostly_shared(box, other):
                distinct[i] = union(box, other)
                break
        else:
            distinct.append(box)
    return distinct


def union(a: Box, b: Box) -> Box:
    """Return the smallest box holding both."""
    return Box(min(a.x0, b.x0), min(a.y0, b.y0), max(a.x1, b.x1), max(a.y1, b.y1))


def _mostly_shared(a: Box, b: Box) -> bool:
    """Tell whether most of the smaller box lies in the other (the same region, twice)."""
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    if w <= 0 or h <= 0:
        return False
    smaller = min((a.x1 - a.x0) * (a.y1 - a.y0), (b.x1 - b.x0) * (b.y1 - b.y0))
    return w * h >= 0.6 * smaller
