"""PDF sheets: rasterise every page, decode every QR code, check cells, order and text."""
from __future__ import annotations

import io

import numpy as np
import pypdfium2 as pdfium
import pytest

from labels import FontError, Label, Template, pages_needed, render_pdf
from tests.labels.label_helpers import OWNER, decode, make_labels

DPI = 300
PX_PER_MM = DPI / 25.4
PRESETS = ["a4-3x8-70x37", "a4-2x7-99x38", "a4-4x10-48x25", "roll-60x40", "roll-50x30"]


def _pages(data: bytes) -> list:
    """Rasterise every page of a PDF at DPI as greyscale images."""
    pdf = pdfium.PdfDocument(data)
    try:
        return [page.render(scale=DPI / 72, grayscale=True).to_pil().convert("L") for page in pdf]
    finally:
        pdf.close()


def _cell_of(t: Template, x_px: float, y_px: float) -> int | None:
    """Return the row-major cell whose rectangle holds a point, or None."""
    x, y = x_px / PX_PER_MM, y_px / PX_PER_MM
    for index in range(t.per_page):
        left, top = t.cell_origin(index)
        if left <= x < left + t.label_width and top <= y < top + t.label_height:
            return index
    return None


def _cell_is_blank(image, t: Template, index: int) -> bool:
    """Tell whether a cell's pixels (a hair inside its edges) are all white."""
    left, top = t.cell_origin(index)
    box = [round(v * PX_PER_MM) for v in (left + 0.3, top + 0.3, left + t.label_width - 0.3,
                                          top + t.label_height - 0.3)]
    return int(np.asarray(image.crop(box)).min()) >= 250


def _render(labels, t: Template, skip: int, **kwargs) -> bytes:
    out = io.BytesIO()
    assert render_pdf(labels, t, skip, out, **kwargs) == len(labels)
    return out.getvalue()


@pytest.mark.parametrize("name", PRESETS)
def test_every_code_reads_back_in_its_cell_in_order(templates, name):
    t = templates[name]
    skip = 0 if t.is_roll else min(3, t.per_page - 1)
    labels = make_labels(2 * t.per_page + (1 if t.is_roll else 0), seed=len(name))
    pages = _pages(_render(labels, t, skip))
    assert len(pages) == pages_needed(len(labels), t, skip)
    seen: list[str] = []
    for page_no, image in enumerate(pages):
        found = decode(image)
        by_cell = {}
        for item in found:
            cell = _cell_of(t, item.x, item.y)
            assert cell is not None, f"page {page_no}: symbol outside every cell: {item}"
            assert cell not in by_cell, f"page {page_no}: two symbols in cell {cell}"
            by_cell[cell] = item.text
        first = skip if page_no == 0 else 0
        last = min(t.per_page, first + len(labels) - len(seen))
        assert sorted(by_cell) == list(range(first, last)), f"page {page_no}"
        seen.extend(by_cell[c] for c in range(first, last))
        for index in [*range(first), *range(last, t.per_page)]:
            assert _cell_is_blank(image, t, index), f"page {page_no}: cell {index} not empty"
    assert seen == [label.payload for label in labels]


def test_owner_name_and_grouped_codes_are_real_text(templates):
    t = templates["a4-3x8-70x37"]
    labels = make_labels(5)
    pdf = pdfium.PdfDocument(_render(labels, t, 0))
    text = pdf[0].get_textpage().get_text_range()
    pdf.close()
    flat = text.replace("\r", "").replace("\n", "")
    assert flat.count(OWNER) == 5
    for label in labels:
        assert label.code_text.replace("-", "") in flat.replace("-", "")
    assert "型号 YSP35.5" in text and "编号 BD000001" in text


def test_font_is_embedded_as_a_subset(templates):
    data = _render(make_labels(2), templates["roll-50x30"], 0)
    assert b"/FontFile2" in data and b"/CIDFontType2" in data and b"+WenQuanYiZenHei" in data
    assert len(data) < 60_000


def test_skip_must_be_a_cell_of_the_first_sheet(templates):
    t = templates["a4-3x8-70x37"]
    for bad in (24, 30, -1):
        with pytest.raises(ValueError, match="skip"):
            render_pdf(make_labels(1), t, bad, io.BytesIO())
    with pytest.raises(ValueError, match=r"0\.\.0"):
        render_pdf(make_labels(1), templates["roll-60x40"], 1, io.BytesIO())
    data = _render(make_labels(1), t, 23)
    assert len(_pages(data)) == 1


def test_empty_batch_writes_nothing(templates):
    out = io.BytesIO()
    with pytest.raises(ValueError, match="no labels"):
        render_pdf(iter(()), templates["a4-3x8-70x37"], 0, out)
    assert out.getvalue() == b""


def test_pages_stream_out_before_the_batch_ends(templates):
    t = templates["a4-4x10-48x25"]
    pages = 12
    out = io.BytesIO()
    written: list[int] = []

    def labels():
        for label in make_labels(pages * t.per_page):
            written.append(out.tell())
            yield label

    reports: list[int] = []
    render_pdf(labels(), t, 0, out, progress=reports.append)
    assert reports == [t.per_page * (p + 1) for p in range(pages)]
    final = out.tell()
    # a bounded batch of pages may wait in memory or in the writer thread; the rest is out
    assert written[len(written) // 2] > 0.15 * final
    assert written[-1] > 0.5 * final
    assert written == sorted(written)


def test_missing_glyph_is_refused_not_printed_as_a_box(templates):
    label = Label(code="7K3MQX9P2HBDW4TZ", payload=f"x/c/{'7K3MQX9P2HBDW4TZ'}",
                  owner_name="燃气\U0001F525公司")
    with pytest.raises(FontError, match="U\\+1F525"):
        render_pdf([label], templates["roll-50x30"], 0, io.BytesIO())


def test_crop_marks_and_outlines_do_not_disturb_the_codes(templates, tmp_path):
    from labels import load_templates

    (tmp_path / "marked.toml").write_text(
        'page_width = 210\npage_height = 297\nrows = 10\ncolumns = 4\nlabel_width = 48.5\n'
        'label_height = 25.4\nmargin_top = 21.5\nmargin_left = 8\ncrop_marks = true\n'
        'corner_radius = 2\n', encoding="utf-8")
    t = load_templates([tmp_path])["marked"]
    labels = make_labels(6)
    image = _pages(_render(labels, t, 2, outlines=True))[0]
    assert sorted(f.text for f in decode(image)) == sorted(la.payload for la in labels)
    top_margin = np.asarray(image.crop((0, 0, image.width, round(20 * PX_PER_MM))))
    assert top_margin.min() < 128


def test_output_need_not_be_seekable(templates):
    class Sink:
        def __init__(self) -> None:
            self.chunks: list[bytes] = []

        def write(self, data: bytes) -> int:
            self.chunks.append(bytes(data))
            return len(data)

    sink = Sink()
    labels = make_labels(30)
    render_pdf(labels, templates["a4-3x8-70x37"], 0, sink)
    data = b"".join(sink.chunks)
    pdf = pdfium.PdfDocument(data)
    assert len(pdf) == 2
    pdf.close()
    assert data.startswith(b"%PDF-1.7") and data.rstrip().endswith(b"%%EOF")
