"""The decoder reads every code that zxing-cpp, pyzbar or OpenCV reads alone, and more.

Run on a few images of every generator category (CI-sized) and on the real photos; the
`slow` variant covers more images per category.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.scan import decode_image
from app.scan import reference as ref
from app.scan.synth import CATEGORIES, generate
from tests.scan.photos import expected_text, needs_photos, real_photos

CI_SEEDS = range(100, 102)
SLOW_SEEDS = range(102, 112)


def assert_union_read(data: bytes, codes: list[tuple[str, tuple]] | None = None) -> None:
    """Check ours against each library alone, and (when known) against the true codes."""
    ours = decode_image(data)
    alone = {library: ref.read_alone(data, library) for library in ref.SINGLE}
    for library, reads in alone.items():
        missed = ref.missed(ours, reads)
        assert not missed, f"{library} alone read {[m.text for m in missed]} which we missed"
    for text, corners in codes or []:
        readers = [lib for lib, reads in alone.items()
                   if any(ref.same_code(text, corners, r) for r in reads)]
        if readers:
            assert any(ref.same_code(text, corners, d) for d in ours), (text, readers)


def _check_category(category: str, seed: int) -> None:
    image = generate(category, seed)
    assert_union_read(image.data, [(c.text, c.corners) for c in image.codes])


@pytest.mark.parametrize("seed", CI_SEEDS)
@pytest.mark.parametrize("category", CATEGORIES)
def test_union_on_generated_images(category: str, seed: int) -> None:
    _check_category(category, seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW_SEEDS)
@pytest.mark.parametrize("category", CATEGORIES)
def test_union_on_more_generated_images(category: str, seed: int) -> None:
    _check_category(category, seed)


@needs_photos
@pytest.mark.parametrize("photo", real_photos(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_union_on_real_photos(photo: Path) -> None:
    assert_union_read(photo.read_bytes())
    assert expected_text(photo) in [d.text for d in decode_image(photo.read_bytes())]


def test_the_union_check_can_fail() -> None:
    image = generate("clean", 100)
    alone = ref.read_alone(image.data, "zxing-cpp")
    assert alone, "zxing-cpp alone should read a clean label"
    assert ref.missed([], alone) == alone
