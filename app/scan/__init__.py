"""Decode QR codes from uploaded photos: bytes in, codes with corner points out.

A pure library: no web framework, no database. See `decode_image`.
"""

from app.scan.decoder import decode_image
from app.scan.model import Decoded, ImageRejected

__all__ = ["Decoded", "ImageRejected", "decode_image"]
