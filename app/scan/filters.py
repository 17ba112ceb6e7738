"""Preprocessing that repairs what photos of cylinders typically break, one fault each."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

_KERNEL = np.ones((3, 3), np.uint8)

Filter = Callable[[np.ndarray], np.ndarray]


def opened(img: np.ndarray) -> np.ndarray:
    """Remove thin bright scratches and glints (morphological opening)."""
    return cv2.morphologyEx(img, cv2.MORPH_OPEN, _KERNEL)


def closed(img: np.ndarray) -> np.ndarray:
    """Remove thin dark scratches and specks (morphological closing)."""
    return cv2.morphologyEx(img, cv2.MORPH_CLOSE, _KERNEL)


def equalised(img: np.ndarray) -> np.ndarray:
    """Even out glare and shadow with local contrast equalisation (CLAHE)."""
    return cv2.createCLAHE(clipLimit=3.0, tileGridSize=(4, 4)).apply(img)


def binarised(img: np.ndarray) -> np.ndarray:
    """Threshold against the local mean, which survives uneven light and stains."""
    block = max(15, (min(img.shape) // 8) | 1)
    return cv2.adaptiveThreshold(img, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 7)


def smoothed(img: np.ndarray) -> np.ndarray:
    """Suppress sensor noise and JPEG blocks before binarising."""
    return cv2.medianBlur(img, 3)


FOR_ZXING: tuple[tuple[str, Filter], ...] = (
    ("open", opened), ("close", closed), ("clahe", equalised),
    ("adaptive", binarised), ("median", smoothed),
)
FOR_ZBAR: tuple[tuple[str, Filter], ...] = (
    ("open", opened), ("close", closed), ("clahe", equalised),
)
