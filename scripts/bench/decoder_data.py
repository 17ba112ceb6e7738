"""Benchmark inputs: generator categories and the shared real photos, with expected codes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.scan import reference as ref
from app.scan.synth import generate

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "qr-photos"
BENCH_SEED = 10_000


@dataclass(frozen=True)
class Code:
    """An expected code: text, and corners when known (generated images)."""

    text: str
    corners: tuple[tuple[float, float], ...] | None


@dataclass(frozen=True)
class Sample:
    """One benchmark image and the codes it holds."""

    name: str
    data: bytes
    codes: tuple[Code, ...]

    def hit(self, code: Code, reads: Iterable) -> bool:
        """Tell whether some read is this code (same text, and same place when known)."""
        for read in reads:
            if code.corners is None:
                if read.text.rstrip() == code.text:
                    return True
            elif ref.same_code(code.text, code.corners, read):
                return True
        return False


def synthetic_samples(category: str, count: int, *, jpeg: bool = False) -> list[Sample]:
    """Generate `count` images of a category from seeds reserved for benchmarking."""
    out = []
    seed = BENCH_SEED
    while len(out) < count:
        image = generate(category, seed)
        seed += 1
        if jpeg and image.format != "JPEG":
            continue
        codes = tuple(Code(c.text, c.corners) for c in image.codes)
        out.append(Sample(f"{category}/{image.seed}", image.data, codes))
    return out


def real_samples() -> list[Sample]:
    """Load the shared real photos (empty when the folder is absent)."""
    if not SHARED.is_dir():
        return []
    out = []
    for png in sorted(SHARED.glob("*/*.png")):
        text = png.with_suffix(".txt").read_bytes().decode("utf-8").rstrip()
        out.append(Sample(str(png.relative_to(SHARED)), png.read_bytes(), (Code(text, None),)))
    return out
