"""Bad uploads are refused with a clear ImageRejected, quickly and without crashing."""

from __future__ import annotations

import io
import pickle
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from app.scan import ImageRejected, decode_image
from tests.scan.images import canvas, encode, png_header_only

REPO = Path(__file__).resolve().parents[2]


def rejection(data: bytes, **limits: int) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        decode_image(data, **limits)
    return caught.value


@pytest.fixture(scope="module")
def photo_jpeg() -> bytes:
    image, _ = canvas([("https://gas.example.cn/c/0123456789ABCDEF", 200, 150)])
    return encode(image, "JPEG", quality=90)


def test_empty_upload() -> None:
    err = rejection(b"")
    assert err.code == "empty_image"
    assert err.message


def test_sixty_megabytes_are_refused_before_parsing() -> None:
    start = time.perf_counter()
    err = rejection(b"\xff\xd8\xff" + bytes(60 * 1024 * 1024))
    assert err.code == "image_too_large"
    assert time.perf_counter() - start < 1.0


def test_byte_limit_is_a_parameter(photo_jpeg: bytes) -> None:
    assert rejection(photo_jpeg, max_bytes=len(photo_jpeg) - 1).code == "image_too_large"
    assert decode_image(photo_jpeg, max_bytes=len(photo_jpeg))


def test_decompression_bomb_is_refused_from_the_header() -> None:
    start = time.perf_counter()
    err = rejection(png_header_only(30_000, 30_000))
    assert err.code == "image_dimensions_too_large"
    assert "30000x30000" in err.message or "pixels" in err.message
    assert time.perf_counter() - start < 1.0


def test_jpeg_claiming_huge_dimensions_is_refused() -> None:
    data = bytearray(encode(Image.new("L", (64, 64), 255), "JPEG"))
    frame = data.find(b"\xff\xc0")
    data[frame + 5 : frame + 9] = struct.pack(">HH", 30_000, 30_000)
    assert rejection(bytes(data)).code == "image_dimensions_too_large"


@pytest.mark.parametrize("side", [10_000, 14_000, 30_000])
def test_pillow_bomb_checks_become_rejections(side: int) -> None:
    err = rejection(png_header_only(side, side), max_pixels=10**10)
    assert err.code == "image_dimensions_too_large"


def test_bomb_does_not_allocate_its_pixels() -> None:
    script = (
        "import resource\n"
        "from tests.scan.images import png_header_only\n"
        "from app.scan import ImageRejected, decode_image\n"
        "data = png_header_only(30000, 30000)\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n    decode_image(data)\nexcept ImageRejected as exc:\n    print(exc.code)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                         text=True, timeout=60, check=True).stdout.split()
    assert out[0] == "image_dimensions_too_large"
    assert int(out[1]) < 100_000  # KiB: far below the 900 MB the pixels would need


def test_pixel_limit_is_a_parameter(photo_jpeg: bytes) -> None:
    assert rejection(photo_jpeg, max_pixels=800 * 600 - 1).code == "image_dimensions_too_large"
    assert decode_image(photo_jpeg, max_pixels=800 * 600)


@pytest.mark.parametrize("data", [b"hello, world", b"%PDF-1.7\n" + bytes(100), bytes(1000)])
def test_not_an_image(data: bytes) -> None:
    assert rejection(data).code == "unsupported_image"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_unsupported(fmt: str) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buf, fmt)
    assert rejection(buf.getvalue()).code == "unsupported_image"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_files_are_corrupt(fmt: str, keep: float) -> None:
    image, _ = canvas([("0123456789ABCDEF", 100, 100)], size=(400, 300))
    data = encode(image, fmt)
    assert rejection(data[: int(len(data) * keep)]).code == "corrupt_image"


@pytest.mark.parametrize("head", [b"\xff\xd8", b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n",
                                  b"RIFF\x10\x00\x00\x00WEBPVP8 "])
def test_bare_signatures_are_corrupt(head: bytes) -> None:
    assert rejection(head).code == "corrupt_image"


def test_rejection_carries_code_and_message_and_pickles() -> None:
    err = rejection(b"")
    assert isinstance(err, ValueError)
    again = pickle.loads(pickle.dumps(err))
    assert (again.code, again.message) == (err.code, err.message)
    with pytest.raises(ValueError):
        ImageRejected("not_a_code", "x")
