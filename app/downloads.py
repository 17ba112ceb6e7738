"""Documenting downloads (files, images, JSON-LD) in the OpenAPI document as what is sent.

flask-smorest documents a response as `application/json` unless told otherwise, and a
response without a schema gets no media type at all, so clients (and the API fuzzer) could
not know a PDF or a workbook comes back. Every view that answers with anything but JSON
documents its media types here, each with a binary body.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_smorest import Blueprint

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
ZPL = "text/plain"
PNG = "image/png"
SVG = "image/svg+xml"
JSON_LD = "application/ld+json"
# A file's bytes (OpenAPI 3: a string in binary format).
BINARY: dict[str, str] = {"type": "string", "format": "binary"}


def file_response(blp: Blueprint, *media_types: str, description: str,
                  alternative: bool = False) -> Callable[[Any], Any]:
    """Document a 200 whose body is a file in one of `media_types`.

    `alternative` adds them beside a JSON response the view also gives (the JSON one is
    then documented with `blp.response` as usual).
    """
    def decorate(view: Any) -> Any:
        for index, media_type in enumerate(reversed(media_types)):
            if index == len(media_types) - 1 and not alternative:
                view = blp.response(200, BINARY, content_type=media_type,
                                    description=description)(view)
            else:
                view = blp.alt_response(200, schema=BINARY, content_type=media_type,
                                        description=description, success=True)(view)
        return view

    return decorate
