"""Find every QR code in an upload: zxing-cpp first, targeted retries only where needed."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from app.scan import engines
from app.scan.engines import Quad, Read
from app.scan.loader import load
from app.scan.model import Decoded
from app.scan.regions import Box, candidates, centre, quad_box, union
from app.scan.rescue import Budget, Region, rescue

MAX_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 50_000_000
MAX_REGIONS = 12
PEER_NS_PER_PIXEL = 4.0
RESCUE_NS_PER_PIXEL = 8.0
MIN_PEER_SIZE = 0.4
CLOSE_UP_SHARE = 0.1


@dataclass
class Trace:
    """What the search did, for benchmarks and debugging."""

    strategies: list[str] = field(default_factory=list)


MIN_SIDE = 21


def decode_image(data: bytes, *, max_bytes: int = MAX_BYTES,
                 max_pixels: int = MAX_PIXELS) -> list[Decoded]:
    """Return every QR code in an image file's bytes, with corners in upright original pixels.

    Raises ImageRejected for empty, oversized, unsupported or corrupt uploads.
    """
    picture = load(data, max_bytes=max_bytes, max_pixels=max_pixels)
    if min(picture.gray.shape[:2]) < MIN_SIDE:
        return []  # narrower than the smallest QR code (21 modules): nothing to find
    found = []
    for read in search(picture.gray):
        points = tuple(tuple(round(v, 1) for v in picture.upright(x, y)) for x, y in read.points)
        found.append(Decoded(read.text.rstrip(), points))
    return found


def search(gray: np.ndarray, trace: Trace | None = None) -> list[Read]:
    """Read the whole image with zxing-cpp, then retry only unexplained code-like regions.

    The first pass skips zxing-cpp's inverted and downscaled passes; the retries on
    regions include them, and an image with nothing read gets them in full at the end.

    While nothing is read, and wherever zxing-cpp located a symbol it could not decode,
    regions get the full treatment. Once something is read, other regions get cheap
    tries, and only if they are not much smaller than the codes read. Both kinds of
    retry draw on budgets proportional to the image size, so the time stays bounded.
    """
    trace = trace if trace is not None else Trace()
    reads, failed = engines.zxing_suspects(gray, quick=True)
    trace.strategies.append(f"zxing:{len(reads)}")
    peers, rescues = Budget(PEER_NS_PER_PIXEL * gray.size), Budget(RESCUE_NS_PER_PIXEL * gray.size)
    for region in plan(gray, reads, failed)[:MAX_REGIONS]:
        if _explained(region.box, reads) or (
                not region.seen and region.box.side < _peer_size(reads)):
            continue
        thorough = region.seen or not reads
        start = time.perf_counter()
        name, more = rescue(gray, region, thorough, rescues if thorough else peers)
        trace.strategies.append(f"{name or 'none'}:{(time.perf_counter() - start) * 1000:.1f}ms")
        reads += more
    if not reads:
        reads = engines.zxing(gray)
        trace.strategies.append(f"zxing-full:{len(reads)}")
    return _unique(reads)


def plan(gray: np.ndarray, reads: list[Read], failed: list[Quad]) -> list[Region]:
    """List regions to retry: where zxing-cpp saw a symbol first, then unexplained texture.

    A close-up (codes read fill a tenth of the frame or more) is not searched for more.
    """
    loose = list(failed)
    regions = []
    close_up = sum(_area(r.points) for r in reads) >= CLOSE_UP_SHARE * gray.size
    for box in [] if close_up else candidates(gray, _peer_size(reads)):
        if _explained(box, reads):
            continue
        inside = [q for q in loose if box.contains(*centre(q))]
        loose = [q for q in loose if q not in inside]
        for quad in inside:
            box = union(box, quad_box(quad))
        regions.append(Region(box, tuple(inside)))
    for quad in loose:
        if not any(r.box.contains(*centre(quad)) for r in regions):
            regions.append(Region(quad_box(quad), (quad,)))
    regions.sort(key=lambda r: (not r.seen, -r.box.side))
    return regions


def _area(quad: Quad) -> float:
    """Return the area of a quadrilateral (shoelace formula)."""
    xs, ys = np.array(quad).T
    return 0.5 * abs(float(np.dot(xs, np.roll(ys, 1)) - np.dot(ys, np.roll(xs, 1))))


def _peer_size(reads: list[Read]) -> float:
    """Return the smallest size another code may have, given the codes read so far."""
    return MIN_PEER_SIZE * min((quad_box(r.points).side for r in reads), default=0.0)


def _explained(box: Box, reads: list[Read]) -> bool:
    """Tell whether a code already read lies in the box, or the box lies in a code read."""
    middle = ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)
    return any(box.contains(*centre(r.points)) or quad_box(r.points).contains(*middle)
               for r in reads)


def _overlaps(a: Box, b: Box) -> bool:
    """Tell whether two boxes share area."""
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _unique(reads: list[Read]) -> list[Read]:
    """Drop repeats: same text at an overlapping place is one code; elsewhere it is another."""
    kept: list[Read] = []
    for read in reads:
        here = quad_box(read.points)
        if not any(k.text == read.text and _overlaps(here, quad_box(k.points)) for k in kept):
            kept.append(read)
    return kept
