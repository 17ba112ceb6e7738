"""Build small test images with known codes at known places."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import segno
from PIL import Image

Corners = list[tuple[float, float]]

TO_RAW = {  # how a camera stores an upright picture for each EXIF orientation
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270,
}


def qr_matrix(text: str) -> np.ndarray:
    """Return a code's modules (True = dark), without quiet zone."""
    return np.array(segno.make(text, error="m", micro=False).matrix, dtype=bool)


def canvas(codes: list[tuple[str, int, int]], size: tuple[int, int] = (800, 600),
           module: int = 5) -> tuple[Image.Image, list[tuple[str, Corners]]]:
    """Draw codes (text, left, top) on white paper; return the image and true corners."""
    paper = np.full((size[1], size[0]), 255, np.uint8)
    truth = []
    for text, left, top in codes:
        cells = np.kron(qr_matrix(text), np.ones((module, module), dtype=bool))
        side = cells.shape[0]
        paper[top : top + side, left : left + side][cells] = 0
        truth.append((text, [(left, top), (left + side, top), (left + side, top + side),
                             (left, top + side)]))
    return Image.fromarray(paper).convert("RGB"), truth


def encode(image: Image.Image, fmt: str, orientation: int = 1, **options: object) -> bytes:
    """Encode an upright image as a camera would store it, with an EXIF orientation tag."""
    buf = io.BytesIO()
    if orientation != 1:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image = image.transpose(TO_RAW[orientation])
        options["exif"] = exif.tobytes()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """Return a tiny PNG claiming huge dimensions (a decompression bomb's header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def near(points: Corners, corners: Corners, tolerance: float) -> bool:
    """Tell whether every true corner has a decoded point within `tolerance` pixels."""
    return all(min(np.hypot(px - cx, py - cy) for px, py in points) <= tolerance
               for cx, cy in corners)
