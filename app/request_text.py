"""Refuse JSON text no database can hold where the body comes in, not at the INSERT.

JSON may spell any character as a `\\uXXXX` escape, and Python's decoder accepts two that a
database cannot store: an unpaired surrogate (`\\ud800`: not Unicode, so no UTF-8 encoding
exists; both SQLite and PostgreSQL drivers raise) and NUL (`\\u0000`: PostgreSQL text refuses
it, SQLite would keep it, so the two backends would disagree). Without this check such a value
reaches the driver inside whichever service stores it and the request fails there as a 500.
Forms and query strings cannot carry a surrogate (Werkzeug decodes them with replacement),
but `%00` is a NUL: SQLite stored or searched for it, PostgreSQL refused it as the query was
bound or at the commit (400 value_out_of_range), so the two disagreed. Any NUL in a field's
name or value is refused here too, before any view, alike on both. A view that answers such
text itself (the public report form gives the form back) is marked `@checks_own_text`.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request

from app.errors import NUL_IN_FIELD, APIError

F = TypeVar("F", bound=Callable[..., Any])
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})

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


def checks_own_text(view: F) -> F:
    """Mark a view that answers a NUL in its form itself (with the form, not an error page)."""
    view._checks_own_text = True  # type: ignore[attr-defined]
    return view


def field_with_nul() -> str | None:
    """The name of the first query or form field whose name or value holds a NUL."""
    sources = [request.args]
    if request.mimetype in FORM_TYPES:
        sources.append(request.form)
    for fields in sources:
        for key, value in fields.items(multi=True):
            if "\x00" in key or "\x00" in value:
                return key.replace("\x00", "\\0")[:64]
    return None


def _refuse_nul_field() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "_checks_own_text", False):
        return
    name = field_with_nul()
    if name is None:
        return
    raise APIError(NUL_IN_FIELD, values={"name": name}, code="invalid_text",
                   details={"parameter": name})


def init_request_text(app: Flask) -> None:
    """Check every JSON body, form and query string before the views (and the
    Idempotency-Key lookup) see them."""

    @app.before_request
    def refuse_unstorable_text() -> None:
        _refuse_nul_field()
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
