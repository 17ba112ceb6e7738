"""Make simple photos of our QR labels: printed code pasted on a larger scene, turned, JPEG."""
from __future__ import annotations

import io
import random

import segno
from PIL import Image, ImageDraw, ImageFilter


def label(payload: str, scale: int = 8) -> Image.Image:
    """Render one QR label as the printer would (white quiet zone around it)."""
    buf = io.BytesIO()
    segno.make(payload, error="m").save(buf, kind="png", scale=scale, border=4)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def qr_photo(payloads: list[str], size: tuple[int, int] = (1600, 1200), angle: float = 4.0,
             scale: int = 8, quality: int = 85, seed: int = 0, fmt: str = "JPEG") -> bytes:
    """Photograph labels on a grey steel-like scene, each slightly turned, as one JPEG."""
    rng = random.Random(seed)
    width, height = size
    scene = Image.new("RGB", size, (150, 156, 160))
    draw = ImageDraw.Draw(scene)
    for y in range(0, height, 6):  # uneven light across the cylinder body
        shade = 130 + int(40 * y / height) + rng.randint(-6, 6)
        draw.line([(0, y), (width, y + 3)], fill=(shade, shade + 4, shade + 8), width=6)
    slots = len(payloads)
    for index, payload in enumerate(payloads):
        tile = label(payload, scale).rotate(angle + index * 7, expand=True,
                                            fillcolor=(150, 156, 160))
        x = int((index + 0.5) * width / slots - tile.width / 2)
        y = int(height / 2 - tile.height / 2 + rng.randint(-40, 40))
        scene.paste(tile, (max(0, x), max(0, y)))
    scene = scene.filter(ImageFilter.GaussianBlur(0.7))
    out = io.BytesIO()
    scene.save(out, format=fmt, quality=quality)
    return out.getvalue()
