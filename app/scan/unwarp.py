"""Flatten a QR code printed on a curved (cylindrical) surface, given its four corners."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

Quad = tuple[tuple[float, float], ...]

CURVES_DEG = ((45.0, -15.0), (45.0, 15.0), (60.0, 0.0), (30.0, -30.0), (30.0, 30.0),
              (80.0, -20.0), (80.0, 20.0))
_MARGIN = 0.18


def cylinder_profile(u: np.ndarray, arc_deg: float, offset_deg: float) -> np.ndarray:
    """Map flat label positions u in 0..1 to where they appear across a curved code (0..1).

    A label wrapped on a cylinder and seen from afar shows arc position s at sin(s):
    columns near the limb are squeezed. `arc_deg` is the code's angular width and
    `offset_deg` how far its middle is turned from the camera.
    """
    arc, off = math.radians(arc_deg), math.radians(offset_deg)
    lo, hi = math.sin(off - arc / 2), math.sin(off + arc / 2)
    angle = np.clip(off + arc * (u - 0.5), -math.pi / 2, math.pi / 2)
    return (np.sin(angle) - lo) / (hi - lo)


@dataclass(frozen=True)
class Rectified:
    """The code's quadrilateral warped to a square (with a quiet margin) and the way back."""

    image: np.ndarray
    side: int
    back: np.ndarray

    @classmethod
    def of(cls, gray: np.ndarray, quad: Quad, side: int) -> Rectified:
        """Warp `quad` of `gray` to a `side`-pixel square inside a margin."""
        pad = _MARGIN * side
        square = np.float32([[pad, pad], [pad + side, pad], [pad + side, pad + side],
                             [pad, pad + side]])
        forward = cv2.getPerspectiveTransform(np.float32(quad), square)
        total = int(side * (1 + 2 * _MARGIN))
        image = cv2.warpPerspective(gray, forward, (total, total), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REPLICATE)
        return cls(image, side, np.linalg.inv(forward))

    def _source(self, arc_deg: float, offset_deg: float) -> np.ndarray:
        """Return, per output column (or row), where to sample the rectified image."""
        total = self.image.shape[0]
        axis = (np.arange(total, dtype=np.float32) + 0.5) / self.side - _MARGIN
        bent = cylinder_profile(axis, arc_deg, offset_deg)
        return ((bent + _MARGIN) * self.side - 0.5).astype(np.float32)

    def bend(self, arc_deg: float, offset_deg: float, along_v: bool) -> np.ndarray:
        """Undo a cylinder curve across the code's rows (or columns when `along_v`)."""
        total = self.image.shape[0]
        source = self._source(arc_deg, offset_deg)
        same = np.arange(total, dtype=np.float32)
        if along_v:
            map_x, map_y = np.tile(same, (total, 1)), np.tile(source[:, None], (1, total))
        else:
            map_x, map_y = np.tile(source, (total, 1)), np.tile(same[:, None], (1, total))
        return cv2.remap(self.image, map_x, map_y, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)

    def to_source(self, point: tuple[float, float], arc_deg: float, offset_deg: float,
                  along_v: bool) -> tuple[float, float]:
        """Map a point of a bent image back to the pixels of the original image."""
        source = self._source(arc_deg, offset_deg)
        x, y = point
        grid = np.arange(len(source), dtype=np.float32)
        if along_v:
            y = float(np.interp(y, grid, source))
        else:
            x = float(np.interp(x, grid, source))
        out = cv2.perspectiveTransform(np.float32([[[x, y]]]), self.back)[0, 0]
        return float(out[0]), float(out[1])


def hypotheses(quad: Quad) -> Iterator[tuple[float, float, bool]]:
    """Yield (arc, offset, axis) guesses, the squeezed axis of the quadrilateral first.

    A curve foreshortens the code across the cylinder, so the shorter pair of opposite
    edges tells which way it most likely bends.
    """
    p = np.float32(quad)
    across_u = np.linalg.norm(p[1] - p[0]) + np.linalg.norm(p[2] - p[3])
    across_v = np.linalg.norm(p[3] - p[0]) + np.linalg.norm(p[2] - p[1])
    for along_v in (False, True) if across_u <= across_v else (True, False):
        for arc, offset in CURVES_DEG:
            yield arc, offset, along_v
