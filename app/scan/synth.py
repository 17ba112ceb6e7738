"""Generate deterministic photos of QR-labelled gas cylinders, with known payloads and corners.

Each category isolates one fault of real filling-line and doorstep photos (curved steel,
dirt, glare, dusk, blur, tilt, small far-away codes), combines them, or puts several
cylinders (or a 12-megapixel frame with small codes) in one picture. The same
`(category, seed)` always yields the same bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

import cv2
import numpy as np
from PIL import Image

from app.scan.synth_render import Look, Point, background, cylinder

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
URL_PREFIX = "https://gas.example.cn/c/"
FAULTS = ("curved", "dirt", "glare", "dusk", "blur", "tilt")
CATEGORIES = ("clean", *FAULTS, "far", "combined", "multi", "large")
_ROTATE_RAW = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90,
               8: Image.Transpose.ROTATE_270}


@dataclass(frozen=True)
class SynthCode:
    """One code drawn in a synthetic photo: its payload and corners in upright pixels."""

    text: str
    corners: tuple[Point, ...]


@dataclass(frozen=True)
class SynthImage:
    """A synthetic photo as uploaded (encoded bytes) with the codes it shows."""

    category: str
    seed: int
    data: bytes
    format: str
    size: tuple[int, int]
    orientation: int
    codes: tuple[SynthCode, ...]


def payload(rng: np.random.Generator) -> str:
    """Return a cylinder code: a 16-character Crockford base32 id, usually inside a URL."""
    code = "".join(rng.choice(list(CROCKFORD), 16))
    return URL_PREFIX + code if rng.random() < 0.7 else code


def generate(category: str, seed: int) -> SynthImage:
    """Build the synthetic photo number `seed` of a category."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}; choose from {CATEGORIES}")
    rng = np.random.default_rng([CATEGORIES.index(category), seed])
    if category == "combined":
        faults = {"curved", *rng.choice(FAULTS[1:], 2, replace=False)}
    elif category in FAULTS:
        faults = {category}
    elif category == "multi":
        faults = set(rng.choice(FAULTS, int(rng.integers(0, 2)), replace=False))
    else:
        faults = set()
    size, cells, modules = _layout(category, rng)
    scene = background(size, rng)
    texts = [payload(rng) for _ in cells]
    if category == "multi" and len(texts) > 2:
        texts[-1] = texts[0]
    codes = []
    for (cx, cy), text in zip(cells, texts, strict=True):
        look = _look(rng, faults, float(rng.uniform(*modules)))
        corners = cylinder(scene, text, look, (cx, cy), rng)
        codes.append(SynthCode(text, tuple(corners)))
    scene = _camera(scene, rng, faults, modules[0])
    return _encode(category, seed, scene, tuple(codes), rng)


def _layout(
    category: str, rng: np.random.Generator
) -> tuple[tuple[int, int], list[Point], tuple[float, float]]:
    """Choose frame size, code centres and module-size range for a category."""
    if category == "large":
        size, count, grid, modules = (4000, 3000), int(rng.integers(1, 7)), (4, 3), (2.2, 3.6)
    elif category == "multi":
        size, count, grid, modules = (2400, 1800), int(rng.integers(3, 13)), (4, 3), (2.8, 4.5)
    elif category == "far":
        size, count, grid, modules = (1600, 1200), 1, (1, 1), (1.7, 2.5)
    else:
        size = (1280, 960) if rng.random() < 0.5 else (1600, 1200)
        count, grid, modules = 1, (1, 1), (3.5, 7.0)
    cols, rows = grid
    cw, ch = size[0] / cols, size[1] / rows
    picks = rng.choice(cols * rows, count, replace=False)
    centres = []
    for cell in picks:
        cx = (cell % cols + 0.5 + rng.uniform(-0.2, 0.2)) * cw
        cy = (cell // cols + 0.5 + rng.uniform(-0.2, 0.2)) * ch
        centres.append((float(cx), float(cy)))
    return size, centres, modules


def _look(rng: np.random.Generator, faults: set[str], module_px: float) -> Look:
    """Draw one cylinder's geometry and surface faults."""
    spin = rng.uniform(-30, 30) if rng.random() < 0.8 else rng.uniform(0, 360)
    tilt = (rng.uniform(-12, 12), rng.uniform(-12, 12), spin)
    look = Look(module_px, rng.uniform(25, 50), rng.uniform(-10, 10), tilt)
    if "curved" in faults:
        strong = len(faults) == 1
        arc = rng.uniform(50, 85) if strong else rng.uniform(30, 60)
        look = replace(look, arc_deg=arc, offset_deg=rng.uniform(-15, 15))
    if "tilt" in faults:
        sign = rng.choice([-1, 1], 2)
        tilt = (sign[0] * rng.uniform(25, 55), sign[1] * rng.uniform(0, 40), tilt[2])
        look = replace(look, tilt_deg=tilt)
    if "dirt" in faults:
        look = replace(look, dirt=rng.uniform(0.2, 0.8))
    if "glare" in faults:
        look = replace(look, glare=rng.uniform(0.6, 1.0))
    return look


def _camera(
    scene: np.ndarray, rng: np.random.Generator, faults: set[str], module_px: float
) -> np.ndarray:
    """Apply the camera: optics blur, motion or defocus, low light, vignetting and noise."""
    img = cv2.GaussianBlur(scene, (0, 0), rng.uniform(0.4, 0.8))
    if "blur" in faults:
        if rng.random() < 0.5:
            img = cv2.GaussianBlur(img, (0, 0), module_px * rng.uniform(0.3, 0.55))
        else:
            length = max(3, int(module_px * rng.uniform(0.8, 1.5)))
            kernel = np.zeros((length, length), np.float32)
            kernel[length // 2, :] = 1 / length
            mid = length / 2 - 0.5
            spin = cv2.getRotationMatrix2D((mid, mid), rng.uniform(0, 180), 1)
            kernel = cv2.warpAffine(kernel, spin, (length, length))
            img = cv2.filter2D(img, -1, kernel / max(kernel.sum(), 1e-6))
    h, w = img.shape[:2]
    gain = np.float32(rng.uniform(0.12, 0.3) if "dusk" in faults else rng.uniform(0.85, 1.1))
    yy, xx = np.ogrid[:h, :w]
    falloff = 1 - 0.35 * (((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2) * 2
    out = img.astype(np.float32) * (gain * falloff.astype(np.float32))[..., None]
    if "dusk" in faults:
        out *= np.float32([1.0, 0.9, 0.75])
    sigma = rng.uniform(2.5, 5.0) if "dusk" in faults else rng.uniform(0.8, 2.0)
    out += rng.standard_normal(out.shape, dtype=np.float32) * np.float32(sigma)
    return np.clip(out, 0, 255).astype(np.uint8)


def _encode(
    category: str, seed: int, scene: np.ndarray, codes: tuple[SynthCode, ...],
    rng: np.random.Generator,
) -> SynthImage:
    """Encode as a phone or camera would: JPEG (maybe EXIF-rotated), sometimes PNG or WebP."""
    image = Image.fromarray(cv2.cvtColor(scene, cv2.COLOR_BGR2RGB))
    roll = rng.random()
    fmt = "JPEG" if roll < 0.7 or category == "large" else ("PNG" if roll < 0.85 else "WEBP")
    orientation = int(rng.choice([1, 1, 3, 6, 8])) if fmt == "JPEG" else 1
    buf = io.BytesIO()
    if fmt == "JPEG":
        exif = Image.Exif()
        exif[0x0112] = orientation
        raw = image.transpose(_ROTATE_RAW[orientation]) if orientation != 1 else image
        raw.save(buf, "JPEG", quality=int(rng.integers(72, 93)), exif=exif.tobytes())
    elif fmt == "PNG":
        image.save(buf, "PNG", compress_level=1)
    else:
        image.save(buf, "WEBP", quality=int(rng.integers(75, 92)))
    return SynthImage(category, seed, buf.getvalue(), fmt, image.size, orientation, codes)
