"""Read an upload with one library alone, the plain way, to hold the decoder to their union."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable

import numpy as np
from PIL import Image, ImageOps

from app.scan import engines
from app.scan.engines import Read
from app.scan.model import Decoded

SINGLE: dict[str, Callable[[np.ndarray], list[Read]]] = {
    "zxing-cpp": engines.zxing,
    "pyzbar": engines.zbar,
    "opencv-aruco": engines.opencv_aruco,
    "opencv": engines.opencv_classic,
}


def plain_gray(data: bytes) -> np.ndarray:
    """Decode with Pillow defaults to upright grayscale, as a simple integration would."""
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(ImageOps.exif_transpose(img).convert("L"))


def read_alone(data: bytes, library: str) -> list[Read]:
    """Return what one library reads from the whole image, without any help."""
    return SINGLE[library](plain_gray(data))


def zxing_plain(data: bytes) -> list[str]:
    """Read texts with zxing-cpp the obvious way; the timing baseline for 'bytes to text'."""
    with Image.open(io.BytesIO(data)) as img:
        gray = np.asarray(img.convert("L"))
    return [read.text for read in engines.zxing(gray)]


def _box(points: Iterable[tuple[float, float]]) -> tuple[float, float, float, float]:
    """Return (x0, y0, x1, y1) of some points."""
    xs, ys = zip(*points, strict=True)
    return min(xs), min(ys), max(xs), max(ys)


def same_code(text: str, points: Iterable[tuple[float, float]], other: Decoded | Read) -> bool:
    """Tell whether two reads are the same code: equal text at overlapping places."""
    if text.rstrip() != other.text.rstrip():
        return False
    a, b = _box(points), _box(other.points)
    slack = 0.25 * max(a[2] - a[0], a[3] - a[1], b[2] - b[0], b[3] - b[1])
    return (a[0] - slack < b[2] and b[0] - slack < a[2]
            and a[1] - slack < b[3] and b[1] - slack < a[3])


def missed(ours: list[Decoded], theirs: list[Read]) -> list[Read]:
    """Return the single-library reads that our result lacks."""
    return [r for r in theirs if not any(same_code(r.text, r.points, d) for d in ours)]
