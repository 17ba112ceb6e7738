"""Refuse JSON text no database can hold where the body comes in, not at the INSERT.

JSON may spell any character as a `\\uXXXX` escape, and Python's decoder accepts two that a
database cannot store: an unpaired surrogate (`\\ud800`: not Unicode, so no UTF-8 encoding
exists; both SQLite and PostgreSQL drivers raise) and NUL (`\\u0000`: PostgreSQL text refuses
it, SQLite would keep it, so the two backends would disagree). Without this check such a value
reaches the driver inside whichever service stores it and the request fails there as a 500.
Forms and query strings cannot carry either: Werkzeug decodes them with replacement, and
a NUL in a form still meets the database's own refusal (a 400, `app.errors`).
"""
from __future__ import annotations

import re
from typing import Any

from flask import Flask, request

from app.errors import APIError

# Only an escape brings these in: the UTF-8 decoder refuses encoded surrogates and the JSON
# decoder refuses a raw control character inside a string. A body without one skips the walk.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:[dD][89a-fA-F][0-9a-fA-F]{2}|0000)")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_character(data: Any) -> str | None:
    """The first NUL or unpaired surrogate in any string (key or value) of parsed JSON."""
    stack = [data]
    while stack:  # iterative: a body may nest as deep as the decoder allows
        value = stack.pop()
        if isinstance(value, str):
            found = _UNSTORABLE.search(value)
            if found:
                return found.group()
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return None


def init_request_text(app: Flask) -> None:
    """Check every JSON body before the views (and the Idempotency-Key lookup) see it."""

    @app.before_request
    def refuse_unstorable_text() -> None:
        if not request.is_json or not _SUSPECT_ESCAPE.search(request.get_data(cache=True)):
            return
        data = request.get_json(silent=True)  # invalid JSON is the view's to answer
        char = unstorable_character(data) if data is not None else None
        if char is None:
            return
        if char == "\x00":
            message = "The request body has a NUL character (\\u0000) in its text."
        else:
            message = (f"The request body has text that is not valid Unicode: an unpaired "
                       f"surrogate (\\u{ord(char):04x}).")
        raise APIError(message, code="invalid_text")
