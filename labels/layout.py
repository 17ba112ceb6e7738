"""Where the QR code and each text line go on one label, shared by every output format."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from labels.fonts import CjkFont
from labels.model import Label, split_code
from labels.qr import QUIET_ZONE
from labels.template import Template

MM_PER_PT = 25.4 / 72.0
MAX_PT = {"owner": 11.0, "code": 12.0, "detail": 8.0}
LEADING = 1.2
TEXT_GAP_MM = 0.8
WIDE_ASPECT = 1.25
QR_SHARE_WIDE = 0.55
QR_SHARE_TALL = 0.62
MIN_MODULE_MM = 0.25
BOLD_STROKE_EM = 0.035


@dataclass(frozen=True, slots=True)
class TextLine:
    """One line of text; `x` and `baseline` place its left end, in mm from the label's corner."""

    text: str
    role: str
    x: float
    baseline: float
    size_pt: float
    width: float
    ascent: float

    @property
    def top(self) -> float:
        """Return the top of the line's glyphs (ascender line) in mm."""
        return self.baseline - self.ascent


@dataclass(frozen=True, slots=True)
class LabelLayout:
    """The QR box (quiet zone included) and text lines of one label, all in mm."""

    qr_x: float
    qr_y: float
    qr_size: float
    modules: int
    lines: tuple[TextLine, ...]

    @property
    def module(self) -> float:
        """Return the side of one QR module in mm."""
        return self.qr_size / (self.modules + 2 * QUIET_ZONE)

    @property
    def symbol_x(self) -> float:
        """Return the left edge of the symbol itself, inside the quiet zone."""
        return self.qr_x + QUIET_ZONE * self.module

    @property
    def symbol_y(self) -> float:
        """Return the top edge of the symbol itself, inside the quiet zone."""
        return self.qr_y + QUIET_ZONE * self.module


def _fit_pt(font: CjkFont, text: str, width: float, max_pt: float) -> float:
    """Return the largest size up to `max_pt` at which `text` fits in `width` mm."""
    em = font.width_em(text)
    return max_pt if em <= 0 else min(max_pt, width / (em * MM_PER_PT))


BREAK_AFTER = "省市县区镇乡"
BREAK_BEFORE = ("燃气", "液化", "能源", "石油", "有限", "股份", "公司")
CODE_WEIGHT = 1.5


def _split_half(text: str) -> tuple[str, str]:
    """Split a name near its middle, preferring a space or a word boundary of company names."""
    middle = math.ceil(len(text) / 2)
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    if spaces:
        best = min(spaces, key=lambda i: abs(i - middle))
        if abs(best - middle) <= len(text) // 4:
            return text[:best], text[best + 1:]
    cuts = {i + 1 for i, ch in enumerate(text[:-1]) if ch in BREAK_AFTER}
    cuts |= {i for word in BREAK_BEFORE for i in range(1, len(text)) if text.startswith(word, i)}
    near = [i for i in cuts if abs(i - middle) <= max(1, len(text) // 4)]
    if near:
        best = min(near, key=lambda i: (abs(i - middle), i))
        return text[:best], text[best:]
    return text[:middle], text[middle:]


Item = tuple[str, str, float]


@lru_cache(maxsize=1024)
def _variants(role: str, text: str, split: Callable[[str], tuple[str, str]], font: CjkFont,
              width: float) -> tuple[tuple[Item, ...], ...]:
    """Return the one-line and (when possible) two-line ways to set `text`, each sized to fit."""
    whole = ((text, role, _fit_pt(font, text, width, MAX_PT[role])),)
    parts = [p for p in split(text) if p] if len(text) > 1 else []
    if len(parts) < 2:
        return (whole,)
    size = min(_fit_pt(font, p, width, MAX_PT[role]) for p in parts)
    return whole, tuple((p, role, size) for p in parts)


def _height(items: list[Item]) -> float:
    """Return the height of a block of lines in mm."""
    return sum(LEADING * size * MM_PER_PT for _, _, size in items)


def _items(label: Label, font: CjkFont, width: float, height: float) -> list[Item]:
    """Choose one or two lines for the name and the code, whichever prints them largest."""
    owner = label.owner_name.strip()
    owners = _variants("owner", owner, _split_half, font, width) if owner else ((),)
    codes = _variants("code", label.code_text, split_code, font, width)
    details = [(t, "detail", _fit_pt(font, t, width, MAX_PT["detail"]))
               for t in label.detail_lines()]
    best: tuple[float, list[Item]] | None = None
    for owner_items in owners:
        for code_items in codes:
            items = [*owner_items, *code_items, *details]
            scale = min(1.0, height / _height(items))
            score = scale * (CODE_WEIGHT * code_items[0][2]
                             + (owner_items[0][2] if owner_items else 0.0))
            if best is None or score > best[0] + 1e-9:
                best = (score, items)
    assert best is not None
    return best[1]


def _stack(items: list[Item], font: CjkFont, left: float, top: float, width: float,
           height: float, centred: bool) -> tuple[TextLine, ...]:
    """Shrink the lines together until they fit `height`, then centre the block vertically."""
    total = _height(items)
    scale = min(1.0, height / total) if total else 1.0
    y = top + (height - total * scale) / 2
    lines = []
    for text, role, size in items:
        size *= scale
        box = LEADING * size * MM_PER_PT
        ascent = font.ascent * size * MM_PER_PT
        baseline = y + (box - (font.ascent + font.descent) * size * MM_PER_PT) / 2 + ascent
        text_w = font.width_em(text) * size * MM_PER_PT
        x = left + (width - text_w) / 2 if centred else left
        lines.append(TextLine(text, role, x, baseline, size, text_w, ascent))
        y += box
    return tuple(lines)


def layout_label(label: Label, template: Template, modules: int, font: CjkFont) -> LabelLayout:
    """Place a `modules`-wide QR code and the text lines of `label` on one template cell."""
    w, h, pad = template.label_width, template.label_height, template.padding
    if w / h >= WIDE_ASPECT:
        size = min(h - 2 * pad, (w - 2 * pad) * QR_SHARE_WIDE)
        qr_x, qr_y = pad, (h - size) / 2
        left = qr_x + size + TEXT_GAP_MM
        width, height = w - pad - left, h - 2 * pad
        lines = _stack(_items(label, font, width, height), font, left, pad, width, height,
                       False)
    else:
        size = min(w - 2 * pad, (h - 2 * pad) * QR_SHARE_TALL)
        qr_x, qr_y = (w - size) / 2, pad
        top = qr_y + size + TEXT_GAP_MM
        width, height = w - 2 * pad, h - pad - top
        lines = _stack(_items(label, font, width, height), font, pad, top, width, height, True)
    result = LabelLayout(qr_x, qr_y, size, modules, lines)
    if result.module < MIN_MODULE_MM:
        raise ValueError(f"QR module of {result.module:.2f} mm on template {template.name!r} is "
                         f"below {MIN_MODULE_MM} mm: the payload is too long for this label "
                         f"at ECC {template.qr_ecc} (shorten the base URL or use a larger label)")
    return result
