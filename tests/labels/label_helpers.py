"""Helpers for the label tests: sample labels and ONE decoder switch (app.scan or zxing-cpp)."""
from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from labels import Label

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BASE_URL = "https://cyl.example.cn"
OWNER = "保定市莲池燃气有限公司"


@dataclass(frozen=True)
class Found:
    """One decoded symbol: its text and its centre in pixels."""

    text: str
    x: float
    y: float


def _app_decoder() -> Callable[[bytes], list] | None:
    """Return app.scan.decode_image once another engineer's package provides it."""
    try:
        from app.scan import decode_image
    except ImportError:
        return None
    return decode_image


_DECODE_IMAGE = _app_decoder()


def decode(image: Image.Image) -> list[Found]:
    """Decode every QR code in an image with the project's decoder, else zxing-cpp."""
    if _DECODE_IMAGE is not None:
        buffer = io.BytesIO()
        image.convert("L").save(buffer, format="PNG")
        found = []
        for item in _DECODE_IMAGE(buffer.getvalue()):
            xs = [p[0] if isinstance(p, (tuple, list)) else p.x for p in item.points]
            ys = [p[1] if isinstance(p, (tuple, list)) else p.y for p in item.points]
            found.append(Found(item.text, sum(xs) / len(xs), sum(ys) / len(ys)))
        return found
    import zxingcpp

    results = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    found = []
    for result in results:
        pos = result.position
        corners = (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)
        found.append(Found(result.text, sum(p.x for p in corners) / 4,
                           sum(p.y for p in corners) / 4))
    return found


def random_code(rng: random.Random) -> str:
    """Return a 16-character Crockford base32 code (the check character is not needed here)."""
    return "".join(rng.choice(ALPHABET) for _ in range(16))


def make_labels(count: int, seed: int = 1, owner: str = OWNER) -> list[Label]:
    """Build `count` distinct labels whose optional fields vary from label to label."""
    rng = random.Random(seed)
    labels = []
    for i in range(count):
        code = random_code(rng)
        labels.append(Label(code=code, payload=f"{BASE_URL}/c/{code}", owner_name=owner,
                            model="YSP35.5" if i % 2 else None,
                            serial_no=f"BD{i:06d}" if i % 3 else None))
    return labels
