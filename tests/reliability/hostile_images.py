"""Hand-made hostile uploads: bombs, lies in headers, wrong types, polyglots, odd but valid files.

Each function returns bytes; `CRAFTED` names them with the outcome the decoder must give:
a rejection code, or "decoded" for odd files that are still real images.
"""
from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import segno
from PIL import Image

PAYLOAD = "https://gas.example.cn/c/8YFPTZ88V8W3BY5T"


def qr_image(mode: str = "L", scale: int = 8) -> Image.Image:
    """A clean QR label on white paper, as a Pillow image."""
    buf = io.BytesIO()
    segno.make_qr(PAYLOAD, error="m").save(buf, kind="png", scale=scale, border=4)
    return Image.open(io.BytesIO(buf.getvalue())).convert(mode)


def encode(img: Image.Image, fmt: str, **options: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **options)
    return buf.getvalue()


def qr_png() -> bytes:
    return encode(qr_image(), "PNG")


def qr_jpeg() -> bytes:
    return encode(qr_image("RGB"), "JPEG", quality=90)


def qr_webp() -> bytes:
    return encode(qr_image("RGB"), "WEBP", quality=90)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png(ihdr: bytes, idat: bytes) -> bytes:
    return PNG_SIGNATURE + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_claiming(width: int, height: int, rows: int = 1) -> bytes:  # data stays tiny
    """A PNG whose header claims a huge size but whose data holds only a few rows."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = zlib.compress(b"\0" * min(rows * (width + 1), 4096), 9)
    return _png(ihdr, raw)


def png_bomb(side: int = 20_000) -> bytes:
    """A real decompression bomb: side x side grey pixels of zeros in a few hundred kB."""
    compressor = zlib.compressobj(9)
    row = b"\0" * (side + 1)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return _png(ihdr, body)


def png_text_bomb() -> bytes:
    """A small PNG with a compressed text chunk that inflates to 64 MB."""
    text = b"Comment\0\0" + zlib.compress(b"A" * 64 * 2**20, 9)
    png = qr_png()
    return png[:33] + _chunk(b"zTXt", text) + png[33:]


def jpeg_claiming(width: int, height: int) -> bytes:
    """A JPEG whose frame header claims a huge size."""
    data = bytearray(qr_jpeg())
    at = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, at + 5, height, width)
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """An extended WebP whose canvas header claims a huge size."""
    size = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    vp8x = struct.pack("<I", 0) + size
    body = b"WEBP" + b"VP8X" + struct.pack("<I", len(vp8x)) + vp8x
    return b"RIFF" + struct.pack("<I", len(body)) + body


def jpeg_with_big_exif() -> bytes:
    """A JPEG carrying 60 kB of EXIF-like junk and a bogus orientation."""
    data = qr_jpeg()
    exif = b"Exif\0\0" + b"MM\0*" + b"\0" * 60_000
    segment = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    return data[:2] + segment + data[2:]


def polyglot_jpeg_zip() -> bytes:
    """A valid JPEG followed by a ZIP archive (the classic GIFAR trick with a JPEG)."""
    return qr_jpeg() + b"PK\x03\x04" + b"\0" * 26 + b"evil.html<script>alert(1)</script>"


def polyglot_png_html() -> bytes:
    """A valid PNG with an HTML page appended after IEND."""
    return qr_png() + b"<html><script>alert(document.cookie)</script></html>"


def polyglot_pdf_jpeg() -> bytes:
    """A file that starts as a PDF and carries a JPEG inside."""
    return b"%PDF-1.4\n1 0 obj<<>>stream\n" + qr_jpeg() + b"\nendstream endobj\n%%EOF"


def svg_with_script() -> bytes:
    return (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b"<script>alert(1)</script></svg>")


def other_format(fmt: str) -> Callable[[], bytes]:
    def make() -> bytes:
        img = qr_image("RGB")
        return encode(img, fmt)

    return make


def cmyk_jpeg() -> bytes:
    return encode(qr_image("CMYK"), "JPEG")


def progressive_jpeg() -> bytes:
    return encode(qr_image("RGB"), "JPEG", progressive=True)


def png16() -> bytes:
    """A 16-bit greyscale PNG using the full range, as scanners' raw exports do."""
    import numpy as np

    wide = (np.asarray(qr_image(), dtype=np.uint16) * 257).astype(np.uint16)
    return encode(Image.fromarray(wide), "PNG")  # uint16 makes an I;16 image


def transparent_png() -> bytes:
    """Black modules on a transparent background (label artwork, not a photo)."""
    grey = qr_image()
    img = Image.new("RGBA", grey.size, (0, 0, 0, 0))
    img.putalpha(grey.point(lambda v: 255 - v))
    return encode(img, "PNG")


def thin_strip() -> bytes:
    return encode(Image.new("L", (100_000, 1), 255), "PNG")


def just_under_the_limit(fmt: str) -> Callable[[], bytes]:
    """A blank 49-megapixel photo: allowed, so it must be read within the time bound."""

    def make() -> bytes:
        return encode(Image.new("L", (7000, 7000), 200), fmt)

    return make


def one_pixel() -> bytes:
    return encode(Image.new("L", (1, 1), 0), "PNG")


def animated_png() -> bytes:
    frames = [qr_image("RGB")] + [Image.new("RGB", (200, 200), (i, i, i)) for i in range(30)]
    buf = io.BytesIO()
    frames[0].save(buf, format="PNG", save_all=True, append_images=frames[1:])
    return buf.getvalue()


# name -> (maker, acceptable outcomes: rejection codes or "decoded")
CRAFTED: dict[str, tuple[Callable[[], bytes], set[str]]] = {
    "empty": (lambda: b"", {"empty_image"}),
    "png_header_claims_100k_square": (lambda: png_claiming(100_000, 100_000),
                                      {"image_dimensions_too_large"}),
    "png_header_claims_wide": (lambda: png_claiming(2**31 - 1, 2), {"image_dimensions_too_large",
                                                                     "corrupt_image"}),
    "png_decompression_bomb_400mp": (png_bomb, {"image_dimensions_too_large"}),
    "png_ztxt_bomb": (png_text_bomb, {"corrupt_image", "decoded"}),
    "jpeg_header_claims_65k_square": (lambda: jpeg_claiming(65_000, 65_000),
                                      {"image_dimensions_too_large"}),
    "webp_canvas_claims_16k_square": (lambda: webp_claiming(16_383, 16_383),
                                      {"image_dimensions_too_large", "corrupt_image"}),
    "jpeg_big_exif": (jpeg_with_big_exif, {"decoded", "corrupt_image"}),
    "gif": (other_format("GIF"), {"unsupported_image"}),
    "bmp": (other_format("BMP"), {"unsupported_image"}),
    "tiff": (other_format("TIFF"), {"unsupported_image"}),
    "ico": (other_format("ICO"), {"unsupported_image"}),
    "pdf_with_jpeg_inside": (polyglot_pdf_jpeg, {"unsupported_image"}),
    "svg_with_script": (svg_with_script, {"unsupported_image"}),
    "html": (lambda: b"<!doctype html><html><body>hi</body></html>", {"unsupported_image"}),
    "zip": (lambda: b"PK\x03\x04" + b"\0" * 100, {"unsupported_image"}),
    "text": (lambda: "一瓶一码 8YFP-TZ88-V8W3-BY5T".encode(), {"unsupported_image"}),
    "png_signature_only": (lambda: b"\x89PNG\r\n\x1a\n", {"corrupt_image"}),
    "jpeg_soi_only": (lambda: b"\xff\xd8\xff", {"corrupt_image"}),
    "jpeg_then_zip_polyglot": (polyglot_jpeg_zip, {"decoded"}),
    "png_then_html_polyglot": (polyglot_png_html, {"decoded"}),
    "cmyk_jpeg": (cmyk_jpeg, {"decoded"}),
    "progressive_jpeg": (progressive_jpeg, {"decoded"}),
    "png_16_bit": (png16, {"decoded"}),
    "png_transparent_background": (transparent_png, {"decoded"}),
    "png_100000x1_strip": (thin_strip, {"decoded", "image_dimensions_too_large"}),
    "png_1x1": (one_pixel, {"decoded"}),
    "png_49_megapixels": (just_under_the_limit("PNG"), {"decoded"}),
    "jpeg_49_megapixels": (just_under_the_limit("JPEG"), {"decoded"}),
    "apng_31_frames": (animated_png, {"decoded"}),
    "webp": (qr_webp, {"decoded"}),
}
