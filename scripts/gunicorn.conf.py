"""gunicorn hooks for scripts/serve; every setting is on its command line."""
from __future__ import annotations

from typing import Any


def post_fork(_server: Any, _worker: Any) -> None:
    """Give each worker its own database pool: with --preload the master built the app.

    The master never connects (create_app opens no connection), but a pool inherited across
    fork() would share sockets between processes, so drop it without closing anything.
    """
    from app.extensions import db
    from wsgi import app

    with app.app_context():
        db.engine.dispose(close=False)
