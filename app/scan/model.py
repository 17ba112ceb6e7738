"""Value types shared by the decoder and its callers."""

from __future__ import annotations

from dataclasses import dataclass

Point = tuple[float, float]


@dataclass(frozen=True)
class Decoded:
    """One QR code found in an image: its text and 4 corners in upright image pixels.

    Trailing whitespace (the CR/LF some label printers append) is dropped from the text.
    """

    text: str
    points: tuple[Point, ...]


class ImageRejected(ValueError):
    """Refuse an upload with a stable machine-readable code, so the web layer can answer 4xx."""

    CODES = frozenset({"empty_image", "image_too_large", "image_dimensions_too_large",
                       "unsupported_image", "corrupt_image"})

    def __init__(self, code: str, message: str) -> None:
        """Keep the code and message apart so callers need not parse the text."""
        if code not in self.CODES:
            raise ValueError(f"unknown rejection code {code!r}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type[ImageRejected], tuple[str, str]]:
        """Rebuild from code and message so rejections survive pickling across processes."""
        return (type(self), (self.code, self.message))
