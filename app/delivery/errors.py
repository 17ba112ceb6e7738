"""Refusals of the delivery round: 409 with the reasons, in the shape the interlock uses."""
from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify

from app.errors import Conflict
from app.extensions import db
from app.traceability.checks import Reason


def reason_dict(reason: Reason) -> dict[str, str]:
    return {"code": reason.code, "message": reason.message, "message_en": reason.message_en}


def refusal_body(code: str, message: str, reasons: list[Reason]) -> dict[str, Any]:
    """The interlock's refusal shape: allowed false, every reason, and the error object."""
    listed = [reason_dict(r) for r in reasons]
    return {"allowed": False, "reasons": listed,
            "error": {"code": code, "message": message, "reasons": listed}}


def refusal_response(code: str, message: str, reasons: list[Reason]) -> Response:
    """Answer 409 while keeping what was recorded (the refusal itself is history)."""
    resp = jsonify(refusal_body(code, message, reasons))
    resp.status_code = 409
    return resp


class Refused(Conflict):
    """A step the rules refuse; nothing is written."""

    def __init__(self, code: str, message: str, reasons: list[Reason]) -> None:
        super().__init__(message, code=code)
        self.reasons = reasons


def register_refusal_handler(app: Flask) -> None:
    """Render Refused with its reasons (more specific than the generic APIError handler)."""

    @app.errorhandler(Refused)
    def handle_refused(exc: Refused) -> Response:
        db.session.rollback()
        return refusal_response(exc.code, exc.message, exc.reasons)
