"""Security headers on every response, and which proxy's client addresses to trust."""
from __future__ import annotations

from flask import Flask, Response, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

HSTS = "max-age=31536000; includeSubDomains"


def init_security_headers(app: Flask) -> None:
    """Send headers that keep pages from being framed, sniffed or fed foreign scripts."""
    secure = app.config.get("SESSION_COOKIE_SECURE", False)

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
        if secure:  # production is served over HTTPS only: browsers must never downgrade
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if g.get("auth_via") or "Authorization" in request.headers:
            # answers for a signed-in user carry their organisation's data: no shared caches
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def trust_proxies(app: Flask) -> None:
    """Take the client's address from X-Forwarded-For only behind TRUSTED_PROXIES proxies.

    Rate limits count per client address; behind a reverse proxy every request would come
    from the proxy, and without one a client could pick its own address from the header.
    """
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
