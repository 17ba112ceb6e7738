"""The CJK font: WenQuanYi Zen Hei from Debian's fonts-wqy-zenhei, embedded as a subset."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase.ttfonts import TTFontFile

FONT_ENV = "LABELS_CJK_FONT"
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",
)


class FontError(RuntimeError):
    """The CJK font is missing, or a text uses a character it has no glyph for."""


class CjkFont:
    """A TrueType face (or one face of a TTC) with the metrics that layout needs."""

    def __init__(self, path: Path, index: int = 0) -> None:
        """Parse the face once; reportlab's parser also builds our subsets later."""
        self.path = path
        self.index = index
        self.ttf = TTFontFile(str(path), subfontIndex=index)
        self.family = _text(self.ttf.familyName)
        self.ps_name = _text(self.ttf.name)
        self.ascent = self.ttf.ascent / 1000.0
        self.descent = -self.ttf.descent / 1000.0
        self._widths = self.ttf.charWidths
        self._glyphs = self.ttf.charToGlyph

        self.width_em = lru_cache(maxsize=4096)(self._width_em)

    def _width_em(self, text: str) -> float:
        """Return the advance width of `text` in ems, for fitting lines on a label."""
        default = self.ttf.defaultWidth
        return sum(self._widths.get(ord(ch), default) for ch in text) / 1000.0

    def glyph(self, char: str) -> int:
        """Return the glyph id of `char`, refusing characters the face cannot draw."""
        gid = self._glyphs.get(ord(char), 0)
        if gid == 0:
            raise FontError(f"font {self.path.name} has no glyph for {char!r} "
                            f"(U+{ord(char):04X}); it would print as an empty box")
        return gid

    def check(self, text: str) -> None:
        """Refuse a text that would print with missing glyphs."""
        for ch in text:
            self.glyph(ch)


def _text(value: bytes | str) -> str:
    """Decode a name-table entry that reportlab may hand back as bytes."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _parse_spec(spec: str) -> tuple[Path, int]:
    """Split 'path[#index]' into a path and a TTC face index."""
    path, _, index = spec.partition("#")
    return Path(path), int(index or 0)


@lru_cache(maxsize=4)
def load_font(spec: str | None = None) -> CjkFont:
    """Load the CJK font from `spec`, $LABELS_CJK_FONT or the Debian path, once per process."""
    spec = spec or os.environ.get(FONT_ENV)
    if spec:
        path, index = _parse_spec(spec)
        if not path.is_file():
            raise FontError(f"CJK font {path} (from {FONT_ENV} or the caller) does not exist")
        return CjkFont(path, index)
    for candidate in CANDIDATES:
        if Path(candidate).is_file():
            return CjkFont(Path(candidate))
    raise FontError("no CJK font found: install the Debian package fonts-wqy-zenhei "
                    f"or set {FONT_ENV}=/path/to/font.ttc[#face]")
