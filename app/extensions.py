"""Extensions created once and bound to an app by the factory."""
from __future__ import annotations

from flask.globals import _cv_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with constraint names Alembic can diff."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ServiceApi(Api):
    """flask-smorest's Api, documenting errors in this service's own shape."""

    @property
    def ERROR_SCHEMA(self) -> type:  # the name flask-smorest looks up
        from app.errors import ErrorSchema

        return ErrorSchema

    def _init_spec(self, *, extra_plugins: tuple = (), **options: object) -> None:
        """Add the service's conventions (bearer tokens, 400 for invalid fields, the
        Idempotency-Key header) to the document flask-smorest builds."""
        from app.openapi import ServiceConventions

        super()._init_spec(extra_plugins=[ServiceConventions(), *extra_plugins], **options)


def app_context_id() -> int:
    """The session's scope: the current application context, read from its context variable.

    Flask-SQLAlchemy's default reads the same object through a LocalProxy, and a request
    looks its session up a few dozen times (every `db.session.x`).
    """
    try:
        return id(_cv_app.get())
    except LookupError:
        raise RuntimeError("Working outside of application context.") from None


db = SQLAlchemy(model_class=Base, session_options={"scopefunc": app_context_id})
migrate = Migrate(compare_type=True, render_as_batch=True)
api = ServiceApi()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
