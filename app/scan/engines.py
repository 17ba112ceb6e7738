"""Run one QR library on a grayscale array and return its reads in a common shape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp
from pyzbar import pyzbar

Quad = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Read:
    """A code one library read: text, corners in the array's pixels, and who read it."""

    text: str
    points: Quad
    engine: str


Engine = Callable[[np.ndarray], list[Read]]

# Regular QR codes only: labels carry them, and Micro QR's tiny symbols read falsely in texture.
_QR = (zxingcpp.BarcodeFormat.QRCodeModel1, zxingcpp.BarcodeFormat.QRCodeModel2)
_ZBAR_QR = [pyzbar.ZBarSymbol.QRCODE]


def zxing(gray: np.ndarray, *, try_harder: bool = True, binarizer: str = "local") -> list[Read]:
    """Read with zxing-cpp: the fastest and most tolerant detector we have."""
    mode = (zxingcpp.Binarizer.LocalAverage if binarizer == "local"
            else zxingcpp.Binarizer.GlobalHistogram)
    found = zxingcpp.read_barcodes(
        gray, formats=_QR, try_rotate=try_harder, try_downscale=try_harder,
        try_invert=try_harder, binarizer=mode,
    )
    reads = []
    for bc in found:
        pos = bc.position
        quad = tuple((float(p.x), float(p.y)) for p in
                     (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left))
        reads.append(Read(bc.text, quad, "zxing-cpp"))
    return reads


def zxing_suspects(gray: np.ndarray, *, quick: bool = False) -> tuple[list[Read], list[Quad]]:
    """Read with zxing-cpp and also return where it found a symbol it could not decode.

    `quick` skips the inverted and downscaled passes (about half the time).
    """
    found = zxingcpp.read_barcodes(gray, formats=_QR, return_errors=True,
                                   try_invert=not quick, try_downscale=not quick)
    reads, failed = [], []
    for bc in found:
        pos = bc.position
        quad = tuple((float(p.x), float(p.y)) for p in
                     (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left))
        if bc.valid:
            reads.append(Read(bc.text, quad, "zxing-cpp"))
        else:
            failed.append(quad)
    return reads, failed


def zbar(gray: np.ndarray) -> list[Read]:
    """Read with zbar: its scan-line finder catches some blurred or noisy codes zxing drops."""
    reads = []
    for sym in pyzbar.decode(gray, symbols=_ZBAR_QR):
        polygon = np.float32([(p.x, p.y) for p in sym.polygon])
        if len(polygon) != 4:
            polygon = cv2.boxPoints(cv2.minAreaRect(polygon))
        quad = tuple((float(x), float(y)) for x, y in polygon)
        reads.append(Read(sym.data.decode("utf-8", errors="replace"), quad, "pyzbar"))
    return reads


def _opencv(detector: cv2.QRCodeDetector | cv2.QRCodeDetectorAruco, gray: np.ndarray,
            name: str) -> list[Read]:
    """Run an OpenCV QR detector and keep the symbols it decoded."""
    try:
        ok, texts, points, _ = detector.detectAndDecodeMulti(gray)
    except cv2.error:
        return []
    if not ok or points is None:
        return []
    reads = []
    for text, quad in zip(texts, points, strict=False):
        if text:
            reads.append(Read(text, tuple((float(x), float(y)) for x, y in quad), name))
    return reads


def opencv_aruco(gray: np.ndarray) -> list[Read]:
    """Read with OpenCV's ArUco-based QR detector, robust to perspective and curvature."""
    return _opencv(cv2.QRCodeDetectorAruco(), gray, "opencv-aruco")


def opencv_classic(gray: np.ndarray) -> list[Read]:
    """Read with OpenCV's contour-based QR detector."""
    return _opencv(cv2.QRCodeDetector(), gray, "opencv")
