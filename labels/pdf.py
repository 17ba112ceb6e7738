"""Label sheets as PDF: vector QR codes, grouped codes and the owner's name, page by page."""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO

import numpy as np

from labels.fonts import CjkFont, load_font
from labels.layout import BOLD_STROKE_EM, LabelLayout, layout_label
from labels.model import Label
from labels.pdfwriter import FontSubset, StreamingPdf, pdf_string
from labels.qr import dark_runs, qr_matrix
from labels.template import Template

PT_PER_MM = 72.0 / 25.4
CROP_MARK_MM = 4.0
CROP_OFFSET_MM = 1.0
KAPPA = 0.5523
BATCH_BYTES = 256 * 1024
BATCH_PAGES = 64


def check_skip(template: Template, skip: int) -> None:
    """Refuse a skip that is not a cell of the first sheet (see docs/labels.md)."""
    if isinstance(skip, bool) or not isinstance(skip, int) or skip < 0:
        raise ValueError(f"skip must be a whole number >= 0, got {skip!r}")
    if skip >= template.per_page:
        raise ValueError(f"skip={skip} is not a cell of the first sheet: template "
                         f"{template.name!r} has {template.per_page} cells per page "
                         f"(allowed 0..{template.per_page - 1})")


def _f(value: float) -> bytes:
    """Format a coordinate compactly (3 decimals in points is far below a printer's dot)."""
    return (b"%.3f" % value).rstrip(b"0").rstrip(b".")


def _qr_ops(matrix: np.ndarray, layout: LabelLayout, left: float, top: float,
            page_h: float) -> bytes:
    """Draw the symbol as one filled path of row runs, in module units under one `cm`."""
    n = matrix.shape[0]
    m = layout.module * PT_PER_MM
    x0 = (left + layout.symbol_x) * PT_PER_MM
    y0 = page_h - (top + layout.symbol_y) * PT_PER_MM - n * m
    rows, starts, lengths = dark_runs(matrix)
    last = n - 1
    body = "".join([f"{c} {last - r} {w} 1 re\n"
                    for r, c, w in zip(rows, starts, lengths, strict=True)])
    return b"q %s 0 0 %s %s %s cm\n%sf Q\n" % (_f(m), _f(m), _f(x0), _f(y0),
                                               body.encode("ascii"))


def _text_ops(layout: LabelLayout, left: float, top: float, page_h: float,
              subset: FontSubset) -> bytes:
    """Set each text line with the embedded CJK subset font."""
    ops = [b"BT\n"]
    for line in layout.lines:
        x = (left + line.x) * PT_PER_MM
        y = page_h - (top + line.baseline) * PT_PER_MM
        mode = b"2 Tr %s w" % _f(line.size_pt * BOLD_STROKE_EM) if line.role == "code" \
            else b"0 Tr"
        ops.append(b"%s /F1 %s Tf 1 0 0 1 %s %s Tm %s Tj\n"
                   % (mode, _f(line.size_pt), _f(x), _f(y), subset.encode(line.text)))
    ops.append(b"ET\n")
    return b"".join(ops)


def _rounded_rect(x: float, y: float, w: float, h: float, r: float) -> bytes:
    """Return a path for a rectangle with rounded corners (PDF units, y up)."""
    if r <= 0:
        return b"%s %s %s %s re\n" % (_f(x), _f(y), _f(w), _f(h))
    k = r * KAPPA
    pts = [
        (b"m", (x + r, y)), (b"l", (x + w - r, y)),
        (b"c", (x + w - r + k, y, x + w, y + r - k, x + w, y + r)), (b"l", (x + w, y + h - r)),
        (b"c", (x + w, y + h - r + k, x + w - r + k, y + h, x + w - r, y + h)),
        (b"l", (x + r, y + h)), (b"c", (x + r - k, y + h, x, y + h - r + k, x, y + h - r)),
        (b"l", (x, y + r)), (b"c", (x, y + r - k, x + r - k, y, x + r, y)),
    ]
    return b"".join(b" ".join(_f(v) for v in coords) + b" " + op + b"\n" for op, coords in pts) \
        + b"h\n"


def _page_furniture(template: Template, outlines: bool) -> bytes:
    """Draw the crop marks and optional proof outlines that every page of a sheet shares."""
    page_h = template.page_height * PT_PER_MM
    ops = []
    if outlines:
        ops.append(b"q 0.6 G 0.3 w\n")
        for index in range(template.per_page):
            x, y = template.cell_origin(index)
            ops.append(_rounded_rect(x * PT_PER_MM, page_h - (y + template.label_height)
                                     * PT_PER_MM, template.label_width * PT_PER_MM,
                                     template.label_height * PT_PER_MM,
                                     template.corner_radius * PT_PER_MM))
        ops.append(b"S Q\n")
    if template.crop_marks:
        ops.append(b"q 0 G 0.25 w\n")
        ops.extend(_crop_marks(template))
        ops.append(b"S Q\n")
    return b"".join(ops)


def _crop_marks(t: Template) -> list[bytes]:
    """Return tick marks in the page margins, in line with every label edge."""
    page_h = t.page_height * PT_PER_MM
    xs = sorted({round(t.margin_left + c * t.pitch_x + d, 3)
                 for c in range(t.columns) for d in (0.0, t.label_width)})
    ys = sorted({round(t.margin_top + r * t.pitch_y + d, 3)
                 for r in range(t.rows) for d in (0.0, t.label_height)})
    top, bottom, left, right = ys[0], ys[-1], xs[0], xs[-1]
    lines = []
    for a, b in ((top - CROP_OFFSET_MM, top - CROP_OFFSET_MM - CROP_MARK_MM),
                 (bottom + CROP_OFFSET_MM, bottom + CROP_OFFSET_MM + CROP_MARK_MM)):
        a, b = max(0.0, min(a, t.page_height)), max(0.0, min(b, t.page_height))
        if abs(a - b) >= 1.0:
            lines.extend((x, a, x, b) for x in xs)
    for a, b in ((left - CROP_OFFSET_MM, left - CROP_OFFSET_MM - CROP_MARK_MM),
                 (right + CROP_OFFSET_MM, right + CROP_OFFSET_MM + CROP_MARK_MM)):
        a, b = max(0.0, min(a, t.page_width)), max(0.0, min(b, t.page_width))
        if abs(a - b) >= 1.0:
            lines.extend((a, y, b, y) for y in ys)
    return [b"%s %s m %s %s l\n" % (_f(x1 * PT_PER_MM), _f(page_h - y1 * PT_PER_MM),
                                    _f(x2 * PT_PER_MM), _f(page_h - y2 * PT_PER_MM))
            for x1, y1, x2, y2 in lines]


class _Document:
    """One PDF being written: the shared objects and the pages flushed so far."""

    def __init__(self, out: BinaryIO, template: Template, font: CjkFont) -> None:
        """Write the header and reserve the objects that pages point to."""
        self.pdf = StreamingPdf(out)
        self.template = template
        self.subset = FontSubset(font)
        self.pages_num = self.pdf.reserve()
        self.font_num = self.pdf.reserve()
        self.resources_num = self.pdf.reserve()
        self.page_nums: list[int] = []
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="labels-pdf")
        self._pending: Future[None] | None = None
        self._batch: list[tuple[bytes, int, int]] = []
        self._batch_bytes = 0
        self.media = b"[0 0 %s %s]" % (_f(template.page_width * PT_PER_MM),
                                       _f(template.page_height * PT_PER_MM))

    def add_page(self, content: bytes) -> None:
        """Queue a finished page; hand pages to the writer thread in batches of bounded size."""
        content_num, page_num = self.pdf.reserve(), self.pdf.reserve()
        self.page_nums.append(page_num)
        self._batch.append((content, content_num, page_num))
        self._batch_bytes += len(content)
        if self._batch_bytes >= BATCH_BYTES or len(self._batch) >= BATCH_PAGES:
            self.flush()

    def flush(self) -> None:
        """Send the queued pages to the writer, keeping at most one batch in flight."""
        if not self._batch:
            return
        batch, self._batch, self._batch_bytes = self._batch, [], 0
        self.drain()
        self._pending = self._writer.submit(self._write_pages, batch)

    def _write_pages(self, batch: list[tuple[bytes, int, int]]) -> None:
        """Compress and write pages (zlib releases the GIL, so this overlaps drawing)."""
        for content, content_num, page_num in batch:
            self.pdf.write_stream(content_num, content)
            self.pdf.write(page_num, b"<</Type/Page/Parent %d 0 R/MediaBox%s/Resources %d 0 R"
                           b"/Contents %d 0 R>>" % (self.pages_num, self.media,
                                                    self.resources_num, content_num))

    def drain(self) -> None:
        """Wait for the page in flight, re-raising its error (e.g. a closed output)."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def close(self) -> None:
        """Stop the writer thread."""
        self._writer.shutdown(wait=True)

    def finish(self) -> None:
        """Write the font subset, page tree, catalogue and cross-reference table."""
        self.flush()
        self.drain()
        pdf = self.pdf
        self.subset.write(pdf, self.font_num)
        pdf.write(self.resources_num, b"<</Font<</F1 %d 0 R>>/ProcSet[/PDF/Text]>>"
                  % self.font_num)
        kids = b" ".join(b"%d 0 R" % num for num in self.page_nums)
        pdf.write(self.pages_num, b"<</Type/Pages/Count %d/Kids[%s]>>"
                  % (len(self.page_nums), kids))
        root, info = pdf.reserve(), pdf.reserve()
        pdf.write(root, b"<</Type/Catalog/Pages %d 0 R>>" % self.pages_num)
        pdf.write(info, b"<</Producer(labels)/Title%s>>"
                  % pdf_string(f"Cylinder labels - {self.template.title}"))
        pdf.finish(root, info)


def render_pdf(labels: Iterable[Label], template: Template, skip: int, out: BinaryIO,
               progress: Callable[[int], None] | None = None, *, outlines: bool = False,
               font: CjkFont | None = None) -> int:
    """Write label sheets to `out` page by page so memory stays flat; return labels written.

    The first `skip` cells of the first sheet stay empty (a partly used sheet);
    `progress` is called with the running label count after each page.
    """
    check_skip(template, skip)
    font = font or load_font()
    page_h = template.page_height * PT_PER_MM
    furniture = _page_furniture(template, outlines)
    doc: _Document | None = None
    parts: list[bytes] = [furniture]
    cell, count = skip, 0
    try:
        for label in labels:
            if doc is None:
                doc = _Document(out, template, font)
            matrix = qr_matrix(label.payload, template.qr_ecc)
            layout = layout_label(label, template, matrix.shape[0], font)
            left, top = template.cell_origin(cell)
            parts.append(_qr_ops(matrix, layout, left, top, page_h))
            parts.append(_text_ops(layout, left, top, page_h, doc.subset))
            count += 1
            cell += 1
            if cell == template.per_page:
                doc.add_page(b"".join(parts))
                parts, cell = [furniture], 0
                if progress is not None:
                    progress(count)
        if doc is None:
            raise ValueError("no labels to render: the PDF would have no pages")
        if cell:
            doc.add_page(b"".join(parts))
            if progress is not None:
                progress(count)
        doc.finish()
    finally:
        if doc is not None:
            doc.close()
    return count


def pages_needed(count: int, template: Template, skip: int = 0) -> int:
    """Return how many pages `count` labels fill after skipping `skip` cells."""
    check_skip(template, skip)
    return math.ceil((count + skip) / template.per_page)
