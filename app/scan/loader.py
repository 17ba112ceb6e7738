"""Turn uploaded bytes into an upright grayscale array, refusing bad input early and cheaply."""

from __future__ import annotations

import io
import math
import threading
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image

from app.scan.model import ImageRejected
from app.scan.regions import downscale

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
WORK_PIXELS = 16_000_000
_ORIENTATION_TAG = 0x0112
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90,
}
_ROTATIONS = (3, 6, 8)
# Pillow warns about odd files (EXIF, palettes, sizes); the filters that silence it are
# process-wide in Python 3.11, so our own threads take turns changing them.
_QUIET = threading.Lock()
_SIGNATURES = (b"\xff\xd8", b"\x89PNG\r\n\x1a\n")


@dataclass(frozen=True)
class Picture:
    """A grayscale working copy as stored, and how its pixels map to the upright original.

    Rotated photos (EXIF orientation 3, 6, 8) are not turned: QR readers do not care, so
    only the corner points are mapped, which saves a full-image copy. Mirrored ones are
    flipped, because a mirrored code does not read.
    """

    gray: np.ndarray
    scale_x: float
    scale_y: float
    size: tuple[int, int]
    rotation: int = 1

    def upright(self, x: float, y: float) -> tuple[float, float]:
        """Map a working-image point to upright original-image pixels."""
        h, w = self.gray.shape
        if self.rotation == 3:
            x, y = w - x, h - y
        elif self.rotation == 6:
            x, y = h - y, x
        elif self.rotation == 8:
            x, y = y, w - x
        return x * self.scale_x, y * self.scale_y


def load(data: bytes, *, max_bytes: int, max_pixels: int) -> Picture:
    """Decode an upload to grayscale, EXIF-upright, reduced when huge; raise ImageRejected."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"expected bytes, got {type(data).__name__}")
    size = len(data)
    if size == 0:
        raise ImageRejected("empty_image", "the upload is empty")
    if size > max_bytes:
        raise ImageRejected("image_too_large", f"{size} bytes is over the {max_bytes}-byte limit")
    with _QUIET, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return _decode(bytes(data), max_pixels)


def _decode(data: bytes, max_pixels: int) -> Picture:
    """Open, check dimensions from the header, then decode the pixels."""
    try:
        img = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("image_dimensions_too_large", str(exc)) from None
    except Exception as exc:
        if _looks_like_accepted(data):
            raise ImageRejected("corrupt_image", f"cannot read the image header: {exc}") from None
        raise ImageRejected("unsupported_image", "not a JPEG, PNG or WebP image") from None
    with img:
        width, height = img.size
        if width <= 0 or height <= 0:
            raise ImageRejected("corrupt_image", "the image has no pixels")
        if width * height > max_pixels:
            raise ImageRejected("image_dimensions_too_large",
                                f"{width}x{height} is over the {max_pixels}-pixel limit")
        orientation = _orientation(img)
        if img.format in ("JPEG", "MPO"):
            shrink = math.ceil(math.sqrt(width * height / WORK_PIXELS))
            img.draft("L", (max(1, width // shrink), max(1, height // shrink)))
        try:
            img.load()
            gray = _to_gray(img)
        except Exception as exc:
            raise ImageRejected("corrupt_image", f"cannot decode the image data: {exc}") from None
        rotation = orientation if orientation in _ROTATIONS else 1
        if orientation in _UPRIGHT and orientation not in _ROTATIONS:
            gray = gray.transpose(_UPRIGHT[orientation])
        array = np.array(gray)
    if orientation >= 5:
        width, height = height, width
    factor = math.ceil(math.sqrt(array.size / WORK_PIXELS))
    array = np.ascontiguousarray(downscale(array, factor))
    turned = rotation in (6, 8)
    work_h, work_w = array.shape[::-1] if turned else array.shape
    return Picture(array, width / work_w, height / work_h, (width, height), rotation)


def _looks_like_accepted(data: bytes) -> bool:
    """Tell whether bytes start like a JPEG, PNG or WebP file (so failure means corruption)."""
    return data.startswith(_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def _orientation(img: Image.Image) -> int:
    """Return the EXIF orientation (1 when absent or unreadable)."""
    try:
        value = img.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:
        return 1
    return value if isinstance(value, int) and value in range(1, 9) else 1


def _to_gray(img: Image.Image) -> Image.Image:
    """Convert any mode to 8-bit luminance, flattening transparency onto white paper."""
    if img.mode == "L":
        return img
    if img.mode.startswith("I;16"):
        return Image.fromarray((np.asarray(img, dtype=np.uint16) >> 8).astype(np.uint8))
    if img.mode in ("I", "F"):
        values = np.asarray(img, dtype=np.float64)
        top = max(float(values.max()), 1.0)
        return Image.fromarray(np.clip(values * (255.0 / top), 0, 255).astype(np.uint8))
    if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        paper = Image.new("L", rgba.size, 255)
        paper.paste(rgba.convert("L"), mask=rgba.getchannel("A"))
        return paper
    return img.convert("L")
