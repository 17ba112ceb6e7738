"""Codes come back with the right text and corners: EXIF rotation, WebP, many codes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image

from app.scan import Decoded, decode_image
from app.scan.synth import generate
from tests.scan.images import canvas, encode, near

URL = "https://gas.example.cn/c/7K2M9QXRT4VBN8HC"
BARE = "0123456789ABCDEF"


@pytest.fixture(scope="module")
def upright():
    return canvas([(URL, 120, 90)], size=(640, 480), module=6)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_gives_upright_corners(upright, orientation: int) -> None:
    image, truth = upright
    found = decode_image(encode(image, "JPEG", orientation, quality=92))
    assert [d.text for d in found] == [URL]
    assert len(found[0].points) == 4
    assert near(found[0].points, truth[0][1], tolerance=4)


def test_exif_rotation_changes_the_frame(upright) -> None:
    image, _ = upright
    turned = decode_image(encode(image, "JPEG", 6, quality=92))[0]
    xs = [x for x, _ in turned.points]
    assert max(xs) < 640 and min(xs) > 100  # upright frame, not the stored 480x640 one


@pytest.mark.parametrize("options", [{"quality": 85}, {"lossless": True}])
def test_webp(upright, options: dict) -> None:
    image, truth = upright
    found = decode_image(encode(image, "WEBP", **options))
    assert [d.text for d in found] == [URL]
    assert near(found[0].points, truth[0][1], tolerance=4)


def test_png_with_transparency_reads_on_white() -> None:
    image, _ = canvas([(BARE, 40, 40)], size=(240, 240))
    rgba = image.convert("RGBA")
    pixels = np.asarray(rgba).copy()
    pixels[..., 3] = np.where(pixels[..., 0] > 128, 0, 255)
    pixels[pixels[..., 3] == 0, :3] = 0  # transparent paper that would be black if ignored
    assert [d.text for d in decode_image(encode(Image.fromarray(pixels), "PNG"))] == [BARE]


def test_several_codes_with_duplicates_are_each_reported() -> None:
    layout = [(URL, 40, 40), (BARE, 440, 40), (URL, 40, 330), (BARE + "X", 440, 330)]
    image, truth = canvas(layout, size=(800, 620), module=5)
    found = decode_image(encode(image, "PNG"))
    assert sorted(d.text for d in found) == sorted(t for t, _ in truth)
    for text, corners in truth:
        assert any(d.text == text and near(d.points, corners, tolerance=4) for d in found)
    centres = {tuple(np.round(np.mean(d.points, axis=0))) for d in found}
    assert len(centres) == 4


def test_generated_multi_code_frame_points_are_roughly_right() -> None:
    image = generate("multi", 100)
    found = decode_image(image.data)
    texts = [c.text for c in image.codes]
    assert len(found) >= len(texts) - 1
    for code in found:
        centre = np.mean(code.points, axis=0)
        boxes = [np.array(c.corners) for c in image.codes if c.text == code.text]
        assert any((b.min(0) - 5 <= centre).all() and (centre <= b.max(0) + 5).all()
                   for b in boxes), code
    repeated = texts[0]
    assert texts.count(repeated) == 2
    assert [d.text for d in found].count(repeated) == 2


def test_no_code_twice_at_the_same_place() -> None:
    for category, seed in [("multi", 101), ("large", 100), ("glare", 100)]:
        found = decode_image(generate(category, seed).data)
        for i, a in enumerate(found):
            for b in found[i + 1:]:
                if a.text == b.text:
                    gap = np.linalg.norm(np.mean(a.points, 0) - np.mean(b.points, 0))
                    assert gap > 20, (category, seed, a.text)


def test_decoded_is_a_frozen_value(upright) -> None:
    image, _ = upright
    found = decode_image(encode(image, "PNG"))
    assert isinstance(found[0], Decoded)
    assert all(isinstance(v, float) for p in found[0].points for v in p)
    with pytest.raises(dataclasses.FrozenInstanceError):
        found[0].text = "x"  # type: ignore[misc]


def test_blank_image_has_no_codes() -> None:
    image, _ = canvas([], size=(320, 240))
    assert decode_image(encode(image, "JPEG")) == []


def test_light_on_dark_code_is_read() -> None:
    image, truth = canvas([(URL, 150, 100)], size=(640, 480), module=6)
    inverted = Image.eval(image, lambda v: 255 - v)
    found = decode_image(encode(inverted, "JPEG", quality=90))
    assert [d.text for d in found] == [URL]
    assert near(found[0].points, truth[0][1], tolerance=6)
