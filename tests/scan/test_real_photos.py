"""Every shared real photo is read with its expected text."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.scan import decode_image
from tests.scan.photos import expected_text, needs_photos, real_photos

PHOTOS = real_photos()


@needs_photos
def test_the_shared_photo_set_is_complete() -> None:
    assert len(PHOTOS) == 81


@needs_photos
@pytest.mark.parametrize("photo", PHOTOS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_photo_is_read(photo: Path) -> None:
    texts = [code.text for code in decode_image(photo.read_bytes())]
    assert expected_text(photo) in texts
