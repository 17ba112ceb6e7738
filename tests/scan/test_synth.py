"""The generator is deterministic, covers every fault, and labels what it draws."""

from __future__ import annotations

import re

import pytest

from app.scan.synth import CATEGORIES, FAULTS, URL_PREFIX, generate

CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{16}")


def test_categories_cover_each_fault_alone_and_combined() -> None:
    assert set(FAULTS) <= set(CATEGORIES)
    assert {"clean", "far", "combined", "multi", "large"} <= set(CATEGORIES)


@pytest.mark.parametrize("category", ["clean", "curved", "combined"])
def test_same_seed_same_bytes(category: str) -> None:
    assert generate(category, 7).data == generate(category, 7).data
    assert generate(category, 7).data != generate(category, 8).data


def test_payloads_are_cylinder_codes_with_and_without_url() -> None:
    texts = [c.text for s in range(12) for c in generate("tilt", s).codes]
    bare = [t for t in texts if not t.startswith(URL_PREFIX)]
    assert bare and len(bare) < len(texts)
    for text in texts:
        assert CODE.fullmatch(text.removeprefix(URL_PREFIX)), text


def test_multi_and_large_frames() -> None:
    multi = generate("multi", 3)
    assert multi.size == (2400, 1800) and len(multi.codes) >= 3
    large = generate("large", 3)
    assert large.size[0] * large.size[1] >= 12_000_000 and large.format == "JPEG"


def test_corners_lie_inside_the_frame() -> None:
    for category in (c for c in CATEGORIES if c != "large"):
        image = generate(category, 1)
        w, h = image.size
        for code in image.codes:
            assert len(code.corners) == 4
            assert all(-1 <= x <= w + 1 and -1 <= y <= h + 1 for x, y in code.corners)


def test_unknown_category_is_an_error() -> None:
    with pytest.raises(ValueError):
        generate("fog", 1)
