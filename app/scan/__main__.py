"""Command line: print one JSON line per image file with the QR codes found in it."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from app.scan import ImageRejected, decode_image


def describe(path: Path) -> dict[str, object]:
    """Decode one file into the JSON-ready record the CLI prints."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return {"file": str(path), "error": f"cannot read file: {exc.strerror or exc}"}
    start = time.perf_counter()
    try:
        codes = decode_image(data)
    except ImageRejected as exc:
        return {"file": str(path), "error": str(exc)}
    ms = (time.perf_counter() - start) * 1000
    return {
        "file": str(path),
        "codes": [{"text": c.text, "points": [list(p) for p in c.points]} for c in codes],
        "ms": round(ms, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and print a record per file; exit 0 even when a file is unreadable."""
    parser = argparse.ArgumentParser(
        prog="python -m app.scan", description="Find QR codes in image files (JPEG, PNG, WebP).")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="image files")
    args = parser.parse_args(argv)
    for path in args.files:
        print(json.dumps(describe(path), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
