"""Query parameters read strictly: a value that is present but unusable is a 400 (and a form's
chosen id read for the services, which answer a bad one as naming nothing).

`request.args.get(name, type=int)` answers None for `?org_id=abc`, and a page then acts as
if no id were given (the whole district's report, every flag). Empty values still mean
"not given", as a form's blank select sends them.
"""
from __future__ import annotations

from collections.abc import Collection

from flask import request

from app.errors import BadParameter
from app.routing import MAX_ID


def id_arg(name: str) -> int | None:
    """The id in `?name=`, None when absent or blank; anything but 1..MAX_ID is refused."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_ID:
        raise BadParameter(name, "id")
    return int(raw)


def choice_arg(name: str, choices: Collection[str], default: str | None = None) -> str | None:
    """The value of `?name=` if it is one of `choices`; `default` when absent or blank."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if raw not in choices:
        raise BadParameter(name, "choice", choices)
    return raw


def form_id(name: str) -> int:
    """The id a form's choice sent in `name`, or 0 when it sent none or no id: the services
    answer 0 as naming nothing (404), the page then shows that refusal in the form."""
    raw = request.form.get(name, "").strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= 19 and 0 < int(raw) <= MAX_ID:
        return int(raw)
    return 0
