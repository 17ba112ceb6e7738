"""The benchmark's photo: the same simple label photo the filling tests send."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.filling.photos import qr_photo


def photo_jpeg(payload: str, width: int, height: int) -> bytes:
    """A width x height JPEG showing one cylinder's label."""
    return qr_photo([payload], size=(width, height))
