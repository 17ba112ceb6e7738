"""ZPL II for thermal label printers: one ^XA..^XZ format per cylinder label.

The owner's name is sent as a ^GF bitmap drawn from the same CJK font as the PDF, because
Zebra printers ship no Chinese font; pass `printer_font` to use one loaded on the printer.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from labels.fonts import CjkFont, load_font
from labels.layout import TextLine, layout_label
from labels.model import Label
from labels.qr import qr_matrix
from labels.template import Template

SUPPORTED_DPI = (152, 203, 300, 600)
BY_HEIGHT = 10
_ACS_HIGH = "ghijklmnopqrstuvwxyz"
_ACS_LOW = "GHIJKLMNOPQRSTUVWXY"
_ESCAPES = {"_": "_5F", "^": "_5E", "~": "_7E"}


def dots(mm: float, dpi: int) -> int:
    """Convert millimetres to printer dots."""
    return round(mm / 25.4 * dpi)


def zpl_escape(text: str) -> str:
    """Hex-escape the characters ZPL reads as commands, for a field preceded by ^FH_."""
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def _repeat(count: int) -> str:
    """Encode a repeat count with ZPL's ASCII compression letters (G..Y = 1..19, g..z = 20..400)."""
    out = []
    while count > 400:
        out.append("z")
        count -= 400
    if count >= 20:
        out.append(_ACS_HIGH[count // 20 - 1])
        count %= 20
    if count:
        out.append(_ACS_LOW[count - 1])
    return "".join(out)


def acs_compress(rows: list[str]) -> str:
    """Compress hex rows of a ^GF graphic with ZPL's run-length scheme to cut transfer size."""
    out = []
    previous = None
    for row in rows:
        if row == previous:
            out.append(":")
            continue
        previous = row
        stripped = row.rstrip("0")
        tail = "," if len(stripped) < len(row) else ""
        i = 0
        while i < len(stripped):
            j = i
            while j < len(stripped) and stripped[j] == stripped[i]:
                j += 1
            run = j - i
            out.append(stripped[i] if run == 1 else _repeat(run) + stripped[i])
            i = j
        out.append(tail)
    return "".join(out)


@lru_cache(maxsize=16)
def _face(font_path: str, font_index: int, size_dots: int) -> ImageFont.FreeTypeFont:
    """Load the face once per size."""
    return ImageFont.truetype(font_path, size=size_dots, index=font_index)


@lru_cache(maxsize=256)
def text_graphic(text: str, size_dots: int, font_path: str, font_index: int
                 ) -> tuple[str, int, int]:
    """Render a line to a ^GF field; return (command, width in dots, ascent in dots)."""
    face = _face(font_path, font_index, size_dots)
    ascent, descent = face.getmetrics()
    width = max(1, int(np.ceil(face.getlength(text))))
    image = Image.new("L", (width, ascent + descent), 255)
    ImageDraw.Draw(image).text((0, ascent), text, fill=0, font=face, anchor="ls")
    bits = np.asarray(image) < 128
    row_bytes = (width + 7) // 8
    packed = np.packbits(bits, axis=1)[:, :row_bytes]
    rows = [bytes(row).hex().upper() for row in packed]
    total = row_bytes * len(rows)
    return f"^GFA,{total},{total},{row_bytes},{acs_compress(rows)}^FS", width, ascent


def _split_ascii_tail(text: str) -> tuple[str, str]:
    """Split '编号 BD000123' into a CJK head and a plain-ASCII tail (the part that varies)."""
    end = len(text)
    while end > 0 and text[end - 1].isascii():
        end -= 1
    head, tail = text[:end], text[end:]
    return (head, tail) if head and tail.strip() else (text, "")


def _text_field(line: TextLine, dpi: int, font: CjkFont, printer_font: str | None) -> str:
    """Place one text line: device font for plain ASCII, a bitmap (or printer font) for CJK."""
    size = max(10, dots(line.size_pt * 25.4 / 72, dpi))
    x, baseline = dots(line.x, dpi), dots(line.baseline, dpi)
    if line.text.isascii():
        return f"^FT{x},{baseline}^A0N,{size},{size}^FH_^FD{zpl_escape(line.text)}^FS"
    if printer_font:
        return (f"^FT{x},{baseline}^A@N,{size},{size},{printer_font}"
                f"^FH_^FD{zpl_escape(line.text)}^FS")
    font.check(line.text)
    head, tail = _split_ascii_tail(line.text)
    graphic, _, ascent = text_graphic(head, size, str(font.path), font.index)
    field = f"^FO{x},{max(0, baseline - ascent)}{graphic}"
    if tail:
        tail_x = x + dots(font.width_em(head) * line.size_pt * 25.4 / 72, dpi)
        field += f"\n^FT{tail_x},{baseline}^A0N,{size},{size}^FH_^FD{zpl_escape(tail)}^FS"
    return field


def qr_field(payload: str, ecc: str, magnification: int, x: int, y: int) -> str:
    """Return a ^BQ field in manual byte mode, so the printer picks the version we laid out."""
    data = payload.encode("utf-8")
    if len(data) > 9999:
        raise ValueError("QR payload longer than 9999 bytes")
    return (f"^BY2,3,{BY_HEIGHT}^FO{x},{y - BY_HEIGHT}^BQN,2,{magnification},{ecc},7"
            f"^FH_^FD{ecc}M,B{len(data):04d}{zpl_escape(payload)}^FS")


def render_zpl(labels: Iterable[Label], template: Template, dpi: int = 203, *,
               printer_font: str | None = None, font: CjkFont | None = None
               ) -> Iterator[str]:
    """Yield one ZPL II format per label, laid out on the template's label size at `dpi`.

    `printer_font` (e.g. "E:SIMSUN.TTF") switches CJK lines from ^GF bitmaps to ^A@ text.
    """
    if dpi not in SUPPORTED_DPI:
        raise ValueError(f"dpi must be one of {SUPPORTED_DPI}, got {dpi!r}")
    return _formats(labels, template, dpi, printer_font, font or load_font())


def _formats(labels: Iterable[Label], template: Template, dpi: int, printer_font: str | None,
             font: CjkFont) -> Iterator[str]:
    """Generate the formats lazily, so a long batch streams to the printer."""
    width, height = dots(template.label_width, dpi), dots(template.label_height, dpi)
    for label in labels:
        matrix = qr_matrix(label.payload, template.qr_ecc)
        n = matrix.shape[0]
        layout = layout_label(label, template, n, font)
        magnification = max(1, min(10, int(layout.module / 25.4 * dpi)))
        side = n * magnification
        centre_x = dots(layout.qr_x + layout.qr_size / 2, dpi)
        centre_y = dots(layout.qr_y + layout.qr_size / 2, dpi)
        fields = [
            "^XA", "^CI28", f"^PW{width}", f"^LL{height}", "^LH0,0",
            qr_field(label.payload, template.qr_ecc, magnification,
                     centre_x - side // 2, centre_y - side // 2),
        ]
        fields.extend(_text_field(line, dpi, font, printer_font) for line in layout.lines)
        fields.extend(["^PQ1", "^XZ"])
        yield "\n".join(fields) + "\n"
