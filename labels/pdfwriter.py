"""A minimal PDF writer that streams each page to the output as soon as it is complete.

Reportlab's Canvas keeps every page in memory until `save()`, so memory would grow with the
batch. Here each page is compressed and written at once; what stays in memory is one file
offset per object, one object number per page and the set of characters used so far.
"""
from __future__ import annotations

import sys
import zlib
from array import array
from typing import BinaryIO

from labels.fonts import CjkFont

COMPRESS_LEVEL = 3


class StreamingPdf:
    """Write numbered objects in order, remembering only their byte offsets."""

    def __init__(self, out: BinaryIO) -> None:
        """Start the file with the header and a binary comment (marks the file as binary)."""
        self._out = out
        self._pos = 0
        self._offsets = array("Q", [0])
        self._emit(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def _emit(self, data: bytes) -> None:
        """Write bytes and keep the running offset (the output need not be seekable)."""
        self._out.write(data)
        self._pos += len(data)

    def reserve(self) -> int:
        """Return a fresh object number to be written later."""
        self._offsets.append(0)
        return len(self._offsets) - 1

    def write(self, num: int, body: bytes) -> None:
        """Write object `num` with a dictionary or other direct body."""
        self._offsets[num] = self._pos
        self._emit(b"%d 0 obj\n%s\nendobj\n" % (num, body))

    def write_stream(self, num: int, data: bytes, entries: bytes = b"",
                     compress: bool = True) -> None:
        """Write object `num` as a stream, Flate-compressed unless told otherwise."""
        if compress:
            data = zlib.compress(data, COMPRESS_LEVEL)
            entries += b"/Filter/FlateDecode"
        self._offsets[num] = self._pos
        self._emit(b"%d 0 obj\n<</Length %d%s>>stream\n" % (num, len(data), entries))
        self._emit(data)
        self._emit(b"\nendstream\nendobj\n")

    def finish(self, root: int, info: int) -> None:
        """Write the cross-reference table and trailer that let readers find every object."""
        xref_at = self._pos
        size = len(self._offsets)
        rows = [b"xref\n0 %d\n0000000000 65535 f \n" % size]
        rows.extend(b"%010d 00000 n \n" % offset for offset in self._offsets[1:])
        rows.append(b"trailer\n<</Size %d/Root %d 0 R/Info %d 0 R>>\nstartxref\n%d\n%%%%EOF\n"
                    % (size, root, info, xref_at))
        self._emit(b"".join(rows))


def pdf_string(text: str) -> bytes:
    """Encode text as a PDF text string (UTF-16BE with BOM) for metadata."""
    return b"<FEFF%s>" % text.encode("utf-16-be").hex().upper().encode("ascii")


class FontSubset:
    """Assign CIDs to characters as pages use them, then embed only those glyphs.

    CIDs equal glyph ids of the subset font that reportlab's `makeSubset` builds from the
    characters in first-use order, so pages can be written before the subset exists.
    """

    def __init__(self, font: CjkFont) -> None:
        """Start with glyph 0 (.notdef) as CID 0, as every TrueType font has it."""
        self.font = font
        self._chars: list[int] = []
        self._cid_of_char: dict[str, int] = {}
        self._cid_of_glyph: dict[int, int] = {0: 0}
        self._glyphs: list[int] = [0]
        self._unicode: list[str] = [""]

    def encode(self, text: str) -> bytes:
        """Return `text` as a hex string of 2-byte CIDs for the Tj operator."""
        cids = self._cid_of_char
        out = []
        for ch in text:
            cid = cids.get(ch)
            if cid is None:
                cid = self._add(ch)
            out.append(cid)
        codes = array("H", out)
        if sys.byteorder == "little":
            codes.byteswap()
        return b"<" + codes.tobytes().hex().encode("ascii") + b">"

    def _add(self, ch: str) -> int:
        """Give a new character its CID, sharing it with a character of the same glyph."""
        gid = self.font.glyph(ch)
        self._chars.append(ord(ch))
        cid = self._cid_of_glyph.get(gid)
        if cid is None:
            cid = len(self._glyphs)
            self._cid_of_glyph[gid] = cid
            self._glyphs.append(gid)
            self._unicode.append(ch)
        self._cid_of_char[ch] = cid
        return cid

    def write(self, pdf: StreamingPdf, font_num: int, tag: str = "LBLSUB") -> None:
        """Write the Type0 font, its CIDFont, descriptor, font file and ToUnicode map."""
        ttf = self.font.ttf
        nums = [pdf.reserve() for _ in range(4)]
        cid_font, descriptor, font_file, to_unicode = nums
        data = ttf.makeSubset(self._chars)
        name = "".join(ch for ch in self.font.ps_name if ch.isascii() and ch.isalnum()) or "CJK"
        base = b"/%s+%s" % (tag.encode("ascii"), name.encode("ascii"))
        pdf.write_stream(font_file, data, b"/Length1 %d" % len(data))
        scale = 1000.0 / ttf.unitsPerEm
        widths = b" ".join(b"%d" % round(ttf.hmetrics[g][0] * scale) for g in self._glyphs)
        bbox = b" ".join(b"%d" % round(v) for v in ttf.bbox)
        pdf.write(descriptor, b"<</Type/FontDescriptor/FontName%s/Flags 4/FontBBox[%s]"
                  b"/ItalicAngle 0/Ascent %d/Descent %d/CapHeight %d/StemV %d/FontFile2 %d 0 R>>"
                  % (base, bbox, round(ttf.ascent), round(ttf.descent), round(ttf.capHeight),
                     round(ttf.stemV), font_file))
        pdf.write(cid_font, b"<</Type/Font/Subtype/CIDFontType2/BaseFont%s"
                  b"/CIDSystemInfo<</Registry(Adobe)/Ordering(Identity)/Supplement 0>>"
                  b"/FontDescriptor %d 0 R/CIDToGIDMap/Identity/W[0[%s]]>>"
                  % (base, descriptor, widths))
        pdf.write_stream(to_unicode, self._to_unicode_cmap())
        pdf.write(font_num, b"<</Type/Font/Subtype/Type0/BaseFont%s/Encoding/Identity-H"
                  b"/DescendantFonts[%d 0 R]/ToUnicode %d 0 R>>" % (base, cid_font, to_unicode))

    def _to_unicode_cmap(self) -> bytes:
        """Map CIDs back to Unicode so viewers can search and copy the text."""
        entries = [(cid, ch) for cid, ch in enumerate(self._unicode) if ch]
        chunks = []
        for start in range(0, len(entries), 100):
            part = entries[start:start + 100]
            body = "\n".join(f"<{cid:04X}> <{ch.encode('utf-16-be').hex().upper()}>"
                             for cid, ch in part)
            chunks.append(f"{len(part)} beginbfchar\n{body}\nendbfchar")
        return ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
                "/CIDSystemInfo <</Registry (Adobe) /Ordering (UCS) /Supplement 0>> def\n"
                "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
                "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
                + "\n".join(chunks)
                + "\nendcmap\nCMapName currentdict /CIDResource defineresource pop\nend\nend\n"
                ).encode("ascii")
