"""One label as PNG or SVG, for people who place the label in their own artwork."""
from __future__ import annotations

import io
from functools import lru_cache
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from labels.fonts import CjkFont, load_font
from labels.layout import BOLD_STROKE_EM, MM_PER_PT, LabelLayout, layout_label
from labels.model import Label
from labels.qr import dark_runs, qr_matrix
from labels.template import Template

SVG_FONT_FAMILY = "'WenQuanYi Zen Hei', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"


@lru_cache(maxsize=32)
def _pil_font(path: str, index: int, size_px: int) -> ImageFont.FreeTypeFont:
    """Load the face at one pixel size once; labels of a batch reuse a few sizes."""
    return ImageFont.truetype(path, size=size_px, index=index)


def _prepare(label: Label, template: Template, font: CjkFont | None
             ) -> tuple[np.ndarray, LabelLayout, CjkFont]:
    """Encode the QR code and lay the label out, refusing characters the font lacks."""
    font = font or load_font()
    for text in (label.owner_name, label.code_text, *label.detail_lines()):
        font.check(text)
    matrix = qr_matrix(label.payload, template.qr_ecc)
    return matrix, layout_label(label, template, matrix.shape[0], font), font


def render_label_image(label: Label, template: Template, dpi: int = 300, *,
                       outline: bool = False, font: CjkFont | None = None) -> Image.Image:
    """Draw one label as a greyscale image with whole-pixel QR modules, so edges stay sharp."""
    matrix, layout, font = _prepare(label, template, font)
    px = dpi / 25.4
    width, height = round(template.label_width * px), round(template.label_height * px)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    if outline:
        draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=template.corner_radius * px,
                               outline=150, width=max(1, round(0.2 * px)))
    n = matrix.shape[0]
    module_px = max(1, int(layout.module * px))
    side = n * module_px
    left = round((layout.qr_x + layout.qr_size / 2) * px - side / 2)
    top = round((layout.qr_y + layout.qr_size / 2) * px - side / 2)
    symbol = np.where(matrix, 0, 255).astype(np.uint8)
    symbol = symbol.repeat(module_px, axis=0).repeat(module_px, axis=1)
    image.paste(Image.fromarray(symbol, "L"), (left, top))
    for line in layout.lines:
        size_px = max(1, round(line.size_pt / 72 * dpi))
        face = _pil_font(str(font.path), font.index, size_px)
        stroke = round(size_px * BOLD_STROKE_EM / 2) if line.role == "code" else 0
        draw.text((line.x * px, line.baseline * px), line.text, fill=0, font=face, anchor="ls",
                  stroke_width=stroke, stroke_fill=0)
    return image


def render_label_png(label: Label, template: Template, dpi: int = 300, *,
                     outline: bool = False, font: CjkFont | None = None) -> bytes:
    """Return one label as PNG bytes tagged with its resolution, so it prints at true size."""
    image = render_label_image(label, template, dpi, outline=outline, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi), optimize=False)
    return buffer.getvalue()


def _n(value: float) -> str:
    """Format a length in mm for SVG attributes."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def render_label_svg(label: Label, template: Template, *, outline: bool = False,
                     font: CjkFont | None = None) -> str:
    """Return one label as SVG in millimetres: a vector QR path and editable text."""
    matrix, layout, font = _prepare(label, template, font)
    w, h = template.label_width, template.label_height
    rows, starts, lengths = dark_runs(matrix)
    path = "".join(f"M{c} {r}h{n}v1h-{n}z" for r, c, n in zip(rows, starts, lengths, strict=True))
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(w)}mm" height="{_n(h)}mm" '
         f'viewBox="0 0 {_n(w)} {_n(h)}">\n'),
        f"<title>{escape(label.code_text)}</title>\n",
        f'<rect id="background" width="{_n(w)}" height="{_n(h)}" fill="#fff"/>\n',
    ]
    if outline:
        parts.append(f'<rect id="cut-line" x="0.1" y="0.1" width="{_n(w - 0.2)}" '
                     f'height="{_n(h - 0.2)}" rx="{_n(template.corner_radius)}" fill="none" '
                     f'stroke="#999" stroke-width="0.2"/>\n')
    parts.append(f'<path id="qr" data-modules="{matrix.shape[0]}" fill="#000" '
                 f'shape-rendering="crispEdges" transform="translate({_n(layout.symbol_x)} '
                 f'{_n(layout.symbol_y)}) scale({layout.module:.6f})" d="{path}"/>\n')
    parts.append(f'<g id="text" font-family={quoteattr(SVG_FONT_FAMILY)} fill="#000">\n')
    for line in layout.lines:
        bold = (f' stroke="#000" stroke-width="{_n(line.size_pt * MM_PER_PT * BOLD_STROKE_EM)}"'
                if line.role == "code" else "")
        parts.append(f'<text class="{line.role}"{bold} x="{_n(line.x)}" y="{_n(line.baseline)}" '
                     f'font-size="{_n(line.size_pt * MM_PER_PT)}" textLength="{_n(line.width)}" '
                     f'lengthAdjust="spacingAndGlyphs">{escape(line.text)}</text>\n')
    parts.append("</g>\n</svg>\n")
    return "".join(parts)
