"""Turn a prepared print request into file bytes, spooled to disk for large batches."""
from __future__ import annotations

import io
import tempfile
from dataclasses import replace
from typing import IO

from app.printing.services import PrintRequest
from labels import Label, render_label_png, render_label_svg, render_pdf, render_zpl

SPOOL_BYTES = 8 * 1024 * 1024
SAMPLE_TEXT = "preview-only-"  # lower case, as a URL: the same QR mode, so the same size


def pdf_file(request: PrintRequest, skip: int) -> IO[bytes]:
    """Render sheets into a spooled file (memory stays flat for 10,000-label batches)."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (caller closes)
    render_pdf(request.labels, request.template, skip, out)
    out.seek(0)
    return out


def zpl_file(request: PrintRequest, dpi: int) -> IO[bytes]:
    """Render one ZPL format per label."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (caller closes)
    for chunk in render_zpl(request.labels, request.template, dpi):
        out.write(chunk.encode("utf-8"))
    out.seek(0)
    return out


def sample_label(label: Label) -> Label:
    """The label as a preview draws it: its QR holds sample text as long as the real payload.

    A preview is not counted as a print; its codes scanned even at 60 dpi, so a first sheet
    could be printed from previews again and again without a reason on record.
    """
    sample = (SAMPLE_TEXT * (len(label.payload) // len(SAMPLE_TEXT) + 1))[:len(label.payload)]
    return replace(label, payload=sample)


def preview_png(request: PrintRequest, skip: int, dpi: int = 60) -> bytes:
    """Rasterise the first sheet so a print shop sees what it will get (QR codes that look
    like the real ones but scan as no code)."""
    import pypdfium2 as pdfium

    buf = io.BytesIO()
    render_pdf([sample_label(label) for label in request.labels], request.template, skip, buf)
    pdf = pdfium.PdfDocument(buf.getvalue())
    try:
        image = pdf[0].render(scale=dpi / 72).to_pil()
    finally:
        pdf.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def single_label(request: PrintRequest, fmt: str, dpi: int = 300) -> bytes:
    """Render one label as PNG or SVG for people who lay out their own artwork."""
    label = request.labels[0]
    if fmt == "png":
        return render_label_png(label, request.template, dpi)
    return render_label_svg(label, request.template).encode("utf-8")
