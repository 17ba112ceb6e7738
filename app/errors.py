"""One error shape for every client-facing failure: {"error": {"code", "message"}}."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    has_request_context,
    jsonify,
    render_template,
    request,
)
from flask_babel import gettext
from marshmallow import Schema, fields
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, StatementError
from werkzeug.exceptions import HTTPException

from app.extensions import db


def N_(message: str) -> str:
    """Mark a service's error message for the catalogs; the API answers it as written (English)
    and pages show it in the reader's language (`page_message`)."""
    return message


class Term(str):
    """A value that is itself a word (a state, a reason code): the API's message says it as
    it is ("open"), a page says `msgid` in the reader's language (未整改), never the raw code
    inside a Chinese sentence."""

    msgid: str

    def __new__(cls, value: str, words: Mapping[str, str] | None = None) -> Term:
        """`words` maps codes to their N_ msgids; without it the value is its own msgid."""
        term = super().__new__(cls, value)
        term.msgid = (words or {}).get(value, value)
        return term


def _word(value: Any) -> Any:
    """A Term as the reader's catalog says it; as it is where the catalog has no word for it
    (English pages say what the API says)."""
    if not isinstance(value, Term) or not value.msgid:  # gettext("") is the catalog's header
        return value
    said = gettext(value.msgid)
    return value if said == value.msgid else said


def _in_reader_language(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _word(v) for k, v in values.items()}


def page_message(message: str | APIError) -> str:
    """A service's error message in the page's language, when the catalogs have it: a refusal
    built from a template and values is translated first, then filled in with its values (the
    words among them translated too)."""
    if isinstance(message, APIError):
        if not has_request_context():
            return message.message
        if not message.values:
            return gettext(message.template)
        return gettext(message.template, **_in_reader_language(message.values))
    return gettext(message) if has_request_context() else message


def refusal_text(exc: APIError, wording: Mapping[str, str], **params: Any) -> str:
    """What a form says for a service's refusal: the page's own words for the codes it knows
    (they may name the refusal's values as well as `params`), else the service's message in
    the reader's language."""
    msgid = wording.get(exc.code)
    if not msgid:
        return page_message(exc)
    return gettext(msgid, **{**_in_reader_language(exc.values), **params})


class APIError(Exception):
    """A failure the client can act on; the request's writes are rolled back.

    `message` is a template (marked with N_) and `values` what fills it: the API answers it
    filled in, as written (English); pages translate the template, then fill it in
    (`page_message`), so no page needs its own copy of the message."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, values: Mapping[str, Any] | None = None,
                 code: str | None = None, status: int | None = None,
                 details: Any = None) -> None:
        self.template = message
        self.values: dict[str, Any] = dict(values or {})
        self.message = message % self.values if self.values else message
        super().__init__(self.message)
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details


class NotFound(APIError):
    status = 404
    code = "not_found"


class Forbidden(APIError):
    status = 403
    code = "forbidden"


class Conflict(APIError):
    status = 409
    code = "conflict"


class ValidationFailed(APIError):
    status = 400
    code = "validation_error"


NUL_IN_FIELD = N_("The field %(name)s holds a NUL character (\\0); remove it and try again.")
BAD_PARAMETER = {
    "id": N_("The query parameter %(name)s must be an id (a whole number)."),
    "choice": N_("The query parameter %(name)s must be one of: %(choices)s."),
    "invalid": N_("The query parameter %(name)s is not valid."),
}


class CodedMessage(str):
    """A schema field's message that answers with its own error, not `validation_error`
    (a field refusing a control character in a name answers `invalid_text`)."""

    def error(self, field: str) -> APIError:
        """The refusal of `field` (its dotted name in the body)."""
        raise NotImplementedError


def first_coded_message(messages: Any, path: str = "") -> tuple[str, CodedMessage] | None:
    """The dotted name of the first field whose refusal is a CodedMessage, and the message."""
    if isinstance(messages, CodedMessage):
        return path, messages
    if isinstance(messages, Mapping):
        items: list[tuple[str, Any]] = [(f"{path}.{k}" if path else str(k), v)
                                        for k, v in messages.items()]
    elif isinstance(messages, list):
        items = [(path, v) for v in messages]
    else:
        return None
    for where, said in items:
        found = first_coded_message(said, where)
        if found:
            return found
    return None


def coded_error(messages: Any) -> APIError | None:
    """The error a schema's refusal answers with when a field's message carries its own code
    (None: answer it as the caller does any other refusal)."""
    found = first_coded_message(messages)
    return found[1].error(found[0]) if found else None


class BadParameter(ValidationFailed):
    """A query parameter a page or list cannot use: refused, never read as if absent (which
    answered a district-wide report for `?org_id=abc`)."""

    code = "invalid_parameter"

    def __init__(self, name: str, kind: str = "invalid", choices: Any = (),
                 details: Any = None) -> None:
        params = {"name": name, "choices": ", ".join(sorted(choices))}
        super().__init__(BAD_PARAMETER[kind], values=params,
                         details=details if details is not None else {"parameter": name})


class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={"description": "Stable machine-readable code"})
    message = fields.String(required=True, metadata={"description": "For people"})
    details = fields.Raw(metadata={"description": "Optional: field errors or what conflicted"})


class ErrorSchema(Schema):
    """The body of every error answer, as the OpenAPI document describes it."""

    error = fields.Nested(ErrorDetail, required=True)


def _rollback_quietly() -> None:
    """Roll back even when the connection is gone (the pool replaces it on the next checkout)."""
    try:
        db.session.rollback()
    except Exception:  # a dead connection cannot roll back; the error answer matters more
        current_app.logger.warning("rollback failed", exc_info=True)


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """Build the JSON error document."""
    err: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        err["details"] = details
    return {"error": err}


def is_bad_value(exc: BaseException) -> bool:
    """Whether the database (or SQLAlchemy binding a value for it) refused a value as out of
    range: a number beyond 64 bits, a NUL in PostgreSQL text, a date past year 1 or 9999 in
    UTC. Such a value comes from the request; it is bad input, not an internal error."""
    if isinstance(exc, DataError | OverflowError):
        return True
    return isinstance(exc, StatementError) and isinstance(exc.orig, OverflowError)


OUT_OF_RANGE = ("value_out_of_range",
                N_("A value in the request is out of range; nothing was saved."))


def _wants_json() -> bool:
    if request.path.startswith("/api/") or request.path == "/healthz":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def respond(status: int, code: str, message: str, details: Any = None) -> Response:
    """The error answer: JSON for the API (and clients asking for it), else the error page."""
    return _respond(status, code, message, details)


def _respond(status: int, code: str, message: str, details: Any = None,
             page: str | APIError | None = None) -> Response:
    """Answer an error: the JSON body for the API, else an error page in the reader's
    language (`page`, when given, is what the page says instead of the API's message: a
    msgid, or the refusal whose template and values it says)."""
    if _wants_json():
        resp = jsonify(error_body(code, message, details))
        resp.status_code = status
        return resp
    try:
        html = render_template("error.html", status=status, code=code,
                               message=page_message(page or message))
    except Exception:  # a broken page must still answer, never loop into another 500
        current_app.logger.exception("error page failed to render")
        return Response(f"{status} {code}: {message}", status=status, mimetype="text/plain")
    return Response(html, status=status, mimetype="text/html")


# Werkzeug's own descriptions are English only; pages say these instead.
HTTP_PAGE_MESSAGES = {
    400: N_("The request was not understood."),
    401: N_("Please sign in."),
    403: N_("You may not open this page."),
    404: N_("There is no such page."),
    405: N_("This page does not support that kind of request."),
    413: N_("What was sent is too large."),
    415: N_("This kind of upload is not supported."),
    429: N_("Too many requests; wait a moment and try again."),
}
CSRF_PAGE_MESSAGE = N_("The form has expired; go back, reload the page and try again.")

_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 422: "validation_error", 429: "rate_limited",
}


def register_error_handlers(app: Flask) -> None:
    """Turn every exception a client can cause into the JSON (or HTML) error shape."""

    @app.errorhandler(APIError)
    def handle_api_error(exc: APIError) -> Response:
        db.session.rollback()
        return _respond(exc.status, exc.code, exc.message, exc.details, exc)

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException) -> Response:
        db.session.rollback()
        status = exc.code or 500
        code = _HTTP_CODES.get(status, "http_error")
        details, page = None, None
        data = getattr(exc, "data", None)
        # webargs keys the messages by location first ({"json": {"name": [...]}})
        located = data.get("messages") if status == 422 and data else None
        coded = next(filter(None, map(coded_error, located.values())), None
                     ) if isinstance(located, Mapping) else None
        if coded:
            coded.details = {**(coded.details or {}), "fields": located}
            return handle_api_error(coded)
        if status == 422 and data and "messages" in data:
            # webargs validation: report field errors as a 400 the client can fix
            status, code, details = 400, "validation_error", data["messages"]
            message = N_("The request has invalid fields.")
        elif status == 400 and request.is_json and request.get_json(silent=True) is None:
            code, message = "invalid_json", N_("The request body is not valid JSON.")
        elif status == 400 and "CSRF" in (exc.description or ""):
            code, message = "csrf_failed", exc.description or "CSRF check failed."
            page = CSRF_PAGE_MESSAGE
        else:
            message = exc.description or exc.name
            page = HTTP_PAGE_MESSAGES.get(status)
        resp = _respond(status, code, message, details, page)
        if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
        if status == 429:
            resp.headers.update(getattr(exc, "headers", {}) or {})
        return resp

    @app.errorhandler(IntegrityError)
    def handle_integrity(exc: IntegrityError) -> Response:
        db.session.rollback()
        app.logger.info("integrity conflict: %s", exc.orig)
        return _respond(409, "conflict",
                        N_("The change conflicts with existing data; nothing was saved."))

    @app.errorhandler(OperationalError)
    def handle_database_unavailable(exc: OperationalError) -> Response:
        # a lost connection (database restart) or a lock wait that timed out: retryable
        _rollback_quietly()
        app.logger.warning("database unavailable: %s", exc.orig)
        resp = _respond(503, "database_unavailable",
                        N_("The database is busy or restarting; nothing was saved, retry."))
        resp.headers["Retry-After"] = "1"
        return resp

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def handle_out_of_range(exc: Exception) -> Response:
        # a number or text the database cannot hold (e.g. an id beyond 64 bits) is bad input
        _rollback_quietly()
        app.logger.info("value out of range: %s", exc)
        return _respond(400, *OUT_OF_RANGE)

    @app.errorhandler(StatementError)
    def handle_unbindable(exc: StatementError) -> Response:
        # SQLAlchemy wraps what fails while it binds a query's values: an OverflowError is a
        # value from the request out of range there too (0001-01-01 in district time is
        # year 0 in UTC); anything else (a naive datetime, a wrong type) is ours, a 500
        if is_bad_value(exc):
            return handle_out_of_range(exc)
        return handle_unexpected(exc)

    @app.errorhandler(RecursionError)
    def handle_deep_json(exc: RecursionError) -> Response:
        # the JSON decoder recurses once per nesting level; a body nested thousands deep
        # is bad input (any other recursion error is ours, and stays a 500)
        if "decoding a JSON" not in str(exc):
            return handle_unexpected(exc)
        _rollback_quietly()
        return _respond(400, "invalid_json", N_("The request body is nested too deeply."))

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Response:
        db.session.rollback()
        app.logger.exception("unhandled error")
        return _respond(500, "internal_error",
                        N_("An internal error occurred; nothing was saved."))
