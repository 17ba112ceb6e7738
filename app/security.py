"""Security headers on every response."""
from __future__ import annotations

from flask import Flask, Response


def init_security_headers(app: Flask) -> None:
    """Send headers that keep pages from being framed, sniffed or fed foreign scripts."""

    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
        response.headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(self)")
        return response
