"""Benchmark app.scan against zxing-cpp, pyzbar and OpenCV alone; write docs/benchmarks/decoder.md.

Run from the repository root:  .venv/bin/python scripts/bench/decoder.py [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from decoder_data import Sample, real_samples, synthetic_samples  # noqa: E402

from app.scan import decode_image  # noqa: E402
from app.scan import reference as ref  # noqa: E402
from app.scan.synth import CATEGORIES  # noqa: E402

LIBRARIES = ("zxing-cpp", "pyzbar", "opencv-aruco", "opencv")
OUT = ROOT / "docs" / "benchmarks" / "decoder.md"


def timed(fn, data: bytes) -> tuple[float, object]:
    """Return the wall time in ms of one call and its result."""
    start = time.perf_counter()
    result = fn(data)
    return (time.perf_counter() - start) * 1000, result


def race(data: bytes, repeat: int) -> tuple[float, float, list]:
    """Time zxing-cpp alone and ours in alternation; keep each one's best run (least noise)."""
    zx, ours, result = [], [], []
    for _ in range(repeat):
        zx.append(timed(ref.zxing_plain, data)[0])
        ms, result = timed(decode_image, data)
        ours.append(ms)
    return min(zx), min(ours), result


def measure(samples: list[Sample], repeat: int) -> dict:
    """Count codes read by each library alone, their union and ours; time zxing and ours."""
    row = {"images": len(samples), "codes": 0, "union": 0, "ours": 0, "violations": 0,
           "zx_ms": [], "our_ms": [], **{lib: 0 for lib in LIBRARIES}}
    for sample in samples:
        zx_ms, our_ms, ours = race(sample.data, repeat)
        row["zx_ms"].append(zx_ms)
        row["our_ms"].append(our_ms)
        alone = {lib: ref.read_alone(sample.data, lib) for lib in LIBRARIES}
        row["violations"] += sum(len(ref.missed(ours, reads)) for reads in alone.values())
        for code in sample.codes:
            readers = {lib for lib in LIBRARIES if sample.hit(code, alone[lib])}
            row["codes"] += 1
            row["union"] += bool(readers)
            row["ours"] += sample.hit(code, ours)
            for lib in readers:
                row[lib] += 1
    return row


def p90(values: list[float]) -> float:
    """Return the 90th percentile."""
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def table(rows: dict[str, dict]) -> str:
    """Format the results as a Markdown table."""
    head = ("| set | images | codes | zxing-cpp | pyzbar | OpenCV aruco | OpenCV | union | ours "
            "| missed vs union | zxing p50 ms | ours p50 ms | zxing p90 ms | ours p90 ms "
            "| ratio p50 | ratio p90 |")
    lines = [head, "|" + "---|" * 16]
    for name, r in rows.items():
        zx50, our50 = statistics.median(r["zx_ms"]), statistics.median(r["our_ms"])
        zx90, our90 = p90(r["zx_ms"]), p90(r["our_ms"])
        lines.append(
            f"| {name} | {r['images']} | {r['codes']} | {r['zxing-cpp']} | {r['pyzbar']} "
            f"| {r['opencv-aruco']} | {r['opencv']} | {r['union']} | {r['ours']} "
            f"| {r['violations']} | {zx50:.1f} | {our50:.1f} | {zx90:.1f} | {our90:.1f} "
            f"| {our50 / zx50:.2f} | {our90 / zx90:.2f} |")
    lines += ["", "Per-image ratio ours / zxing-cpp (what retries cost where they run):", "",
              "| set | p50 | p90 | max |", "|---|---|---|---|"]
    for name, r in rows.items():
        each = [o / z for o, z in zip(r["our_ms"], r["zx_ms"], strict=True)]
        lines.append(f"| {name} | {statistics.median(each):.2f} | {p90(each):.2f} "
                     f"| {max(each):.2f} |")
    return "\n".join(lines)


def single(sample: Sample, repeat: int) -> str:
    """Time one image many times, alternating, for the headline figures (p50 of runs)."""
    zx, ours = [], []
    for _ in range(repeat):
        zx.append(timed(ref.zxing_plain, sample.data)[0])
        ours.append(timed(decode_image, sample.data)[0])
    zx50, our50 = statistics.median(zx), statistics.median(ours)
    return f"zxing-cpp p50 {zx50:.1f} ms, ours p50 {our50:.1f} ms (ratio {our50 / zx50:.2f})"


def machine() -> str:
    """Describe the machine: cores and CPU model."""
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores (`nproc`), CPU {model}, Python {platform.python_version()}"


def main() -> None:
    """Parse arguments, run the benchmark and write the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="4 images per category, 1 run; print only unless --out is given")
    parser.add_argument("--per-category", type=int, default=30, help="generated images each")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per image (best kept)")
    parser.add_argument("--out", type=Path, default=OUT, help="Markdown report to write")
    args = parser.parse_args()
    per, repeat = (4, 1) if args.quick else (args.per_category, args.repeat)
    rows = {}
    for category in CATEGORIES:
        rows[category] = measure(synthetic_samples(category, per), repeat)
        print(category, {k: v for k, v in rows[category].items() if not k.endswith("_ms")},
              flush=True)
    real = real_samples()
    if real:
        rows["real photos"] = measure(real, repeat)
    heads = [
        f"- 1600x1200 JPEG, one code: {single(synthetic_samples('clean', 1, jpeg=True)[0], 15)}",
        f"- 12-MP JPEG (4000x3000): {single(synthetic_samples('large', 1)[0], 7)}",
    ]
    command = " ".join([".venv/bin/python scripts/bench/decoder.py", *sys.argv[1:]])
    report = [
        "# QR decoder benchmark", "",
        f"- date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: {machine()}",
        f"- command: `{command}`",
        f"- images per generator category: {per}; time per image = best of {repeat} alternating"
        " runs (the machine is shared and noisy), bytes in to texts out, image decoding included,"
        " for zxing-cpp alone (Pillow decode, convert to L, read_barcodes) and for ours.",
        "", table(rows), "", *heads, "",
    ]
    text = "\n".join(report)
    print(text)
    if not args.quick or args.out != OUT:
        args.out.write_text(text + NOTES_MARKER + _notes(args.out))


NOTES_MARKER = "\n<!-- notes below are kept between runs -->\n"


def _notes(path: Path) -> str:
    """Keep the hand-written notes that follow the marker in an existing report."""
    if path.exists() and NOTES_MARKER in path.read_text():
        return path.read_text().split(NOTES_MARKER, 1)[1]
    return ""


if __name__ == "__main__":
    main()
