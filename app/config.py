"""All settings, read from the environment with explicit types.

Only development has defaults; production refuses to start without a secret key.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


class ConfigError(RuntimeError):
    """A setting is missing or malformed."""


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _positive_int(env: dict[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")
    return value


def _dev_secret_key(instance_dir: Path) -> str:
    """Keep one random development key per checkout so sessions survive restarts."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def load_config(env: dict[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from environment variables."""
    env = dict(os.environ if env is None else env)
    app_env = env.get("APP_ENV", "development")
    if app_env not in {"development", "production", "testing"}:
        raise ConfigError(f"APP_ENV must be development, production or testing, not {app_env!r}")
    instance_dir = Path(env.get("INSTANCE_DIR", str(INSTANCE_DIR)))
    secret_key = env.get("SECRET_KEY")
    if not secret_key:
        if app_env == "production":
            raise ConfigError("SECRET_KEY must be set in production")
        secret_key = _dev_secret_key(instance_dir)
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_dir / 'lpg.sqlite3'}"
    if app_env == "production" and not env.get("PUBLIC_BASE_URL"):
        raise ConfigError("PUBLIC_BASE_URL must be set in production")
    return {
        "APP_ENV": app_env,
        "INSTANCE_DIR": str(instance_dir),
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "MAX_CONTENT_LENGTH": _int(env, "MAX_UPLOAD_MB", 25) * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": app_env == "production",
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": ["zh_CN", "en"],
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "1") != "0",
        "RATELIMIT_HEADERS_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "API_TITLE": "LPG cylinder traceability (一瓶一码)",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/static/vendor/swagger-ui/",
        "IMPORT_MAX_ROWS": _int(env, "IMPORT_MAX_ROWS", 200_000),
        "TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES", 0),
        # how long a new API token lives; a client may ask for fewer days, never more
        "API_TOKEN_DAYS": _positive_int(env, "API_TOKEN_DAYS", 365),
        # how long a worker trusts a cached token without the generation file (0: no cache)
        "AUTH_CACHE_SECONDS": _int(env, "AUTH_CACHE_SECONDS", 5),
        # the same for the product blacklist's copy in each worker (0: read it every fill)
        "BLACKLIST_CACHE_SECONDS": _int(env, "BLACKLIST_CACHE_SECONDS", 5),
    }
