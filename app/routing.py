"""URL converters shared by every blueprint."""
from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # a PostgreSQL integer column; SQLite holds more, but ids never get there


class IdConverter(IntegerConverter):
    """Match only ids an integer column holds: a larger one is not found, on every database.

    Without it `/code-batches/99999999999` is a 404 on SQLite but a database error on
    PostgreSQL (integer out of range).
    """

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def init_routing(app: Flask) -> None:
    """Make `<int:...>` in every route an id converter (before any blueprint is registered)."""
    app.url_map.converters["int"] = IdConverter
