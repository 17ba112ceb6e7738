"""Command line: print one JSON line per image file with the QR codes found in it."""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from app.scan import ImageRejected, decode_image
from app.scan.decoder import MAX_BYTES


def describe(path: Path) -> dict[str, object]:
    """Decode one file into the JSON-ready record the CLI prints."""
    try:
        data = read_upload(path)
    except OSError as exc:
        return {"file": str(path), "error": f"cannot read file: {exc.strerror or exc}"}
    except ImageRejected as exc:
        return {"file": str(path), "error": str(exc)}
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


def read_upload(path: Path, limit: int = MAX_BYTES) -> bytes:
    """Read a file, but refuse one over the decoder's size limit before reading it whole.

    A video or disk image passed by mistake (or a device such as /dev/zero) would otherwise
    be read into memory entirely, only to be refused afterwards.
    """
    with path.open("rb") as file:
        info = os.fstat(file.fileno())
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            raise ImageRejected("image_too_large",
                                f"{info.st_size} bytes is over the {limit}-byte limit")
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ImageRejected("image_too_large", f"more than the {limit}-byte limit")
    return data


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and print a record per file; exit 0 even when a file is unreadable."""
    parser = argparse.ArgumentParser(
        prog="python -m app.scan", description="Find QR codes in image files (JPEG, PNG, WebP).")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="image files")
    args = parser.parse_args(argv)
    try:
        for path in args.files:
            print(json_line(describe(path), sys.stdout.encoding), flush=True)
    except BrokenPipeError:
        # The reader stopped early (`| head`): end quietly, as Python's docs advise, with
        # stdout pointed at /dev/null so the interpreter's final flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


def json_line(record: dict[str, object], encoding: str | None) -> str:
    """Render a record readably, or with \\u escapes where the output cannot carry a character.

    A console in ASCII, GBK or cp1252, or a file name that is not valid UTF-8 (held as lone
    surrogates), would otherwise stop the run with a UnicodeEncodeError at that file.
    """
    line = json.dumps(record, ensure_ascii=False)
    try:
        line.encode(encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return json.dumps(record)
    return line


if __name__ == "__main__":
    sys.exit(main())
