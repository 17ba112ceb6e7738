"""QR matrices from zxing-cpp's writer, the fastest of the encoders measured here."""
from __future__ import annotations

import numpy as np
import zxingcpp

DEFAULT_ECC = "H"
QUIET_ZONE = 4
_FORMAT = zxingcpp.BarcodeFormat.QRCode


def qr_matrix(payload: str, ecc: str = DEFAULT_ECC) -> np.ndarray:
    """Encode `payload` at the smallest version that holds it with `ecc`; True is dark."""
    barcode = zxingcpp.create_barcode(payload, _FORMAT, ec_level=ecc)
    if barcode.ec_level != ecc:
        raise RuntimeError(f"QR writer produced ECC {barcode.ec_level!r}, asked for {ecc!r}")
    image = np.asarray(barcode.to_image(scale=1, add_quiet_zones=False))
    return image < 128


def qr_version(modules: int) -> int:
    """Return the QR version of a symbol that is `modules` wide."""
    return (modules - 17) // 4


def dark_runs(matrix: np.ndarray) -> tuple[list[int], list[int], list[int]]:
    """Return (row, start column, length) of every horizontal dark run, row-major."""
    rows, cols = matrix.shape
    padded = np.zeros((rows, cols + 2), dtype=np.int8)
    padded[:, 1:-1] = matrix
    steps = np.diff(padded, axis=1)
    run_rows, starts = np.nonzero(steps == 1)
    _, ends = np.nonzero(steps == -1)
    return run_rows.tolist(), starts.tolist(), (ends - starts).tolist()
