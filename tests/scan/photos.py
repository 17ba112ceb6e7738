"""Locate the shared real photos and their expected texts."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_PHOTOS = Path(__file__).resolve().parents[2] / ".." / "shared" / "qr-photos"


def real_photos() -> list[Path]:
    """Return the shared real photos (empty when the folder is absent)."""
    return sorted(SHARED_PHOTOS.glob("*/*.png")) if SHARED_PHOTOS.is_dir() else []


def expected_text(photo: Path) -> str:
    """Return a photo's expected text: its .txt as UTF-8, trailing whitespace stripped."""
    return photo.with_suffix(".txt").read_bytes().decode("utf-8").rstrip()


needs_photos = pytest.mark.skipif(
    not SHARED_PHOTOS.is_dir(), reason=f"shared real photos not found at {SHARED_PHOTOS}")
