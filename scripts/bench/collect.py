"""Rebuild docs/benchmarks.md from the per-area figures under docs/benchmarks/.

Each benchmark script writes its own section (docs/benchmarks/<area>.md) with its date,
machine and command; this joins them in a fixed order so the latest figures sit in one file.
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ORDER = ["interlock", "decoder", "import", "labels", "district", "load"]
HEADER = """# Benchmarks

Latest figures, one section per area, each with the date, the machine and the command that
produced it. Every script lives in `scripts/bench/` and is one command (each section names
its own); `.venv/bin/python scripts/bench/collect.py` rebuilds this file from the sections in
`docs/benchmarks/`. The machine has 2 cores and is shared and noisy, so speed targets are
stated as ratios against a baseline measured in the same run wherever one exists.

"""


def main() -> None:
    parts = sorted((ROOT / "docs" / "benchmarks").glob("*.md"),
                   key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else 99, p.stem))
    body = "\n\n".join(p.read_text(encoding="utf-8").strip() for p in parts)
    (ROOT / "docs" / "benchmarks.md").write_text(HEADER + body + "\n", encoding="utf-8")
    print(f"docs/benchmarks.md: {len(parts)} sections")


if __name__ == "__main__":
    main()
