"""Benchmark the label library: QR encoders, PDF wall time per template, peak RSS vs batch size.

Usage: .venv/bin/python scripts/bench/label_sheets.py [--count N] [--out docs/benchmarks/labels.md]
Each PDF run happens in a fresh subprocess so its peak RSS is its own.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from labels import Label, load_font, load_templates, render_pdf  # noqa: E402
from labels.qr import qr_matrix  # noqa: E402

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BASE_URL = "https://cyl.example.cn"
OWNER = "保定市莲池燃气有限公司"
QR_SAMPLES = 500


def labels(count: int, seed: int = 1):
    """Yield `count` labels lazily, as the service would stream them from the database."""
    rng = random.Random(seed)
    for i in range(count):
        code = "".join(rng.choice(ALPHABET) for _ in range(16))
        yield Label(code, f"{BASE_URL}/c/{code}", OWNER, "YSP35.5", f"BD{i:06d}")


def payloads(count: int) -> list[str]:
    """Return distinct payloads of the production length."""
    return [f"{BASE_URL}/c/{label.code}" for label in labels(count, seed=2)]


def _zxing_fixed_mask(text: str) -> object:
    """Encode with zxing-cpp but a fixed mask, to show what mask selection costs."""
    import numpy as np
    import zxingcpp

    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="H",
                                      data_mask=3)
    return np.asarray(barcode.to_image(scale=1, add_quiet_zones=False)) < 128


def _segno_matrix(text: str) -> object:
    """Encode with segno at ECC H without boosting the level."""
    import segno

    return segno.make_qr(text, error="h", boost_error=False).matrix


def _qrcode_matrix(text: str) -> object:
    """Encode with python-qrcode at ECC H and the smallest version that fits."""
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_H, border=0)
    qr.add_data(text)
    qr.make(fit=True)
    return qr.get_matrix()


def time_encoders() -> list[tuple[str, float | None, str]]:
    """Time one QR matrix (ECC H, smallest version) per encoder, in ms per code."""
    texts = payloads(QR_SAMPLES)
    encoders = [("zxing-cpp 3.1 create_barcode + to_image (used)", lambda t: qr_matrix(t, "H")),
                ("zxing-cpp, data_mask=3 fixed (not used: skips mask selection)",
                 _zxing_fixed_mask),
                ("segno 1.6 make_qr", _segno_matrix)]
    try:
        import qrcode  # noqa: F401

        encoders.append(("qrcode (python-qrcode)", _qrcode_matrix))
        missing = []
    except ImportError:
        missing = [("qrcode (python-qrcode)", None, "not installed")]
    results: list[tuple[str, float | None, str]] = []
    for name, encode in encoders:
        modules = len(encode(texts[0]))
        start = time.perf_counter()
        for text in texts:
            encode(text)
        per_code = (time.perf_counter() - start) / len(texts) * 1000
        results.append((name, per_code, f"{modules}x{modules} modules"))
    return results + missing


def _reportlab_pdf(template_name: str, count: int, out) -> None:
    """Draw the same sheets with reportlab's Canvas, the baseline that keeps pages in memory."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    from labels.layout import layout_label
    from labels.qr import dark_runs

    template = load_templates()[template_name]
    font = load_font()
    pdfmetrics.registerFont(TTFont("CJK", str(font.path), subfontIndex=font.index))
    mm = 72 / 25.4
    page_h = template.page_height * mm
    c = canvas.Canvas(out, pagesize=(template.page_width * mm, page_h))
    for i, label in enumerate(labels(count)):
        cell = i % template.per_page
        if i and cell == 0:
            c.showPage()
        matrix = qr_matrix(label.payload, template.qr_ecc)
        layout = layout_label(label, template, matrix.shape[0], font)
        left, top = template.cell_origin(cell)
        m = layout.module * mm
        x0, y0 = (left + layout.symbol_x) * mm, page_h - (top + layout.symbol_y) * mm
        path = c.beginPath()
        for r, col, w in zip(*dark_runs(matrix), strict=True):
            path.rect(x0 + col * m, y0 - (r + 1) * m, w * m, m)
        c.drawPath(path, stroke=0, fill=1)
        for line in layout.lines:
            c.setFont("CJK", line.size_pt)
            c.drawString((left + line.x) * mm, page_h - (top + line.baseline) * mm, line.text)
    c.save()


def _current_rss_kb() -> int:
    """Return the resident set size now (not the peak), from /proc on Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def worker(template_name: str, count: int, baseline: bool) -> None:
    """Render `count` labels to a temporary PDF and print time and memory as JSON."""
    template = load_templates()[template_name]
    load_font()
    base_rss = _current_rss_kb()
    with tempfile.TemporaryFile() as out:
        start, cpu = time.perf_counter(), time.process_time()
        if baseline:
            _reportlab_pdf(template_name, count, out)
        else:
            render_pdf(labels(count), template, 0, out)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        size = out.tell()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_kb": peak, "base_kb": base_rss,
                      "bytes": size}))


def run_worker(template_name: str, count: int, baseline: bool = False) -> dict:
    """Run one PDF render in a fresh interpreter and return its measurements."""
    extra = ["--reportlab-baseline"] if baseline else []
    done = subprocess.run([sys.executable, __file__, "--worker", template_name,
                           "--count", str(count), *extra],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _row(name: str, pages: int, count: int, small: dict, big: dict) -> str:
    """Format one PDF measurement as a Markdown table row."""
    growth = [(r["peak_kb"] - r["base_kb"]) / 1024 for r in (small, big)]
    return (f"| {name} | {pages:,} | {big['seconds']:.2f} | {big['cpu']:.2f} | "
            f"{count / big['seconds']:,.0f} | "
            f"{big['bytes'] / 1e6:.1f} | {small['peak_kb'] / 1024:.0f} | "
            f"{big['peak_kb'] / 1024:.0f} | {big['peak_kb'] / small['peak_kb']:.2f} | "
            f"{growth[0]:.1f} / {growth[1]:.1f} |")


def sample_sheet(path: Path, dpi: int = 100) -> None:
    """Render page 1 of an A4 3x8 sheet (cut lines shown) as the README's sample PNG."""
    import io

    import pypdfium2 as pdfium

    template = load_templates()["a4-3x8-70x37"]
    buffer = io.BytesIO()
    render_pdf(labels(template.per_page, seed=3), template, 0, buffer, outlines=True)
    pdf = pdfium.PdfDocument(buffer.getvalue())
    try:
        image = pdf[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        pdf.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG", dpi=(dpi, dpi), optimize=True)


def machine() -> str:
    """Describe the machine: core count and CPU model."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"nproc={os.cpu_count()}, {model}, Python {platform.python_version()}"


def main() -> None:
    """Run every measurement and write the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=1_000, help="smaller batch for RSS ratio")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/benchmarks/labels.md")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the reportlab Canvas comparison (slow)")
    parser.add_argument("--sample", type=Path, default=ROOT / "docs/img/sample-sheet.png",
                        help="where to write the sample sheet PNG")
    parser.add_argument("--sample-only", action="store_true",
                        help="only write the sample sheet PNG")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--reportlab-baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.count, args.reportlab_baseline)
        return
    sample_sheet(args.sample)
    print(f"wrote {args.sample}")
    if args.sample_only:
        return
    load_start = os.getloadavg()[0]
    command = " ".join([".venv/bin/python scripts/bench/label_sheets.py", *sys.argv[1:]]).strip()
    lines = [
        "# Label rendering benchmark", "",
        f"- Date: {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- Machine: {machine()}",
        f"- Command: `{command}`", "",
        f"## QR matrix per code (ECC H, smallest version, {QR_SAMPLES} production-length "
        "payloads)", "",
        "| encoder | ms per code | symbol |", "|---|---:|---|",
    ]
    for name, ms, note in time_encoders():
        lines.append(f"| {name} | {ms:.3f} | {note} |" if ms is not None
                     else f"| {name} | - | {note} |")
        print(lines[-1], flush=True)
    lines += ["", f"## {args.count:,} labels to PDF, and peak RSS at {args.small:,} vs "
              f"{args.count:,} labels", "",
              f"| template | pages | wall s ({args.count:,}) | CPU s | labels/s (wall) | PDF MB | "
              f"peak RSS MB ({args.small:,}) | peak RSS MB ({args.count:,}) | ratio | "
              "RSS growth while rendering MB |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, template in load_templates().items():
        small, big = run_worker(name, args.small), run_worker(name, args.count)
        pages = -(-args.count // template.per_page)
        lines.append(_row(name, pages, args.count, small, big))
        print(lines[-1], flush=True)
    if not args.no_baseline:
        name = "a4-3x8-70x37"
        small, big = run_worker(name, args.small, True), run_worker(name, args.count, True)
        pages = -(-args.count // load_templates()[name].per_page)
        lines.append(_row(f"{name}, reportlab Canvas (baseline, not used)", pages, args.count,
                          small, big))
        print(lines[-1], flush=True)
    lines += ["", f"1-minute load average: {load_start:.1f} at the start, "
              f"{os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} cores (other work "
              "shares this machine, so wall time is noisy; CPU s counts both of the renderer's "
              "threads).",
              "", "Peak RSS is the whole process (Python, numpy, zxing-cpp, the parsed 17 MB "
              "font); each run is a fresh subprocess writing to a temporary file. RSS growth is "
              "the peak minus the RSS just before rendering (after imports and font loading), "
              "for the small / large batch.",
              ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
