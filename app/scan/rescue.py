"""Retry one suspicious region with other libraries and preprocessing until it reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from app.scan import engines, filters, unwarp
from app.scan.engines import Quad, Read
from app.scan.regions import Box

_MIN_CROP = 12
_SMALL_CODE = 160
_MAX_SIDE = 400
_MARGIN = 0.25
_WIDE_MARGIN = 0.5
# Measured CPU cost of each try, in ns per crop pixel (unwarp: per code), for the budgets.
ZXING_NS = 2.5
ZBAR_NS = 18.0
FILTER_NS = 0.5
ARUCO_NS = 30.0
UNWARP_NS = 1_500_000.0

Attempt = tuple[str, list[Read]]
Step = tuple[str, float, Callable[[], list[Read]]]


@dataclass(frozen=True)
class Region:
    """A place to retry: its box and the corners zxing-cpp found there, if it saw a symbol."""

    box: Box
    hints: tuple[Quad, ...] = ()

    @property
    def seen(self) -> bool:
        """Tell whether zxing-cpp located a symbol here (strong evidence of a code)."""
        return bool(self.hints)


@dataclass(frozen=True)
class Crop:
    """A region cut from the working image (shrunk when huge), with zoomed and wider cuts."""

    gray: np.ndarray
    box: Box
    scale: float
    x0: int
    y0: int

    @classmethod
    def of(cls, gray: np.ndarray, box: Box) -> Crop | None:
        """Cut a region with a quiet margin; None when it is too small to hold a code."""
        grown = box.grow(_MARGIN, gray.shape[1], gray.shape[0])
        if grown.x1 - grown.x0 < _MIN_CROP or grown.y1 - grown.y0 < _MIN_CROP:
            return None
        return cls(gray, box, min(1.0, _MAX_SIDE / box.side), int(grown.x0), int(grown.y0))

    def _cut(self, margin: float) -> tuple[np.ndarray, int, int]:
        """Return the box grown by `margin` at the crop scale, and its top-left corner."""
        grown = self.box.grow(margin, self.gray.shape[1], self.gray.shape[0])
        x0, y0 = int(grown.x0), int(grown.y0)
        region = self.gray[y0 : int(np.ceil(grown.y1)), x0 : int(np.ceil(grown.x1))]
        if self.scale < 1.0:
            region = cv2.resize(region, None, fx=self.scale, fy=self.scale,
                                interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(region), x0, y0

    @property
    def pixels(self) -> float:
        """Return roughly how many pixels the crop has (for budgeting)."""
        return (self.box.side * (1 + 2 * _MARGIN) * self.scale) ** 2

    @cached_property
    def image(self) -> np.ndarray:
        """Return the region with its usual quiet margin."""
        return self._cut(_MARGIN)[0]

    @cached_property
    def wide(self) -> tuple[np.ndarray, int, int]:
        """Return a wider cut (zbar's scan lines fall differently on it) and its corner."""
        return self._cut(_WIDE_MARGIN)

    @property
    def zoom(self) -> float:
        """Return the enlargement that gives a small code's modules a few pixels."""
        side = self.box.side * self.scale
        return min(3.0, _SMALL_CODE * 1.5 / max(side, 1.0)) if side < _SMALL_CODE else 1.0

    @cached_property
    def zoomed(self) -> np.ndarray:
        """Return the crop enlarged by `zoom`."""
        if self.zoom == 1.0:
            return self.image
        return cv2.resize(self.image, None, fx=self.zoom, fy=self.zoom,
                          interpolation=cv2.INTER_CUBIC)

    def unzoom(self, quad: Quad) -> Quad:
        """Map zoomed-crop pixels to crop pixels."""
        return tuple((x / self.zoom, y / self.zoom) for x, y in quad)

    def to_image(self, quad: Quad) -> Quad:
        """Map crop pixels to working-image pixels."""
        return tuple((x / self.scale + self.x0, y / self.scale + self.y0) for x, y in quad)

    def from_image(self, quad: Quad) -> Quad:
        """Map working-image pixels to crop pixels."""
        return tuple(((x - self.x0) * self.scale, (y - self.y0) * self.scale) for x, y in quad)


@dataclass
class Budget:
    """Estimated CPU nanoseconds that retries may still spend on an image."""

    left: float

    def spend(self, ns: float) -> bool:
        """Take `ns` from the budget if it is there."""
        if ns > self.left:
            return False
        self.left -= ns
        return True


def steps(crop: Crop, quads: list[Quad], thorough: bool) -> Iterator[Step]:
    """Yield (strategy, estimated ns, run) cheapest first; the caller stops on a read.

    zxing-cpp (cheap) goes first: on the zoomed crop, unwarped where it located a symbol,
    and after each repair filter; then zbar as is and denoised. When not `thorough`
    only two filters run, and the dearer tries (more zbar, OpenCV) are left out unless
    zxing-cpp located a symbol.
    """
    native, zoomed = crop.pixels, crop.pixels * crop.zoom**2
    deep = thorough or bool(quads)
    tried: list[Quad] = []
    yield "zxing", ZXING_NS * zoomed, lambda: _zxing(crop, crop.zoomed, quads)
    if quads:
        tried.append(quads[0])
        yield "unwarp", UNWARP_NS, lambda: _flattened(crop.image, tried[0])
    for name, fn in filters.FOR_ZXING[: None if deep else 2]:
        yield (f"zxing+{name}", (ZXING_NS + FILTER_NS) * zoomed,
               lambda fn=fn: _zxing(crop, fn(crop.zoomed), quads))
    fresh = [q for q in quads if q not in tried]
    if fresh:
        tried.append(fresh[0])
        yield "unwarp", UNWARP_NS, lambda: _flattened(crop.image, fresh[0])
    yield "pyzbar", ZBAR_NS * native, lambda: engines.zbar(crop.image)
    yield ("pyzbar+median", (ZBAR_NS + FILTER_NS) * native,
           lambda: engines.zbar(filters.smoothed(crop.image)))
    if not (thorough or quads):
        return
    yield "pyzbar", ZBAR_NS * native * 1.8, lambda: _zbar_wide(crop)
    for name, fn in filters.FOR_ZBAR:
        yield (f"pyzbar+{name}", (ZBAR_NS + FILTER_NS) * native,
               lambda fn=fn: engines.zbar(fn(crop.image)))
    yield "opencv-aruco", ARUCO_NS * native, lambda: engines.opencv_aruco(crop.image)


def _zbar_wide(crop: Crop) -> list[Read]:
    """Read a wider cut with zbar (its scan lines fall differently); map to crop pixels."""
    wide, x0, y0 = crop.wide
    dx, dy = (x0 - crop.x0) * crop.scale, (y0 - crop.y0) * crop.scale
    return [Read(r.text, tuple((x + dx, y + dy) for x, y in r.points), r.engine)
            for r in engines.zbar(wide)]


def _zxing(crop: Crop, image: np.ndarray, quads: list[Quad]) -> list[Read]:
    """Read a (zoomed) crop with zxing-cpp, noting where it saw symbols it could not decode."""
    reads, failed = engines.zxing_suspects(image)
    quads += [crop.unzoom(q) for q in failed]
    return [_unzoomed(crop, r) for r in reads]


def _unzoomed(crop: Crop, read: Read) -> Read:
    """Map a read on the zoomed crop back to crop pixels."""
    return Read(read.text, crop.unzoom(read.points), read.engine)


def _flattened(img: np.ndarray, quad: Quad) -> list[Read]:
    """Try cylinder unwarps of a code zxing-cpp located but could not decode."""
    edges = np.diff(np.float32(quad + quad[:1]), axis=0)
    side = int(np.clip(np.hypot(edges[:, 0], edges[:, 1]).max() * 1.5, 90, 240))
    rectified = unwarp.Rectified.of(img, quad, side)
    for arc, offset, along_v in unwarp.hypotheses(quad):
        reads = engines.zxing(rectified.bend(arc, offset, along_v), try_harder=False)
        if reads:
            return [Read(r.text, tuple(rectified.to_source(p, arc, offset, along_v)
                                       for p in r.points), "unwarp+" + r.engine) for r in reads]
    return []


def rescue(gray: np.ndarray, region: Region, thorough: bool, budget: Budget) -> Attempt:
    """Retry one region while the budget lasts.

    Returns the winning strategy ("" if none) and its reads in working-image pixels.
    """
    crop = Crop.of(gray, region.box)
    if crop is None:
        return "", []
    quads = [crop.from_image(q) for q in region.hints]
    for name, cost, run in steps(crop, quads, thorough):
        if not budget.spend(cost):
            break
        reads = run()
        if reads:
            return name, [Read(r.text, crop.to_image(r.points), r.engine) for r in reads]
    return "", []
