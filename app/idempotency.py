"""Replay the stored answer when a client retries a POST with the same Idempotency-Key."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

from flask import Flask, Response, g, request
from flask_login import current_user
from sqlalchemy import ForeignKey, Integer, LargeBinary, String, select
from sqlalchemy.orm import Mapped, mapped_column

from app.database import UTCDateTime, utcnow
from app.errors import APIError
from app.extensions import db
from app.locks import lock_name

HEADER = "Idempotency-Key"
MAX_KEY = 100  # characters; the records' key column


class IdempotencyRecord(db.Model):
    __tablename__ = "idempotency_records"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    mimetype: Mapped[str] = mapped_column(String(100))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def _request_hash() -> str:
    """What the request asks for, so that a retry encoded another way still matches.

    JSON counts once parsed (key order and spacing do not), forms by their fields and the
    contents of their files (clients build a new multipart boundary for every retry),
    anything else byte for byte; the query string counts too.
    """
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    digest.update(json.dumps(sorted(request.args.items(multi=True))).encode() + b"\n")
    digest.update(_body_meaning())
    return digest.hexdigest()


def _body_meaning() -> bytes:
    if request.is_json:
        raw = request.get_data(cache=True)
        try:
            return json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
        except (ValueError, RecursionError):  # the view answers the bad JSON; any key matches
            return raw
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        files = []
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            files.append((name, hashlib.sha256(upload.stream.read()).hexdigest()))
            upload.stream.seek(0)  # the view reads it again
        return json.dumps([sorted(request.form.items(multi=True)), files]).encode()
    return request.get_data(cache=True)


def key_reused() -> APIError:
    """The refusal of a key sent again with a different request (422, as documented)."""
    return APIError("This Idempotency-Key was used for a different request.",
                    code="idempotency_key_reused", status=422)


def init_idempotency(app: Flask) -> None:
    """Register the replay check (after auth) and the record write (before commit)."""

    @app.before_request
    def replay_if_seen() -> Response | None:
        key = request.headers.get(HEADER)
        if not key or request.method != "POST" or not current_user.is_authenticated:
            return None
        if len(key) > MAX_KEY:
            raise APIError("Idempotency-Key is longer than 100 characters.",
                           code="invalid_idempotency_key")
        g.idempotency_key = key
        g.idempotency_hash = _request_hash()
        # a retry sent while the first attempt still runs waits for it, then replays it
        lock_name(f"idempotency:{current_user.id}:{key}")
        row = db.session.scalar(select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == current_user.id, IdempotencyRecord.key == key))
        if row is None:
            return None
        if row.request_hash != g.idempotency_hash:
            raise key_reused()
        g.idempotency_key = None
        resp = Response(row.body, status=row.status, mimetype=row.mimetype)
        resp.headers["Idempotent-Replayed"] = "true"
        return resp

    @app.after_request
    def remember_answer(response: Response) -> Response:
        key = g.get("idempotency_key")
        if key and response.status_code < 400 and not response.direct_passthrough:
            db.session.add(IdempotencyRecord(
                user_id=current_user.id, key=key, request_hash=g.idempotency_hash,
                status=response.status_code, mimetype=response.mimetype or "application/json",
                body=response.get_data()))
        return response
